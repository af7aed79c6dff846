/* cmd_cache: `mvbuild cache verify` and `mvbuild cache import FILE...`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_gc.h"
#include "cmd/cli.h"
#include "recipe/config.h"
#include "engine/engine.h"
#include "base/util.h"

static int cache_verify_cmd(struct mvctx *ctx)
{
	struct error err = ERROR_INIT;
	struct verify_stats st;
	struct buf report = BUF_INIT;
	if (cache_gc_verify(ctx->cache, &st, &report, &err) < 0) {
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
	struct recipe_trust trust;
	config_trust(ctx->config, &trust);
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

static int cmd_cache(struct mvctx *ctx, struct cli_args *args)
{
	const char *verb = args->words[0];
	int n = (int)args->n_words - 1;
	if (strcmp(verb, "verify") == 0) {
		if (n != 0)
			return cli_usage(ctx, &command_cache, "'verify' takes no arguments");
		return cache_verify_cmd(ctx);
	}
	if (strcmp(verb, "import") == 0) {
		if (n < 1)
			return cli_usage(ctx, &command_cache, "'import' needs at least one FILE");
		return cache_import_cmd(ctx, n, args->words + 1);
	}
	return cli_usage(ctx, &command_cache, "unknown subcommand '%s' (say 'verify' or 'import')", verb);
}

const struct command command_cache = {
	.name = "cache",
	.args = "verify | import FILE...",
	.summary = "verify the cache, or import files by digest",
	.help = "cache verify          rehash every blob; exit 1 when any is corrupt\n"
		"cache import FILE...  store files by digest, so a source whose checksum\n"
		"                      matches is satisfied without a download\n",
	.min_words = 1,
	.max_words = -1,
	.needs = NEEDS_CACHE,
	.run = cmd_cache,
};
