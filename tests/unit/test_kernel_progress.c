/*
 * Unit tests for kernel_progress: the status text (totals, ETA in seconds
 * and minutes, incremental builds) and the object-count file of an object
 * directory and its siblings, in a real temp directory.  No kernel is built.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "kernel/kernel_progress.h"
#include "tap.h"
#include "base/util.h"

static const char *fmt(unsigned done, unsigned total, bool incremental, double elapsed)
{
	static char buf[96];
	kernel_progress_format(buf, sizeof(buf), done, total, incremental, elapsed);
	return buf;
}

static void test_format(void)
{
	is_str(fmt(412, 780, false, 200), "412/~780 objects, ETA 3 min",
	       "a known total: done/~total and the ETA in minutes");
	is_str(fmt(400, 500, false, 160), "400/~500 objects, ETA 40 s", "an ETA under a minute in seconds");
	is_str(fmt(5, 780, false, 2), "5/~780 objects", "too few objects for an ETA");
	is_str(fmt(800, 780, false, 300), "800/~780 objects", "past the estimate: no ETA");
	is_str(fmt(412, 0, false, 31.2), "412 objects compiled, 31 s", "no total: a count and the time");
	is_str(fmt(37, 780, true, 4), "37 objects recompiled, 4 s",
	       "an incremental build shows no total");
}

static void mkdirs(const char *path)
{
	struct error err = ERROR_INIT;
	mkdir_p(path, 0755, &err);
	error_release(&err);
}

static void test_count_file(void)
{
	char tmpl[] = "/tmp/test_kernel_progress.XXXXXX";
	char *root = mkdtemp(tmpl);
	char *a = path_join(root, "microvm-0123456789ab");
	char *b = path_join(root, "other-0123456789ab");
	char *c = path_join(root, "third-ffffffffffff");
	mkdirs(a);
	mkdirs(b);
	mkdirs(c);
	ok(kernel_progress_estimate(a, "allnoconfig") == 0, "no record anywhere: no total");
	ok(kernel_progress_cold(a), "an object dir without init/main.o is cold");

	kernel_progress_record(b, "allnoconfig", 2431);
	ok(kernel_progress_estimate(a, "allnoconfig") == 2431,
	   "a sibling of the same source and arch gives the estimate");
	ok(kernel_progress_estimate(a, "defconfig") == 0, "a sibling with another base does not");
	ok(kernel_progress_estimate(c, "allnoconfig") == 0, "another source's directory is no sibling");

	kernel_progress_record(a, "allnoconfig", 780);
	ok(kernel_progress_estimate(a, "allnoconfig") == 780, "the directory's own record comes first");
	char *file = path_join(a, "mvbuild-objects");
	struct buf text = BUF_INIT;
	struct error err = ERROR_INIT;
	ok(read_file(file, 100, &text, &err) == 0 && strcmp(text.data, "780 allnoconfig\n") == 0,
	   "the file is one line, COUNT BASE");

	char *init = path_join(a, "init");
	mkdirs(init);
	char *main_o = path_join(init, "main.o");
	write_file_atomic(main_o, "", 0, 0644, &err);
	ok(!kernel_progress_cold(a), "with init/main.o the build is incremental");

	error_release(&err);
	buf_release(&text);
	remove_tree(root);
	free(main_o);
	free(init);
	free(file);
	free(a);
	free(b);
	free(c);
}

int main(void)
{
	test_format();
	test_count_file();
	return tap_done();
}
