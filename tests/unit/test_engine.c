/*
 * Unit tests for the engine and cache with builders defined here: keys,
 * no-op builds, early cutoff, lazy sources, corrupt blobs, explain, gc,
 * import.  The recipe is built in memory, so these run without the loader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/cache_gc.h"
#include "engine/digest_memo.h"
#include "engine/engine.h"
#include "base/fileutil.h"
#include "base/progress.h"
#include "recipe/recipe.h"
#include "tap.h"

static int builds[4];       /* builds per node kind */
static const char *kparam;  /* kernel "parameter"; "same" and "SAME" give equal output */

static void write_text(const char *path, const char *text)
{
	struct error err = ERROR_INIT;
	unlink(path);
	write_file_atomic(path, text, strlen(text), 0644, &err);
	error_release(&err);
}

static int src_describe(struct mvctx *ctx, const struct node *n, struct record *rec, struct error *err)
{
	const struct source *s = n->u.source;
	if (s->has_checksum) {
		record_add(rec, "checksum", "%s:%s", hash_algo_name(s->algo), s->checksum);
		return 0;
	}
	char hex[SHA256_HEX];
	char *p = path_join(s->base_dir, s->path);
	int r = digest_memo_file(ctx->memo, p, hex, err);
	free(p);
	if (r == 0)
		record_add(rec, "content", "%s", hex);
	return r;
}

static int src_build(struct build_ctx *b, struct error *err)
{
	const struct source *s = b->node->u.source;
	builds[NODE_SOURCE]++;
	if (!s->path)
		return error_set(err, "no download in this test");
	char *p = path_join(s->base_dir, s->path), *o = path_join(b->workdir, "file");
	int r = copy_file_sparse(p, o, 0644, err);
	free(p);
	free(o);
	builder_output(b, "file", "file");
	return r;
}

static int k_describe(struct mvctx *ctx, const struct node *n, struct record *rec, struct error *err)
{
	record_add(rec, "param", "%s", kparam);
	return 0;
}

static int launch_describe(struct mvctx *ctx, const struct node *n, struct record *rec,
			   struct error *err)
{
	record_add(rec, "param", "fixed");
	return 0;
}

static int k_build(struct build_ctx *b, struct error *err)
{
	builds[b->node->kind]++;
	if (strcmp(kparam, "fail") == 0)
		return error_set(err, "asked to fail");
	char *o = path_join(b->workdir, "out");
	struct buf text = BUF_INIT;
	/* "same" and "SAME" produce identical bytes: early cutoff downstream */
	buf_addf(&text, "%s built from %zu inputs, param %s\n", b->node->id, b->n_inputs,
		 strcasecmp(kparam, "same") == 0 ? "same" : kparam);
	write_file_atomic(o, text.data, text.len, 0644, err);
	buf_release(&text);
	free(o);
	builder_output(b, "out", "out");
	return 0;
}

static const struct builder test_source = { NODE_SOURCE, "test-source", 1, src_describe, src_build, NULL, false };
static const struct builder test_other[] = {
	{ NODE_KERNEL, "test-kernel", 1, k_describe, k_build, NULL, false },
	{ NODE_IMAGE, "test-image", 1, k_describe, k_build, NULL, false },
	{ NODE_LAUNCH, "test-launch", 1, launch_describe, k_build, NULL, false },
};

static struct engine *engine_for(struct mvctx *ctx)
{
	struct engine *e = engine_new(ctx);
	engine_set_builder(e, NODE_SOURCE, &test_source);
	for (int i = 0; i < 3; i++)
		engine_set_builder(e, test_other[i].kind, &test_other[i]);
	return e;
}

/* build targets (NULL: all) with a fresh engine; returns 0 or -1 */
static int build(struct mvctx *ctx, const char *target)
{
	memset(builds, 0, sizeof(builds));
	struct engine *e = engine_for(ctx);
	struct node **t;
	size_t n;
	struct error err = ERROR_INIT;
	char *names[] = { (char *)target };
	int r = engine_resolve(e, names, target ? 1 : 0, &t, &n, &err);
	if (r == 0)
		r = engine_build(e, t, n, &err);
	if (r < 0)
		printf("# build error: %s\n", err.msg);
	error_release(&err);
	free(t);
	engine_free(e);
	return r;
}

static char *explain(struct mvctx *ctx, const char *target)
{
	struct engine *e = engine_for(ctx);
	struct node *n = engine_find(e, target);
	struct buf out = BUF_INIT;
	struct error err = ERROR_INIT;
	if (engine_explain(e, n, &out, &err) < 0)
		buf_addf(&out, "error: %s", err.msg);
	error_release(&err);
	engine_free(e);
	return buf_detach(&out);
}

int main(void)
{
	char dir[] = "/tmp/mvbuild-engine-test.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char *cache_dir = path_join(dir, "cache"), *srcfile = path_join(dir, "src.txt");
	char *recipe_path = path_join(dir, "mvbuild.yaml");
	write_text(srcfile, "source content\n");

	struct source sources[2] = {
		{ .name = "src", .kind = SOURCE_PATH, .path = "src.txt", .base_dir = dir },
		{ .name = "remote", .kind = SOURCE_URL, .has_checksum = true, .algo = HASH_SHA256,
		  .checksum = "0000000000000000000000000000000000000000000000000000000000000001" },
	};
	struct kernel kernels[1] = { { .name = "k", .source = "src" } };
	char *layers[] = { "src" };
	struct image images[1] = { { .name = "img", .layers = layers, .n_layers = 1 } };
	struct profile profiles[1] = { { .name = "p", .kernel = "k", .image = "img" } };
	struct recipe r = { .path = recipe_path, .dir = dir, .sources = sources, .n_sources = 2,
			    .kernels = kernels, .n_kernels = 1, .images = images, .n_images = 1,
			    .profiles = profiles, .n_profiles = 1 };
	struct mvctx ctx = { .recipe_path = recipe_path, .cache_dir = cache_dir, .jobs = 2, .recipe = &r };
	struct error err = ERROR_INIT;
	ok(cache_open(&ctx.cache, cache_dir, &err) == 0, "cache opens");
	ctx.memo = digest_memo_open(cache_root(ctx.cache));
	ctx.progress = progress_new(stdout, false, false, 0);

	kparam = "same";
	ok(build(&ctx, "profile:p") == 0, "first build succeeds");
	ok(builds[NODE_SOURCE] == 1 && builds[NODE_KERNEL] == 1 && builds[NODE_IMAGE] == 1 &&
	   builds[NODE_LAUNCH] == 1, "first build builds each needed node once (remote source untouched)");
	ok(build(&ctx, "profile:p") == 0 && builds[0] + builds[1] + builds[2] + builds[3] == 0,
	   "second build runs no builder");
	char *x = explain(&ctx, "profile:p");
	is_str(x, "profile:p: up to date\n", "explain says up to date");
	free(x);

	kparam = "SAME";
	x = explain(&ctx, "kernel:k");
	is_str(x, "kernel:k: stale, since its last build:\n  param changed from same to SAME\n",
	       "explain names the changed parameter");
	free(x);
	ok(build(&ctx, "profile:p") == 0 && builds[NODE_KERNEL] == 1 && builds[NODE_IMAGE] == 1 &&
	   builds[NODE_LAUNCH] == 0 && builds[NODE_SOURCE] == 0,
	   "same bytes from rebuilt kernel and image: launch not rebuilt (early cutoff)");

	/* a changed source file: everything downstream rebuilds */
	kparam = "v2";
	write_text(srcfile, "new source content\n");
	ok(build(&ctx, "p") == 0 && builds[NODE_SOURCE] == 1 && builds[NODE_LAUNCH] == 1,
	   "changed local source rebuilds source and dependents");

	/* corrupt the kernel's output blob: detected, rebuilt, replaced */
	struct engine *e = engine_for(&ctx);
	const struct build_input *outs;
	int n = engine_outputs(e, engine_find(e, "kernel:k"), &outs, &err);
	ok(n == 1, "kernel output is known without building");
	char *blob = n == 1 ? xstrdup(outs[0].path) : xstrdup("/nonexistent");
	engine_free(e);
	chmod(blob, 0644);
	FILE *f = fopen(blob, "a");
	if (f) {
		fputs("corruption", f);
		fclose(f);
	}
	digest_memo_close(ctx.memo); /* a new process: the memo sees the changed ctime */
	ctx.memo = digest_memo_open(cache_root(ctx.cache));
	ok(build(&ctx, "kernel:k") == 0 && builds[NODE_KERNEL] == 1, "corrupt blob is rebuilt");
	struct verify_stats vs;
	struct buf report = BUF_INIT;
	int vr = cache_gc_verify(ctx.cache, &vs, &report, &err);
	if (report.len)
		printf("# %s", report.data);
	ok(vr == 0 && vs.corrupt == 0 && vs.missing == 0,
	   "cache verify is clean after the rebuild");
	buf_release(&report);
	free(blob);

	/* a failing builder: an error, nothing published */
	kparam = "fail";
	ok(build(&ctx, "kernel:k") < 0, "a failing builder fails the build");

	/* import satisfies a url source by checksum without its builder running */
	char *imp = path_join(dir, "imported.bin");
	write_text(imp, "imported\n");
	char sha256[SHA256_HEX], sha512[HASH_MAX_HEX];
	e = engine_for(&ctx);
	ok(engine_import(e, imp, sha256, sha512, &err) == 0, "import succeeds");
	engine_free(e);
	sources[1].checksum = sha256;
	ok(build(&ctx, "source:remote") == 0 && builds[NODE_SOURCE] == 0,
	   "an imported file satisfies a source by sha256 with no fetch");
	sources[1].algo = HASH_SHA512;
	sources[1].checksum = sha512;
	ok(build(&ctx, "source:remote") == 0 && builds[NODE_SOURCE] == 0,
	   "and by sha512");

	struct gc_options gopt = { .max_size = 1 };
	struct gc_stats gst;
	ok(cache_gc(ctx.cache, &gopt, &gst, &err) == 0 && gst.bytes_after <= 1,
	   "gc --max-size respects the bound");

	digest_memo_close(ctx.memo);
	cache_close(ctx.cache);
	progress_free(ctx.progress);
	remove_tree(dir);
	free(cache_dir);
	free(srcfile);
	free(recipe_path);
	free(imp);
	return tap_done();
}
