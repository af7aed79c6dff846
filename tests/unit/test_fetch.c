/*
 * Unit tests for fetch, fetch_source and fetch_checksums against a real HTTP server: the
 * fault server in tests/fetch/fault_server.py, started here on 127.0.0.1
 * (a free port) and killed at exit.  Nothing else is contacted.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/url.h"
#include "fetch/fetch.h"
#include "fetch/fetch_checksums.h"
#include "fetch/fetch_source.h"
#include "recipe/recipe.h"
#include "tap.h"
#include "base/util.h"

#define DATA_SIZE (3 * 1024 * 1024 + 123)

static pid_t server_pid;
static char *scratch;
static int port;
static char data_sha256[HASH_MAX_HEX], data_sha512[HASH_MAX_HEX];

static void stop_server(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = 0;
	}
	if (scratch) {
		char *cmd = xasprintf("rm -rf '%s'", scratch);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", scratch);
		free(cmd);
		free(scratch);
		scratch = NULL;
	}
}

/* the repository: $REPO_DIR (tests/run.sh sets it), else four levels above this binary */
static char *repo_dir(void)
{
	const char *env = getenv("REPO_DIR");
	if (env && *env)
		return xstrdup(env);
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return xstrdup(".");
	exe[n] = '\0';
	char *dir = xstrdup(exe);
	for (int i = 0; i < 4; i++) {
		char *up = path_dirname(dir);
		free(dir);
		dir = up;
	}
	return dir;
}

static void write_file(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, n) != (ssize_t)n || close(fd) < 0) {
		perror(path);
		exit(1);
	}
}

static char *read_text(const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;
	while (fd >= 0 && (n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)n);
	if (fd >= 0)
		close(fd);
	return buf_detach(&b);
}

static int start_server(void)
{
	char *repo = repo_dir();
	char *script = path_join(repo, "tests/fetch/fault_server.py");
	char *root = path_join(scratch, "root");
	char *port_file = path_join(scratch, "port");
	char *log = path_join(scratch, "requests.log");
	server_pid = fork();
	if (server_pid == 0) {
		execlp("python3", "python3", script, "--root", root, "--port-file", port_file,
		       "--log", log, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && access(port_file, F_OK) != 0; i++)
		usleep(50000);
	char *text = read_text(port_file);
	port = atoi(text);
	free(text);
	free(repo);
	free(script);
	free(root);
	free(port_file);
	free(log);
	return port > 0 ? 0 : -1;
}

static void make_data(void)
{
	unsigned char *data = xmalloc(DATA_SIZE);
	unsigned int x = 12345;
	for (size_t i = 0; i < DATA_SIZE; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (unsigned char)(x >> 16);
	}
	char *path = path_join(scratch, "root/data.bin");
	write_file(path, data, DATA_SIZE);
	free(path);
	path = path_join(scratch, "root/other.bin");
	write_file(path, "not the data\n", 13);
	free(path);
	hash_buffer_hex(HASH_SHA256, data, DATA_SIZE, data_sha256);
	hash_buffer_hex(HASH_SHA512, data, DATA_SIZE, data_sha512);
	free(data);
}

static char *url(const char *path)
{
	return xasprintf("http://127.0.0.1:%d%s", port, path);
}

static struct fetch_limits test_limits(void)
{
	struct fetch_limits l;
	struct error err = ERROR_INIT;
	if (fetch_limits_from_env(&l, &err) < 0)
		exit(1);
	l.connect_timeout = 5;
	l.low_speed_time = 1;
	l.retries = 1;
	l.backoff = 0.05;
	return l;
}

/* download path from the server into a scratch file; returns fetch_url's result */
static int get(const char *path, enum hash_algo algo, const struct fetch_limits *l,
	       struct fetch_result *res, struct error *err)
{
	char *u = url(path);
	char *out = path_join(scratch, "out");
	int fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
	struct fetch_request req = { .url = u, .fd = fd, .algo = algo, .want_sha256 = true,
				     .limits = l };
	int ret = fetch_url(&req, res, err);
	close(fd);
	free(out);
	free(u);
	return ret;
}

static bool contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle);
}

static int count_requests(const char *needle)
{
	char *log_path = path_join(scratch, "requests.log");
	char *text = read_text(log_path);
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	free(text);
	free(log_path);
	return n;
}

static void test_url_helpers(void)
{
	char s[16];
	is_str(url_scheme("HTTPS://example.org/x", s, sizeof(s)), "https", "scheme is lowercased");
	is_str(url_scheme("dir/a://b", s, sizeof(s)), "", "a path with :// is not a URL");
	ok(fetch_is_local_path("../linux.tar.xz"), "a relative path is local");
	char *f = fetch_file_url("/tmp/a b%c");
	is_str(f, "file:///tmp/a%20b%25c", "file URLs are percent-encoded");
	free(f);
	char *name = fetch_source_url_file_name("https://h/p/linux-6.1.tar.xz?x=1#y");
	is_str(name, "linux-6.1.tar.xz", "file name drops query and fragment");
	free(name);
	ok(fetch_source_url_file_name("https://host") == NULL, "a bare host has no file name");
}

static void test_candidates(void)
{
	char *urls_in[] = { "https://example.org/d/linux.tar.xz", "linux.tar.xz" };
	struct source src = { .name = "linux", .kind = SOURCE_URL, .urls = urls_in, .n_urls = 2,
			      .base_dir = "/recipes", .has_checksum = true, .algo = HASH_SHA256,
			      .checksum = data_sha256 };
	char *mirrors[] = { "http://mirror/m/", "/srv/mirror" };
	char **c;
	size_t from_mirrors;
	size_t n = fetch_source_candidates(&src, mirrors, 2, &c, &from_mirrors);
	ok(n == 6 && from_mirrors == 4, "two mirrors x (digest, name) + two urls = 6 candidates (got %zu)", n);
	char *want0 = xasprintf("http://mirror/m/%s", data_sha256);
	if (n == 6) {
		is_str(c[0], want0, "first: mirror by digest");
		is_str(c[1], "http://mirror/m/linux.tar.xz", "then mirror by file name");
		is_str(c[3], "file:///srv/mirror/linux.tar.xz", "local mirror becomes file://");
		is_str(c[4], "https://example.org/d/linux.tar.xz", "recipe urls come last, in order");
		is_str(c[5], "file:///recipes/linux.tar.xz", "plain paths resolve beneath the recipe");
	}
	free(want0);
	fetch_source_urls_free(c, n);
}

static void test_downloads(const struct fetch_limits *l)
{
	struct fetch_result res;
	struct error err = ERROR_INIT;

	ok(get("/files/data.bin", HASH_SHA512, l, &res, &err) == 0, "correct download");
	is_str(res.digest, data_sha512, "sha512 computed while streaming");
	is_str(res.sha256, data_sha256, "sha256 computed alongside");
	ok(res.size == DATA_SIZE && res.attempts == 1, "size %llu in one attempt",
	   (unsigned long long)res.size);
	error_release(&err);

	ok(get("/404/data.bin", HASH_SHA256, l, &res, &err) < 0 && res.status == FETCH_FAILED,
	   "404 is a permanent failure");
	ok(contains(err.msg, "HTTP 404") && res.attempts == 1, "404 named, not retried: %s", err.msg);
	error_release(&err);

	ok(get("/500/x", HASH_SHA256, l, &res, &err) < 0 && res.status == FETCH_TRANSIENT,
	   "500 is transient");
	ok(res.attempts == 2 && count_requests("GET /500/x ") == 2, "500 retried once (limit 1)");
	error_release(&err);

	ok(get("/loop/0", HASH_SHA256, l, &res, &err) < 0 && res.status == FETCH_FAILED,
	   "redirect loop fails");
	ok(contains(err.msg, "more than 5 redirects") && count_requests("GET /loop/") == 6,
	   "at most 5 redirects followed: %s", err.msg);
	error_release(&err);

	ok(get("/to-file", HASH_SHA256, l, &res, &err) < 0 && res.status == FETCH_REFUSED,
	   "redirect to file:// refused");
	ok(contains(err.msg, "refusing redirect") && contains(err.msg, "file:///etc/passwd"),
	   "refusal names the target: %s", err.msg);
	error_release(&err);

	char *ftp = xasprintf("ftp://127.0.0.1:%d/x", port);
	int fd = open("/dev/null", O_WRONLY);
	struct fetch_request req = { .url = ftp, .fd = fd, .limits = l };
	int before = count_requests("GET");
	int rc = fetch_url(&req, &res, &err);
	ok(rc < 0 && res.status == FETCH_REFUSED && res.attempts == 0,
	   "ftp:// refused before any I/O: %s", err.msg);
	ok(count_requests("GET") == before, "no request reached the server");
	close(fd);
	free(ftp);
	error_release(&err);
}

static void test_size_and_time_limits(const struct fetch_limits *base)
{
	struct fetch_result res;
	struct error err = ERROR_INIT;
	struct fetch_limits l = *base;
	l.retries = 0;

	double t0 = now_monotonic();
	int rc = get("/stall", HASH_SHA256, &l, &res, &err);
	ok(rc < 0 && res.status == FETCH_TRANSIENT, "stalled server cut off: %s", err.msg);
	ok(now_monotonic() - t0 < 10, "within the low-speed time (%.1f s)", now_monotonic() - t0);
	error_release(&err);

	t0 = now_monotonic();
	rc = get("/stall-headers", HASH_SHA256, &l, &res, &err);
	ok(rc < 0 && now_monotonic() - t0 < 10, "server that never answers cut off: %s", err.msg);
	error_release(&err);

	l.max_size = 1 << 20;
	ok(get("/endless", HASH_SHA256, &l, &res, &err) < 0 && res.status == FETCH_FAILED,
	   "endless stream cut off by the size cap");
	ok(contains(err.msg, "larger than the limit of 1.0 MiB"), "size cap named: %s", err.msg);
	char *out = path_join(scratch, "out");
	struct stat st;
	ok(stat(out, &st) == 0 && st.st_size <= (1 << 20), "no more than the cap was written");
	free(out);
	error_release(&err);

	ok(get("/endless-length", HASH_SHA256, &l, &res, &err) < 0 && res.status == FETCH_FAILED &&
	   contains(err.msg, "larger than the limit"), "a declared huge length is refused up front");
	error_release(&err);
}

static void test_resume(const struct fetch_limits *l)
{
	struct fetch_result res;
	struct error err = ERROR_INIT;

	ok(get("/drop-range/data.bin", HASH_SHA256, l, &res, &err) == 0,
	   "interrupted download completes: %s", err.msg ? err.msg : "");
	is_str(res.digest, data_sha256, "resumed download has the right digest");
	ok(res.resumes == 1 && res.restarts == 0 && res.size == DATA_SIZE, "resumed once with Range");
	char *range = xasprintf("GET /drop-range/data.bin bytes=%d-", DATA_SIZE / 2);
	ok(count_requests(range) == 1, "second request asked for the missing half");
	free(range);
	error_release(&err);

	ok(get("/drop-norange/data.bin", HASH_SHA256, l, &res, &err) == 0,
	   "interrupted download without Range support completes");
	is_str(res.digest, data_sha256, "restarted download has the right digest");
	ok(res.restarts == 1 && res.resumes == 0 && res.size == DATA_SIZE,
	   "started over when the server ignored Range");
	error_release(&err);
}

static int source_fetch(char **urls, size_t n, const char *checksum, char **mirrors,
			size_t n_mirrors, const struct fetch_limits *l, struct fetch_result *res,
			struct error *err)
{
	struct source src = { .name = "data", .kind = SOURCE_URL, .urls = urls, .n_urls = n,
			      .base_dir = scratch, .has_checksum = true, .algo = HASH_SHA256,
			      .checksum = (char *)checksum };
	char *dest = path_join(scratch, "dest");
	struct fetch_source_request req = { .source = &src, .mirrors = mirrors,
					    .n_mirrors = n_mirrors, .dest = dest, .limits = l };
	int ret = fetch_source(&req, res, err);
	free(dest);
	return ret;
}

static bool dest_exists(void)
{
	char *dest = path_join(scratch, "dest");
	bool exists = access(dest, F_OK) == 0;
	free(dest);
	return exists;
}

static void test_sources(const struct fetch_limits *l)
{
	struct fetch_result res;
	struct error err = ERROR_INIT;
	char *good = url("/files/data.bin"), *other = url("/files/other.bin");
	char *e500 = url("/500/data.bin"), *e404 = url("/404/data.bin");

	char *u1[] = { other };
	ok(source_fetch(u1, 1, data_sha256, NULL, 0, l, &res, &err) < 0, "wrong checksum fails");
	ok(contains(err.msg, "checksum mismatch for '") && contains(err.msg, other) &&
	   contains(err.msg, data_sha256), "mismatch names URL and expected digest: %s", err.msg);
	char other_sha[HASH_MAX_HEX];
	hash_buffer_hex(HASH_SHA256, "not the data\n", 13, other_sha);
	ok(contains(err.msg, other_sha), "and the actual digest");
	ok(!dest_exists(), "nothing left behind after a mismatch");
	error_release(&err);

	char *u2[] = { e500, good };
	ok(source_fetch(u2, 2, data_sha256, NULL, 0, l, &res, &err) == 0 && dest_exists(),
	   "500 then success on the second URL");
	is_str(res.sha256, data_sha256, "second URL's content verified");
	error_release(&err);

	char *u3[] = { other, e404, good };
	ok(source_fetch(u3, 3, data_sha256, NULL, 0, l, &res, &err) == 0,
	   "mismatch and 404 fall through to the third URL");
	error_release(&err);

	char *u4[] = { e404, e500 };
	ok(source_fetch(u4, 2, data_sha256, NULL, 0, l, &res, &err) < 0 && !dest_exists(),
	   "every URL failing is an error, no file left");
	ok(contains(err.msg, "HTTP 404") && contains(err.msg, "HTTP 500"),
	   "the error names each failure: %s", err.msg);
	error_release(&err);

	/* a local mirror by digest: the recipe URL is never asked */
	char *mdir = path_join(scratch, "mirror");
	mkdir(mdir, 0755);
	char *src_path = path_join(scratch, "root/data.bin");
	char *by_digest = path_join(mdir, data_sha256);
	if (link(src_path, by_digest) != 0)
		perror("link");
	char *never = url("/files/never-asked.bin");
	char *u5[] = { never };
	char *m1[] = { mdir };
	ok(source_fetch(u5, 1, data_sha256, m1, 1, l, &res, &err) == 0 &&
	   count_requests("never-asked") == 0, "local mirror by digest serves the source");
	error_release(&err);

	/* an HTTP mirror by file name */
	char *mhttp = url("/files/");
	char *u6[] = { "http://127.0.0.1:1/dl/data.bin" };
	char *m2[] = { mhttp };
	ok(source_fetch(u6, 1, data_sha256, m2, 1, l, &res, &err) == 0,
	   "HTTP mirror by file name serves the source: %s", err.msg ? err.msg : "");
	char *asked = xasprintf("GET /files/%s -", data_sha256);
	ok(count_requests(asked) == 1, "the mirror was asked by digest first");
	free(asked);
	error_release(&err);

	/* plain path and file:// */
	char *u7[] = { "root/data.bin" };
	ok(source_fetch(u7, 1, data_sha256, NULL, 0, l, &res, &err) == 0,
	   "a plain path beneath the recipe directory: %s", err.msg ? err.msg : "");
	error_release(&err);

	free(never); free(mhttp); free(src_path); free(by_digest); free(mdir);
	free(good); free(other); free(e500); free(e404);
}

/* fetch_checksums_urls: each URL hashed through a temp file that is removed again */
static void test_url_checksums(void)
{
	struct fetch_checksums sums = FETCH_CHECKSUMS_INIT;
	struct error err = ERROR_INIT;
	char *tmp = path_join(scratch, "tmp");
	mkdir(tmp, 0755);
	char *old_tmp = getenv("TMPDIR") ? xstrdup(getenv("TMPDIR")) : NULL;
	setenv("TMPDIR", tmp, 1);
	char *urls[] = { xasprintf("http://127.0.0.1:%d/files/data.bin", port),
			 xasprintf("http://127.0.0.1:%d/404/data.bin", port) };
	ok(fetch_checksums_urls(&sums, urls, 1, NULL, NULL, &err) == 0 && sums.n == 1, "one URL hashed: %s",
	   err.msg ? err.msg : "");
	ok(sums.n == 1 && !strcmp(sums.items[0].name, urls[0]) &&
	   !strcmp(sums.items[0].sha256, data_sha256) && !strcmp(sums.items[0].sha512, data_sha512),
	   "named by its URL, with both checksums");
	ok(fetch_checksums_urls(&sums, urls, 2, NULL, NULL, &err) < 0 && contains(err.msg, "HTTP 404"),
	   "a failing URL stops the list, named");
	ok(sums.n == 2, "what came before the failure is kept");
	char *cmd = xasprintf("test -z \"$(ls -A '%s')\"", tmp);
	ok(system(cmd) == 0, "no temp file is left behind");
	fetch_checksums_release(&sums);
	ok(sums.n == 0 && !sums.items, "release empties the list");
	if (old_tmp)
		setenv("TMPDIR", old_tmp, 1);
	else
		unsetenv("TMPDIR");
	error_release(&err);
	free(cmd);
	free(urls[0]);
	free(urls[1]);
	free(old_tmp);
	free(tmp);
}

int main(void)
{
	char tmpl[] = "/tmp/mvbuild-test-fetch.XXXXXX";
	scratch = xstrdup(mkdtemp(tmpl));
	atexit(stop_server);
	/* these tests talk to 127.0.0.1 only: never through a proxy */
	unsetenv("http_proxy"); unsetenv("https_proxy"); unsetenv("all_proxy");
	unsetenv("HTTPS_PROXY"); unsetenv("ALL_PROXY");
	test_url_helpers();
	char *root = path_join(scratch, "root");
	mkdir(root, 0755);
	free(root);
	make_data();
	if (start_server() < 0) {
		ok(0, "fault server started");
		return tap_done();
	}
	struct fetch_limits l = test_limits();
	test_candidates();
	test_downloads(&l);
	test_size_and_time_limits(&l);
	test_resume(&l);
	test_sources(&l);
	test_url_checksums();
	return tap_done();
}
