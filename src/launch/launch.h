/*
 * launch: the launch configurations of a profile, as pure functions of a
 * launch_spec (the profile's resolved parameters plus what the kernel
 * offers).  launch_spec.c validates a profile into a spec (invalid values
 * are recipe errors pointing at the profile); launch_needs.c checks the
 * kernel's .config has the drivers its devices need; launch_mac.c derives MACs;
 * launch_qemu.c writes the qemu -M microvm argv (as a JSON file and a
 * shell script); launch_firecracker.c writes Firecracker's --config-file
 * JSON.  The on-disk formats are described in launch_qemu.c and
 * launch_firecracker.c and in docs/run.md.
 *
 * Cached configs never hold a cache's absolute path: the kernel, the
 * image and the initrd appear as the placeholders LAUNCH_KERNEL,
 * LAUNCH_IMAGE and LAUNCH_INITRD, and the config names their digests;
 * `run` substitutes the paths it resolved.
 *
 * A profile boots from its image (an ext4 disk: root=/dev/vda rw; a
 * squashfs one: root=/dev/vda ro rootfstype=squashfs, a read-only drive), from an
 * initrd (a cpio archive the kernel unpacks into its root tmpfs and runs
 * /init from, or the `init:` given, which becomes rdinit=; no root= and
 * no disk), or from both (the initramfs's /init runs first and finds
 * root=/dev/vda and init= on the command line, to mount the disk and
 * switch to it).
 */
#ifndef MVBUILD_LAUNCH_H
#define MVBUILD_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "recipe/recipe.h"
#include "base/util.h"

#define LAUNCH_KERNEL "${kernel}"
#define LAUNCH_IMAGE "${image}"
#define LAUNCH_INITRD "${initrd}"
#define LAUNCH_MAC_LEN 18 /* "02:xx:xx:xx:xx:xx" plus NUL */
/* the placeholder of extra disk N (0-based): "${disk0}" */
#define LAUNCH_DISK_FMT "${disk%zu}"
/* the placeholder of shared host folder N (0-based): "${share0}" */
#define LAUNCH_SHARE_FMT "${share%zu}"

/* accelerator for qemu; Firecracker always uses KVM */
enum accel { ACCEL_KVM, ACCEL_TCG };

/* what the recipe asks for the accelerator (qemu: {accel:}) */
enum accel_choice { ACCEL_AUTO, ACCEL_WANT_KVM, ACCEL_WANT_TCG };

/* a growable NULL-terminated argument vector; owns its strings */
struct launch_argv {
	char **v;     /* v[n] == NULL once anything was added */
	size_t n;     /* count of arguments */
};

/* one network interface of the guest */
struct launch_nic {
	char *tap;                  /* host tap device name; NULL for user-mode */
	char mac[LAUNCH_MAC_LEN];   /* guest MAC, given or derived */
	bool user;                  /* qemu user-mode networking (slirp), no root needed */
	char **hostfwd;             /* user: qemu hostfwd= values ("tcp:127.0.0.1:2222-:22") */
	size_t n_hostfwd;
};

/* one extra virtio-blk disk (vdb, vdc, ... in the guest) */
struct launch_disk {
	char *image;                /* an image's name, or NULL for a scratch file */
	char *file;                 /* a scratch file's name in the run directory, or NULL */
	uint64_t size;              /* file: bytes */
	bool readonly;              /* image only: the cached image itself, read-only */
	const char *digest;         /* image: its output's digest, set by the launch builder */
	const char *relpath;        /* image: where it lives relative to the cache root */
};

/* one host folder shared over virtio-9p (qemu only) */
struct launch_share {
	char *host;                 /* the folder as the recipe wrote it (for keys and messages) */
	char *tag;                  /* the mount tag */
	bool readonly;
};

/* a content reference: which output of which node, by digest */
struct launch_ref {
	const char *output;         /* "vmlinux", "bzImage", "rootfs.ext4", "initramfs.cpio.gz" */
	const char *digest;         /* sha256 hex */
	const char *relpath;        /* where it lives relative to the cache root (qemu.sh only) */
};

struct launch_spec {
	char *profile;               /* profile name */
	enum hypervisor hypervisor;  /* the profile's hypervisor */
	uint32_t mem;                /* MiB */
	uint32_t cpus;               /* vCPUs */
	char *init;                  /* init= (rdinit= with no image) or NULL */
	bool has_image;              /* a root disk (the profile's image:) */
	bool root_squashfs;          /* the root disk is squashfs: mounted read-only */
	enum image_compression root_compression; /* a squashfs root's compressor */
	bool has_initrd;             /* an initramfs (the profile's initrd:) */
	char *cmdline;               /* extra kernel arguments or NULL */
	struct launch_nic *nics;     /* one per net entry */
	size_t n_nics;
	bool persist;                /* keep the writable image across runs */
	struct launch_disk *disks;   /* extra disks, in order */
	size_t n_disks;
	struct launch_share *shares; /* host folders */
	size_t n_shares;
	enum accel_choice accel;     /* qemu: {accel: auto|kvm|tcg} */
	char *tsc_early_khz;         /* qemu: {tsc_early_khz: N}: added under TCG only */
	char *qemu_binary;           /* qemu: {binary:} or NULL (PATH lookup at run time) */
	char *qemu_machine;          /* qemu: {machine:}: extra -M options ("x-option-roms=off") */
	char *fc_binary;             /* firecracker: {binary:} or NULL */
	bool kernel_pvh;             /* the kernel has CONFIG_PVH=y */
	const char *kernel_initrd_missing; /* what the kernel lacks for the initrd (RD_ZSTD), or NULL */
	bool has_vmlinux;            /* the kernel node has a vmlinux output */
	bool has_bzimage;            /* the kernel node has a bzImage output */
};

/* append a copy of arg */
void launch_argv_add(struct launch_argv *a, const char *arg);
/* append printf-formatted text as one argument */
void launch_argv_addf(struct launch_argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* free every argument */
void launch_argv_release(struct launch_argv *a);

/*
 * Fill spec from profile p of recipe r (recipe_name may be NULL), checking
 * every value; a bad value is an ERROR_USAGE error "FILE:LINE:COL: ...".
 * The kernel facts (PVH, outputs) are filled by the caller.  0 or -1.
 */
int launch_spec_from_profile(struct launch_spec *spec, const char *recipe_name,
			     const struct profile *p, struct error *err);
/*
 * Check what only the hypervisor hv and the kernel facts decide (Firecracker
 * needs vmlinux and 1 or an even count of vCPUs; the command line limit; an
 * initrd the kernel cannot unpack);
 * 0, or -1 with a recipe error.
 */
int launch_spec_check(const struct launch_spec *spec, const struct profile *p,
		      enum hypervisor hv, struct error *err);
/*
 * Check that the kernel's .config (its text) builds in every option the
 * profile's devices need (virtio-net for each interface, squashfs and its
 * compressor for a squashfs root, ...); 0, or -1 with a recipe error naming
 * the option and the shipped fragment that sets it.
 */
int launch_needs_check(const struct launch_spec *spec, const struct profile *p,
		       const char *config, struct error *err);
/* whether the kernel's .config (its text) sets CONFIG_symbol=y */
bool launch_needs_built_in(const char *config, const char *symbol);
/* free what a spec owns */
void launch_spec_release(struct launch_spec *spec);

/* the kernel parameter that names init: "init", or "rdinit" when an initrd is the whole root */
const char *launch_init_param(const struct launch_spec *spec);

/* derive a MAC (locally administered, unicast) from recipe, profile and tap */
void launch_mac_derive(const char *recipe_name, const char *profile, size_t index,
		       const char *tap, char mac[LAUNCH_MAC_LEN]);

/* the kernel output qemu boots: vmlinux (PVH entry, faster) when it can, else bzImage */
const char *launch_qemu_kernel_output(const struct launch_spec *spec);
/* the root= arguments of the kernel command line: "root=/dev/vda rw", or ro for squashfs */
const char *launch_root_args(const struct launch_spec *spec);
/* the kernel command line qemu passes for accel a */
char *launch_qemu_cmdline(const struct launch_spec *spec, enum accel a);
/* the qemu argv for accel a, with LAUNCH_KERNEL / LAUNCH_IMAGE / LAUNCH_INITRD as the paths */
void launch_qemu_argv(const struct launch_spec *spec, enum accel a, struct launch_argv *out);
/* the qemu.json document (both accelerators, content references; image and initrd NULL when absent); appended to out */
void launch_qemu_json(const struct launch_spec *spec, const struct launch_ref *kernel,
		      const struct launch_ref *image, const struct launch_ref *initrd,
		      struct buf *out);
/*
 * The qemu.sh script: runnable with the paths taken relative to the cache,
 * which it finds at root_from_script from its own directory (the caller
 * knows where the script will be stored; this layer does not).
 */
void launch_qemu_script(const struct launch_spec *spec, const struct launch_ref *kernel,
			const struct launch_ref *image, const struct launch_ref *initrd,
			const char *root_from_script, struct buf *out);

/* the kernel command line Firecracker gets */
char *launch_fc_cmdline(const struct launch_spec *spec);
/* the Firecracker --config-file JSON with LAUNCH_KERNEL / LAUNCH_IMAGE / LAUNCH_INITRD as paths */
void launch_fc_json(const struct launch_spec *spec, struct buf *out);

#endif
