/*
 * image_entries: the entries of a finished image tree as a sorted list,
 * and the data of its regular files read back, for the writers that turn
 * the tree into another format (image_cpio, image_squashfs).  Sorting
 * makes the output a function of the tree alone, never of input order.
 */
#ifndef MVBUILD_IMAGE_ENTRIES_H
#define MVBUILD_IMAGE_ENTRIES_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "image/image_tree.h"

/* one entry of the tree */
struct image_entry {
	char *name;          /* "." for the root, else the path without its leading '/' */
	ext2_ino_t ino;      /* the tree's inode (shared by hardlinks) */
	uint32_t mode;       /* type and permissions as placed */
	char *target;        /* symlink target, else NULL */
};

/* the list; owns its names, targets and read buffer */
struct image_entries {
	struct image_entry *v;
	size_t n, alloc;
	unsigned char *buf;  /* file data in transit (image_entries_read) */
};

/* how image_entries_list() sorts (the root always first) */
enum image_entries_order {
	/* bytewise by path: "a-b" before "a/c" (a cpio archive's order) */
	IMAGE_ENTRIES_BYTEWISE,
	/* bytewise by path with '/' lowest: each directory's entries follow it, sorted by
	 * name, before the next sibling (depth first, the order squashfs directories need) */
	IMAGE_ENTRIES_DEPTH_FIRST,
};

/* every entry of t into l (empty), sorted by order; 0, or -1 with err */
int image_entries_list(struct tree *t, enum image_entries_order order, struct image_entries *l,
		       struct error *err);
/* free what l owns */
void image_entries_release(struct image_entries *l);

/* what image_entries_read() hands each piece of data to; 0, or -1 with err */
typedef int (*image_entries_data_fn)(void *arg, const void *data, size_t len, struct error *err);
/*
 * Read size bytes of the regular file e of fs (holes as zeros) and hand
 * them to fn in pieces of at most 64 KiB; 0, or -1 with err (naming e).
 */
int image_entries_read(struct image_entries *l, ext2_filsys fs, const struct image_entry *e,
		       uint64_t size, image_entries_data_fn fn, void *arg, struct error *err);

#endif
