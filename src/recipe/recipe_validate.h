/*
 * recipe_validate: one check per recipe value, shared by the recipe loader
 * (so `mvbuild check` refuses a value with its FILE:LINE:COL) and by the
 * builders and launchers that use the value (so no stage has limits of its
 * own).  The limits are stated in docs/recipes.md and, where JSON Schema
 * can say them, in schemas/recipe-v1.schema.json.
 *
 * Each check returns NULL when the value is valid, or a newly allocated
 * phrase saying what the value must be ("an integer from 1 to 255"), which
 * the caller puts into its own message: "SUBJECT must be PHRASE, not VALUE".
 */
#ifndef MVBUILD_RECIPE_VALIDATE_H
#define MVBUILD_RECIPE_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "recipe/recipe.h"

#define RECIPE_MEM_MIN 32                 /* MiB: the demo guest (6.1, busybox) hangs at 16, panics at 24 */
#define RECIPE_MEM_MAX (1u << 20)         /* MiB */
#define RECIPE_CPUS_MAX 255               /* qemu without interrupt remapping */
#define RECIPE_FC_CPUS_MAX 32             /* Firecracker */
#define RECIPE_INIT_MAX 255               /* bytes of init= */
#define RECIPE_CMDLINE_MAX 1024           /* bytes of cmdline:, leaving room in the kernel's 2048 */
#define RECIPE_TSC_KHZ_MAX 999999999ULL   /* tsc_early_khz */
#define RECIPE_SIZE_MIN (4ULL << 20)      /* the ext4 writer's smallest image */
#define RECIPE_SIZE_MAX ((16ULL << 40) - 4096) /* 2^32 - 1 blocks: ext4's largest file on a host */
#define RECIPE_INODES_MIN 16
#define RECIPE_BYTES_PER_INODE 1024       /* the densest inode ratio mke2fs allows */
#define RECIPE_EPOCH_MAX 4294967295ULL    /* ext4 superblock times are 32-bit */
#define RECIPE_LABEL_MAX 16               /* bytes of an ext4 volume label */
#define RECIPE_NAME_MAX 255               /* bytes of one path component in ext4 */
#define RECIPE_SYMLINK_MAX 4095           /* bytes of a symlink target (one 4 KiB block) */

/* guest memory in MiB */
char *recipe_validate_mem(uint64_t mib);
/* vCPUs for hypervisor hv (Firecracker: 1 or an even count) */
char *recipe_validate_cpus(uint64_t cpus, enum hypervisor hv);
/* init=: an absolute path that the kernel command line carries as one word */
char *recipe_validate_init(const char *init);
/* extra kernel arguments: one line of printable text */
char *recipe_validate_cmdline(const char *cmdline);
/* a host tap device name that the kernel and qemu's option syntax accept */
char *recipe_validate_tap(const char *tap);
/* a unicast MAC address xx:xx:xx:xx:xx:xx */
char *recipe_validate_mac(const char *mac);

/* one host forward of user-mode networking, as recipe_validate_forward() reads it */
struct recipe_forward {
	bool udp;              /* udp, else tcp */
	char addr[16];         /* the host address it listens on: "127.0.0.1" unless given */
	uint16_t host, guest;  /* ports, 1 to 65535 */
};
/*
 * A user-mode forward "PROTO:HOSTPORT:GUESTPORT" or "PROTO:ADDR:HOSTPORT:GUESTPORT"
 * (PROTO tcp or udp, ADDR a dotted IPv4 address, default 127.0.0.1); fills *out
 * (may be NULL) when valid.
 */
char *recipe_validate_forward(const char *fwd, struct recipe_forward *out);
/* a profile's scratch disk size: 1M to RECIPE_SIZE_MAX, whole 512-byte sectors */
char *recipe_validate_disk_size(uint64_t bytes);
/* a scratch disk's file name in the run directory: 1 to 64 of A-Z a-z 0-9 . _ -, no leading . */
char *recipe_validate_disk_file(const char *name);
/* a 9p mount tag: 1 to 31 of A-Z a-z 0-9 . _ - */
char *recipe_validate_share_tag(const char *tag);
/* qemu tsc_early_khz: a frequency in kHz */
char *recipe_validate_tsc_khz(const char *khz);
/* qemu machine: key=value,... of the allowed microvm properties (docs/run.md) */
char *recipe_validate_machine(const char *opts);
/* a hypervisor binary: a program name (PATH lookup) or an absolute path */
char *recipe_validate_binary(const char *binary);
/* an image size in bytes (size: auto is not a size) */
char *recipe_validate_size(uint64_t bytes);
/* an inode count for an image of size bytes (0: size: auto, not known yet) */
char *recipe_validate_inodes(uint64_t inodes, uint64_t size);
/* seconds since 1970 for every timestamp of an image */
char *recipe_validate_epoch(int64_t epoch);
/* an ext4 volume label */
char *recipe_validate_label(const char *label);
/* a kernel's arch: only x86_64 is built and booted */
char *recipe_validate_arch(const char *arch);
/* a path inside an image: absolute, no '.' or '..', names of at most 255 bytes; "/" when root_ok */
char *recipe_validate_image_path(const char *path, bool root_ok);
/* the target of a symlink overlay */
char *recipe_validate_symlink(const char *target);
/* a source URL: a scheme the downloader allows (http, https, file) */
char *recipe_validate_url(const char *url);

#endif
