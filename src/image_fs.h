/*
 * image_fs: creating and closing the ext4 filesystem of an image with
 * libext2fs, in the order e2fsprogs' mke2fs uses (initialize, identity,
 * group tables, reserved inodes, resize inode, journal).
 */
#ifndef MVBUILD_IMAGE_FS_H
#define MVBUILD_IMAGE_FS_H

#include <stdint.h>
#include <ext2fs/ext2fs.h>

#include "error.h"

#define IMAGE_BLOCK_SIZE 4096

struct image_fs_params {
	uint64_t size;          /* bytes, rounded down to whole blocks */
	const char *label;      /* volume label or NULL */
	uint64_t inodes;        /* inode count, 0 = one per 16 KiB like mke2fs */
	const char *key;        /* hex string seeding UUID and directory hash seed */
	uint32_t epoch;         /* every timestamp the library writes */
};

/* create a sparse file at path holding a fresh ext4 filesystem; returns 0 or -1 */
int image_fs_create(ext2_filsys *out, const char *path, const struct image_fs_params *p,
		    struct error *err);
/* write everything out and close (fs is freed either way); returns 0 or -1 */
int image_fs_close(ext2_filsys fs, struct error *err);
/* error with the libext2fs text of code, "what: message"; returns -1 */
int image_fs_error(struct error *err, errcode_t code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
