/*
 * test_recipe_tree: the recipe-tree boundary on a real directory tree.
 * The component walk (used where the kernel lacks openat2) must agree with
 * openat2(RESOLVE_BENEATH) on every path; recipe_tree_open() must apply
 * the rules (tree only, allowed directories, pins, credentials, file types).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "recipe/recipe_tree.h"
#include "tap.h"
#include "base/util.h"

static char tmp[] = "/tmp/mvbuild-test-tree.XXXXXX";

static void make_file(const char *rel, const char *text)
{
	char *p = path_join(tmp, rel);
	FILE *f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	free(p);
}

static void make_link(const char *target, const char *rel)
{
	char *p = path_join(tmp, rel);
	if (symlink(target, p) < 0)
		perror("symlink");
	free(p);
}

static void make_dir(const char *rel)
{
	char *p = path_join(tmp, rel);
	mkdir(p, 0755);
	free(p);
}

/* -errno or 0 */
static int outcome(int fd)
{
	int e = fd < 0 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	return e;
}

static void test_walk_agrees(void)
{
	static const struct { const char *rel; int want; } cases[] = {
		{ "a/file", 0 },
		{ "a", 0 },
		{ ".", 0 },
		{ "in/file", 0 },
		{ "a/../a/file", 0 },
		{ "in/../a/file", 0 },
		{ "a/deep/back/file", 0 },
		{ "out/secret", -EXDEV },
		{ "abs", -EXDEV },
		{ "a/up/secret", -EXDEV },
		{ "../outside/secret", -EXDEV },
		{ "a/../../outside/secret", -EXDEV },
		{ "loop", -ELOOP },
		{ "missing", -ENOENT },
		{ "a/file/x", -ENOTDIR },
	};
	char *root = path_join(tmp, "root");
	int rootfd = open(root, O_PATH | O_DIRECTORY);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct open_how how = { .flags = O_PATH | O_CLOEXEC,
					.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
		int kernel = outcome((int)syscall(SYS_openat2, rootfd, cases[i].rel, &how, sizeof(how)));
		int walk = outcome(recipe_tree_walk(rootfd, cases[i].rel, O_PATH));
		ok(walk == cases[i].want, "walk '%s': %d (want %d)", cases[i].rel, walk, cases[i].want);
		ok(walk == kernel || kernel == -ENOSYS, "walk '%s' agrees with openat2 (%d, %d)",
		   cases[i].rel, walk, kernel);
	}
	close(rootfd);
	free(root);
}

static void test_clean_and_urls(void)
{
	char *s;
	is_str(s = recipe_tree_clean("a/b/../c"), "a/c", "clean a/b/../c"); free(s);
	is_str(s = recipe_tree_clean("./x//y/"), "x/y", "clean ./x//y/"); free(s);
	is_str(s = recipe_tree_clean("a/../../x"), "../x", "clean keeps a climb above the start"); free(s);
	is_str(s = recipe_tree_clean("/../etc"), "/etc", "clean stops at /"); free(s);
	is_str(s = recipe_tree_file_url_path("file:///etc/%73hadow"), "/etc/shadow",
	       "a file:// URL is percent-decoded"); free(s);
	is_str(s = recipe_tree_file_url_path("file://localhost/srv/x?y#z"), "/srv/x",
	       "localhost and a query are dropped"); free(s);
	ok(recipe_tree_file_url_path("https://example.org/x") == NULL, "an https URL is no path");
}

/* open p beneath tmp/root; 0, RECIPE_TREE_MISSING, or -1 with the message in *msg */
static int try_open(const struct recipe_trust *trust, const char *path, enum recipe_tree_rule rule,
		    bool want_dir, bool may_be_missing, char **msg)
{
	char *root = path_join(tmp, "root");
	struct recipe_tree_path p = { "it", root, path, rule, want_dir, may_be_missing };
	struct error err = ERROR_INIT;
	int fd = recipe_tree_open(root, trust, &p, false, &err);
	*msg = err.msg ? xstrdup(err.msg) : xstrdup("");
	error_release(&err);
	free(root);
	if (fd >= 0)
		close(fd);
	return fd >= 0 ? 0 : fd;
}

static void test_rules(void)
{
	char *allow_dir = path_join(tmp, "outside");
	char *secret = path_join(tmp, "outside/secret");
	char *cred_path = path_join(tmp, "root/a/file");
	char *const allow[] = { allow_dir };
	const struct recipe_credential creds[] = { { "token_file", cred_path } };
	const struct recipe_trust none = { NULL, 0, NULL, 0 };
	const struct recipe_trust allowed = { allow, 1, NULL, 0 };
	const struct recipe_trust with_cred = { allow, 1, creds, 1 };
	char *m;
	int r;
	r = try_open(&none, "a/file", RECIPE_TREE_ONLY, false, false, &m);
	ok(r == 0, "in the tree: ok");
	free(m);
	r = try_open(&none, secret, RECIPE_TREE_ONLY, false, false, &m);
	ok(r < 0 &&
	   strstr(m, "lies outside the recipe tree"), "absolute outside: %s", m);
	free(m);
	r = try_open(&allowed, secret, RECIPE_TREE_ONLY, false, false, &m);
	ok(r < 0,
	   "an allowed directory never lets an include out");
	free(m);
	r = try_open(&allowed, secret, RECIPE_TREE_OR_ALLOWED, false, false, &m);
	ok(r == 0,
	   "a path source beneath an allowed directory: ok (%s)", m);
	free(m);
	r = try_open(&allowed, "out/secret", RECIPE_TREE_OR_ALLOWED, false, false, &m);
	ok(r == 0,
	   "a symlink in the tree into an allowed directory: ok (%s)", m);
	free(m);
	r = try_open(&none, "out/secret", RECIPE_TREE_OR_ALLOWED, false, false, &m);
	ok(r < 0 &&
	   strstr(m, "leads outside the recipe tree"), "not allowed: %s", m);
	free(m);
	r = try_open(&none, "out/secret", RECIPE_TREE_ANYWHERE, false, false, &m);
	ok(r == 0,
	   "pinned: anywhere");
	free(m);
	r = try_open(&none, "not-yet", RECIPE_TREE_OR_ALLOWED, false, true, &m);
	ok(r == RECIPE_TREE_MISSING,
	   "a missing source in the tree may be made later");
	free(m);
	r = try_open(&none, "../nowhere", RECIPE_TREE_OR_ALLOWED, false, true, &m);
	ok(r < 0,
	   "a missing source outside is still refused: %s", m);
	free(m);
	r = try_open(&with_cred, "hardlink", RECIPE_TREE_ANYWHERE, false, false, &m);
	ok(r < 0 &&
	   strstr(m, "credential file 'token_file'"), "a hard link to a credential: %s", m);
	free(m);
	r = try_open(&with_cred, "a", RECIPE_TREE_ONLY, true, false, &m);
	ok(r < 0 &&
	   strstr(m, "holds the credential"), "a directory holding a credential: %s", m);
	free(m);
	r = try_open(&none, "fifo", RECIPE_TREE_ONLY, false, false, &m);
	ok(r < 0 &&
	   strstr(m, "is a FIFO, not a regular file"), "a FIFO: %s", m);
	free(m);
	r = try_open(&none, "a", RECIPE_TREE_ONLY, false, false, &m);
	ok(r < 0 &&
	   strstr(m, "is a directory, not a regular file"), "a directory for a file: %s", m);
	free(m);
	r = try_open(&none, "a/file", RECIPE_TREE_ONLY, true, false, &m);
	ok(r < 0 &&
	   strstr(m, "is a regular file, not a directory"), "a file for a directory: %s", m);
	free(m);
	free(allow_dir);
	free(secret);
	free(cred_path);
}

int main(void)
{
	if (!mkdtemp(tmp))
		return 1;
	make_dir("root");
	make_dir("root/a");
	make_dir("root/a/deep");
	make_dir("outside");
	make_file("root/a/file", "in the tree\n");
	make_file("outside/secret", "secret\n");
	make_link("a", "root/in");
	make_link("../outside", "root/out");
	make_link("/etc", "root/abs");
	make_link("../..", "root/a/up");
	make_link("..", "root/a/deep/back");
	make_link("loop", "root/loop");
	char *fifo = path_join(tmp, "root/fifo"), *file = path_join(tmp, "root/a/file"),
	     *hard = path_join(tmp, "root/hardlink");
	mkfifo(fifo, 0600);
	if (link(file, hard) < 0)
		perror("link");
	test_walk_agrees();
	test_clean_and_urls();
	test_rules();
	char *cmd = xasprintf("rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmp);
	free(cmd);
	free(fifo);
	free(file);
	free(hard);
	return tap_done();
}
