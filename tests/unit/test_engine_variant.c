/*
 * Unit tests for engine_variant_profile(): a variant of a profile node
 * with an overridden mem and cmdline gets its own key (it is built, not
 * found in the cache), its own outputs, keeps the profile's id, and leaves
 * the recipe's profile and its node unchanged.  Builders are defined here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/progress.h"
#include "cache/cache.h"
#include "engine/digest_memo.h"
#include "engine/engine.h"
#include "recipe/recipe.h"
#include "tap.h"

static int launch_builds; /* launch builds so far */

static int any_describe(struct mvctx *ctx, const struct node *n, struct record *rec,
			struct error *err)
{
	if (n->kind != NODE_LAUNCH) {
		record_add(rec, "param", "fixed");
		return 0;
	}
	record_add(rec, "mem", "%u", n->u.profile->mem);
	record_add(rec, "cmdline", "%s", n->u.profile->cmdline ? n->u.profile->cmdline : "");
	return 0;
}

static int any_build(struct build_ctx *b, struct error *err)
{
	const struct profile *p = b->node->kind == NODE_LAUNCH ? b->node->u.profile : NULL;
	launch_builds += p != NULL;
	char *o = path_join(b->workdir, "out");
	struct buf text = BUF_INIT;
	buf_addf(&text, "%s mem %u cmdline %s\n", b->node->id, p ? p->mem : 0,
		 p && p->cmdline ? p->cmdline : "");
	int r = write_file_atomic(o, text.data, text.len, 0644, err);
	buf_release(&text);
	free(o);
	builder_output(b, "out", "out");
	return r;
}

static const struct builder builders[] = {
	{ NODE_SOURCE, "test-source", 1, any_describe, any_build, NULL, false },
	{ NODE_KERNEL, "test-kernel", 1, any_describe, any_build, NULL, false },
	{ NODE_IMAGE, "test-image", 1, any_describe, any_build, NULL, false },
	{ NODE_LAUNCH, "test-launch", 1, any_describe, any_build, NULL, false },
};

static struct engine *engine_for(struct mvctx *ctx)
{
	struct engine *e = engine_new(ctx);
	for (int i = 0; i < 4; i++)
		engine_set_builder(e, builders[i].kind, &builders[i]);
	return e;
}

/* build n; the digest of its output into digest ("" on failure) */
static int build_one(struct engine *e, struct node *n, char digest[SHA256_HEX])
{
	struct error err = ERROR_INIT;
	const struct build_input *outs;
	digest[0] = 0;
	int r = engine_build(e, &n, 1, &err);
	if (r == 0 && (r = engine_outputs(e, n, &outs, &err)) == 1)
		memcpy(digest, outs[0].digest, SHA256_HEX);
	if (r < 0)
		printf("# build error: %s\n", err.msg);
	error_release(&err);
	return r < 0 ? -1 : 0;
}

int main(void)
{
	char dir[] = "/tmp/mvbuild-variant-test.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char *cache_dir = path_join(dir, "cache"), *recipe_path = path_join(dir, "mvbuild.yaml");
	struct source sources[1] = { { .name = "src", .kind = SOURCE_PATH, .path = "src.txt",
				       .base_dir = dir } };
	struct kernel kernels[1] = { { .name = "k", .source = "src" } };
	char *layers[] = { "src" };
	struct image images[1] = { { .name = "img", .layers = layers, .n_layers = 1 } };
	struct profile profiles[1] = { { .name = "p", .kernel = "k", .image = "img", .mem = 128,
					 .cpus = 1, .cmdline = "console=ttyS0" } };
	struct recipe r = { .path = recipe_path, .dir = dir, .sources = sources, .n_sources = 1,
			    .kernels = kernels, .n_kernels = 1, .images = images, .n_images = 1,
			    .profiles = profiles, .n_profiles = 1 };
	struct mvctx ctx = { .recipe_path = recipe_path, .cache_dir = cache_dir, .jobs = 2, .recipe = &r };
	struct error err = ERROR_INIT;
	ok(cache_open(&ctx.cache, cache_dir, &err) == 0, "cache opens");
	ctx.memo = digest_memo_open(cache_root(ctx.cache));
	ctx.progress = progress_new(stdout, false, false, 0);

	struct engine *e = engine_for(&ctx);
	struct node *const *nodes;
	size_t n_before = engine_nodes(e, &nodes);
	struct node *orig = engine_find(e, "profile:p");
	char d_orig[SHA256_HEX], d_var[SHA256_HEX], d_same[SHA256_HEX];
	ok(build_one(e, orig, d_orig) == 0 && launch_builds == 1, "the profile builds");

	struct profile over = profiles[0];
	over.mem = 256;
	over.cmdline = "console=ttyS0 quiet";
	struct node *v = engine_variant_profile(e, orig, &over, &err);
	ok(v && v != orig && strcmp(v->id, "profile:p") == 0 && v->n_deps == orig->n_deps,
	   "the variant is a new node with the profile's id and dependencies");
	ok(engine_find(e, "profile:p") == orig, "engine_find still finds the recipe's node");
	ok(v && build_one(e, v, d_var) == 0 && launch_builds == 2,
	   "the variant has its own key: it is built, not found in the cache");
	ok(strcmp(d_orig, d_var) != 0, "and its own outputs");
	ok(orig->u.profile == &profiles[0] && profiles[0].mem == 128 &&
	   strcmp(profiles[0].cmdline, "console=ttyS0") == 0,
	   "the recipe's profile and its node are unchanged");
	engine_variant_free(e, v);
	ok(engine_nodes(e, &nodes) == n_before, "engine_variant_free takes it out of the graph");

	struct profile same = profiles[0];
	v = engine_variant_profile(e, orig, &same, &err);
	ok(v && build_one(e, v, d_same) == 0 && launch_builds == 2 && strcmp(d_same, d_orig) == 0,
	   "a variant equal to the profile has its key: cached");
	engine_variant_free(e, v);
	engine_free(e);

	e = engine_for(&ctx);
	orig = engine_find(e, "profile:p");
	char d_again[SHA256_HEX];
	ok(build_one(e, orig, d_again) == 0 && launch_builds == 2 && strcmp(d_again, d_orig) == 0,
	   "the profile is still cached under its own key");
	ok(engine_variant_profile(e, engine_find(e, "kernel:k"), &over, &err) == NULL &&
	   strstr(err.msg, "is not a profile") != NULL, "only a profile node has variants");
	error_release(&err);
	engine_free(e);

	digest_memo_close(ctx.memo);
	cache_close(ctx.cache);
	progress_free(ctx.progress);
	remove_tree(dir);
	free(cache_dir);
	free(recipe_path);
	return tap_done();
}
