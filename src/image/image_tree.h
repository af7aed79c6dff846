/*
 * image_tree: the entries of an image being written.  Keeps an in-memory
 * path -> inode map (a hash table keyed by parent and name, so lookups
 * cost the path depth, never a directory scan) and the children of every
 * directory in input order; each inode (image_inode) and regular file's
 * data goes to the filesystem as it streams in, and directories are
 * written once, at the end, as whole blocks, so adding an entry costs the
 * same in a directory of 20 or 20,000 entries.
 *
 * Paths are relative to the image root, already cleaned (see
 * image_tree_path_clean).  A later entry replaces an earlier one as tar would:
 * a directory over a directory updates its attributes, anything else
 * removes what was there (a directory with everything beneath it).
 */
#ifndef MVBUILD_IMAGE_TREE_H
#define MVBUILD_IMAGE_TREE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <ext2fs/ext2fs.h>

#include "base/error.h"
#include "base/util.h"
#include "image/image_inode.h"   /* struct tree_attrs */

struct tree;
struct tree_file;

/*
 * Clean an entry name into a relative path without "." or empty parts.
 * Rule for absolute names: leading '/' are stripped (as GNU tar does), so
 * "/etc/x" and "./etc/x" are the same entry.  A ".." part is an error.
 * "" or "." is the root.  Returns the new string, or NULL with err set.
 */
char *image_tree_path_clean(const char *name, struct error *err);

/* what a tree holds besides its entries: flags of image_tree_new() */
enum {
	IMAGE_TREE_LOST_FOUND = 1,  /* /lost+found, as mke2fs makes it (ext4 images) */
	IMAGE_TREE_XATTRS = 2,      /* extended attributes (a cpio archive has none to give them) */
};

/* start a tree on fs with flags IMAGE_TREE_*: makes the root (and lost+found); NULL with err */
struct tree *image_tree_new(ext2_filsys fs, uint32_t epoch, unsigned flags, struct error *err);
/* free the tree (not the filesystem) */
void image_tree_free(struct tree *t);

/* create or update the directory at path; returns 0 or -1 */
int image_tree_mkdir(struct tree *t, const char *path, const struct tree_attrs *a, struct error *err);
/* create missing parents and path as directories with default attributes (0755, root) */
int image_tree_mkdir_p(struct tree *t, const char *path, struct error *err);
/* create the symlink path -> target (stored verbatim); 0 or -1 */
int image_tree_symlink(struct tree *t, const char *path, const struct tree_attrs *a,
		 const char *target, struct error *err);
/* create a FIFO, socket or device node (rdev for devices); 0 or -1 */
int image_tree_mknod(struct tree *t, const char *path, const struct tree_attrs *a, dev_t rdev,
	       struct error *err);
/* link path to the regular file at target (same inode); 0 or -1 */
int image_tree_hardlink(struct tree *t, const char *path, const char *target, struct error *err);
/* remove path and everything beneath it; a missing path is fine; 0 or -1 */
int image_tree_remove(struct tree *t, const char *path, struct error *err);
/*
 * Container image layers: start the next layer (entries placed from now on,
 * and directories re-declared, belong to it), and make the directory at
 * path opaque: remove everything beneath it placed by an earlier layer,
 * keeping this layer's entries (a missing path is fine, as in containerd).
 */
void image_tree_next_layer(struct tree *t);
int image_tree_opaque(struct tree *t, const char *path, struct error *err);
/* set an extended attribute ("security.capability") on the entry at path; 0 or -1 */
int image_tree_set_xattr(struct tree *t, const char *path, const char *name, const void *value,
		   size_t len, struct error *err);

/* bytes still free for file data (a bound for declared sizes) */
uint64_t image_tree_free_bytes(const struct tree *t);

/* begin a regular file of the declared size; *f receives the writer */
int image_tree_file_begin(struct tree *t, const char *path, const struct tree_attrs *a,
		    uint64_t size, struct tree_file **f, struct error *err);
/* write data at offset (all-zero blocks stay holes); 0 or -1 */
int image_tree_file_write(struct tree_file *f, uint64_t offset, const void *data, size_t len,
		    struct error *err);
/* the writer of the new regular file ino (inode in, already written) at path; 0 or -1 */
int image_tree_file_open(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *in, const char *path,
		   uint64_t size, struct tree_file **f, struct error *err);
/* finish the file (its size is the declared one); frees f; 0 or -1 */
int image_tree_file_end(struct tree_file *f, struct error *err);
/* abandon a file after an error; frees f */
void image_tree_file_abort(struct tree_file *f);

/* write every directory to the filesystem; 0 or -1 */
int image_tree_finish(struct tree *t, struct error *err);
/* one entry as image_tree_walk() shows it */
struct tree_entry {
	const char *path;     /* absolute path in the image ("/" for the root) */
	ext2_ino_t ino;       /* inode number (shared by hardlinks) */
	uint32_t mode;        /* type and permissions as placed */
	const char *target;   /* symlink target, else NULL */
};

typedef int (*tree_walk_fn)(void *arg, const struct tree_entry *e, struct error *err);
/* call fn for every entry, depth first, children in input order; 0 or fn's -1 */
int image_tree_walk(struct tree *t, tree_walk_fn fn, void *arg, struct error *err);
/* the filesystem the tree writes to */
ext2_filsys image_tree_fs(const struct tree *t);

#endif
