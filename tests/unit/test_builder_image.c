/*
 * test_builder_image: the image builder through the real engine and cache,
 * with an in-memory recipe (no loader needed): outputs "rootfs.ext4" and
 * "manifest", no-op rebuilds, explain naming a changed overlay file, the
 * same image from two recipe directories and two caches, and a hostile
 * layer that fails without leaving a cache entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache.h"
#include "engine/digest_memo.h"
#include "engine/engine.h"
#include "base/fileutil.h"
#include "base/progress.h"
#include "recipe/recipe.h"
#include "tap.h"

/* a local-path source builder, as the real one behaves for path sources */
static int src_describe(struct mvctx *ctx, const struct node *n, struct record *rec,
			struct error *err)
{
	char hex[SHA256_HEX];
	char *p = path_join(n->u.source->base_dir, n->u.source->path);
	int r = digest_memo_file(ctx->memo, p, hex, err);
	free(p);
	if (r == 0)
		record_add(rec, "content", "%s", hex);
	return r;
}

static int src_build(struct build_ctx *b, struct error *err)
{
	const struct source *s = b->node->u.source;
	char *p = path_join(s->base_dir, s->path), *o = path_join(b->workdir, "file");
	int r = copy_file_sparse(p, o, 0644, err);
	free(p);
	free(o);
	builder_output(b, "file", "file");
	return r;
}

static const struct builder test_source = { NODE_SOURCE, "test-source", 1, src_describe, src_build, NULL, false };

static char *sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	struct buf out = BUF_INIT;
	FILE *p = popen(cmd, "r");
	char chunk[4096];
	size_t n;
	while (p && (n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_add(&out, chunk, n);
	if (p)
		pclose(p);
	free(cmd);
	buf_adds(&out, "");
	return buf_detach(&out);
}

/* one recipe directory: rootfs layer, an overlay dir and a content overlay */
struct setup {
	char *dir;
	struct source src;
	char *layers[1];
	struct overlay ovs[2];
	struct image img;
	struct recipe r;
	struct mvctx ctx;
};

static void setup_init(struct setup *s, const char *dir, const char *layer_file,
		       const char *cache_dir)
{
	memset(s, 0, sizeof(*s));
	s->dir = xstrdup(dir);
	s->src = (struct source){ .name = "rootfs", .kind = SOURCE_PATH, .path = (char *)layer_file,
				  .base_dir = s->dir };
	s->layers[0] = "rootfs";
	s->ovs[0] = (struct overlay){ .kind = OVERLAY_DIR, .src = "ov", .base_dir = s->dir, .to = "/" };
	s->ovs[1] = (struct overlay){ .kind = OVERLAY_CONTENT, .src = "vm\n", .base_dir = s->dir,
				      .to = "/etc/hostname" };
	s->img = (struct image){ .name = "img", .size = 64 << 20, .layers = s->layers, .n_layers = 1,
				 .overlays = s->ovs, .n_overlays = 2, .has_epoch = true,
				 .epoch = 1700000000 };
	s->r = (struct recipe){ .path = "mvbuild.yaml", .dir = s->dir, .sources = &s->src,
				.n_sources = 1, .images = &s->img, .n_images = 1 };
	s->ctx = (struct mvctx){ .recipe_path = "mvbuild.yaml", .cache_dir = cache_dir, .jobs = 1,
				 .recipe = &s->r };
	struct error err = ERROR_INIT;
	if (cache_open(&s->ctx.cache, cache_dir, &err) < 0)
		printf("# cache: %s\n", err.msg);
	error_release(&err);
	s->ctx.memo = digest_memo_open(cache_root(s->ctx.cache));
	s->ctx.progress = progress_new(stderr, false, false, 0);
}

static void setup_release(struct setup *s)
{
	digest_memo_close(s->ctx.memo);
	cache_close(s->ctx.cache);
	progress_free(s->ctx.progress);
	free(s->dir);
}

/* build image:img; fills img_path and man_path (caller frees) on success */
static int build(struct setup *s, char **img_path, char **man_path, struct error *err)
{
	struct engine *e = engine_new(&s->ctx);
	engine_set_builder(e, NODE_SOURCE, &test_source);
	char *names[] = { "image:img" };
	struct node **t = NULL;
	size_t n;
	const struct build_input *outs;
	int r = engine_resolve(e, names, 1, &t, &n, err);
	if (r == 0)
		r = engine_build(e, t, n, err);
	if (r == 0 && img_path) {
		int k = engine_outputs(e, t[0], &outs, err);
		*img_path = *man_path = NULL;
		for (int i = 0; i < k; i++) {
			if (!strcmp(outs[i].output, "rootfs.ext4"))
				*img_path = xstrdup(outs[i].path);
			if (!strcmp(outs[i].output, "manifest"))
				*man_path = xstrdup(outs[i].path);
		}
		r = k < 0 ? -1 : 0;
	}
	free(t);
	engine_free(e);
	return r;
}

static char *explain(struct setup *s)
{
	struct engine *e = engine_new(&s->ctx);
	engine_set_builder(e, NODE_SOURCE, &test_source);
	struct buf out = BUF_INIT;
	struct error err = ERROR_INIT;
	if (engine_explain(e, engine_find(e, "image:img"), &out, &err) < 0)
		buf_addf(&out, "error: %s", err.msg);
	error_release(&err);
	engine_free(e);
	return buf_detach(&out);
}

int main(void)
{
	char tmpl[] = "/tmp/test_builder_image.XXXXXX";
	char *tmp = xstrdup(mkdtemp(tmpl));
	const char *repo = getenv("REPO_DIR") ? getenv("REPO_DIR") : ".";
	char *mk = sh("python3 '%s/tests/image/make-fixtures.py' '%s/fx' && "
		      "for d in a b; do mkdir -p '%s'/$d/ov/etc && cp '%s/fx/rich.tar.gz' '%s'/$d/ && "
		      "printf 'hello\\n' >'%s'/$d/ov/etc/motd; done && echo made",
		      repo, tmp, tmp, tmp, tmp, tmp);
	ok(strstr(mk, "made") != NULL, "fixtures made");
	free(mk);

	struct error err = ERROR_INIT;
	struct setup a, b;
	char *dir_a = path_join(tmp, "a"), *dir_b = path_join(tmp, "b");
	char *cache_a = path_join(tmp, "cache-a"), *cache_b = path_join(tmp, "cache-b");
	setup_init(&a, dir_a, "rich.tar.gz", cache_a);
	a.img.allow_devices = true;
	char *img = NULL, *man = NULL;
	ok(build(&a, &img, &man, &err) == 0 && img && man, "image builds through the engine (%s)",
	   err.msg ? err.msg : "ok");
	error_release(&err);
	char *out = sh("e2fsck -fn '%s' >/dev/null 2>&1 && echo clean", img ? img : "/nonexistent");
	ok(strstr(out, "clean") != NULL, "cached image passes e2fsck -fn");
	free(out);
	out = sh("debugfs -R 'cat /etc/motd' '%s' 2>/dev/null; debugfs -R 'cat /etc/hostname' '%s' 2>/dev/null",
		 img ? img : "/nonexistent", img ? img : "/nonexistent");
	is_str(out, "hello\nvm\n", "overlays are in the image");
	free(out);
	out = sh("grep -c . '%s'", man ? man : "/nonexistent");
	ok(atoi(out) > 20, "manifest output lists the entries (%d lines)", atoi(out));
	free(out);

	char *x = explain(&a);
	is_str(x, "image:img: up to date\n", "explain: up to date after the build");
	free(x);
	sleep(2); /* leave the digest memo's racy window */
	out = sh("printf 'changed\\n' >'%s/ov/etc/motd'", dir_a);
	free(out);
	x = explain(&a);
	ok(strstr(x, "overlay file ov/etc/motd") != NULL, "explain names the changed overlay file");
	printf("# %s", x);
	free(x);
	char *img2 = NULL, *man2 = NULL;
	ok(build(&a, &img2, &man2, &err) == 0, "rebuild after the change");
	error_release(&err);
	out = sh("debugfs -R 'cat /etc/motd' '%s' 2>/dev/null", img2 ? img2 : "/nonexistent");
	is_str(out, "changed\n", "rebuilt image has the new overlay content");
	free(out);
	out = sh("printf 'hello\\n' >'%s/ov/etc/motd'", dir_a);
	free(out);

	/* the same recipe in another directory and another cache, later */
	setup_init(&b, dir_b, "rich.tar.gz", cache_b);
	b.img.allow_devices = true;
	char *img3 = NULL, *man3 = NULL;
	ok(build(&b, &img3, &man3, &err) == 0, "same recipe builds in another directory and cache");
	error_release(&err);
	char *s1 = sh("sha256sum <'%s'", img ? img : "/nonexistent");
	char *s3 = sh("sha256sum <'%s'", img3 ? img3 : "/nonexistent");
	is_str(s3, s1, "same recipe, two directories, two caches: same image sha256");
	free(s1);
	free(s3);

	/* a hostile layer: the build fails and nothing is cached */
	out = sh("cp '%s/fx/hostile/through-symlink.tar' '%s/evil.tar'", tmp, dir_b);
	free(out);
	b.src.path = "evil.tar";
	int rc = build(&b, NULL, NULL, &err);
	ok(rc < 0 && err.msg && strstr(err.msg, "leads through the symlink"),
	   "hostile layer fails the build: %s", err.msg ? err.msg : "(built)");
	ok(rc < 0 && err.msg && strstr(err.msg, "layer 'rootfs'"), "the error names the layer by its source");
	error_release(&err);
	char *p1 = NULL, *p2 = NULL;
	struct engine *e = engine_new(&b.ctx);
	engine_set_builder(e, NODE_SOURCE, &test_source);
	const struct build_input *outs;
	ok(engine_outputs(e, engine_find(e, "image:img"), &outs, &err) < 0,
	   "no cache entry for the failed image");
	error_release(&err);
	engine_free(e);
	free(p1);
	free(p2);

	setup_release(&a);
	setup_release(&b);
	free(img); free(man); free(img2); free(man2); free(img3); free(man3);
	free(sh("chmod -R u+w '%s'; rm -rf '%s'", tmp, tmp));
	free(dir_a); free(dir_b); free(cache_a); free(cache_b); free(tmp);
	return tap_done();
}
