/*
 * The remote cache through the engine, against Debian's nginx with WebDAV
 * PUT started here on 127.0.0.1 (writes only with the bearer token), with
 * builders defined here (the real ones are tested elsewhere):
 * a CI-style writer uploads; a reader with an empty cache gets every output
 * and runs no builder; a blob altered on the server, an untrusted signer, no
 * trusted keys, a refused upload, a dead port and a stalled server are each
 * a miss or a warning, never a failed build; max_upload keeps big outputs
 * local.  nginx's access log shows the requests.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache/cache.h"
#include "recipe/config.h"
#include "engine/digest_memo.h"
#include "engine/engine.h"
#include "base/fileutil.h"
#include "base/progress.h"
#include "recipe/recipe.h"
#include "cache/remote.h"
#include "cache/remote_sign.h"
#include "tap.h"

#define TOKEN "s3cret-token-for-tests"

static int builds[4];      /* builds per node kind */
static const char *kparam = "one";
static char *dir;          /* scratch root */

static int total_builds(void)
{
	return builds[0] + builds[1] + builds[2] + builds[3];
}

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
	builds[NODE_SOURCE]++;
	const struct source *s = b->node->u.source;
	char *p = path_join(s->base_dir, s->path), *o = path_join(b->workdir, "file");
	int r = copy_file_sparse(p, o, 0644, err);
	free(p);
	free(o);
	builder_output(b, "file", "file");
	return r;
}

static int param_describe(struct mvctx *ctx, const struct node *n, struct record *rec,
			  struct error *err)
{
	record_add(rec, "param", "%s", n->kind == NODE_LAUNCH ? "fixed" : kparam);
	return 0;
}

static int text_build(struct build_ctx *b, struct error *err)
{
	builds[b->node->kind]++;
	char *o = path_join(b->workdir, "out");
	char *text = xasprintf("%s from %zu inputs, param %s\n", b->node->id, b->n_inputs, kparam);
	int r = write_file_atomic(o, text, strlen(text), 0644, err);
	free(text);
	free(o);
	builder_output(b, "out", "out");
	return r;
}

/* a 64 MiB image with 64 KiB of data: sparse in the cache and on the wire */
static int image_build(struct build_ctx *b, struct error *err)
{
	builds[NODE_IMAGE]++;
	char *o = path_join(b->workdir, "rootfs.ext4");
	int fd = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char block[4096];
	for (int i = 0; i < 16; i++) {
		memset(block, 0, sizeof(block));
		snprintf(block, sizeof(block), "block %d param %s", i, kparam);
		memset(block + 64, 'a' + i, sizeof(block) - 64);
		pwrite(fd, block, sizeof(block), (off_t)(1 << 20) + i * 4096);
	}
	int r = ftruncate(fd, 64 << 20);
	close(fd);
	free(o);
	builder_output(b, "rootfs.ext4", "rootfs.ext4");
	return r < 0 ? error_set(err, "cannot size the image") : 0;
}

static const struct builder builders[] = {
	{ NODE_SOURCE, "test-source", 1, src_describe, src_build, NULL, false },
	{ NODE_KERNEL, "test-kernel", 1, param_describe, text_build, NULL, false },
	{ NODE_IMAGE, "test-image", 1, param_describe, image_build, NULL, false },
	{ NODE_LAUNCH, "test-launch", 1, param_describe, text_build, NULL, false },
};

/* one machine: its cache, settings, remote and captured messages */
struct side {
	struct mvctx ctx;
	struct config cfg;
	char *log;   /* progress output */
	FILE *out;
};

static struct recipe recipe;

static void side_open(struct side *s, const char *name, const char *url, const char *settings)
{
	memset(s, 0, sizeof(*s));
	char *cache = path_join(dir, name);
	s->log = xasprintf("%s/%s.log", dir, name);
	s->out = fopen(s->log, "w");
	char *cfgpath = xasprintf("%s/%s.yaml", dir, name);
	char *text = xasprintf("remote:\n  url: %s\n%s", url, settings);
	struct error err = ERROR_INIT;
	write_file_atomic(cfgpath, text, strlen(text), 0644, &err);
	if (config_load(&s->cfg, cfgpath, &err) < 0)
		printf("# config: %s\n", err.msg);
	s->ctx = (struct mvctx){ .recipe_path = recipe.path, .cache_dir = cache, .jobs = 2,
				 .recipe = &recipe, .config = &s->cfg };
	if (cache_open(&s->ctx.cache, cache, &err) < 0)
		printf("# cache: %s\n", err.msg);
	s->ctx.memo = digest_memo_open(cache_root(s->ctx.cache));
	s->ctx.progress = progress_new(s->out, false, true, 1);
	if (remote_open(&s->ctx.remote, &s->cfg, s->ctx.progress, &err) < 0)
		printf("# remote: %s\n", err.msg);
	error_release(&err);
	free(text);
	free(cfgpath);
}

static void side_close(struct side *s)
{
	remote_close(s->ctx.remote);
	progress_free(s->ctx.progress);
	fclose(s->out);
	digest_memo_close(s->ctx.memo);
	free((char *)s->ctx.cache_dir);
	cache_close(s->ctx.cache);
	config_release(&s->cfg);
	free(s->log);
}

/* build every node; 0 or -1 */
static int build(struct side *s)
{
	memset(builds, 0, sizeof(builds));
	struct engine *e = engine_new(&s->ctx);
	for (size_t i = 0; i < ARRAY_SIZE(builders); i++)
		engine_set_builder(e, builders[i].kind, &builders[i]);
	struct node **t;
	size_t n;
	struct error err = ERROR_INIT;
	int r = engine_resolve(e, NULL, 0, &t, &n, &err);
	if (r == 0) {
		r = engine_build(e, t, n, &err);
		free(t);
	}
	if (r < 0)
		printf("# build error: %s\n", err.msg);
	error_release(&err);
	engine_free(e);
	fflush(s->out);
	return r;
}

/* occurrences of needle in the file at path */
static int count_in(const char *path, const char *needle)
{
	struct buf b = BUF_INIT;
	struct error err = ERROR_INIT;
	read_file(path, 64 << 20, &b, &err);
	error_release(&err);
	int n = 0;
	for (const char *p = b.data; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	buf_release(&b);
	return n;
}

static char *output_path(struct side *s, const char *node, uint64_t *allocated)
{
	struct engine *e = engine_new(&s->ctx);
	for (size_t i = 0; i < ARRAY_SIZE(builders); i++)
		engine_set_builder(e, builders[i].kind, &builders[i]);
	const struct build_input *outs;
	struct error err = ERROR_INIT;
	char *path = NULL;
	if (engine_outputs(e, engine_find(e, node), &outs, &err) == 1)
		path = xstrdup(outs[0].path);
	error_release(&err);
	engine_free(e);
	if (allocated)
		*allocated = path ? file_allocated(path) : 0;
	return path;
}

/* the sha256 of a blob from its cache path (.../cas/sha256/ab/cdef...) */
static const char *path_digest(const char *path)
{
	static char hex[SHA256_HEX];
	const char *tail = strrchr(path, '/');
	snprintf(hex, sizeof(hex), "%.2s%s", tail - 2, tail + 1);
	return hex;
}

static char *run_capture(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char line[256] = "";
	if (!p)
		return NULL;
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	int status = pclose(p);
	line[strcspn(line, "\n")] = '\0';
	return status == 0 && line[0] ? xstrdup(line) : NULL;
}

/* the largest output blob under dir/root/cas (not a signed record): the image's encoded blob */
static char *largest_blob(const char *root)
{
	char *cmd = xasprintf("cd %s/cas && grep -L '^mvbuild-signed 1' $(ls -S) | head -1", root);
	char *name = run_capture(cmd);
	free(cmd);
	char *path = name ? xasprintf("%s/cas/%s", root, name) : NULL;
	free(name);
	return path;
}

static void flip_byte(const char *path)
{
	int fd = open(path, O_RDWR);
	char c;
	struct stat st;
	fstat(fd, &st);
	pread(fd, &c, 1, st.st_size / 2);
	c ^= 0x20;
	pwrite(fd, &c, 1, st.st_size / 2);
	close(fd);
}

static void test_with_nginx(const char *tests_dir, const char *url, const char *srv)
{
	char *access = path_join(srv, "access.log"), *root = path_join(srv, "root/mvbuild");
	char *settings;
	struct side w, r;

	/* CI: builds everything and uploads it */
	settings = xasprintf("  upload: true\n  upload_sources: true\n  token_file: %s/token\n"
			     "  signing_key: %s/ci.key\n  trusted_keys: [%s/ci.pub]\n", dir, dir, dir);
	side_open(&w, "writer", url, settings);
	ok(build(&w) == 0 && total_builds() == 4, "CI build builds 4 nodes");
	ok(count_in(w.log, "\"event\":\"uploaded\"") == 4, "and uploads 4 records");
	/* each record goes to cas/ (as an ActionResult's output) and its ActionResult to ac/ */
	ok(count_in(access, "\"PUT /mvbuild/cas/") == 4 + 4 && count_in(access, "\"PUT /mvbuild/ac/") == 4 &&
	   count_in(access, "HTTP/1.1\" 201") == 12,
	   "nginx logged 4 content, 4 signed record and 4 ActionResult PUTs, all 201");
	ok(count_in(access, "\"HEAD /mvbuild/ac/") == 4 && count_in(access, "\"HEAD /mvbuild/cas/") == 4 + 4,
	   "each record and blob was looked for before uploading");
	ok(build(&w) == 0 && total_builds() == 0 && count_in(access, "\"PUT ") == 12,
	   "a second CI build builds and uploads nothing");
	side_close(&w);
	free(settings);

	/* a reader with an empty cache gets everything from nginx */
	settings = xasprintf("  trusted_keys: [%s/ci.pub]\n", dir);
	side_open(&r, "reader", url, settings);
	int puts_before = count_in(access, "\"PUT ");
	ok(build(&r) == 0 && total_builds() == 0, "reader build runs no builder");
	/* lazy inputs: the source is only keyed, never downloaded, since nothing builds */
	ok(count_in(r.log, "\"event\":\"fetched\"") == 3, "its events show 3 nodes fetched, not the source");
	ok(count_in(access, "\"GET /mvbuild/ac/") == 4 + 3 && count_in(access, "\"GET /mvbuild/cas/") == 3 &&
	   count_in(access, "\"PUT ") == puts_before, "nginx logged 3 record GETs (after the writer's 4 misses) and 3 content GETs, no PUT");
	uint64_t alloc;
	char *img = output_path(&r, "image:img", &alloc);
	struct stat st;
	ok(img && stat(img, &st) == 0 && st.st_size == 64 << 20 && alloc < (1u << 20),
	   "the fetched image is sparse in the reader's cache (%llu bytes allocated)",
	   (unsigned long long)alloc);
	char *big = largest_blob(root);
	struct stat bst;
	ok(big && stat(big, &bst) == 0 && bst.st_size < 64 * 1024,
	   "on the server the image is %lld bytes (zstd, holes not sent)", big ? (long long)bst.st_size : -1LL);
	free(big);
	int gets = count_in(access, "\"GET ");
	ok(build(&r) == 0 && total_builds() == 0 && count_in(access, "\"GET ") == gets,
	   "a second reader build uses its local cache only");
	side_close(&r);

	/* a blob altered on the server: detected, not installed, built locally */
	char *blob = largest_blob(root);
	flip_byte(blob);
	side_open(&r, "tampered", url, settings);
	ok(build(&r) == 0 && builds[NODE_IMAGE] == 1 && total_builds() == 1,
	   "altered image blob: only the image is built locally");
	ok(count_in(r.log, "does not match its digest; not installed") == 1,
	   "and the reader says the blob did not verify");
	char *ipath = output_path(&r, "image:img", NULL);
	ok(ipath && cache_blob_intact(r.ctx.cache, path_digest(ipath)),
	   "the reader's image blob is intact (nothing altered was installed)");
	free(ipath);
	side_close(&r);
	flip_byte(blob); /* restore */
	free(blob);
	free(img);

	/* a record signed by a key the reader does not trust */
	free(settings);
	settings = xasprintf("  trusted_keys: [%s/other.pub]\n", dir);
	side_open(&r, "untrusted", url, settings);
	ok(build(&r) == 0 && total_builds() == 4, "records signed by an untrusted key are misses");
	ok(count_in(r.log, "not trusted") >= 1, "with a warning");
	side_close(&r);
	side_open(&r, "nokeys", url, "");
	ok(build(&r) == 0 && total_builds() == 4 && count_in(r.log, "no remote trusted_keys") == 1,
	   "a reader trusting no key builds locally and says so once");
	side_close(&r);

	/* uploading without the token: refused, warned once, the build goes on */
	free(settings);
	kparam = "two";
	settings = xasprintf("  upload: true\n  signing_key: %s/ci.key\n", dir);
	side_open(&w, "notoken", url, settings);
	ok(build(&w) == 0 && total_builds() == 4, "an upload without the token does not fail the build");
	ok(count_in(access, "\" 401 ") >= 1 && count_in(w.log, "building without it") == 1,
	   "nginx answered 401 and mvbuild warned once");
	side_close(&w);

	/* max_upload keeps the image local */
	free(settings);
	kparam = "three";
	settings = xasprintf("  upload: true\n  token_file: %s/token\n  signing_key: %s/ci.key\n"
			     "  max_upload: 8K\n", dir, dir);
	side_open(&w, "bounded", url, settings);
	ok(build(&w) == 0 && count_in(w.log, "more than remote max_upload") == 1 &&
	   count_in(w.log, "\"event\":\"uploaded\"") == 2,
	   "max_upload: the 64 KiB image is not uploaded, the kernel and launch config are");
	side_close(&w);
	kparam = "one";
	free(settings);
	free(access);
	free(root);
	(void)tests_dir;
}

static void test_unreachable(const char *url, const char *what, double limit)
{
	struct side s;
	side_open(&s, what, url, "  timeout: 1\n");
	double start = now_monotonic();
	int r = build(&s);
	double secs = now_monotonic() - start;
	ok(r == 0 && total_builds() == 4 && secs < limit,
	   "%s remote: the build succeeds locally in %.1f s", what, secs);
	ok(count_in(s.log, "building without it") == 1, "%s remote: one warning", what);
	side_close(&s);
}

int main(void)
{
	char tmpl[] = "/tmp/mvbuild-remote-test.XXXXXX";
	if (!mkdtemp(tmpl))
		return 1;
	dir = tmpl;
	const char *tests_dir = getenv("TESTS_DIR") ? getenv("TESTS_DIR") : "tests";
	char *srcfile = path_join(dir, "src.txt"), *rpath = path_join(dir, "mvbuild.yaml");
	struct error err = ERROR_INIT;
	write_file_atomic(srcfile, "source content\n", 15, 0644, &err);
	char *token = path_join(dir, "token");
	write_file_atomic(token, TOKEN "\n", strlen(TOKEN) + 1, 0600, &err);
	char id[SHA256_HEX];
	char *ci = path_join(dir, "ci"), *other = path_join(dir, "other");
	remote_sign_key_generate(ci, id, &err);
	remote_sign_key_generate(other, id, &err);

	struct source sources[1] = { { .name = "src", .kind = SOURCE_PATH, .path = "src.txt",
				       .base_dir = dir } };
	struct kernel kernels[1] = { { .name = "k", .source = "src" } };
	char *layers[] = { "src" };
	struct image images[1] = { { .name = "img", .layers = layers, .n_layers = 1 } };
	struct profile profiles[1] = { { .name = "p", .kernel = "k", .image = "img" } };
	recipe = (struct recipe){ .path = rpath, .dir = dir, .sources = sources, .n_sources = 1,
				  .kernels = kernels, .n_kernels = 1, .images = images, .n_images = 1,
				  .profiles = profiles, .n_profiles = 1 };

	char *srv = path_join(dir, "nginx");
	char *cmd = xasprintf("%s/remote/nginx.sh start %s %s", tests_dir, srv, TOKEN);
	char *port = run_capture(cmd);
	if (port) {
		char *url = xasprintf("http://127.0.0.1:%s/mvbuild", port);
		test_with_nginx(tests_dir, url, srv);
		free(url);
		free(cmd);
		cmd = xasprintf("%s/remote/nginx.sh stop %s", tests_dir, srv);
		system(cmd);
	} else {
		printf("ok %d - nginx tests # SKIP cannot start nginx\n", ++tap_count);
	}

	/* a closed port: connection refused at once */
	char *dead = run_capture("python3 -c 'import socket; s=socket.socket(); "
				 "s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])'");
	char *url = xasprintf("http://127.0.0.1:%s", dead ? dead : "1");
	test_unreachable(url, "dead", 5);
	free(url);
	free(dead);

	/* a server that accepts and never answers: bounded by the 1 s timeout */
	char *stall_cmd = xasprintf("%s/remote/stall.py", tests_dir);
	int pipefd[2];
	pipe(pipefd);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execlp("python3", "python3", stall_cmd, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	char sport[32] = "";
	FILE *pf = fdopen(pipefd[0], "r");
	if (!fgets(sport, sizeof(sport), pf))
		sport[0] = '\0';
	fclose(pf);
	sport[strcspn(sport, "\n")] = '\0';
	url = xasprintf("http://127.0.0.1:%s", sport);
	test_unreachable(url, "stalled", 8);
	free(url);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);

	error_release(&err);
	free(stall_cmd);
	free(cmd);
	free(port);
	free(srv);
	free(ci);
	free(other);
	free(token);
	free(srcfile);
	free(rpath);
	if (!getenv("KEEP"))
		remove_tree(dir);
	return tap_done();
}
