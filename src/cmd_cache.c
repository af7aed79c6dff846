/* cmd_cache: `mvbuild cache verify` and `mvbuild cache import FILE...`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_gc.h"
#include "cli.h"
#include "config.h"
#include "engine.h"
#include "util.h"

static int cache_verify_cmd(struct mvctx *ctx)
{
	struct error err = ERROR_INIT;
	if (cli_open_cache(ctx, &err) < 0)
		return cli_fail(ctx, &err);
	struct verify_stats st;
	struct buf report = BUF_INIT;
	if (cache_verify(ctx->cache, &st, &report, &err) < 0) {
		buf_release(&report);
		return cli_fail(ctx, &err);
	}
	if (report.len)
		fputs(report.data, stdout);
	char size[32];
	format_size(st.bytes, size, sizeof(size));
	printf("verified %lu blobs (%s) and %lu action entries: %lu corrupt, %lu missing\n",
	       st.blobs, size, st.actions, st.corrupt, st.missing);
	buf_release(&report);
	return st.corrupt || st.missing ? EXIT_FAIL : EXIT_OK;
}

/*
 * An imported blob is readable by every reader of the cache, justified by
 * the checksum a recipe must pin to use it: so never a credential of the
 * machine config, and only a regular file (a FIFO would block the import).
 */
static int import_allowed(struct mvctx *ctx, const char *file, struct error *err)
{
	struct recipe_credential creds[3];
	struct recipe_trust trust;
	config_trust(ctx->config, creds, &trust);
	char *subject = xasprintf("'%s'", file);
	struct recipe_tree_path tp = { subject, ".", file, RECIPE_TREE_ANYWHERE, false, false };
	int ret = recipe_tree_check(".", &trust, &tp, err);
	free(subject);
	return ret < 0 ? error_prefix(err, "cannot import") : 0;
}

static int cache_import_cmd(struct mvctx *ctx, int argc, char **argv)
{
	struct error err = ERROR_INIT;
	if (cli_open_cache(ctx, &err) < 0)
		return cli_fail(ctx, &err);
	struct engine *e = engine_new(ctx); /* no recipe needed: keys come from checksums */
	int status = EXIT_OK;
	for (int i = 0; i < argc; i++) {
		char sha256[SHA256_HEX], sha512[HASH_MAX_HEX];
		if (import_allowed(ctx, argv[i], &err) < 0 ||
		    engine_import(e, argv[i], sha256, sha512, &err) < 0) {
			status = cli_fail(ctx, &err);
			break;
		}
		printf("%s sha256:%s sha512:%s\n", argv[i], sha256, sha512);
	}
	engine_free(e);
	return status;
}

int cmd_cache(struct mvctx *ctx, int argc, char **argv)
{
	const struct command *cmd = cli_find_command("cache");
	if (argc < 2)
		return cli_usage(cmd, "expected 'verify' or 'import'");
	if (strcmp(argv[1], "verify") == 0) {
		if (argc != 2)
			return cli_usage(cmd, "'verify' takes no arguments");
		return cache_verify_cmd(ctx);
	}
	if (strcmp(argv[1], "import") == 0) {
		if (argc < 3)
			return cli_usage(cmd, "'import' needs at least one FILE");
		return cache_import_cmd(ctx, argc - 2, argv + 2);
	}
	return cli_usage(cmd, "unknown subcommand '%s'", argv[1]);
}
