/*
 * test_run: the run module with real processes: placeholder substitution,
 * the run directory (sparse copy, persistence, the lock), and the
 * supervisor (exit status, a KVM failure on the console stops a spinning
 * child, SIGTERM to mvbuild stops the child, the child dies with its parent).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "run/run.h"
#include "run/run_variant.h"
#include "tap.h"
#include "base/util.h"

static void test_substitute(void)
{
	char *args[] = { xstrdup("${kernel}"), xstrdup("id=root,file=${image},format=raw"),
			 xstrdup("plain") };
	struct run_paths paths = { "/k,1/vmlinux", "/r,un/root.ext4", NULL };
	run_substitute_argv(args, 3, &paths);
	is_str(args[0], "/k,1/vmlinux", "an exact placeholder takes the path as is");
	is_str(args[1], "id=root,file=/r,,un/root.ext4,format=raw", "embedded: commas doubled");
	is_str(args[2], "plain", "other arguments unchanged");
	for (int i = 0; i < 3; i++)
		free(args[i]);
	struct run_paths jpaths = { "/a\"b", "/c", NULL };
	char *j = run_substitute_json("{\"k\": \"${kernel}\", \"i\": \"${image}\"}", &jpaths);
	is_str(j, "{\"k\": \"/a\\\"b\", \"i\": \"/c\"}", "JSON placeholders become JSON strings");
	free(j);
	/* an initrd-only profile: no image, the initrd read from the cache */
	char *iargs[] = { xstrdup("-initrd"), xstrdup("${initrd}"), xstrdup("x=${image}") };
	struct run_paths ipaths = { "/k", NULL, "/c,1/initramfs.cpio.gz" };
	run_substitute_argv(iargs, 3, &ipaths);
	is_str(iargs[1], "/c,1/initramfs.cpio.gz", "the initrd placeholder takes its path as is");
	is_str(iargs[2], "x=${image}", "a placeholder with no path is left as it is");
	for (int i = 0; i < 3; i++)
		free(iargs[i]);
	j = run_substitute_json("{\"initrd_path\": \"${initrd}\", \"k\": \"${kernel}\"}", &ipaths);
	is_str(j, "{\"initrd_path\": \"/c,1/initramfs.cpio.gz\", \"k\": \"/k\"}",
	       "the initrd in a JSON config");
	free(j);
	char *d[] = { xstrdup("id=disk1,file=${disk1},format=raw"), xstrdup("${disk1}"),
		      xstrdup("${disk10}") };
	run_substitute_placeholder(d, 3, "${disk1}", "/r,d/image-data.ext4");
	is_str(d[0], "id=disk1,file=/r,,d/image-data.ext4,format=raw", "a disk: commas doubled");
	is_str(d[1], "/r,d/image-data.ext4", "an exact disk placeholder as is");
	is_str(d[2], "${disk10}", "${disk10} is not ${disk1}");
	for (int i = 0; i < 3; i++)
		free(d[i]);
	j = run_substitute_json_placeholder("[\"${disk0}\", \"${disk0}x\"]", "${disk0}", "/a\"");
	is_str(j, "[\"/a\\\"\", \"${disk0}x\"]", "a disk in JSON: only the whole string");
	free(j);
}

/* --forward: onto the first user-mode NIC, else a new one after the others */
static void test_variant_forwards(void)
{
	char *fw[] = { "tcp:2222:22" };
	struct net_iface nets[2] = { { .tap = "tap0" }, { .user = true, .forwards = fw,
							  .n_forwards = 1 } };
	struct profile p = { .name = "p", .net = nets, .n_net = 2 };
	struct run_overrides o = { .forwards = { "tcp:8080:80", "udp:5353:53" }, .n_forwards = 2 };
	struct run_variant v;
	run_variant_init(&v, &p, &o);
	ok(v.profile.n_net == 2 && v.profile.net[1].n_forwards == 3 &&
	   !strcmp(v.profile.net[1].forwards[0], "tcp:2222:22") &&
	   !strcmp(v.profile.net[1].forwards[2], "udp:5353:53"), "added to the user-mode NIC");
	ok(nets[1].n_forwards == 1 && nets[1].forwards == fw, "the recipe's profile is untouched");
	run_variant_release(&v);
	p.n_net = 1;
	run_variant_init(&v, &p, &o);
	ok(v.profile.n_net == 2 && !strcmp(v.profile.net[0].tap, "tap0") && v.profile.net[1].user &&
	   v.profile.net[1].n_forwards == 2 && !strcmp(v.profile.net[1].mark.file,
	   "command-line option --forward"), "a tap profile gains a user-mode NIC");
	run_variant_release(&v);
}

/* extra disks in run directories, and --reset */
static void test_run_disks(const char *dir, const char *src)
{
	struct run_dir rd;
	struct error err = ERROR_INIT;
	char *copy = NULL, *scratch = NULL;
	struct stat st;
	ok(run_dir_prepare(&rd, dir, "rid", "q", false, src, "d1", &err) == 0 &&
	   run_dir_disk(&rd, "data", src, "d1", 0, &copy, &err) == 0 &&
	   run_dir_disk(&rd, "s.img", NULL, NULL, 3 << 20, &scratch, &err) == 0, "one-run disks");
	ok(stat(copy, &st) == 0 && st.st_size == 64 << 20 && access(copy, W_OK) == 0,
	   "an image disk is a writable copy");
	ok(stat(scratch, &st) == 0 && st.st_size == 3 << 20 && st.st_blocks == 0,
	   "a scratch disk is sparse and of its size");
	ok(str_startswith(copy, rd.path) && str_startswith(scratch, rd.path), "both in the run dir");
	run_dir_release(&rd);
	ok(access(copy, F_OK) != 0 && access(scratch, F_OK) != 0, "and gone with it");
	free(copy);
	free(scratch);

	ok(run_dir_prepare(&rd, dir, "rid", "q", true, src, "d1", &err) == 0 &&
	   run_dir_disk(&rd, "s.img", NULL, NULL, 3 << 20, &scratch, &err) == 0, "persistent disk");
	int fd = open(scratch, O_WRONLY);
	pwrite(fd, "kept", 4, 0);
	close(fd);
	ok(run_dir_reset(dir, "rid", "q", &err) < 0 && strstr(err.msg, "already running"),
	   "--reset is refused while the VM runs");
	error_release(&err);
	run_dir_release(&rd);
	free(scratch);
	ok(run_dir_prepare(&rd, dir, "rid", "q", true, src, "d1", &err) == 0 &&
	   run_dir_disk(&rd, "s.img", NULL, NULL, 3 << 20, &scratch, &err) == 0 && rd.reused,
	   "persistent copies kept across runs");
	char head[5] = { 0 };
	fd = open(scratch, O_RDONLY);
	pread(fd, head, 4, 0);
	close(fd);
	is_str(head, "kept", "the scratch disk keeps the guest's writes");
	run_dir_release(&rd);
	ok(run_dir_reset(dir, "rid", "q", &err) == 0 && access(scratch, F_OK) != 0, "--reset "
	   "empties the persistent directory");
	ok(run_dir_prepare(&rd, dir, "rid", "q", true, src, "d1", &err) == 0 && !rd.reused,
	   "and the next run starts from a fresh copy");
	run_dir_release(&rd);
	ok(run_dir_reset(dir, "rid", "none", &err) == 0, "--reset without a kept directory: nothing");
	free(scratch);
}

static void test_run_dir(const char *dir)
{
	char *src = path_join(dir, "src.img");
	int fd = open(src, O_WRONLY | O_CREAT, 0644);
	ftruncate(fd, 64 << 20);
	pwrite(fd, "data", 4, 1 << 20);
	close(fd);
	chmod(src, 0444);
	struct run_dir rd, rd2;
	struct error err = ERROR_INIT;
	ok(run_dir_prepare(&rd, dir, "rid", "p", false, src, "d1", &err) == 0, "one-run dir");
	struct stat st;
	ok(stat(rd.image, &st) == 0 && st.st_size == 64 << 20 && st.st_blocks * 512 < (1 << 20),
	   "the copy is sparse (%lld blocks)", (long long)st.st_blocks);
	ok(access(rd.image, W_OK) == 0, "the copy is writable");
	char *path = xstrdup(rd.path);
	run_dir_release(&rd);
	ok(access(path, F_OK) != 0, "one-run dir removed");
	free(path);

	ok(run_dir_prepare(&rd, dir, "rid", "p", true, src, "d1", &err) == 0 && !rd.reused,
	   "persistent dir created");
	ok(run_dir_prepare(&rd2, dir, "rid", "p", true, src, "d1", &err) < 0 &&
	   strstr(err.msg, "already running"), "a second run of a persistent profile is refused");
	error_release(&err);
	fd = open(rd.image, O_WRONLY);
	pwrite(fd, "guest", 5, 0);
	close(fd);
	run_dir_release(&rd);
	ok(run_dir_prepare(&rd, dir, "rid", "p", true, src, "d1", &err) == 0 && rd.reused,
	   "persistent copy reused");
	char head[6] = { 0 };
	fd = open(rd.image, O_RDONLY);
	pread(fd, head, 5, 0);
	close(fd);
	is_str(head, "guest", "the guest's writes survive");
	run_dir_release(&rd);
	ok(run_dir_prepare(&rd, dir, "rid", "p", true, src, "d2", &err) == 0 && !rd.reused,
	   "a rebuilt image replaces the persistent copy");
	run_dir_release(&rd);
	/* an initrd-only profile: a run directory with no disk in it */
	ok(run_dir_prepare(&rd, dir, "rid", "ram", false, NULL, NULL, &err) == 0 && !rd.image &&
	   access(rd.path, F_OK) == 0, "no image: a run directory without a copy");
	path = xstrdup(rd.path);
	run_dir_release(&rd);
	ok(access(path, F_OK) != 0, "and it goes after the run");
	free(path);
	test_run_disks(dir, src);
	free(src);
}

static int supervise(char **argv, struct run_result *res)
{
	struct run_spec spec = { argv, "test", NULL };
	struct error err = ERROR_INIT;
	int r = run_supervise(&spec, res, &err);
	error_release(&err);
	return r;
}

static void test_supervise(void)
{
	struct run_result res;
	char *exit3[] = { "sh", "-c", "echo console line; exit 3", NULL };
	ok(supervise(exit3, &res) == 0 && res.status == 3 && !res.kvm_failure,
	   "exit status passed on");
	char *spin[] = { "sh", "-c", "trap '' TERM; echo 'KVM internal error. Suberror: 1' >&2; "
			 "while :; do sleep 1; done", NULL };
	double t0 = now_monotonic();
	int r = supervise(spin, &res);
	ok(r == 0 && res.kvm_failure && res.status == 128 + SIGKILL,
	   "a KVM internal error stops a child that ignores SIGTERM (r %d, kvm %d, status %d)",
	   r, res.kvm_failure, res.status);
	ok(now_monotonic() - t0 < 10, "within the grace period");
	char *missing[] = { "/nonexistent/qemu", NULL };
	ok(supervise(missing, &res) == 0 && res.status == 127, "a missing program exits 127");
}

/* mvbuild (a forked child here) is killed: its VM must not survive it */
static void test_no_orphans(const char *dir)
{
	char *pidfile = path_join(dir, "vm.pid");
	char *script = xasprintf("echo $$ > %s; exec sleep 60", pidfile);
	pid_t mv = fork();
	if (mv == 0) {
		char *argv[] = { "sh", "-c", script, NULL };
		struct run_result res;
		supervise(argv, &res);
		_exit(0);
	}
	pid_t vm = 0;
	for (int i = 0; i < 100 && vm <= 0; i++) {
		usleep(50000);
		struct buf b = BUF_INIT;
		struct error err = ERROR_INIT;
		if (read_file(pidfile, 64, &b, &err) == 0 && b.len > 1)
			vm = atoi(b.data);
		error_release(&err);
		buf_release(&b);
	}
	ok(vm > 0, "the child started");
	kill(mv, SIGTERM);
	int status;
	waitpid(mv, &status, 0);
	ok(WIFEXITED(status), "SIGTERM to the supervisor: it stops the child and exits");
	usleep(200000);
	ok(vm > 0 && kill(vm, 0) < 0, "the child is gone after SIGTERM");

	unlink(pidfile);
	vm = 0;
	mv = fork();
	if (mv == 0) {
		char *argv[] = { "sh", "-c", script, NULL };
		struct run_result res;
		supervise(argv, &res);
		_exit(0);
	}
	for (int i = 0; i < 100 && vm <= 0; i++) {
		usleep(50000);
		struct buf b = BUF_INIT;
		struct error err = ERROR_INIT;
		if (read_file(pidfile, 64, &b, &err) == 0 && b.len > 1)
			vm = atoi(b.data);
		error_release(&err);
		buf_release(&b);
	}
	kill(mv, SIGKILL);
	waitpid(mv, &status, 0);
	bool gone = false;
	for (int i = 0; i < 40 && !gone; i++) {
		usleep(50000);
		/* the orphan is reparented to init (or a subreaper) and reaped there */
		gone = kill(vm, 0) < 0;
		if (!gone)
			waitpid(vm, NULL, WNOHANG);
	}
	ok(vm > 0 && gone, "SIGKILL to the supervisor: the child dies too (PR_SET_PDEATHSIG)");
	free(script);
	free(pidfile);
}

int main(void)
{
	char dir[] = "/tmp/mvbuild-run.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	test_substitute();
	test_run_dir(dir);
	test_variant_forwards();
	test_supervise();
	test_no_orphans(dir);
	remove_tree(dir);
	return tap_done();
}
