/*
 * bench/fetch_engine.c: what `mvbuild fetch NAME` does for one url source,
 * without the YAML loader: the engine builds "source:big" (download with
 * sha256 on the way, durable publish into a fresh cache).  bench/fetch.sh
 * uses it (MODE=engine) while the recipe loader is unavailable.
 *
 *   fetch_engine URL SHA256 CACHE_DIR
 */
#include <stdio.h>
#include <stdlib.h>

#include "cache/cache.h"
#include "engine/digest_memo.h"
#include "engine/engine.h"
#include "base/progress.h"
#include "recipe/recipe.h"

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: fetch_engine URL SHA256 CACHE_DIR\n");
		return 2;
	}
	char *urls[] = { argv[1] };
	struct source src = { .name = "big", .kind = SOURCE_URL, .urls = urls, .n_urls = 1,
			      .base_dir = ".", .has_checksum = true, .algo = HASH_SHA256,
			      .checksum = argv[2] };
	struct recipe r = { .path = "mvbuild.yaml", .dir = ".", .sources = &src, .n_sources = 1 };
	struct mvctx ctx = { .recipe_path = "mvbuild.yaml", .cache_dir = argv[3], .jobs = 1,
			     .recipe = &r };
	struct error err = ERROR_INIT;
	struct node **targets = NULL;
	size_t n;
	char *ids[] = { "source:big" };
	if (cache_open(&ctx.cache, argv[3], &err) < 0)
		goto fail;
	ctx.memo = digest_memo_open(cache_root(ctx.cache));
	ctx.progress = progress_new(stderr, false, false, 0);
	struct engine *e = engine_new(&ctx);
	if (engine_resolve(e, ids, 1, &targets, &n, &err) < 0 || engine_build(e, targets, n, &err) < 0)
		goto fail;
	engine_free(e);
	free(targets);
	progress_free(ctx.progress);
	digest_memo_close(ctx.memo);
	cache_close(ctx.cache);
	return 0;
fail:
	fprintf(stderr, "fetch_engine: %s\n", err.msg);
	return 1;
}
