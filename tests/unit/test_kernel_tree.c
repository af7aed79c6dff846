/*
 * Unit tests for kernel_tree and kernel_toolchain: unpacking once per
 * digest (top directory stripped, read-only), the object directory lock,
 * and the toolchain memo that spares a no-op build any process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "kernel/kernel_toolchain.h"
#include "kernel/kernel_tree.h"
#include "tap.h"

static void test_unpack(const char *root)
{
	struct error err = ERROR_INIT;
	char *cmd = xasprintf("mkdir -p %s/in/linux-9.9/kernel && echo 'obj-y += fork.o' > %s/in/linux-9.9/kernel/Makefile"
			      " && ln -s kernel %s/in/linux-9.9/k && tar -C %s/in -cJf %s/linux.tar.xz linux-9.9",
			      root, root, root, root, root);
	ok(system(cmd) == 0, "made a small source tarball");
	free(cmd);
	char *cache = path_join(root, "cache");
	char *tarball = path_join(root, "linux.tar.xz");
	char *srcdir = NULL, *again = NULL;
	const char *digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	ok(kernel_tree_get(cache, tarball, digest, &srcdir, &err) == 0, "unpacks: %s", err.msg ? err.msg : "");
	char *want = xasprintf("%s/src/%s", cache, digest);
	is_str(srcdir, want, "tree lives under src/DIGEST");
	char *mk = path_join(srcdir ? srcdir : "", "kernel/Makefile");
	struct buf text = BUF_INIT;
	ok(read_file(mk, 1024, &text, &err) == 0 && strcmp(text.data, "obj-y += fork.o\n") == 0,
	   "top directory stripped, content intact");
	struct stat st;
	ok(stat(mk, &st) == 0 && !(st.st_mode & 0222), "files are read-only");
	char *link = path_join(srcdir ? srcdir : "", "k");
	ok(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "symlinks kept");
	unlink(tarball); /* a second request must not need the tarball */
	ok(kernel_tree_get(cache, tarball, digest, &again, &err) == 0, "second request reuses the tree");
	error_release(&err);
	ok(kernel_tree_get(cache, tarball, "ff", &again, &err) < 0 && err.msg &&
	   strstr(err.msg, "cannot unpack"), "a missing tarball is an error naming it");
	error_release(&err);
	buf_release(&text);
	free(link);
	free(mk);
	free(want);
	free(srcdir);
	free(again);
	free(tarball);
	free(cache);
}

static void test_objdir_lock(const char *root)
{
	struct error err = ERROR_INIT;
	char *cache = path_join(root, "cache");
	char *objdir = NULL;
	int fd = -1;
	ok(kernel_tree_objdir_lock(cache, "microvm", "abc", "x86_64", &objdir, &fd, &err) == 0, "object dir locked");
	ok(objdir && strstr(objdir, "/kbuild/microvm-") && strlen(strrchr(objdir, '-')) == 13,
	   "object dir is kbuild/NAME-12HEX: %s", objdir ? objdir : "");
	char *lock = xasprintf("%s.lock", objdir ? objdir : "");
	int other = open(lock, O_RDWR);
	ok(other >= 0 && flock(other, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK,
	   "a second build cannot take the lock");
	kernel_tree_objdir_unlock(fd);
	ok(flock(other, LOCK_EX | LOCK_NB) == 0, "released after unlock");
	close(other);
	char *objdir2 = NULL;
	kernel_tree_objdir_lock(cache, "microvm", "abd", "x86_64", &objdir2, &fd, &err);
	ok(objdir && objdir2 && strcmp(objdir, objdir2) != 0, "another source digest gets another dir");
	kernel_tree_objdir_unlock(fd);
	free(lock);
	free(objdir);
	free(objdir2);
	free(cache);
}

static void test_toolchain_memo(const char *root)
{
	struct error err = ERROR_INIT;
	struct kernel_toolchain tc = { 0 };
	char *memo = path_join(root, "toolchain");
	ok(kernel_toolchain_identify(memo, &tc, &err) == 0, "toolchain identified: %s", err.msg ? err.msg : "");
	ok(tc.compiler && strstr(tc.compiler, "gcc"), "compiler line: %s", tc.compiler ? tc.compiler : "");
	ok(tc.binutils && strstr(tc.binutils, "ld"), "binutils line: %s", tc.binutils ? tc.binutils : "");
	ok(tc.make && strstr(tc.make, "Make"), "make line: %s", tc.make ? tc.make : "");
	kernel_toolchain_release(&tc);
	/* rewrite the memo's gcc line: if it is used, no process runs and we read it back */
	struct buf text = BUF_INIT;
	read_file(memo, 1 << 20, &text, &err);
	char *tab = strrchr(strtok(text.data, "\n"), '\t');
	struct buf edited = BUF_INIT;
	buf_add(&edited, text.data, (size_t)(tab - text.data));
	buf_adds(&edited, "\tmemoized compiler\n");
	buf_adds(&edited, text.data + strlen(text.data) + 1);
	write_file_atomic(memo, edited.data, edited.len, 0644, &err);
	ok(kernel_toolchain_identify(memo, &tc, &err) == 0, "identified again");
	is_str(tc.compiler, "memoized compiler", "second call answers from the memo");
	kernel_toolchain_release(&tc);
	buf_release(&text);
	buf_release(&edited);
	free(memo);
}

int main(void)
{
	char root[] = "/tmp/mvbuild-ktree.XXXXXX";
	if (!mkdtemp(root))
		return 1;
	test_unpack(root);
	test_objdir_lock(root);
	test_toolchain_memo(root);
	remove_tree(root);
	return tap_done();
}
