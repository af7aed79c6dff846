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

#include "cmd/cli.h"
#include "engine/engine.h"
#include "fetch/fetch.h"
#include "base/hash.h"
#include "recipe/recipe.h"
#include "base/suggest.h"
#include "base/util.h"

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

/* "no source" with the closest name, or the names there are */
static void no_source(const struct recipe *r, const char *name, struct error *err)
{
	const char **names = xcalloc(r->n_sources + 1, sizeof(*names));
	for (size_t i = 0; i < r->n_sources; i++)
		names[i] = r->sources[i].name;
	char *hint = suggest_hint(name, names, r->n_sources, "sources");
	error_usage(err, "no source '%s' in '%s'%s", name, r->path, hint);
	free(hint);
	free(names);
}

static int fetch_sources(struct mvctx *ctx, struct cli_args *args, bool print, struct error *err)
{
	if (cli_setup(ctx, args, NEEDS_RECIPE | NEEDS_CACHE | NEEDS_ENGINE, err) < 0)
		return -1;
	char **ids;
	size_t n_ids = fetch_ids(ctx->recipe, args->words, args->n_words, &ids);
	struct engine *e = args->engine;
	struct node **nodes = NULL;
	size_t n_nodes = 0;
	int ret = -1;
	for (size_t i = 0; i < n_ids; i++) {
		if (!engine_find(e, ids[i])) {
			no_source(ctx->recipe, ids[i] + strlen("source:"), err);
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
	for (size_t i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
	return ret;
}

struct fetch_opts {
	bool print_checksums; /* --print-checksums */
};

static const struct cli_option fetch_options[] = {
	OPT_FLAG(0, "print-checksums", struct fetch_opts, print_checksums,
		"print 'NAME sha256 HEX' and 'NAME sha512 HEX' per\n"
		"source; with URLs instead of names, download each\n"
		"to a temp file and print 'URL sha256 HEX' and\n'URL sha512 HEX'"),
	OPT_END(),
};

/* the recipe is read only for source names: URLs are fetched without one */
static int cmd_fetch(struct mvctx *ctx, struct cli_args *args)
{
	const struct fetch_opts *o = args->opts;
	struct error err = ERROR_INIT;
	size_t n_urls = 0;
	for (size_t i = 0; i < args->n_words; i++)
		n_urls += !fetch_is_local_path(args->words[i]);
	if (n_urls && (n_urls != args->n_words || !o->print_checksums))
		return cli_usage(ctx, &command_fetch, "URLs are only accepted with --print-checksums, "
				 "and not mixed with source names");
	for (size_t i = 0; n_urls && i < args->n_words; i++)
		if (fetch_url_checksums(ctx, args->words[i], &err) < 0)
			break;
	if (!n_urls)
		fetch_sources(ctx, args, o->print_checksums, &err);
	return error_is_set(&err) ? cli_fail(ctx, &err) : EXIT_OK;
}

const struct command command_fetch = {
	.name = "fetch",
	.args = "[SOURCE...]",
	.summary = "download sources without building",
	.help = "Bring each SOURCE (NAME or source:NAME; default: every source) into the\n"
		"cache, trying mirrors (--mirror, $MVBUILD_MIRROR) and then the recipe's\n"
		"urls in order, and verifying the declared checksum.  A source already\n"
		"cached under its checksum is not downloaded.\n"
		"Limits: $MVBUILD_FETCH_TIMEOUT, $MVBUILD_FETCH_LOW_SPEED_TIME,\n"
		"$MVBUILD_FETCH_MAX_SIZE, $MVBUILD_FETCH_RETRIES (see docs/sources.md).\n",
	.options = fetch_options,
	.opts_size = sizeof(struct fetch_opts),
	.max_words = -1,
	.run = cmd_fetch,
};
