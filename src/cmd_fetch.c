/*
 * cmd_fetch: `mvbuild fetch [--print-checksums] [SOURCE...]` brings sources
 * into the cache without building anything else.  With --print-checksums
 * it prints "NAME sha256 HEX" and "NAME sha512 HEX" for each source as
 * downloaded, for writing recipes.  A SOURCE that is a URL (scheme://) is
 * downloaded into a temp file, hashed and removed, without a recipe, so the
 * checksums of a new source can be learnt before it is written down.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "fetch.h"
#include "hash.h"
#include "recipe.h"
#include "util.h"

static void print_checksums(const char *name, const char *sha256, const char *sha512)
{
	printf("%s sha256 %s\n%s sha512 %s\n", name, sha256, name, sha512);
}

/* download one URL to a temp file and print its checksums; -1 with err */
static int fetch_url_checksums(struct mvctx *ctx, const char *url, struct error *err)
{
	const char *tmpdir = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/mvbuild-fetch.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	int ret = -1;
	int fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0) {
		error_errno(err, errno, "cannot create '%s'", tmpl);
		goto out;
	}
	unlink(tmpl); /* nothing to clean up however this ends */
	struct fetch_limits limits;
	if (fetch_limits_from_env(&limits, err) < 0)
		goto out;
	struct fetch_request req = { .url = url, .fd = fd, .algo = HASH_SHA512, .want_sha256 = true,
				     .limits = &limits, .progress = ctx->progress, .node_id = url };
	struct fetch_result res;
	if (fetch_url(&req, &res, err) < 0)
		goto out;
	print_checksums(url, res.sha256, res.digest);
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(tmpl);
	return ret;
}

/* "source:NAME" for a bare NAME */
static char *source_id(const char *arg)
{
	return str_startswith(arg, "source:") ? xstrdup(arg) : xasprintf("source:%s", arg);
}

/* the ids to fetch: the arguments, or every source of the recipe */
static size_t fetch_ids(const struct recipe *r, char **names, size_t n, char ***ids)
{
	size_t count = n ? n : r->n_sources;
	*ids = xcalloc(count ? count : 1, sizeof(**ids));
	for (size_t i = 0; i < count; i++)
		(*ids)[i] = n ? source_id(names[i]) : xasprintf("source:%s", r->sources[i].name);
	return count;
}

static int print_node_checksums(struct engine *e, struct node *node, struct error *err)
{
	const struct build_input *outs;
	int n = engine_outputs(e, node, &outs, err);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char sha256[HASH_MAX_HEX], sha512[HASH_MAX_HEX];
		if (hash_file_hex(HASH_SHA256, outs[i].path, sha256, err) < 0 ||
		    hash_file_hex(HASH_SHA512, outs[i].path, sha512, err) < 0)
			return -1;
		print_checksums(node->name, sha256, sha512);
	}
	return 0;
}

static int fetch_sources(struct mvctx *ctx, char **names, size_t n, bool print, struct error *err)
{
	if (cli_load_recipe(ctx, err) < 0 || cli_open_cache(ctx, err) < 0)
		return -1;
	char **ids;
	size_t n_ids = fetch_ids(ctx->recipe, names, n, &ids);
	struct engine *e = engine_new(ctx);
	struct node **nodes = NULL;
	size_t n_nodes = 0;
	int ret = -1;
	for (size_t i = 0; i < n_ids; i++) {
		if (!engine_find(e, ids[i])) {
			error_usage(err, "no source '%s' in '%s'", ids[i] + strlen("source:"),
				    ctx->recipe_path);
			goto out;
		}
	}
	if (n_ids == 0) {
		ret = 0;
		goto out;
	}
	if (engine_resolve(e, ids, n_ids, &nodes, &n_nodes, err) < 0 ||
	    engine_build(e, nodes, n_nodes, err) < 0)
		goto out;
	for (size_t i = 0; print && i < n_nodes; i++)
		if (print_node_checksums(e, nodes[i], err) < 0)
			goto out;
	ret = 0;
out:
	free(nodes);
	engine_free(e);
	for (size_t i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
	return ret;
}

int cmd_fetch(struct mvctx *ctx, int argc, char **argv)
{
	const struct command *cmd = cli_find_command("fetch");
	struct error err = ERROR_INIT;
	bool print = false;
	char **names = xcalloc((size_t)argc, sizeof(*names));
	size_t n = 0, n_urls = 0;
	int status = EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--print-checksums") == 0) {
			print = true;
		} else if (argv[i][0] == '-' && strcmp(argv[i], "-") != 0) {
			status = cli_usage(cmd, "unknown option '%s'", argv[i]);
			goto out;
		} else {
			n_urls += !fetch_is_local_path(argv[i]);
			names[n++] = argv[i];
		}
	}
	if (n_urls && (n_urls != n || !print)) {
		status = cli_usage(cmd, "URLs are only accepted with --print-checksums, "
				   "and not mixed with source names");
		goto out;
	}
	for (size_t i = 0; n_urls && i < n; i++)
		if (fetch_url_checksums(ctx, names[i], &err) < 0)
			break;
	if (!n_urls)
		fetch_sources(ctx, names, n, print, &err);
	if (error_is_set(&err))
		status = cli_fail(ctx, &err);
out:
	free(names);
	return status;
}
