/*
 * image_tree_internal: what the files of image_tree share: the node of
 * every entry and the tree holding them.  image_tree.c decides where an
 * entry goes and what it replaces; image_tree_node.c stores the nodes,
 * finds them by (parent, name), walks them and writes the directories.
 */
#ifndef MVBUILD_IMAGE_TREE_INTERNAL_H
#define MVBUILD_IMAGE_TREE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ext2fs/ext2fs.h>

#include "image/image_inode.h"

struct tnode {
	char *name;                 /* last path component ("" for the root) */
	struct tnode *parent;       /* containing directory (root: itself) */
	struct tnode *first_child;  /* directories: children in input order */
	struct tnode *last_child;
	struct tnode *next_sibling;
	struct tnode *hash_next;    /* chain in the (parent, name) table */
	char *target;               /* symlinks: the target as stored */
	ext2_ino_t ino;             /* inode number (shared by hardlinks) */
	uint32_t mode;              /* type and permissions */
	bool removed;               /* replaced or removed: skipped when writing */
	uint32_t layer;             /* the layer that placed it (or re-declared a directory) */
};

struct tree {
	ext2_filsys fs;             /* the filesystem being written (not owned) */
	struct inodes inodes;       /* its inode numbers, and the writer of each inode */
	struct tnode *root;
	struct tnode **buckets;     /* hash table of nodes by (parent, name) */
	size_t n_buckets;           /* power of two */
	size_t n_hashed;            /* nodes in the table */
	struct tnode **nodes;       /* every node ever made, for freeing */
	size_t n_nodes, alloc_nodes;
	struct tnode **dirs;        /* directories in creation order, for image_tree_finish */
	size_t n_dirs, alloc_dirs;
	struct tnode *lost_found;   /* padded to 16 KiB as mke2fs does; NULL when there is none */
	unsigned flags;             /* IMAGE_TREE_* */
	uint32_t layer;             /* the layer being applied (image_tree_next_layer) */
};

/* a node for name[0..len) with mode and ino, last child of parent (NULL: the root itself) */
struct tnode *image_tree_node_new(struct tree *t, struct tnode *parent, const char *name,
				  size_t len, uint32_t mode, ext2_ino_t ino);
/* remember the directory node n, for image_tree_finish to write */
void image_tree_node_dir(struct tree *t, struct tnode *n);
/* the child name[0..len) of parent still in place, or NULL */
struct tnode *image_tree_node_find(const struct tree *t, const struct tnode *parent,
				   const char *name, size_t len);
/* take n out of the table: image_tree_node_find no longer finds it */
void image_tree_node_unhash(struct tree *t, struct tnode *n);
/* free every node, the table and the list of directories (image_tree_free frees t) */
void image_tree_node_release(struct tree *t);

#endif
