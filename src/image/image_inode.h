/*
 * image_inode: the inodes of an image as libext2fs writes them: numbers
 * handed out and taken back, and every kind of inode filled in (directory,
 * regular file, symlink, device node, FIFO, socket), linked, unlinked and
 * given extended attributes.  image_tree decides what goes where and calls
 * these with the inode number of each entry.
 *
 * Times: mtime = atime = the entry's mtime clamped to [0, epoch];
 * ctime = crtime = epoch; nanoseconds are zero.
 */
#ifndef MVBUILD_IMAGE_INODE_H
#define MVBUILD_IMAGE_INODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ext2fs/ext2fs.h>

#include "base/error.h"

/* the attributes of an entry */
struct tree_attrs {
	uint32_t mode;      /* type and permission bits, as st_mode */
	uint32_t uid;       /* numeric, never mapped */
	uint32_t gid;
	int64_t mtime;      /* seconds; clamped to [0, epoch] when written */
};

/* the inode numbers of one filesystem: which to hand out next */
struct inodes {
	ext2_filsys fs;             /* the filesystem being written (not owned) */
	uint32_t epoch;             /* timestamp for everything written */
	ext2_ino_t next;            /* next never-used inode number to try */
	ext2_ino_t *freed;          /* inodes released by removed entries, reused last first */
	size_t n_freed, alloc_freed;
};

/* start handing out the inodes of fs, stamping every one with epoch */
void image_inode_init(struct inodes *s, ext2_filsys fs, uint32_t epoch);
/* free what s holds (not the filesystem) */
void image_inode_release(struct inodes *s);

/*
 * Take an inode number for a new entry (a directory when dir) at path (for
 * messages): the last one freed, else the lowest never used; 0 or -1 when
 * all are in use.
 */
int image_inode_alloc(struct inodes *s, bool dir, const char *path, ext2_ino_t *ino,
		      struct error *err);
/* mark the fixed inode ino (the root) in use, for a directory when dir */
void image_inode_take(struct inodes *s, ext2_ino_t ino, bool dir);

/* write ino as an empty directory with attributes a (blocks come later); 0 or -1 */
int image_inode_dir(struct inodes *s, ext2_ino_t ino, const struct tree_attrs *a, const char *path,
		    struct error *err);
/* give the directory ino the mode, owner and mtime of a; 0 or -1 */
int image_inode_set_attrs(struct inodes *s, ext2_ino_t ino, const struct tree_attrs *a,
			  const char *path, struct error *err);
/* write ino as an empty regular file, leaving the inode written in *in; 0 or -1 */
int image_inode_file(struct inodes *s, ext2_ino_t ino, const struct tree_attrs *a, const char *path,
		     struct ext2_inode_large *in, struct error *err);
/* write ino as a symlink to target (in the inode when it fits, else in a block); 0 or -1 */
int image_inode_symlink(struct inodes *s, ext2_ino_t ino, const struct tree_attrs *a,
			const char *target, const char *path, struct error *err);
/* write ino as a FIFO, socket or device node (rdev for devices); 0 or -1 */
int image_inode_special(struct inodes *s, ext2_ino_t ino, const struct tree_attrs *a, dev_t rdev,
			const char *path, struct error *err);

/* the link count of ino, the inode of path; 0 or -1 */
int image_inode_links(struct inodes *s, ext2_ino_t ino, const char *path, unsigned *links,
		      struct error *err);
/* one more link, named path, to ino, the inode of target; 0 or -1 */
int image_inode_link(struct inodes *s, ext2_ino_t ino, const char *target, const char *path,
		     struct error *err);
/*
 * Drop a link to ino, a directory when dir (its only link), named name in
 * messages; at zero links free its blocks and attributes and keep its
 * number for image_inode_alloc.  0 or -1.
 */
int image_inode_unlink(struct inodes *s, ext2_ino_t ino, bool dir, const char *name,
		       struct error *err);
/* the device numbers of a device inode in (from i_block, old or new Linux encoding) */
void image_inode_devnum(const struct ext2_inode_large *in, unsigned *major, unsigned *minor);
/* set the extended attribute xname of ino, the inode of path; 0 or -1 */
int image_inode_set_xattr(struct inodes *s, ext2_ino_t ino, const char *xname, const void *value,
			  size_t len, const char *path, struct error *err);

#endif
