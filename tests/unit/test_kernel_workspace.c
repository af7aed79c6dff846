/*
 * Unit tests for kernel_workspace: opening a kernel's source tree and
 * locked object directory and configuring it, the setup the kernel builder
 * and `mvbuild kernel menuconfig` share.  The source is a tiny fake tree
 * whose Makefile answers `allnoconfig` by copying KCONFIG_ALLCONFIG to
 * .config, so Kconfig's input can be checked without compiling anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "kernel/kernel_workspace.h"
#include "tap.h"

static const char *digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* ROOT/linux.tar.xz holding linux-9.9/Makefile, the fake kbuild */
static void make_tarball(const char *root)
{
	char *cmd = xasprintf("mkdir -p %s/in/linux-9.9 && printf 'allnoconfig:\\n"
			      "\\tcp $(KCONFIG_ALLCONFIG) $(O)/.config\\n' > %s/in/linux-9.9/Makefile"
			      " && tar -C %s/in -cJf %s/linux.tar.xz linux-9.9", root, root, root, root);
	ok(system(cmd) == 0, "made a fake source tarball");
	free(cmd);
}

/* a recipe kernel on allnoconfig with one inline value and the given fragments */
static struct kernel fake_kernel(struct recipe_path *fragments, size_t n_fragments)
{
	static struct kconfig_value value = { "CONFIG_PRINTK_TIME", "y", { "mvbuild.yaml", 9, 5 } };
	return (struct kernel){
		.name = "demo", .mark = { "mvbuild.yaml", 3, 3 }, .source = "linux",
		.base = KBASE_ALLNOCONFIG, .fragments = fragments, .n_fragments = n_fragments,
		.config = &value, .n_config = 1, .arch = "x86_64", .strict = true,
	};
}

static void test_open_configure(const char *root)
{
	struct error err = ERROR_INIT;
	char *cache = path_join(root, "cache");
	char *tarball = path_join(root, "linux.tar.xz");
	struct kernel k = fake_kernel(NULL, 0);
	struct kernel_workspace w;
	kernel_workspace_init(&w, &k, 1, NULL, "kernel:demo");
	ok(w.lock_fd == -1 && w.make.log_fd == -1 && !w.srcdir, "init opens nothing");
	ok(kernel_workspace_open(&w, cache, tarball, digest, &err) == 0, "opens: %s",
	   err.msg ? err.msg : "");
	char *want = xasprintf("%s/src/%s", cache, digest);
	is_str(w.srcdir, want, "source tree under src/DIGEST");
	ok(w.objdir && strstr(w.objdir, "/kbuild/demo-"), "object dir is kbuild/NAME-HEX: %s",
	   w.objdir ? w.objdir : "");
	ok(w.make.srcdir == w.srcdir && w.make.objdir == w.objdir && !strcmp(w.make.arch, "x86_64"),
	   "make runs over the tree and the object dir");
	char *lock = xasprintf("%s.lock", w.objdir ? w.objdir : "");
	int other = open(lock, O_RDWR | O_CLOEXEC);
	ok(other >= 0 && flock(other, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK,
	   "the object dir is locked while open");

	ok(kernel_workspace_configure(&w, &err) == 0, "configures: %s", err.msg ? err.msg : "");
	const struct kconf_entry *e = kernel_config_get(&w.request, "CONFIG_PRINTK_TIME");
	ok(e && !strcmp(e->value, "y") && e->where && !strcmp(e->where, "config mvbuild.yaml:9"),
	   "the request holds the inline value with where it was written");
	struct kconf final = KCONF_INIT;
	ok(kernel_workspace_load_config(&w, &final, &err) == 0, "reads .config back");
	is_str(kernel_config_value(&final, "CONFIG_PRINTK_TIME"), "y",
	       "Kconfig was handed the merged request");
	is_str(w.make.base, "allnoconfig", "the base is recorded for progress");
	char *log = path_join(w.objdir ? w.objdir : "", "build.log");
	ok(w.make.log_fd >= 0 && access(log, F_OK) == 0, "the build log is open in the object dir");

	kernel_workspace_release(&w);
	ok(w.lock_fd == -1 && !w.srcdir && !w.objdir && w.request.n == 0, "release frees everything");
	ok(other >= 0 && flock(other, LOCK_EX | LOCK_NB) == 0, "release unlocks the object dir");
	if (other >= 0)
		close(other);
	kernel_config_release(&final);
	error_release(&err);
	free(log);
	free(lock);
	free(want);
	free(tarball);
	free(cache);
}

static void test_errors(const char *root)
{
	struct error err = ERROR_INIT;
	char *cache = path_join(root, "cache");
	char *missing = path_join(root, "missing.tar.xz");
	struct recipe_path frag = { "kernel/absent.config", (char *)root, { "mvbuild.yaml", 7, 7 } };
	struct kernel k = fake_kernel(&frag, 1);
	struct kernel_workspace w;
	kernel_workspace_init(&w, &k, 1, NULL, "kernel:demo");
	ok(kernel_workspace_open(&w, cache, missing, "ff", &err) < 0 && err.msg &&
	   strstr(err.msg, "cannot unpack"), "a missing tarball is an error naming it");
	kernel_workspace_release(&w);
	error_release(&err);

	kernel_workspace_init(&w, &k, 1, NULL, "kernel:demo");
	ok(kernel_workspace_open(&w, cache, missing, digest, &err) == 0,
	   "an unpacked tree needs no tarball: %s", err.msg ? err.msg : "");
	ok(kernel_workspace_configure(&w, &err) < 0 && err.msg &&
	   strstr(err.msg, "fragment 'kernel/absent.config'"),
	   "a missing fragment stops configuring, named");
	kernel_workspace_release(&w);
	error_release(&err);
	free(missing);
	free(cache);
}

int main(void)
{
	char root[] = "/tmp/mvbuild-kworkspace.XXXXXX";
	if (!mkdtemp(root))
		return 1;
	make_tarball(root);
	test_open_configure(root);
	test_errors(root);
	remove_tree(root);
	return tap_done();
}
