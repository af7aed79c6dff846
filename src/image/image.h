/*
 * image: the ext4 root filesystem writer.  It writes the filesystem itself
 * with libext2fs, reading each layer archive as a stream with libarchive,
 * then applying the recipe's overlays: no root, no loop device, no VM and
 * no extraction onto the host disk.  The result is reproducible bit for
 * bit: UUID and hash seed come from a key, every timestamp from an epoch.
 * An image of format cpio is the same tree written as a newc cpio archive
 * (an initramfs; image_cpio.h), gzip- or zstd-compressed or not.
 *
 * The manifest written next to the image has one line per entry, sorted
 * by directory walk order (children in input order):
 *   PATH \t TYPE \t MODE(octal, 4 digits) \t UID \t GID \t SIZE \t TARGET \n
 * TYPE is dir, file, symlink, hardlink, fifo, char, block or socket; TARGET
 * is the symlink target as stored, the first path of a hardlinked inode,
 * "MAJOR:MINOR" for devices, or "-".  In PATH and TARGET a backslash,
 * tab or newline is written as \\, \t or \n.
 */
#ifndef MVBUILD_IMAGE_H
#define MVBUILD_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "recipe/recipe.h"

struct overlay_check;

/* the epoch used when neither the recipe nor SOURCE_DATE_EPOCH gives one (2020-01-01) */
#define IMAGE_DEFAULT_EPOCH 1577836800

/* what image_write() needs besides the recipe entity */
struct image_write_opts {
	const char *out_path;            /* image file or archive to create (must not exist) */
	const char *manifest_path;       /* manifest to write, or NULL */
	const char *const *layer_paths;  /* archive paths, applied in order: one per image->layers
					    entry, or n_layer_paths of them (a container image
					    source gives one per layer of its image) */
	const char *const *layer_names;  /* names for messages (NULL: the paths) */
	size_t n_layer_paths;            /* count of layer_paths; 0: image->n_layers */
	const bool *layer_whiteouts;     /* per layer path: a container image's layer, whose
					    whiteouts apply (image_layer.h); NULL: none is */
	char *const *layer_digests;      /* per layer path: where to write the content digest of
					    the file as it was applied (SHA256_HEX bytes), or NULL
					    (not hashed); NULL: none is */
	const char *key;                 /* hex string seeding the UUID and hash seed (the
					    builder's seed key, builder.h) */
	int64_t epoch;                   /* timestamp for everything written (image_epoch()) */
	const char *skip_dir;            /* a directory no overlay reads (the cache), or NULL */
	const struct overlay_check *check; /* compares overlay files as read with the key, or NULL */
	const char *oci_init;            /* the `init: oci` shim written at RECIPE_OCI_INIT after
					    the overlays, or NULL (image_oci_init.h) */
};

/* the epoch of img: its `epoch`, else $SOURCE_DATE_EPOCH, else IMAGE_DEFAULT_EPOCH; -1 with err when malformed */
int image_epoch(const struct image *img, int64_t *epoch, struct error *err);

/*
 * Build the image described by img into o->out_path (and the manifest).
 * On failure nothing is left at out_path or manifest_path.  Returns 0, or
 * -1 with err naming the entry or archive at fault.
 */
int image_write(const struct image *img, const struct image_write_opts *o, struct error *err);

#endif
