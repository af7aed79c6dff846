/*
 * Unit tests for the source builder through the real engine and cache,
 * with an in-memory recipe and the fault server (tests/fetch/fault_server.py)
 * on 127.0.0.1: keys by checksum only, no download when cached or imported,
 * mismatches publish nothing and leave no temp file, mirrors, path sources.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cmd/cli.h"
#include "engine/digest_memo.h"
#include "engine/engine.h"
#include "base/fileutil.h"
#include "base/progress.h"
#include "recipe/recipe.h"
#include "tap.h"

static pid_t server_pid;
static char *dir;
static int port;

static void cleanup(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	if (dir)
		remove_tree(dir);
}

static char *repo_dir(void)
{
	const char *env = getenv("REPO_DIR");
	if (env && *env)
		return xstrdup(env);
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	char *d = xstrdup(exe);
	for (int i = 0; i < 4; i++) {
		char *up = path_dirname(d);
		free(d);
		d = up;
	}
	return d;
}

static char *slurp(const char *path)
{
	struct buf b = BUF_INIT;
	struct error err = ERROR_INIT;
	read_file(path, 1 << 20, &b, &err);
	error_release(&err);
	return buf_detach(&b);
}

static int start_server(void)
{
	char *repo = repo_dir();
	char *script = path_join(repo, "tests/fetch/fault_server.py");
	char *root = path_join(dir, "root"), *port_file = path_join(dir, "port");
	char *log = path_join(dir, "requests.log");
	server_pid = fork();
	if (server_pid == 0) {
		execlp("python3", "python3", script, "--root", root, "--port-file", port_file,
		       "--log", log, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && access(port_file, F_OK) != 0; i++)
		usleep(50000);
	char *text = slurp(port_file);
	port = atoi(text);
	free(text); free(repo); free(script); free(root); free(port_file); free(log);
	return port > 0 ? 0 : -1;
}

static int requests(const char *needle)
{
	char *log = path_join(dir, "requests.log");
	char *text = slurp(log);
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	free(text);
	free(log);
	return n;
}

/* write a file under root/ and return its sha256 (and sha512 when asked) */
static void put(const char *name, const char *content, char *sha256, char *sha512)
{
	char *rel = xasprintf("root/%s", name);
	char *path = path_join(dir, rel);
	struct error err = ERROR_INIT;
	write_file_atomic(path, content, strlen(content), 0644, &err);
	error_release(&err);
	hash_buffer_hex(HASH_SHA256, content, strlen(content), sha256);
	if (sha512)
		hash_buffer_hex(HASH_SHA512, content, strlen(content), sha512);
	free(rel);
	free(path);
}

/* build one target with a fresh engine; the error (if any) goes to *msg */
static int build(struct mvctx *ctx, const char *target, char **msg)
{
	struct engine *e = engine_new(ctx);
	struct node **t = NULL;
	size_t n;
	struct error err = ERROR_INIT;
	char *names[] = { (char *)target };
	int r = engine_resolve(e, names, 1, &t, &n, &err);
	if (r == 0)
		r = engine_build(e, t, n, &err);
	*msg = xstrdup(err.msg ? err.msg : "");
	error_release(&err);
	free(t);
	engine_free(e);
	return r;
}

/* the content of a built source's "file" output, or NULL */
static char *output_of(struct mvctx *ctx, const char *id)
{
	struct engine *e = engine_new(ctx);
	const struct build_input *outs;
	struct error err = ERROR_INIT;
	char *text = NULL;
	if (engine_outputs(e, engine_find(e, id), &outs, &err) == 1)
		text = slurp(outs[0].path);
	error_release(&err);
	engine_free(e);
	return text;
}

/* run `mvbuild fetch` with the in-memory recipe, returning what it printed on stdout */
static char *run_fetch(struct mvctx *ctx, char **argv, int argc, int *status)
{
	char *path = path_join(dir, "stdout");
	fflush(stdout);
	int saved = dup(1);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 1);
	close(fd);
	*status = cli_run(ctx, &command_fetch, argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	char *text = slurp(path);
	free(path);
	return text;
}

static size_t entries_in(const char *path)
{
	DIR *d = opendir(path);
	size_t n = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	if (d)
		closedir(d);
	return n;
}

int main(void)
{
	char tmpl[] = "/tmp/mvbuild-test-fetch-builder.XXXXXX";
	dir = xstrdup(mkdtemp(tmpl));
	atexit(cleanup);
	unsetenv("http_proxy"); unsetenv("https_proxy"); unsetenv("all_proxy");
	unsetenv("HTTPS_PROXY"); unsetenv("ALL_PROXY");
	setenv("MVBUILD_FETCH_RETRIES", "0", 1);
	char *root = path_join(dir, "root");
	mkdir(root, 0755);
	free(root);
	if (start_server() < 0) {
		ok(0, "fault server started");
		return tap_done();
	}

	char s_data[HASH_MAX_HEX], s_other[HASH_MAX_HEX], s_mir[HASH_MAX_HEX], s_imp[HASH_MAX_HEX];
	char s_big[HASH_MAX_HEX], x512[HASH_MAX_HEX], s_local[HASH_MAX_HEX];
	char s_data512[HASH_MAX_HEX];
	put("data.bin", "the data\n", s_data, s_data512);
	put("other.bin", "other bytes\n", s_other, NULL);
	put("mirrored.bin", "served by the mirror\n", s_mir, NULL);
	put("imported.bin", "imported, never downloaded\n", s_imp, NULL);
	put("sha512.bin", "checked with sha512\n", s_big, x512);
	put("local.txt", "a local file\n", s_local, NULL);

	char *u_data = xasprintf("http://127.0.0.1:%d/files/data.bin", port);
	char *u_redirect = xasprintf("http://127.0.0.1:%d/redirect/data.bin", port);
	char *u_other = xasprintf("http://127.0.0.1:%d/files/other.bin", port);
	char *u_refused = xstrdup("http://127.0.0.1:1/dl/mirrored.bin");
	char *u_never = xasprintf("http://127.0.0.1:%d/files/never-asked.bin", port);
	char *u_512 = xasprintf("http://127.0.0.1:%d/files/sha512.bin", port);
	char *urls_data[] = { u_data }, *urls_bad[] = { u_other }, *urls_mir[] = { u_refused };
	char *urls_imp[] = { u_never }, *urls_512[] = { u_512 };
	struct source sources[] = {
		{ .name = "data", .kind = SOURCE_URL, .urls = urls_data, .n_urls = 1, .base_dir = dir,
		  .has_checksum = true, .algo = HASH_SHA256, .checksum = s_data },
		{ .name = "bad", .kind = SOURCE_URL, .urls = urls_bad, .n_urls = 1, .base_dir = dir,
		  .has_checksum = true, .algo = HASH_SHA256, .checksum = s_mir },
		{ .name = "mir", .kind = SOURCE_URL, .urls = urls_mir, .n_urls = 1, .base_dir = dir,
		  .has_checksum = true, .algo = HASH_SHA256, .checksum = s_mir },
		{ .name = "imp", .kind = SOURCE_URL, .urls = urls_imp, .n_urls = 1, .base_dir = dir,
		  .has_checksum = true, .algo = HASH_SHA256, .checksum = s_imp },
		{ .name = "big", .kind = SOURCE_URL, .urls = urls_512, .n_urls = 1, .base_dir = dir,
		  .has_checksum = true, .algo = HASH_SHA512, .checksum = x512 },
		{ .name = "local", .kind = SOURCE_PATH, .path = "root/local.txt", .base_dir = dir },
		{ .name = "local_bad", .kind = SOURCE_PATH, .path = "root/local.txt", .base_dir = dir,
		  .has_checksum = true, .algo = HASH_SHA256, .checksum = s_other },
	};
	char *recipe_path = path_join(dir, "mvbuild.yaml"), *cache_dir = path_join(dir, "cache");
	struct recipe r = { .path = recipe_path, .dir = dir, .sources = sources,
			    .n_sources = ARRAY_SIZE(sources) };
	struct mvctx ctx = { .recipe_path = recipe_path, .cache_dir = cache_dir, .jobs = 2, .recipe = &r };
	struct error err = ERROR_INIT;
	ok(cache_open(&ctx.cache, cache_dir, &err) == 0, "cache opens");
	ctx.memo = digest_memo_open(cache_root(ctx.cache));
	char *msg, *text;
	int rc;

	rc = build(&ctx, "source:data", &msg);
	ok(rc == 0, "url source builds: %s", msg);
	free(msg);
	is_str(text = output_of(&ctx, "source:data"), "the data\n", "its output is the download");
	free(text);
	rc = build(&ctx, "source:data", &msg);
	ok(rc == 0 && requests("data.bin") == 1,
	   "built again: cached, no second request");
	free(msg);
	urls_data[0] = u_redirect;
	rc = build(&ctx, "source:data", &msg);
	ok(rc == 0 && requests("data.bin") == 1,
	   "changing the URL changes no key: still no request");
	free(msg);

	char *tmp = path_join(cache_dir, "tmp");
	rc = build(&ctx, "source:bad", &msg);
	ok(rc < 0, "wrong checksum fails the build");
	ok(strstr(msg, "checksum mismatch for '") && strstr(msg, u_other) && strstr(msg, s_mir) &&
	   strstr(msg, s_other), "error names URL, expected and actual digest: %s", msg);
	free(msg);
	char *blob = cache_blob_path(ctx.cache, s_other);
	ok(access(blob, F_OK) != 0, "the wrong content was not published");
	free(blob);
	ok(entries_in(tmp) == 0, "no temp file left in the cache (%zu entries)", entries_in(tmp));

	char *mirror = xasprintf("http://127.0.0.1:%d/files", port);
	char *mirrors[] = { mirror };
	ctx.mirrors = mirrors;
	ctx.n_mirrors = 1;
	rc = build(&ctx, "source:mir", &msg);
	ok(rc == 0, "mirror serves what the recipe URL cannot: %s", msg);
	free(msg);
	char *by_digest = xasprintf("GET /files/%s -", s_mir);
	ok(requests(by_digest) == 1 && requests("GET /files/mirrored.bin") == 1,
	   "mirror asked by digest, then by file name");
	free(by_digest);
	ctx.mirrors = NULL;
	ctx.n_mirrors = 0;

	struct engine *e = engine_new(&ctx);
	char i256[SHA256_HEX], i512[HASH_MAX_HEX];
	char *imp_path = path_join(dir, "root/imported.bin");
	ok(engine_import(e, imp_path, i256, i512, &err) == 0, "cache import");
	engine_free(e);
	rc = build(&ctx, "source:imp", &msg);
	ok(rc == 0 && requests("never-asked") == 0,
	   "an imported source is never downloaded: %s", msg);
	free(msg);

	rc = build(&ctx, "source:big", &msg);
	ok(rc == 0, "sha512 source verifies: %s", msg);
	free(msg);

	rc = build(&ctx, "source:local", &msg);
	ok(rc == 0, "path source without checksum builds: %s", msg);
	free(msg);
	is_str(text = output_of(&ctx, "source:local"), "a local file\n", "its output is the file");
	free(text);
	rc = build(&ctx, "source:local_bad", &msg);
	ok(rc < 0 && strstr(msg, "checksum mismatch for '") &&
	   strstr(msg, "local.txt"), "path source with a wrong checksum fails: %s", msg);
	free(msg);
	ok(entries_in(tmp) == 0, "still no temp file left in the cache");

	/* mvbuild fetch itself, on the recipe already in ctx */
	char *argv1[] = { "fetch", "--print-checksums", "data", "source:big", NULL };
	int status;
	text = run_fetch(&ctx, argv1, 4, &status);
	char *want = xasprintf("data sha256 %s\ndata sha512 %s\nbig sha256 %s\nbig sha512 %s\n",
			       s_data, s_data512, s_big, x512);
	ok(status == 0, "mvbuild fetch --print-checksums succeeds");
	is_str(text, want, "and prints both digests of each source");
	free(text);
	free(want);
	char *argv2[] = { "fetch", "nosuch", NULL };
	text = run_fetch(&ctx, argv2, 2, &status);
	ok(status == 2, "mvbuild fetch of an unknown source is a usage error");
	free(text);

	free(tmp); free(mirror); free(imp_path);
	free(u_data); free(u_redirect); free(u_other); free(u_refused); free(u_never); free(u_512);
	digest_memo_close(ctx.memo);
	cache_close(ctx.cache);
	free(recipe_path);
	free(cache_dir);
	return tap_done();
}
