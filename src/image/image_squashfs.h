/*
 * image_squashfs: an image tree written as a squashfs filesystem (4.0, the
 * kernel's), through libsquashfs (squashfs-tools-ng), compressed with xz,
 * zstd or gzip: a read-only root the kernel mounts from a block device.
 *
 * The filesystem is a function of the tree alone, so two builds give the
 * same bytes: 128 KiB data blocks, the compressor's default options, one
 * compressor thread; file data in depth-first name order (each directory's
 * entries sorted bytewise, as squashfs lookups need); inode numbers given
 * as mksquashfs and tar2sqfs give them (a directory's subdirectories'
 * contents first, then its entries in name order, the root last); owners,
 * modes, (clamped) mtimes and extended attributes as the tree's inodes hold
 * them (from the tar or the overlays, never the host's); the superblock's
 * mkfs time is the image's epoch; no NFS export table; the file padded
 * with zeros to a whole 4 KiB.  A hardlinked file is one inode, its link
 * count the tree's.  Identical data blocks and tail fragments are stored
 * once (libsquashfs deduplicates them), and all-zero blocks are holes.
 */
#ifndef MVBUILD_IMAGE_SQUASHFS_H
#define MVBUILD_IMAGE_SQUASHFS_H

#include <stdint.h>

#include "base/error.h"
#include "image/image_tree.h"
#include "recipe/recipe.h"

/* the data block size (the kernel takes 4 KiB to 1 MiB; 128 KiB is mksquashfs's default) */
#define IMAGE_SQUASHFS_BLOCK (128 * 1024)

/*
 * Write every entry of t to a new file at path, compressed with c (xz, zstd
 * or gzip), its timestamp epoch; 0, or -1 with err (and nothing at path).
 */
int image_squashfs_write(struct tree *t, const char *path, enum image_compression c,
			 uint32_t epoch, struct error *err);

#endif
