/*
 * recipe: the typed form of a recipe (format version 1), its lookups and
 * its release; recipe_load() (recipe_load.h) fills it.  Every entity keeps
 * the mark (file, line, column) where it was written, so later stages
 * (kernel fragment verification, launch validation) can point at the
 * recipe too.  All relative paths are kept as written plus the directory of
 * the file that wrote them (`base_dir`), so builders resolve them beneath
 * that directory and action keys can use the path as written, never the
 * absolute checkout path.
 */
#ifndef MVBUILD_RECIPE_H
#define MVBUILD_RECIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/hash.h"
#include "recipe/mark.h"

/*
 * `init: oci` boots the container image's entrypoint through a shell shim
 * that the image builder writes at this path (docs/run.md, "init: oci").
 */
#define RECIPE_OCI_INIT "/.mvbuild/oci-init"

enum source_kind {
	SOURCE_URL,            /* url: / urls: a file to download */
	SOURCE_PATH,           /* path: a local file */
	SOURCE_OCI_REGISTRY,   /* oci: HOST[:PORT]/REPO[:TAG]@sha256:HEX, a registry's image */
	SOURCE_OCI_LAYOUT,     /* oci-layout: DIR with ref: TAG|sha256:HEX, an OCI image layout */
	SOURCE_DOCKER_ARCHIVE, /* docker-archive: FILE, `docker save` output */
};

/*
 * The platform an OCI source picks from an image index (`platform:
 * OS/ARCH[/VARIANT]`, default linux/amd64), in the index's own spelling
 * ("amd64", "arm64" + "v8"); an image that is no index must match it.
 */
struct source_platform {
	char *os;                /* "linux" */
	char *arch;              /* "amd64" */
	char *variant;           /* "v8", or NULL */
};

struct source {
	char *name;              /* key under sources: */
	struct mark mark;        /* where the source is defined */
	enum source_kind kind;   /* url(s), a local path, or a container image */
	char **urls;             /* SOURCE_URL: urls in the order to try */
	size_t n_urls;           /* count of urls */
	char *path;              /* SOURCE_PATH, SOURCE_DOCKER_ARCHIVE: the file as written;
				    SOURCE_OCI_LAYOUT: the layout's directory as written */
	char *base_dir;          /* directory of the file that defined it */
	bool has_checksum;       /* the file's checksum (url, path, docker-archive); false
				    for a path or docker-archive without one and for the
				    OCI kinds, which are pinned by oci_digest */
	enum hash_algo algo;     /* sha256 or sha512 */
	char *checksum;          /* lowercase hex, when has_checksum */
	/* container images (SOURCE_OCI_*, SOURCE_DOCKER_ARCHIVE) */
	char *oci_registry;      /* SOURCE_OCI_REGISTRY: "HOST" or "HOST:PORT" */
	char *oci_repo;          /* SOURCE_OCI_REGISTRY: the repository ("team/alpine") */
	char *oci_tag;           /* registry: the tag written beside the digest (for
				    humans, never in a key), or NULL; oci-layout: ref:
				    when it is a tag, else NULL */
	char *oci_digest;        /* "sha256:HEX" of the manifest or index: registry: the
				    pinned digest (always set); oci-layout: ref: when it
				    is a digest, else NULL (resolved from index.json) */
	struct source_platform platform; /* all three image kinds; defaults filled in */
};

/* the source is a file or directory on this machine (path, oci-layout, docker-archive) */
bool recipe_source_is_local(const struct source *s);
/* the source is a container image (oci, oci-layout, docker-archive) */
bool recipe_source_is_image(const struct source *s);

enum kernel_base_kind {
	KBASE_ALLNOCONFIG,
	KBASE_TINYCONFIG,
	KBASE_DEFCONFIG,
	KBASE_ALLDEFCONFIG,
	KBASE_FILE,
};

/* one CONFIG_ entry of the inline `config:` map */
struct kconfig_value {
	char *symbol;      /* "CONFIG_X" */
	char *value;       /* y, m, n, a number, or a quoted string with its quotes */
	struct mark mark;  /* where it was written */
};

/* a file path written in a recipe, with where it was written */
struct recipe_path {
	char *path;        /* as written */
	char *base_dir;    /* directory of the recipe file that wrote it */
	struct mark mark;
};

struct kernel {
	char *name;
	struct mark mark;
	char *source;                   /* name of a source */
	struct source *source_ref;      /* resolved */
	struct mark source_mark;        /* where `source:` was written */
	enum kernel_base_kind base;
	struct recipe_path base_file;   /* KBASE_FILE only */
	struct recipe_path *fragments;  /* fragment files in order */
	size_t n_fragments;
	struct kconfig_value *config;   /* inline config, applied last, in written order */
	size_t n_config;
	bool target_bzimage;            /* build bzImage (default true) */
	bool target_vmlinux;            /* build vmlinux (default true) */
	char *arch;                     /* default "x86_64" */
	bool strict;                    /* default true: a config mismatch is an error */
};

enum overlay_kind {
	OVERLAY_DIR,      /* dir: PATH, to: /DEST */
	OVERLAY_FILE,     /* file: PATH, to: /DEST */
	OVERLAY_CONTENT,  /* content: TEXT, to: /DEST */
	OVERLAY_SYMLINK,  /* symlink: TARGET, to: /DEST */
	OVERLAY_MKDIR,    /* mkdir: /DEST */
	OVERLAY_REMOVE,   /* remove: /DEST */
};

struct overlay {
	enum overlay_kind kind;
	struct mark mark;
	char *src;         /* dir/file path as written, content text, or symlink target */
	char *base_dir;    /* directory of the recipe file that wrote it */
	const char *root;  /* the recipe tree it must lie beneath (struct recipe's dir) */
	char *to;          /* absolute destination inside the image */
	bool has_mode;
	uint32_t mode;     /* permission bits (07777), when has_mode */
	bool has_uid;
	uint32_t uid;
	bool has_gid;
	uint32_t gid;
};

/* what an image is written as (`format:`) */
enum image_format { IMAGE_EXT4, IMAGE_CPIO, IMAGE_SQUASHFS };
/* how a cpio or squashfs image is compressed (`compression:`; names: recipe_image_compression_name) */
enum image_compression { IMAGE_GZIP, IMAGE_ZSTD, IMAGE_UNCOMPRESSED, IMAGE_XZ };

struct image {
	char *name;
	struct mark mark;
	enum image_format format;  /* ext4 (default), cpio (an initramfs) or squashfs (read-only) */
	enum image_compression compression; /* cpio: gzip by default; squashfs: xz by default */
	bool size_auto;            /* size: auto */
	uint64_t size;             /* bytes, when !size_auto */
	char *fs;                  /* "ext4" */
	char *label;               /* may be NULL */
	uint64_t inodes;           /* 0 = default */
	bool has_epoch;
	int64_t epoch;             /* seconds since 1970, when has_epoch */
	bool allow_devices;        /* devices: true allows device nodes from layers */
	bool oci_init;             /* a profile boots it with `init: oci`: it holds RECIPE_OCI_INIT */
	char **layers;             /* source names, applied in order */
	struct source **layer_refs;/* resolved */
	struct mark *layer_marks;  /* where each layer was written */
	size_t n_layers;
	struct overlay *overlays;
	size_t n_overlays;
};

enum hypervisor { HV_QEMU, HV_FIRECRACKER };

struct net_iface {
	char *tap;          /* host tap device name; NULL for user-mode networking */
	char *mac;          /* NULL: derived deterministically */
	struct mark mark;
	bool user;          /* user: qemu's user-mode network (no root) instead of a tap */
	char **forwards;    /* user: its forward: entries as written ("tcp:2222:22") */
	size_t n_forwards;
};

/* one extra virtio-blk disk of a profile: an image target, or a scratch file */
struct profile_disk {
	char *image;              /* an image's name, or NULL for a scratch file */
	struct image *image_ref;  /* resolved */
	char *file;               /* a scratch file's name in the run directory, or NULL */
	uint64_t size;            /* file: its size in bytes */
	bool readonly;            /* the guest cannot write it (image disks only) */
	struct mark mark;         /* the entry */
	struct mark image_mark;   /* where image: was written */
};

/* one host folder shared into a qemu guest over virtio-9p */
struct profile_share {
	struct recipe_path host;  /* the folder as written; beneath the recipe tree */
	char *tag;                /* the 9p mount tag the guest mounts it by */
	bool readonly;            /* the guest cannot write it */
	struct mark mark;         /* the entry */
};

/* one key: value of the free-form `qemu:` / `firecracker:` maps */
struct option {
	char *key;
	char *value;        /* scalar text */
	struct mark mark;
};

struct profile {
	char *name;
	struct mark mark;
	enum hypervisor hypervisor;
	char *kernel;               /* kernel name */
	struct kernel *kernel_ref;  /* resolved */
	char *image;                /* image name, or NULL when an initrd is the root */
	struct image *image_ref;    /* resolved */
	struct mark kernel_mark;    /* where `kernel:` was written */
	struct mark image_mark;     /* where `image:` was written */
	char *initrd;               /* image name of format cpio, or NULL */
	struct image *initrd_ref;   /* resolved */
	struct mark initrd_mark;    /* where `initrd:` was written */
	uint32_t mem;               /* MiB, default 128 */
	uint32_t cpus;              /* default 1 */
	char *init;                 /* may be NULL; RECIPE_OCI_INIT for `init: oci` */
	bool init_oci;              /* init: oci, the root image's container entrypoint */
	struct mark init_mark;      /* where `init:` was written */
	char *cmdline;              /* extra kernel arguments, may be NULL */
	struct net_iface *net;
	size_t n_net;
	bool persist;
	struct profile_disk *disks; /* extra disks after the root, in order (vdb, vdc, ...) */
	size_t n_disks;
	struct profile_share *shares; /* host folders (qemu only) */
	size_t n_shares;
	struct option *qemu_opts;   /* qemu: map */
	size_t n_qemu_opts;
	struct option *fc_opts;     /* firecracker: map */
	size_t n_fc_opts;
};

struct recipe {
	char *path;                 /* the top recipe file as given */
	char *dir;                  /* its directory */
	char *name;                 /* name:, may be NULL */
	char **files;               /* every file loaded (top first); marks point here */
	size_t n_files;
	struct source *sources;
	size_t n_sources;
	struct kernel *kernels;
	size_t n_kernels;
	struct image *images;
	size_t n_images;
	struct profile *profiles;
	size_t n_profiles;
};

/* free everything a loaded (or partially loaded) recipe owns */
void recipe_release(struct recipe *r);

/*
 * The recipe's identity on this machine, for per-recipe state that is not
 * part of any key (the cache's last/ and run/ directories): the first 16
 * hex digits of the sha256 of its absolute path.
 */
void recipe_id(const struct recipe *r, char id[17]);

/* lookups by name; NULL when absent */
struct source *recipe_find_source(const struct recipe *r, const char *name);
struct kernel *recipe_find_kernel(const struct recipe *r, const char *name);
struct image *recipe_find_image(const struct recipe *r, const char *name);
struct profile *recipe_find_profile(const struct recipe *r, const char *name);
/* the name of compression c as a recipe writes it ("gzip", "zstd", "none", "xz") */
const char *recipe_image_compression_name(enum image_compression c);
/* the name of img's output file: "rootfs.ext4", "rootfs.squashfs", or "initramfs.cpio" plus ".gz" / ".zst" */
const char *recipe_image_output(const struct image *img);


/* value of key in a profile's qemu:/firecracker: option list, or NULL */
const char *recipe_option_get(const struct option *opts, size_t n, const char *key);

#endif
