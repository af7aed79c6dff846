/*
 * launch_qemu: the qemu -M microvm launch of a profile, as a pure function
 * of its launch_spec and the accelerator.
 *
 * Machine options follow the accelerator.  Under KVM the legacy devices go
 * (pit=off,pic=off,rtc=off; the guest keeps time with kvmclock) and the
 * vCPU is the host's.  Under TCG the guest needs them: measured here, with
 * pit=off or pic=off a TCG guest hangs calibrating its clock, and rtc=off
 * adds a random 1 s stall while the kernel polls the absent CMOS clock.
 * ACPI is off in both: the kernel then finds its virtio-mmio devices on
 * the command line that qemu appends (CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES).
 * The uncompressed vmlinux (PVH entry) boots about 80 ms faster than
 * bzImage under TCG, so it is preferred when the kernel has CONFIG_PVH.
 *
 * qemu.json (output of the launch builder), format version 1:
 *   { "mvbuild_launch": 1, "profile": NAME, "hypervisor": "qemu"|"firecracker",
 *     "kernel": { "output": "vmlinux", "sha256": HEX },
 *     "image":  { "output": "rootfs.ext4", "sha256": HEX },        (with an image;
 *                                      "rootfs.squashfs" for a read-only root)
 *     "initrd": { "output": "initramfs.cpio.gz", "sha256": HEX },  (with an initrd)
 *     "persist": BOOL, "accel": "auto"|"kvm"|"tcg",
 *     "disks": [ { "image": NAME, "output": "rootfs.ext4", "sha256": HEX,
 *                  "readonly": BOOL } | { "file": NAME, "size": BYTES } ],  (when any)
 *     "shares": [ { "host": DIR, "tag": TAG, "readonly": BOOL } ],       (when any)
 *     "argv": { "kvm": [ARG...], "tcg": [ARG...] } }
 * The arguments hold the placeholders ${kernel}, ${image}, ${initrd},
 * ${diskN} and ${shareN} (disks[N], shares[N]; -initrd ${initrd}; no root
 * -drive without an image): an argument
 * that is exactly a placeholder takes the path as is; inside a longer
 * argument (file=${image},format=raw) the path's commas are doubled, as
 * qemu's option syntax requires.  argv[0] is "qemu-system-x86_64"; under
 * KVM `run` prefers the reduced qemu-system-x86_64-microvm binary when it
 * is installed (it has no TCG, so never under TCG).
 */
#include "launch/launch.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"

static const char *const accel_choice_names[] = {
	[ACCEL_AUTO] = "auto", [ACCEL_WANT_KVM] = "kvm", [ACCEL_WANT_TCG] = "tcg",
};

const char *launch_qemu_kernel_output(const struct launch_spec *spec)
{
	if (spec->has_vmlinux && (spec->kernel_pvh || !spec->has_bzimage))
		return "vmlinux";
	return "bzImage";
}

char *launch_qemu_cmdline(const struct launch_spec *spec, enum accel a)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "console=ttyS0");
	if (spec->has_image)
		buf_addf(&b, " %s", launch_root_args(spec));
	buf_adds(&b, " reboot=t");
	if (spec->init)
		buf_addf(&b, " %s=%s", launch_init_param(spec), spec->init);
	/*
	 * Under TCG the kernel's check that the IO-APIC timer ticks runs against
	 * emulated time: on a loaded host the ticks come late and the guest panics
	 * ("IO-APIC + timer doesn't work", seen with the suite running alongside a
	 * kernel build).  The timer does work (pit=on), so TCG skips the check;
	 * KVM has no PIT at all here.
	 */
	if (a == ACCEL_TCG)
		buf_adds(&b, " no_timer_check");
	/* only TCG calibrates the TSC against the emulated PIT; KVM has kvmclock */
	if (a == ACCEL_TCG && spec->tsc_early_khz)
		buf_addf(&b, " tsc_early_khz=%s", spec->tsc_early_khz);
	if (spec->cmdline && *spec->cmdline)
		buf_addf(&b, " %s", spec->cmdline);
	return buf_detach(&b);
}

static void add_machine(const struct launch_spec *spec, enum accel a, struct launch_argv *out)
{
	const char *extra = spec->qemu_machine ? spec->qemu_machine : "";
	const char *sep = spec->qemu_machine ? "," : "";
	launch_argv_add(out, "-M");
	if (a == ACCEL_KVM) {
		launch_argv_addf(out, "microvm,acpi=off,pit=off,pic=off,rtc=off%s%s", sep, extra);
		launch_argv_add(out, "-enable-kvm");
		launch_argv_add(out, "-cpu");
		launch_argv_add(out, "host");
	} else {
		launch_argv_addf(out, "microvm,acpi=off,pit=on,pic=on,rtc=on%s%s", sep, extra);
		launch_argv_add(out, "-accel");
		launch_argv_add(out, "tcg");
	}
}

static void add_devices(const struct launch_spec *spec, struct launch_argv *out)
{
	if (spec->has_image) {
		launch_argv_add(out, "-drive");
		launch_argv_add(out, spec->root_squashfs
				? "id=root,file=" LAUNCH_IMAGE ",format=raw,if=none,readonly=on"
				: "id=root,file=" LAUNCH_IMAGE ",format=raw,if=none");
		launch_argv_add(out, "-device");
		launch_argv_add(out, "virtio-blk-device,drive=root");
	}
	/* after the root, so the root stays /dev/vda and the extra disks follow in order */
	for (size_t i = 0; i < spec->n_disks; i++) {
		launch_argv_add(out, "-drive");
		launch_argv_addf(out, "id=disk%zu,file=" LAUNCH_DISK_FMT ",format=raw,if=none%s", i, i,
				 spec->disks[i].readonly ? ",readonly=on" : "");
		launch_argv_add(out, "-device");
		launch_argv_addf(out, "virtio-blk-device,drive=disk%zu", i);
	}
	/*
	 * security_model=none: the guest's files are the host user's own, with the
	 * guest's permission bits, readable by host tools without root; the
	 * ownership the guest asks for is not kept (mapped-xattr would keep it in
	 * xattrs, leaving 0600 files the host must decode, on filesystems with
	 * user xattrs only).
	 */
	for (size_t i = 0; i < spec->n_shares; i++) {
		launch_argv_add(out, "-fsdev");
		launch_argv_addf(out, "local,id=share%zu,path=" LAUNCH_SHARE_FMT
				 ",security_model=none%s", i, i,
				 spec->shares[i].readonly ? ",readonly=on" : "");
		launch_argv_add(out, "-device");
		launch_argv_addf(out, "virtio-9p-device,fsdev=share%zu,mount_tag=%s", i,
				 spec->shares[i].tag);
	}
	for (size_t i = 0; i < spec->n_nics; i++) {
		launch_argv_add(out, "-netdev");
		if (spec->nics[i].user) {
			/* slirp: DHCP, DNS and NAT inside qemu; forwards listen on the host */
			struct buf b = BUF_INIT;
			buf_addf(&b, "user,id=net%zu", i);
			for (size_t j = 0; j < spec->nics[i].n_hostfwd; j++)
				buf_addf(&b, ",hostfwd=%s", spec->nics[i].hostfwd[j]);
			launch_argv_add(out, b.data);
			buf_release(&b);
		} else {
			launch_argv_addf(out, "tap,id=net%zu,ifname=%s,script=no,downscript=no", i,
					 spec->nics[i].tap);
		}
		launch_argv_add(out, "-device");
		launch_argv_addf(out, "virtio-net-device,netdev=net%zu,mac=%s", i, spec->nics[i].mac);
	}
}

void launch_qemu_argv(const struct launch_spec *spec, enum accel a, struct launch_argv *out)
{
	launch_argv_add(out, "qemu-system-x86_64");
	add_machine(spec, a, out);
	static const char *const fixed[] = {
		"-nodefaults", "-no-user-config", "-nographic", "-no-reboot", "-serial", "stdio",
	};
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		launch_argv_add(out, fixed[i]);
	launch_argv_add(out, "-m");
	launch_argv_addf(out, "%u", spec->mem);
	launch_argv_add(out, "-smp");
	launch_argv_addf(out, "%u", spec->cpus);
	launch_argv_add(out, "-kernel");
	launch_argv_add(out, LAUNCH_KERNEL);
	if (spec->has_initrd) {
		launch_argv_add(out, "-initrd");
		launch_argv_add(out, LAUNCH_INITRD);
	}
	launch_argv_add(out, "-append");
	char *line = launch_qemu_cmdline(spec, a);
	launch_argv_add(out, line);
	free(line);
	add_devices(spec, out);
}

static void json_argv(const struct launch_spec *spec, enum accel a, struct buf *out)
{
	struct launch_argv argv = { 0 };
	launch_qemu_argv(spec, a, &argv);
	buf_adds(out, "[");
	for (size_t i = 0; i < argv.n; i++) {
		buf_adds(out, i ? ",\n      " : "\n      ");
		json_add_string(out, argv.v[i]);
	}
	buf_adds(out, "\n    ]");
	launch_argv_release(&argv);
}

static void json_ref(const char *name, const struct launch_ref *ref, struct buf *out)
{
	buf_addf(out, "  \"%s\": { \"output\": ", name);
	json_add_string(out, ref->output);
	buf_adds(out, ", \"sha256\": ");
	json_add_string(out, ref->digest);
	buf_adds(out, " },\n");
}

/* "disks": what each ${diskN} is: an image by digest, or a scratch file and its size */
static void json_disks(const struct launch_spec *spec, struct buf *out)
{
	buf_adds(out, "  \"disks\": [");
	for (size_t i = 0; i < spec->n_disks; i++) {
		const struct launch_disk *d = &spec->disks[i];
		buf_adds(out, i ? ",\n    { " : "\n    { ");
		if (d->image) {
			buf_adds(out, "\"image\": ");
			json_add_string(out, d->image);
			buf_adds(out, ", \"output\": \"rootfs.ext4\", \"sha256\": ");
			json_add_string(out, d->digest ? d->digest : "");
			buf_addf(out, ", \"readonly\": %s }", d->readonly ? "true" : "false");
		} else {
			buf_adds(out, "\"file\": ");
			json_add_string(out, d->file);
			buf_addf(out, ", \"size\": %llu }", (unsigned long long)d->size);
		}
	}
	buf_adds(out, "\n  ],\n");
}

/* "shares": what each ${shareN} is: a folder of the recipe tree, as written */
static void json_shares(const struct launch_spec *spec, struct buf *out)
{
	buf_adds(out, "  \"shares\": [");
	for (size_t i = 0; i < spec->n_shares; i++) {
		buf_adds(out, i ? ",\n    { \"host\": " : "\n    { \"host\": ");
		json_add_string(out, spec->shares[i].host);
		buf_adds(out, ", \"tag\": ");
		json_add_string(out, spec->shares[i].tag);
		buf_addf(out, ", \"readonly\": %s }", spec->shares[i].readonly ? "true" : "false");
	}
	buf_adds(out, "\n  ],\n");
}

void launch_qemu_json(const struct launch_spec *spec, const struct launch_ref *kernel,
		      const struct launch_ref *image, const struct launch_ref *initrd,
		      struct buf *out)
{
	buf_adds(out, "{\n  \"mvbuild_launch\": 1,\n  \"profile\": ");
	json_add_string(out, spec->profile);
	buf_addf(out, ",\n  \"hypervisor\": \"%s\",\n",
		 spec->hypervisor == HV_FIRECRACKER ? "firecracker" : "qemu");
	json_ref("kernel", kernel, out);
	if (image)
		json_ref("image", image, out);
	if (initrd)
		json_ref("initrd", initrd, out);
	buf_addf(out, "  \"persist\": %s,\n  \"accel\": \"%s\",\n", spec->persist ? "true" : "false",
		 accel_choice_names[spec->accel]);
	if (spec->n_disks)
		json_disks(spec, out);
	if (spec->n_shares)
		json_shares(spec, out);
	buf_adds(out, "  \"argv\": {\n    \"kvm\": ");
	json_argv(spec, ACCEL_KVM, out);
	buf_adds(out, ",\n    \"tcg\": ");
	json_argv(spec, ACCEL_TCG, out);
	buf_adds(out, "\n  }\n}\n");
}

/* the length of the placeholder at s ("${kernel}", "${image}", "${initrd}", "${diskN}",
 * "${shareN}"), or 0 */
static size_t placeholder_len(const char *s)
{
	if (str_startswith(s, LAUNCH_KERNEL))
		return strlen(LAUNCH_KERNEL);
	if (str_startswith(s, LAUNCH_IMAGE))
		return strlen(LAUNCH_IMAGE);
	if (str_startswith(s, LAUNCH_INITRD))
		return strlen(LAUNCH_INITRD);
	static const char *const indexed[] = { "${disk", "${share" };
	for (size_t i = 0; i < ARRAY_SIZE(indexed); i++) {
		size_t n = strlen(indexed[i]);
		size_t digits = str_startswith(s, indexed[i]) ? strspn(s + n, "0123456789") : 0;
		if (digits && s[n + digits] == '}')
			return n + digits + 1;
	}
	return 0;
}

/* one argument in sh syntax: literal parts single-quoted, placeholders as variables */
static void sh_arg(struct buf *out, const char *arg)
{
	while (*arg) {
		const char *next = arg;
		while (*next && !placeholder_len(next))
			next++;
		size_t lit = (size_t)(next - arg);
		if (lit) {
			buf_addc(out, '\'');
			for (size_t i = 0; i < lit; i++)
				if (arg[i] == '\'')
					buf_adds(out, "'\\''");
				else
					buf_addc(out, arg[i]);
			buf_addc(out, '\'');
		}
		if (!*next)
			return;
		/* the kernel and the initrd are whole arguments; the image and the disks
		 * only ever appear inside -drive, the shares inside -fsdev, where qemu
		 * needs ",," */
		size_t len = placeholder_len(next);
		if (str_startswith(next, LAUNCH_KERNEL))
			buf_adds(out, "\"$kernel\"");
		else if (str_startswith(next, LAUNCH_INITRD))
			buf_adds(out, "\"$initrd\"");
		else
			buf_addf(out, "\"$%.*s_q\"", (int)(len - 3), next + 2);
		arg = next + len;
	}
}

/* the script's $diskN and $diskN_q: a read-only image from the cache, else what the user gives */
static void sh_disks(const struct launch_spec *spec, struct buf *out)
{
	for (size_t i = 0; i < spec->n_disks; i++) {
		const struct launch_disk *d = &spec->disks[i];
		if (d->image && d->readonly)
			buf_addf(out, "disk%zu=$cache/%s   # image '%s', read-only\n", i,
				 d->relpath ? d->relpath : "", d->image);
		else if (d->image)
			buf_addf(out, "disk%zu=${MVBUILD_DISK%zu:?set MVBUILD_DISK%zu to a writable copy "
				 "of image '%s' (cp --sparse=always \"$cache/%s\" %s.ext4)}\n", i, i, i,
				 d->image, d->relpath ? d->relpath : "", d->image);
		else
			buf_addf(out, "disk%zu=${MVBUILD_DISK%zu:?set MVBUILD_DISK%zu to a scratch file "
				 "(truncate -s %llu %s)}\n", i, i, i, (unsigned long long)d->size,
				 d->file);
		buf_addf(out, "disk%zu_q=$(printf '%%s\\n' \"$disk%zu\" | sed 's/,/,,/g')\n", i, i);
	}
	for (size_t i = 0; i < spec->n_shares; i++) {
		buf_addf(out, "share%zu=${MVBUILD_SHARE%zu:?set MVBUILD_SHARE%zu to the host folder "
			 "of tag '%s' (", i, i, i, spec->shares[i].tag);
		/* the recipe's text goes into a comment-like message: no quote may end it */
		for (const char *c = spec->shares[i].host; *c; c++)
			if (strchr("'\"`$\\}", *c) == NULL && *c >= ' ')
				buf_addc(out, *c);
		buf_adds(out, " in the recipe tree)}\n");
		buf_addf(out, "share%zu_q=$(printf '%%s\\n' \"$share%zu\" | sed 's/,/,,/g')\n", i, i);
	}
}

static void sh_exec(const struct launch_spec *spec, enum accel a, const char *binary,
		    struct buf *out)
{
	struct launch_argv argv = { 0 };
	launch_qemu_argv(spec, a, &argv);
	buf_addf(out, "\texec %s", binary);
	for (size_t i = 1; i < argv.n; i++) {
		buf_adds(out, argv.v[i][0] == '-' ? " \\\n\t\t" : " ");
		sh_arg(out, argv.v[i]);
	}
	buf_adds(out, "\n\t;;\n");
	launch_argv_release(&argv);
}

/* the script's start with an image argument (copied by the user: the guest writes to it) */
static void script_head_image(const struct launch_ref *image, struct buf *out)
{
	buf_addf(out,
		 "# with a fresh copy of the image.  Usage: sh qemu.sh IMAGE [kvm|tcg]\n"
		 "#   IMAGE  a writable copy of the root image (the guest writes to it), e.g.\n"
		 "#          cp --sparse=always \"$cache/%s\" root.ext4\n",
		 image->relpath);
}

void launch_qemu_script(const struct launch_spec *spec, const struct launch_ref *kernel,
			const struct launch_ref *image, const struct launch_ref *initrd,
			const char *root_from_script, struct buf *out)
{
	/* with no image the accelerator is the first argument */
	const char *usage = image ? "sh qemu.sh IMAGE [kvm|tcg]" : "sh qemu.sh [kvm|tcg]";
	buf_addf(out,
		 "#!/bin/sh\n"
		 "# qemu launch of profile '%s', generated by mvbuild; `mvbuild run %s` does the same\n",
		 spec->profile, spec->profile);
	if (image)
		script_head_image(image, out);
	else
		buf_addf(out, "# with the kernel and the initrd from the cache.  Usage: %s\n", usage);
	buf_addf(out,
		 "# The kernel is read from the cache holding this script ($MVBUILD_CACHE overrides).\n"
		 "set -eu\n"
		 "cache=${MVBUILD_CACHE:-$(cd \"$(dirname \"$0\")/%s\" && pwd)}\n"
		 "kernel=$cache/%s   # %s\n",
		 root_from_script, kernel->relpath, kernel->output);
	if (initrd)
		buf_addf(out, "initrd=$cache/%s   # %s\n", initrd->relpath, initrd->output);
	if (image)
		buf_addf(out, "image=${1:?usage: %s}\n"
			 "image_q=$(printf '%%s\\n' \"$image\" | sed 's/,/,,/g')\n", usage);
	sh_disks(spec, out);
	buf_addf(out,
		 "case ${%d:-tcg} in\n"
		 "kvm)\n"
		 "\tqemu=qemu-system-x86_64\n"
		 "\tif command -v qemu-system-x86_64-microvm >/dev/null; then qemu=qemu-system-x86_64-microvm; fi\n",
		 image ? 2 : 1);
	sh_exec(spec, ACCEL_KVM, "\"$qemu\"", out);
	buf_adds(out, "tcg)\n");
	sh_exec(spec, ACCEL_TCG, "qemu-system-x86_64", out);
	buf_addf(out, "*)\n\techo \"usage: %s\" >&2\n\texit 2\n\t;;\nesac\n", usage);
}
