/*
 * image_fs: creating and closing the ext4 filesystem of an image with
 * libext2fs, in the order e2fsprogs' mke2fs uses (initialize, identity,
 * group tables, reserved inodes, resize inode, journal).
 */
#ifndef MVBUILD_IMAGE_FS_H
#define MVBUILD_IMAGE_FS_H

#include <stdint.h>
#include <ext2fs/ext2fs.h>

#include "base/error.h"

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
/* write everything out and close, without fsync (fs is freed either way); returns 0 or -1 */
int image_fs_close(ext2_filsys fs, struct error *err);
/* free a filesystem image_fs_create() made without writing it out (NULL is fine) */
void image_fs_free(ext2_filsys fs);

/* the cause and the remedy when the image has no free block or inode */
#define IMAGE_FULL_MSG "the image is full: raise size: or use size: auto"
#define IMAGE_NO_INODES_MSG "the image has no free inodes: raise inodes: or size:"

/*
 * Set err to "what: cause" for a libext2fs error code of fs (NULL before
 * it exists): a failed host write, a full image and no free inodes get
 * the remedies above, anything else error_message()'s text.  Returns -1.
 */
int image_fs_error(ext2_filsys fs, struct error *err, errcode_t code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
