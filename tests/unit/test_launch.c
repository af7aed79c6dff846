/*
 * test_launch: the launch configs as pure functions of a profile, against
 * golden files in tests/launch/golden/ (MVBUILD_UPDATE_GOLDEN=1 rewrites
 * them); profile validation errors; MAC derivation; the JSON reader on
 * what the writers produce; the KVM probe on fake /sys and /proc trees.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/accel.h"
#include "base/fileutil.h"
#include "base/json.h"
#include "launch/launch.h"
#include "recipe/recipe_validate.h"
#include "tap.h"
#include "base/util.h"
#include "cache/cache.h"
#include "cache/cache_layout.h"

static const char *digest_k = "1111111111111111111111111111111111111111111111111111111111111111";
static const char *digest_i = "2222222222222222222222222222222222222222222222222222222222222222";

static char *golden_path(const char *name)
{
	const char *repo = getenv("REPO_DIR");
	char *dir = repo ? path_join(repo, "tests/launch/golden") : xstrdup("tests/launch/golden");
	char *p = path_join(dir, name);
	free(dir);
	return p;
}

static void check_golden(const char *name, const char *got)
{
	char *path = golden_path(name);
	struct error err = ERROR_INIT;
	if (getenv("MVBUILD_UPDATE_GOLDEN"))
		write_file_atomic(path, got, strlen(got), 0644, &err);
	struct buf want = BUF_INIT;
	if (read_file(path, 1 << 20, &want, &err) < 0) {
		ok(0, "golden %s: %s", name, err.msg);
		error_release(&err);
	} else {
		is_str(got, want.data, "golden %s", name);
	}
	buf_release(&want);
	free(path);
}

static struct profile base_profile(void)
{
	struct profile p = { 0 };
	p.name = "default";
	p.mark = (struct mark){ "demo.yaml", 7, 3 };
	p.hypervisor = HV_QEMU;
	p.kernel = "microvm";
	p.image = "rootfs";
	p.mem = 128;
	p.cpus = 1;
	p.init = "/init";
	return p;
}

static void set_kernel(struct launch_spec *s, bool pvh, bool vmlinux, bool bzimage)
{
	s->kernel_pvh = pvh;
	s->has_vmlinux = vmlinux;
	s->has_bzimage = bzimage;
}

static void test_goldens(void)
{
	struct net_iface nets[2] = {
		{ .tap = "tap0", .mark = { "demo.yaml", 9, 5 } },
		{ .tap = "tap1", .mac = "52:54:00:12:34:56", .mark = { "demo.yaml", 10, 5 } },
	};
	struct option qopts[] = { { "tsc_early_khz", "2000000", { "demo.yaml", 11, 5 } },
				  { "machine", "x-option-roms=off", { "demo.yaml", 12, 5 } } };
	struct profile p = base_profile();
	p.cmdline = "quiet loglevel=3";
	p.net = nets;
	p.n_net = 2;
	p.qemu_opts = qopts;
	p.n_qemu_opts = 2;
	p.mem = 256;
	p.cpus = 2;
	struct launch_spec s;
	struct error err = ERROR_INIT;
	ok(launch_spec_from_profile(&s, "demo", &p, &err) == 0, "spec from profile (%s)",
	   err.msg ? err.msg : "ok");
	set_kernel(&s, true, true, true);
	ok(launch_spec_check(&s, &p, HV_QEMU, &err) == 0, "qemu check");
	ok(launch_spec_check(&s, &p, HV_FIRECRACKER, &err) == 0, "firecracker check");
	is_str(launch_qemu_kernel_output(&s), "vmlinux", "PVH kernel: qemu boots vmlinux");
	char *krel = cache_blob_relpath(digest_k), *irel = cache_blob_relpath(digest_i);
	char *root = cache_layout_root_from(CACHE_AREA_CAS);
	struct launch_ref k = { "vmlinux", digest_k, krel }, im = { "rootfs.ext4", digest_i, irel };
	struct buf b = BUF_INIT;
	launch_qemu_json(&s, &k, &im, NULL, &b);
	check_golden("qemu-net.json", b.data);
	struct json j;
	ok(json_parse(&j, b.data, b.len, &err) == 0, "qemu.json parses");
	const struct json *tcg = json_get(json_get(&j, "argv"), "tcg");
	ok(tcg && tcg->type == JSON_ARRAY && tcg->n > 10, "argv.tcg is an array");
	is_str(json_get_string(json_get(&j, "kernel"), "sha256"), digest_k, "kernel digest");
	json_release(&j);
	buf_reset(&b);
	launch_qemu_script(&s, &k, &im, NULL, root, &b);
	check_golden("qemu-net.sh", b.data);
	buf_reset(&b);
	launch_fc_json(&s, &b);
	check_golden("firecracker-net.json", b.data);
	ok(json_parse(&j, b.data, b.len, &err) == 0, "firecracker.json parses");
	json_release(&j);
	buf_release(&b);
	launch_spec_release(&s);
	free(krel);
	free(irel);
	free(root);
}

static void test_minimal(void)
{
	struct profile p = base_profile();
	p.init = NULL;
	struct launch_spec s;
	struct error err = ERROR_INIT;
	ok(launch_spec_from_profile(&s, NULL, &p, &err) == 0, "minimal profile");
	set_kernel(&s, false, true, true);
	is_str(launch_qemu_kernel_output(&s), "bzImage", "no PVH: qemu boots bzImage");
	struct launch_ref k = { .output = "bzImage", .digest = digest_k },
			  im = { .output = "rootfs.ext4", .digest = digest_i };
	struct buf b = BUF_INIT;
	launch_qemu_json(&s, &k, &im, NULL, &b);
	check_golden("qemu-minimal.json", b.data);
	buf_reset(&b);
	launch_fc_json(&s, &b);
	check_golden("firecracker-minimal.json", b.data);
	buf_release(&b);
	char *kvm = launch_qemu_cmdline(&s, ACCEL_KVM);
	is_str(kvm, "console=ttyS0 root=/dev/vda rw reboot=t", "bare qemu cmdline");
	free(kvm);
	launch_spec_release(&s);
}

/* a profile with an initrd and no image: no disk, no root=, init: is rdinit= */
static void test_initrd(void)
{
	struct profile p = base_profile();
	p.image = NULL;
	p.initrd = "initramfs";
	p.init = "/sbin/demo-init";
	struct launch_spec s;
	struct error err = ERROR_INIT;
	ok(launch_spec_from_profile(&s, "demo", &p, &err) == 0, "initrd-only profile");
	set_kernel(&s, true, true, true);
	ok(launch_spec_check(&s, &p, HV_FIRECRACKER, &err) == 0, "firecracker check");
	char *krel = cache_blob_relpath(digest_k), *rrel = cache_blob_relpath(digest_i);
	char *root = cache_layout_root_from(CACHE_AREA_CAS);
	struct launch_ref k = { "vmlinux", digest_k, krel },
			  rd = { "initramfs.cpio.gz", digest_i, rrel };
	struct buf b = BUF_INIT;
	launch_qemu_json(&s, &k, NULL, &rd, &b);
	check_golden("qemu-initrd.json", b.data);
	struct json j;
	ok(json_parse(&j, b.data, b.len, &err) == 0, "qemu.json parses");
	ok(!json_get(&j, "image"), "no image reference");
	is_str(json_get_string(json_get(&j, "initrd"), "sha256"), digest_i, "the initrd's digest");
	json_release(&j);
	buf_reset(&b);
	launch_qemu_script(&s, &k, NULL, &rd, root, &b);
	check_golden("qemu-initrd.sh", b.data);
	buf_reset(&b);
	launch_fc_json(&s, &b);
	check_golden("firecracker-initrd.json", b.data);
	ok(json_parse(&j, b.data, b.len, &err) == 0, "firecracker.json parses");
	is_str(json_get_string(json_get(&j, "boot-source"), "initrd_path"), LAUNCH_INITRD,
	       "firecracker: initrd_path");
	const struct json *drives = json_get(&j, "drives");
	ok(drives && drives->type == JSON_ARRAY && drives->n == 0, "firecracker: no drive");
	json_release(&j);
	/* a kernel that cannot unpack it: an error at the initrd's line, naming what it lacks */
	p.initrd_mark = (struct mark){ "demo.yaml", 8, 14 };
	s.kernel_initrd_missing = "RD_ZSTD";
	int r = launch_spec_check(&s, &p, HV_QEMU, &err);
	ok(r < 0 && err.kind == ERROR_USAGE && err.msg &&
	   !strcmp(err.msg, "demo.yaml:8:14: profile 'default': kernel 'microvm' cannot unpack "
		   "initrd 'initramfs': it lacks CONFIG_RD_ZSTD=y (recipes/kernel/initramfs.config "
		   "has what an initrd needs)"), "a kernel without the decompressor: %s",
	   err.msg ? err.msg : "(accepted)");
	error_release(&err);
	s.kernel_initrd_missing = NULL;
	char *line = launch_qemu_cmdline(&s, ACCEL_TCG);
	is_str(line, "console=ttyS0 reboot=t rdinit=/sbin/demo-init no_timer_check",
	       "qemu: no root=, rdinit=");
	free(line);
	line = launch_fc_cmdline(&s);
	ok(strstr(line, " rdinit=/sbin/demo-init") && !strstr(line, "root="), "firecracker: rdinit= (%s)",
	   line);
	free(line);
	launch_spec_release(&s);
	/* both: the initramfs's /init gets root= and init= to hand on */
	p.image = "rootfs";
	ok(launch_spec_from_profile(&s, "demo", &p, &err) == 0, "image and initrd");
	line = launch_qemu_cmdline(&s, ACCEL_TCG);
	is_str(line, "console=ttyS0 root=/dev/vda rw reboot=t init=/sbin/demo-init no_timer_check",
	       "with a disk too: root= and init=");
	free(line);
	launch_spec_release(&s);
	buf_release(&b);
	free(krel);
	free(rrel);
	free(root);
}

/* expect launch_spec_from_profile (and check for hv) to fail with a message containing want */
static void expect_bad_kernel(struct profile *p, enum hypervisor hv, bool pvh, bool vmlinux,
			      const char *want, const char *what)
{
	struct launch_spec s;
	struct error err = ERROR_INIT;
	int r = launch_spec_from_profile(&s, "demo", p, &err);
	if (r == 0) {
		set_kernel(&s, pvh, vmlinux, false);
		r = launch_spec_check(&s, p, hv, &err);
	}
	ok(r < 0 && err.kind == ERROR_USAGE && err.msg && strstr(err.msg, want), "%s: %s", what,
	   err.msg ? err.msg : "(accepted)");
	error_release(&err);
	launch_spec_release(&s);
}

static void expect_bad(struct profile *p, enum hypervisor hv, const char *want, const char *what)
{
	expect_bad_kernel(p, hv, true, true, want, what);
}

static void test_invalid(void)
{
	struct profile p = base_profile();
	p.cpus = 3;
	expect_bad(&p, HV_FIRECRACKER, "demo.yaml:7:3: profile 'default': cpus 3 must be 1 or an even number",
		   "firecracker odd vcpus");
	p.cpus = 34;
	expect_bad(&p, HV_FIRECRACKER, "up to 32", "firecracker 34 vcpus");
	p = base_profile();
	p.mem = 4;
	expect_bad(&p, HV_QEMU, "mem 4 MiB", "tiny mem");
	p = base_profile();
	struct net_iface bad_mac = { .tap = "tap0", .mac = "01:00:5e:00:00:01",
				     .mark = { "demo.yaml", 9, 5 } };
	p.net = &bad_mac;
	p.n_net = 1;
	expect_bad(&p, HV_QEMU, "demo.yaml:9:5: profile 'default': net 0: mac '01:00:5e:00:00:01'",
		   "multicast mac");
	struct net_iface long_tap = { .tap = "averyveryverylongtap", .mark = { "demo.yaml", 9, 5 } };
	p.net = &long_tap;
	expect_bad(&p, HV_QEMU, "must be a network interface name", "tap name too long");
	struct net_iface comma_tap = { .tap = "tap,0", .mark = { "demo.yaml", 9, 5 } };
	p.net = &comma_tap;
	expect_bad(&p, HV_QEMU, "must be a network interface name", "tap name with a comma");
	p = base_profile();
	struct option unknown = { "acel", "tcg", { "demo.yaml", 12, 7 } };
	p.qemu_opts = &unknown;
	p.n_qemu_opts = 1;
	expect_bad(&p, HV_QEMU, "demo.yaml:12:7: profile 'default': unknown qemu option 'acel'",
		   "unknown qemu option");
	struct option accel = { "accel", "hvf", { "demo.yaml", 12, 7 } };
	p.qemu_opts = &accel;
	expect_bad(&p, HV_QEMU, "not auto, kvm or tcg", "bad accel");
	struct option machine = { "machine", "x-option-roms=off,initrd=/etc/shadow", { "demo.yaml", 12, 7 } };
	p.qemu_opts = &machine;
	expect_bad(&p, HV_QEMU, "demo.yaml:12:7: profile 'default': qemu machine must be a "
		   "comma-separated list of KEY=VALUE", "machine property naming a host file");
	struct option tsc = { "tsc_early_khz", "1000 x", { "demo.yaml", 12, 7 } };
	p.qemu_opts = &tsc;
	expect_bad(&p, HV_QEMU, "qemu tsc_early_khz must be a frequency in kHz", "tsc_early_khz with words");
	struct option binary = { "binary", "./qemu", { "demo.yaml", 12, 7 } };
	p.qemu_opts = &binary;
	expect_bad(&p, HV_QEMU, "qemu binary must be a program name", "relative qemu binary");
	p = base_profile();
	p.cpus = 256;
	expect_bad(&p, HV_QEMU, "cpus 256 must be an integer from 1 to 255", "qemu 256 vcpus");
	p = base_profile();
	p.cmdline = "quiet\nrdinit=/bin/sh";
	expect_bad(&p, HV_QEMU, "cmdline must be one line", "cmdline with a newline");
	p = base_profile();
	p.init = "sbin/init";
	expect_bad(&p, HV_QEMU, "absolute path", "relative init");
	p = base_profile();
	expect_bad_kernel(&p, HV_QEMU, true, false, "neither bzImage nor", "qemu without a kernel image");
	expect_bad_kernel(&p, HV_QEMU, false, true, "without CONFIG_PVH", "qemu, vmlinux without PVH");
	expect_bad_kernel(&p, HV_FIRECRACKER, true, false, "only the uncompressed vmlinux",
			  "firecracker without vmlinux");
}

/* user-mode networking: hostfwd on 127.0.0.1, refused by Firecracker, one listener a port */
static void test_usernet(void)
{
	char *fw[] = { "tcp:2222:22", "udp:10.0.2.100:5353:53" }, *clash[] = { "tcp:8080:80",
										"tcp:8080:81" };
	struct net_iface nets[2] = {
		{ .user = true, .forwards = fw, .n_forwards = 2, .mark = { "demo.yaml", 9, 5 } },
		{ .tap = "tap0", .mark = { "demo.yaml", 10, 5 } },
	};
	struct profile p = base_profile();
	p.net = nets;
	p.n_net = 2;
	struct launch_spec s;
	struct error err = ERROR_INIT;
	ok(launch_spec_from_profile(&s, "demo", &p, &err) == 0, "user-mode spec (%s)",
	   err.msg ? err.msg : "ok");
	set_kernel(&s, true, true, true);
	is_str(s.nics[0].hostfwd[0], "tcp:127.0.0.1:2222-:22", "a forward listens on 127.0.0.1");
	is_str(s.nics[0].hostfwd[1], "udp:10.0.2.100:5353-:53", "unless it names an address");
	struct launch_ref k = { .output = "vmlinux", .digest = digest_k },
			  im = { .output = "rootfs.ext4", .digest = digest_i };
	struct buf b = BUF_INIT;
	launch_qemu_json(&s, &k, &im, NULL, &b);
	check_golden("qemu-usernet.json", b.data);
	buf_release(&b);
	ok(launch_spec_check(&s, &p, HV_FIRECRACKER, &err) < 0 &&
	   strstr(err.msg, "demo.yaml:9:5: profile 'default': net 0 is user-mode networking, which "
		  "Firecracker does not have"), "Firecracker refuses it: %s", err.msg);
	error_release(&err);
	ok(launch_needs_check(&s, &p, "CONFIG_VIRTIO_NET=y\n", &err) == 0, "virtio-net built in");
	ok(launch_needs_check(&s, &p, "CONFIG_PVH=y\nCONFIG_VIRTIO_NET=m\n", &err) < 0 &&
	   err.kind == ERROR_USAGE && !strcmp(err.msg, "demo.yaml:9:5: profile 'default': net 0 "
	   "(user-mode) needs CONFIG_VIRTIO_NET: requested y, got m in kernel 'microvm' (the "
	   "shipped fragment kernel/net.config sets it)"), "a module is not enough: %s", err.msg);
	error_release(&err);
	launch_spec_release(&s);
	nets[0].forwards = clash;
	expect_bad(&p, HV_QEMU, "demo.yaml:9:5: profile 'default': net 0: forward 'tcp:8080:81' "
		   "listens on a host port another forward has", "two forwards on one host port");
	char *port[] = { "tcp:2222:65536" };
	nets[0].forwards = port;
	nets[0].n_forwards = 1;
	expect_bad(&p, HV_QEMU, "forward 'tcp:2222:65536' must be a forward whose ports are from 1 "
		   "to 65535", "a port above 65535");
}

/* extra disks: -drive after the root, placeholders, qemu.sh's variables, Firecracker drives */
static void test_disks(void)
{
	struct profile_disk disks[3] = {
		{ .image = "data", .mark = { "demo.yaml", 14, 7 } },
		{ .image = "rootfs", .readonly = true, .mark = { "demo.yaml", 15, 7 } },
		{ .file = "scratch.img", .size = 1 << 30, .mark = { "demo.yaml", 16, 7 } },
	};
	struct profile p = base_profile();
	p.disks = disks;
	p.n_disks = 3;
	struct launch_spec s;
	struct error err = ERROR_INIT;
	ok(launch_spec_from_profile(&s, "demo", &p, &err) == 0, "disks spec (%s)",
	   err.msg ? err.msg : "ok");
	set_kernel(&s, true, true, true);
	s.disks[0].digest = s.disks[1].digest = digest_i;
	char *irel = cache_blob_relpath(digest_i), *root = cache_layout_root_from(CACHE_AREA_CAS);
	s.disks[0].relpath = s.disks[1].relpath = irel;
	struct launch_ref k = { "vmlinux", digest_k, irel }, im = { "rootfs.ext4", digest_i, irel };
	struct buf b = BUF_INIT;
	launch_qemu_json(&s, &k, &im, NULL, &b);
	check_golden("qemu-disks.json", b.data);
	struct json j;
	ok(json_parse(&j, b.data, b.len, &err) == 0, "qemu.json with disks parses");
	json_release(&j);
	buf_reset(&b);
	launch_qemu_script(&s, &k, &im, NULL, root, &b);
	check_golden("qemu-disks.sh", b.data);
	buf_reset(&b);
	ok(launch_spec_check(&s, &p, HV_FIRECRACKER, &err) == 0, "Firecracker takes disks");
	launch_fc_json(&s, &b);
	check_golden("firecracker-disks.json", b.data);
	ok(json_parse(&j, b.data, b.len, &err) == 0, "firecracker.json with disks parses");
	json_release(&j);
	buf_release(&b);
	ok(launch_needs_check(&s, &p, "CONFIG_VIRTIO_NET=y\n", &err) < 0 &&
	   !strcmp(err.msg, "demo.yaml:14:7: profile 'default': disk 0 needs CONFIG_VIRTIO_BLK: "
	   "requested y, got n in kernel 'microvm' (the shipped fragment kernel/base.config sets "
	   "it)"), "a disk needs virtio-blk: %s", err.msg);
	error_release(&err);
	launch_spec_release(&s);
	disks[2].size = 1000;
	expect_bad(&p, HV_QEMU, "demo.yaml:16:7: profile 'default': disk 2: size 1000 must be a "
		   "size from 1M", "a scratch disk below 1M");
	free(irel);
	free(root);
}

/* a squashfs root: read-only everywhere, and the kernel needs squashfs and its compressor */
static void test_squashfs_root(void)
{
	struct image img = { .name = "rootfs", .format = IMAGE_SQUASHFS, .compression = IMAGE_ZSTD };
	struct profile p = base_profile();
	p.image_ref = &img;
	p.image_mark = (struct mark){ "demo.yaml", 9, 12 };
	struct launch_spec s;
	struct error err = ERROR_INIT;
	ok(launch_spec_from_profile(&s, NULL, &p, &err) == 0, "squashfs root spec");
	set_kernel(&s, true, true, true);
	char *line = launch_qemu_cmdline(&s, ACCEL_KVM);
	is_str(line, "console=ttyS0 root=/dev/vda ro rootfstype=squashfs reboot=t init=/init",
	       "qemu mounts a squashfs root read-only");
	free(line);
	struct launch_argv a = { 0 };
	launch_qemu_argv(&s, ACCEL_KVM, &a);
	bool ro = false;
	for (size_t i = 0; i < a.n; i++)
		ro |= !strcmp(a.v[i], "id=root,file=${image},format=raw,if=none,readonly=on");
	ok(ro, "its qemu drive is read-only");
	launch_argv_release(&a);
	struct buf b = BUF_INIT;
	launch_fc_json(&s, &b);
	ok(strstr(b.data, "\"is_root_device\": true, \"is_read_only\": true") &&
	   strstr(b.data, "pci=off rootfstype=squashfs init=/init"),
	   "Firecracker: a read-only root drive, rootfstype=squashfs");
	buf_release(&b);
	ok(launch_needs_check(&s, &p, "CONFIG_SQUASHFS=y\nCONFIG_SQUASHFS_ZSTD=y\n", &err) == 0,
	   "squashfs and zstd built in: a squashfs root with zstd boots");
	ok(launch_needs_check(&s, &p, "CONFIG_SQUASHFS_ZSTD=y\n", &err) < 0 &&
	   !strcmp(err.msg, "demo.yaml:9:12: profile 'default': image 'rootfs' (squashfs, zstd) needs "
	   "CONFIG_SQUASHFS: requested y, got n in kernel 'microvm' (the shipped fragment "
	   "kernel/squashfs.config sets it)"), "no squashfs: %s", err.msg);
	error_release(&err);
	ok(launch_needs_check(&s, &p, "CONFIG_SQUASHFS=y\nCONFIG_SQUASHFS_XZ=y\n", &err) < 0 &&
	   strstr(err.msg, "needs CONFIG_SQUASHFS_ZSTD: requested y, got n"),
	   "no zstd for a zstd image: %s", err.msg);
	error_release(&err);
	launch_spec_release(&s);
	img.compression = IMAGE_GZIP;
	ok(launch_spec_from_profile(&s, NULL, &p, &err) == 0 &&
	   launch_needs_check(&s, &p, "CONFIG_SQUASHFS=y\n", &err) < 0 &&
	   strstr(err.msg, "(squashfs, gzip) needs CONFIG_SQUASHFS_ZLIB"), "gzip needs zlib: %s",
	   err.msg);
	error_release(&err);
	launch_spec_release(&s);
}

/* shares: -fsdev with security_model=none, read-only on request; Firecracker refuses them */
static void test_shares(void)
{
	struct profile_share shares[2] = {
		{ .host = { "out", ".", { "demo.yaml", 20, 7 } }, .tag = "out",
		  .mark = { "demo.yaml", 20, 7 } },
		{ .host = { "src,1", ".", { "demo.yaml", 21, 7 } }, .tag = "src", .readonly = true,
		  .mark = { "demo.yaml", 21, 7 } },
	};
	struct profile p = base_profile();
	p.shares = shares;
	p.n_shares = 2;
	struct launch_spec s;
	struct error err = ERROR_INIT;
	ok(launch_spec_from_profile(&s, "demo", &p, &err) == 0, "shares spec (%s)",
	   err.msg ? err.msg : "ok");
	set_kernel(&s, true, true, true);
	struct launch_ref k = { "vmlinux", digest_k, "k" }, im = { "rootfs.ext4", digest_i, "i" };
	struct buf b = BUF_INIT;
	launch_qemu_json(&s, &k, &im, NULL, &b);
	check_golden("qemu-shares.json", b.data);
	buf_reset(&b);
	launch_qemu_script(&s, &k, &im, NULL, "../../..", &b);
	ok(strstr(b.data, "share1=${MVBUILD_SHARE1:?set MVBUILD_SHARE1 to the host folder of tag "
		  "'src' (src,1 in the recipe tree)}") &&
	   strstr(b.data, "'local,id=share1,path='\"$share1_q\"',security_model=none,readonly=on'"),
	   "qemu.sh takes a share's folder from MVBUILD_SHAREn");
	buf_release(&b);
	ok(launch_spec_check(&s, &p, HV_FIRECRACKER, &err) < 0 &&
	   strstr(err.msg, "demo.yaml:20:7: profile 'default': Firecracker has no host folder shares"),
	   "Firecracker refuses shares: %s", err.msg);
	error_release(&err);
	ok(launch_needs_check(&s, &p, "CONFIG_NET_9P=y\nCONFIG_NET_9P_VIRTIO=y\n", &err) < 0 &&
	   !strcmp(err.msg, "demo.yaml:20:7: profile 'default': share 0 ('out') needs CONFIG_9P_FS: "
	   "requested y, got n in kernel 'microvm' (the shipped fragment kernel/shares.config sets "
	   "it)"), "a share needs 9p: %s", err.msg);
	error_release(&err);
	ok(launch_needs_check(&s, &p, "CONFIG_NET_9P=y\nCONFIG_NET_9P_VIRTIO=y\nCONFIG_9P_FS=y\n",
			      &err) == 0, "with 9p, virtio transport and the filesystem");
	launch_spec_release(&s);
}

/* the one MAC check, shared with the recipe loader */
static bool mac_valid(const char *mac)
{
	char *why = recipe_validate_mac(mac);
	bool valid = why == NULL;
	free(why);
	return valid;
}

static void test_mac(void)
{
	char a[LAUNCH_MAC_LEN], b[LAUNCH_MAC_LEN], c[LAUNCH_MAC_LEN];
	launch_mac_derive("demo", "default", 0, "tap0", a);
	launch_mac_derive("demo", "default", 0, "tap0", b);
	launch_mac_derive("demo", "other", 0, "tap0", c);
	is_str(a, b, "derived MAC is deterministic");
	ok(strcmp(a, c) != 0, "another profile gets another MAC");
	ok(mac_valid(a), "derived MAC is a valid unicast MAC (%s)", a);
	unsigned first = (unsigned)strtoul(a, NULL, 16);
	ok((first & 3) == 2, "locally administered, unicast");
	ok(!mac_valid("02:00:00:00:00"), "short MAC rejected");
	ok(!mac_valid("03:00:00:00:00:00"), "multicast MAC rejected");
}

static void test_json_reader(void)
{
	struct json j;
	struct error err = ERROR_INIT;
	const char *text = "{\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"]}";
	ok(json_parse(&j, text, strlen(text), &err) == 0, "json parses");
	const struct json *a = json_get(&j, "a");
	ok(a && a->n == 6 && a->items[1].number == -2500 && a->items[2].boolean &&
	   !a->items[3].boolean && a->items[4].type == JSON_NULL, "json values");
	is_str(a ? a->items[5].string : NULL, "x\xc3\xa9\xf0\x9f\x98\x80\n", "json escapes");
	json_release(&j);
	static const char *const bad[] = { "{", "[1,]", "{\"a\" 1}", "\"\\x\"", "01x", "[1] 2",
					   "\"\\ud800\"", "\"a\nb\"" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ok(json_parse(&j, bad[i], strlen(bad[i]), &err) < 0, "json rejects %zu", i);
		error_release(&err);
	}
	struct buf deep = BUF_INIT;
	for (int i = 0; i < 100; i++)
		buf_addc(&deep, '[');
	ok(json_parse(&j, deep.data, deep.len, &err) < 0 && strstr(err.msg, "deeply"),
	   "json depth bounded");
	error_release(&err);
	buf_release(&deep);
	struct buf b = BUF_INIT;
	json_add_string(&b, "q\"b\\\x01\t");
	is_str(b.data, "\"q\\\"b\\\\\\u0001\\t\"", "json escaper");
	buf_release(&b);
}

static void test_accel(void)
{
	char dir[] = "/tmp/mvbuild-accel.XXXXXX";
	ok(mkdtemp(dir) != NULL, "scratch dir");
	char *mods = path_join(dir, "module"), *cpuinfo = path_join(dir, "cpuinfo");
	char *pvm = path_join(mods, "kvm_pvm"), *fake_kvm = path_join(dir, "kvm");
	mkdir(mods, 0755);
	struct error err = ERROR_INIT;
	write_file_atomic(cpuinfo, "flags\t\t: fpu vme vmx sse\n", 26, 0644, &err);
	struct accel_probe pr;
	struct accel_paths paths = { "/nonexistent/kvm", mods, cpuinfo };
	accel_probe(&pr, &paths);
	ok(!pr.kvm_usable && strstr(pr.reason, "no /nonexistent/kvm"), "no kvm: %s", pr.reason);
	write_file_atomic(fake_kvm, "", 0, 0644, &err);
	paths.dev_kvm = fake_kvm;
	accel_probe(&pr, &paths);
	ok(!pr.kvm_usable && strstr(pr.reason, "KVM_GET_API_VERSION"), "not a kvm device: %s",
	   pr.reason);
	if (access("/dev/kvm", R_OK | W_OK) == 0) {
		paths.dev_kvm = "/dev/kvm";
		accel_probe(&pr, &paths);
		ok(pr.kvm_usable, "real /dev/kvm, no pvm, vmx: usable (%s)", pr.reason);
		mkdir(pvm, 0755);
		accel_probe(&pr, &paths);
		ok(!pr.kvm_usable && strstr(pr.reason, "nested kvm_pvm backend"), "kvm_pvm: %s",
		   pr.reason);
		rmdir(pvm);
		write_file_atomic(cpuinfo, "flags\t\t: fpu vme sse\n", 22, 0644, &err);
		accel_probe(&pr, &paths);
		ok(!pr.kvm_usable && strstr(pr.reason, "no vmx/svm"), "no vmx: %s", pr.reason);
	} else {
		printf("ok %d - real /dev/kvm probes # SKIP no usable /dev/kvm node\n", ++tap_count);
	}
	accel_probe(&pr, NULL);
	printf("# this host: %s\n", pr.reason);
	remove_tree(dir);
	free(mods);
	free(cpuinfo);
	free(pvm);
	free(fake_kvm);
}

int main(void)
{
	test_goldens();
	test_minimal();
	test_initrd();
	test_invalid();
	test_usernet();
	test_disks();
	test_squashfs_root();
	test_shares();
	test_mac();
	test_json_reader();
	test_accel();
	return tap_done();
}
