/*
 * image_dirblocks: writing one directory of an image as whole blocks (see
 * image_dirblocks.c for the format); image_tree calls it for every
 * directory once all entries are known.
 */
#ifndef MVBUILD_IMAGE_DIRBLOCKS_H
#define MVBUILD_IMAGE_DIRBLOCKS_H

#include <stddef.h>
#include <stdint.h>
#include <ext2fs/ext2fs.h>

#include "base/error.h"
#include "base/util.h"

/* the blocks of one directory, built in memory */
struct dirblocks {
	ext2_filsys fs;
	ext2_ino_t self;     /* the directory's inode */
	struct buf data;     /* whole blocks */
	size_t block;        /* offset of the current block */
	size_t used;         /* bytes used in the current block */
	size_t last;         /* offset of the last entry in the current block */
	size_t usable;       /* block size minus the checksum tail */
};

/* start the directory self inside parent, with its "." and ".." entries */
void image_dirblocks_init(struct dirblocks *d, ext2_filsys fs, ext2_ino_t self, ext2_ino_t parent);
/* add the entry name -> ino of type mode (S_IF*) */
void image_dirblocks_add(struct dirblocks *d, ext2_ino_t ino, const char *name, uint32_t mode);
/*
 * Write the blocks (at least min_bytes) as the directory's data and set
 * its link count from subdirs; releases d; name is for messages.  0 or -1.
 */
int image_dirblocks_write(struct dirblocks *d, unsigned subdirs, size_t min_bytes, const char *name,
		    struct error *err);

#endif
