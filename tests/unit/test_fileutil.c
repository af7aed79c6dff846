/*
 * Unit tests for fileutil's deletion: remove_tree, remove_tree_at,
 * remove_beneath and dir_open_beneath never follow a symlink, and empty
 * read-only directories.  Real files in a temp directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "tap.h"

static void put(const char *root, const char *rel, const char *text)
{
	char *p = path_join(root, rel);
	struct error err = ERROR_INIT;
	write_file_atomic(p, text, strlen(text), 0644, &err);
	error_release(&err);
	free(p);
}

static bool exists(const char *root, const char *rel)
{
	char *p = path_join(root, rel);
	struct stat st;
	bool there = lstat(p, &st) == 0;
	free(p);
	return there;
}

/* run a shell command made by xasprintf (freed) */
static void sh(char *cmd)
{
	if (system(cmd) != 0)
		printf("# failed: %s\n", cmd);
	free(cmd);
}

/* a tree with a read-only directory, a symlink to an outside directory and one to a file */
static void test_remove_tree(const char *root)
{
	sh(xasprintf("mkdir -p %s/outside %s/tree/ro/deep && cd %s/tree && ln -s ../outside escape"
		     " && ln -s ../outside/precious file-link && cd ro && ln -s ../../outside up",
		     root, root, root));
	put(root, "outside/precious", "precious\n");
	put(root, "tree/ro/deep/f", "x\n");
	char *ro = path_join(root, "tree/ro");
	chmod(ro, 0555);
	free(ro);
	char *tree = path_join(root, "tree");
	remove_tree(tree);
	ok(!exists(root, "tree"), "remove_tree removes a tree with a read-only directory");
	ok(exists(root, "outside/precious"), "remove_tree follows no symlink in the tree");
	free(tree);

	/* a symlink to a directory, named directly: the link goes, the target stays */
	sh(xasprintf("ln -s outside %s/link-to-dir", root));
	char *link = path_join(root, "link-to-dir/");
	remove_tree(link);
	ok(!exists(root, "link-to-dir") && exists(root, "outside/precious"),
	   "remove_tree on a symlink (even with a trailing slash) removes only the link");
	free(link);
}

static void test_beneath(const char *root)
{
	sh(xasprintf("mkdir -p %s/c/real/sub %s/away/sub && ln -s ../away %s/c/jump", root, root,
		     root));
	put(root, "c/real/sub/a", "a\n");
	put(root, "away/sub/b", "b\n");
	char *c = path_join(root, "c");
	int cfd = open(c, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = dir_open_beneath(cfd, "real/sub");
	ok(fd >= 0, "dir_open_beneath opens a real directory");
	if (fd >= 0)
		close(fd);
	errno = 0;
	fd = dir_open_beneath(cfd, "jump/sub");
	ok(fd < 0 && (errno == ELOOP || errno == ENOTDIR),
	   "dir_open_beneath refuses a path through a symlink (errno %d)", errno);
	if (fd >= 0)
		close(fd);
	remove_beneath(cfd, "jump/sub/b");
	ok(exists(root, "away/sub/b"), "remove_beneath does not delete through a symlink");
	remove_beneath(cfd, "real/sub/a");
	ok(!exists(root, "c/real/sub/a"), "remove_beneath deletes a real path");
	remove_tree_at(cfd, "jump");
	ok(!exists(root, "c/jump") && exists(root, "away/sub/b"),
	   "remove_tree_at removes a symlink, not its target");
	close(cfd);
	free(c);
}

int main(void)
{
	char tmpl[] = "/tmp/mvbuild-fileutil.XXXXXX";
	const char *root = mkdtemp(tmpl);
	if (!root) {
		printf("not ok 1 - cannot make a temp directory\n");
		return 1;
	}
	test_remove_tree(root);
	test_beneath(root);
	remove_tree(root);
	return tap_done();
}
