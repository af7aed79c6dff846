/*
 * image_tree: entries of an image being written (see image_tree.h).
 *
 * Every entry is a node (name, parent, inode number, type) found through
 * a hash table keyed by (parent, name).  Inodes are written as entries
 * arrive (image_inode); regular file data streams through image_tree_file.
 * Directory contents live only in memory until image_tree_finish(), which
 * writes each directory once (image_dirblocks).
 */
#include <string.h>
#include <sys/stat.h>

#include "image/image_dirblocks.h"
#include "image/image_inode.h"
#include "image/image_tree.h"

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
	bool hardlink;              /* made by image_tree_hardlink (manifest only) */
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
	struct tnode *lost_found;   /* padded to 16 KiB as mke2fs does */
};

#define LOST_FOUND_BYTES 16384

char *image_tree_path_clean(const char *name, struct error *err)
{
	struct buf out = BUF_INIT;
	const char *p = name;
	buf_adds(&out, "");
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			buf_release(&out);
			error_set(err, "'%s': '..' in a path is not allowed", name);
			return NULL;
		}
		if (len > EXT2_NAME_LEN) {
			buf_release(&out);
			error_set(err, "'%s': a name is longer than %d bytes", name, EXT2_NAME_LEN);
			return NULL;
		}
		if (len && !(len == 1 && p[0] == '.')) {
			if (out.len)
				buf_addc(&out, '/');
			buf_add(&out, p, len);
		}
		p = *end ? end + 1 : end;
	}
	return buf_detach(&out);
}

/* ---- the (parent, name) table ------------------------------------------ */

static size_t node_hash(const struct tnode *parent, const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)parent;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29));
}

static void table_insert(struct tree *t, struct tnode *n)
{
	if (t->n_hashed + 1 > t->n_buckets) {
		size_t nb = t->n_buckets ? t->n_buckets * 2 : 1024;
		struct tnode **b = xcalloc(nb, sizeof(*b));
		for (size_t i = 0; i < t->n_buckets; i++) {
			struct tnode *c = t->buckets[i], *next;
			for (; c; c = next) {
				next = c->hash_next;
				size_t h = node_hash(c->parent, c->name, strlen(c->name)) & (nb - 1);
				c->hash_next = b[h];
				b[h] = c;
			}
		}
		free(t->buckets);
		t->buckets = b;
		t->n_buckets = nb;
	}
	size_t h = node_hash(n->parent, n->name, strlen(n->name)) & (t->n_buckets - 1);
	n->hash_next = t->buckets[h];
	t->buckets[h] = n;
	t->n_hashed++;
}

static void table_remove(struct tree *t, struct tnode *n)
{
	size_t h = node_hash(n->parent, n->name, strlen(n->name)) & (t->n_buckets - 1);
	for (struct tnode **pp = &t->buckets[h]; *pp; pp = &(*pp)->hash_next) {
		if (*pp == n) {
			*pp = n->hash_next;
			t->n_hashed--;
			return;
		}
	}
}

static struct tnode *table_find(const struct tree *t, const struct tnode *parent,
				const char *name, size_t len)
{
	if (!t->n_buckets)
		return NULL;
	size_t h = node_hash(parent, name, len) & (t->n_buckets - 1);
	for (struct tnode *c = t->buckets[h]; c; c = c->hash_next)
		if (c->parent == parent && strlen(c->name) == len && !memcmp(c->name, name, len))
			return c;
	return NULL;
}

/* ---- nodes ---------------------------------------------------------------- */

static struct tnode *node_new(struct tree *t, struct tnode *parent, const char *name,
			      size_t len, uint32_t mode, ext2_ino_t ino)
{
	struct tnode *n = xcalloc(1, sizeof(*n));
	n->name = xstrndup(name, len);
	n->parent = parent ? parent : n;
	n->mode = mode;
	n->ino = ino;
	if (t->n_nodes == t->alloc_nodes) {
		t->alloc_nodes = t->alloc_nodes ? t->alloc_nodes * 2 : 1024;
		t->nodes = xrealloc(t->nodes, t->alloc_nodes * sizeof(*t->nodes));
	}
	t->nodes[t->n_nodes++] = n;
	if (!parent)
		return n;
	if (parent->last_child)
		parent->last_child->next_sibling = n;
	else
		parent->first_child = n;
	parent->last_child = n;
	table_insert(t, n);
	return n;
}

static void remember_dir(struct tree *t, struct tnode *n)
{
	if (t->n_dirs == t->alloc_dirs) {
		t->alloc_dirs = t->alloc_dirs ? t->alloc_dirs * 2 : 256;
		t->dirs = xrealloc(t->dirs, t->alloc_dirs * sizeof(*t->dirs));
	}
	t->dirs[t->n_dirs++] = n;
}

static int remove_node(struct tree *t, struct tnode *n, struct error *err)
{
	if (S_ISDIR(n->mode))
		for (struct tnode *c = n->first_child; c; c = c->next_sibling)
			if (!c->removed && remove_node(t, c, err) < 0)
				return -1;
	table_remove(t, n);
	n->removed = true;
	return image_inode_unlink(&t->inodes, n->ino, S_ISDIR(n->mode), n->name, err);
}

/* a directory inode with no blocks yet (image_tree_finish writes them); path is for messages */
static int make_dir(struct tree *t, struct tnode *parent, const char *name, size_t len,
		    const char *path, const struct tree_attrs *a, struct tnode **out,
		    struct error *err)
{
	ext2_ino_t ino;
	if (image_inode_alloc(&t->inodes, true, path, &ino, err) < 0 ||
	    image_inode_dir(&t->inodes, ino, a, path, err) < 0)
		return -1;
	*out = node_new(t, parent, name, len, a->mode, ino);
	remember_dir(t, *out);
	return 0;
}

static const struct tree_attrs default_dir_attrs = { S_IFDIR | 0755, 0, 0, INT64_MAX };

/*
 * Find the directory that holds path's last component, creating missing
 * directories when create is true (else *dir is NULL when one is missing).
 * A symlink on the way is an error: a path must never lead through a link
 * placed by an earlier entry.
 */
static int walk_parent(struct tree *t, const char *path, bool create, struct tnode **dir,
		       const char **leaf, struct error *err)
{
	struct tnode *cur = t->root;
	const char *p = path;
	for (;;) {
		const char *slash = strchr(p, '/');
		if (!slash)
			break;
		size_t len = (size_t)(slash - p);
		struct tnode *c = table_find(t, cur, p, len);
		if (!c) {
			if (!create) {
				*dir = NULL; /* missing: not an error for every caller */
				return 0;
			}
			if (make_dir(t, cur, p, len, path, &default_dir_attrs, &c, err) < 0)
				return -1;
		} else if (S_ISLNK(c->mode)) {
			return error_set(err, "'/%s' leads through the symlink '/%.*s'", path,
					 (int)(slash - path), path);
		} else if (!S_ISDIR(c->mode)) {
			return error_set(err, "'/%s': '/%.*s' is not a directory", path,
					 (int)(slash - path), path);
		}
		cur = c;
		p = slash + 1;
	}
	*dir = cur;
	*leaf = p;
	return 0;
}

static struct tnode *lookup(struct tree *t, const char *path, struct error *err)
{
	struct tnode *dir;
	const char *leaf;
	if (!*path)
		return t->root;
	if (walk_parent(t, path, false, &dir, &leaf, err) < 0)
		return NULL;
	struct tnode *n = dir ? table_find(t, dir, leaf, strlen(leaf)) : NULL;
	if (!n)
		error_set(err, "'/%s' does not exist", path);
	return n;
}

/*
 * Make room for a new entry at path: *dir gets its directory; an existing
 * directory is returned in *keep when the new entry is a directory too,
 * anything else in the way is removed.
 */
static int make_room(struct tree *t, const char *path, uint32_t mode, struct tnode **dir,
		     const char **leaf, struct tnode **keep, struct error *err)
{
	*keep = NULL;
	if (!*path) {
		if (!S_ISDIR(mode))
			return error_set(err, "the root can only be a directory");
		*keep = t->root;
		return 0;
	}
	if (walk_parent(t, path, true, dir, leaf, err) < 0)
		return -1;
	struct tnode *old = table_find(t, *dir, *leaf, strlen(*leaf));
	if (!old)
		return 0;
	if (S_ISDIR(old->mode) && S_ISDIR(mode)) {
		*keep = old;
		return 0;
	}
	if (old == t->lost_found)
		return error_set(err, "'/lost+found' must stay a directory");
	return remove_node(t, old, err);
}

/* ---- the public entry points ---------------------------------------------- */

struct tree *image_tree_new(ext2_filsys fs, uint32_t epoch, struct error *err)
{
	struct tree *t = xcalloc(1, sizeof(*t));
	const struct tree_attrs root_attrs = { S_IFDIR | 0755, 0, 0, epoch };
	const struct tree_attrs lf_attrs = { S_IFDIR | 0700, 0, 0, epoch };
	t->fs = fs;
	image_inode_init(&t->inodes, fs, epoch);
	image_inode_take(&t->inodes, EXT2_ROOT_INO, true);
	if (image_inode_dir(&t->inodes, EXT2_ROOT_INO, &root_attrs, "", err) < 0)
		goto fail;
	t->root = node_new(t, NULL, "", 0, root_attrs.mode, EXT2_ROOT_INO);
	remember_dir(t, t->root);
	if (make_dir(t, t->root, "lost+found", 10, "lost+found", &lf_attrs, &t->lost_found, err) < 0)
		goto fail;
	return t;
fail:
	image_tree_free(t);
	return NULL;
}

void image_tree_free(struct tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_nodes; i++) {
		free(t->nodes[i]->name);
		free(t->nodes[i]->target);
		free(t->nodes[i]);
	}
	free(t->nodes);
	free(t->buckets);
	free(t->dirs);
	image_inode_release(&t->inodes);
	free(t);
}

uint64_t image_tree_free_bytes(const struct tree *t)
{
	return ext2fs_free_blocks_count(t->fs->super) * (uint64_t)t->fs->blocksize;
}

static int set_dir_attrs(struct tree *t, struct tnode *n, const struct tree_attrs *a,
			 const char *path, struct error *err)
{
	n->mode = a->mode;
	return image_inode_set_attrs(&t->inodes, n->ino, a, path, err);
}

int image_tree_mkdir(struct tree *t, const char *path, const struct tree_attrs *a, struct error *err)
{
	struct tnode *dir, *keep, *n;
	const char *leaf;
	if (make_room(t, path, a->mode, &dir, &leaf, &keep, err) < 0)
		return -1;
	if (keep)
		return set_dir_attrs(t, keep, a, path, err);
	return make_dir(t, dir, leaf, strlen(leaf), path, a, &n, err);
}

int image_tree_mkdir_p(struct tree *t, const char *path, struct error *err)
{
	struct tnode *dir, *n;
	const char *leaf;
	if (!*path)
		return 0;
	if (walk_parent(t, path, true, &dir, &leaf, err) < 0)
		return -1;
	n = table_find(t, dir, leaf, strlen(leaf));
	if (n && S_ISDIR(n->mode))
		return 0;
	if (n)
		return error_set(err, "'/%s' exists and is not a directory", path);
	return make_dir(t, dir, leaf, strlen(leaf), path, &default_dir_attrs, &n, err);
}

/* a node with a fresh inode number for a non-directory entry, the inode not yet written */
static int make_leaf(struct tree *t, const char *path, const struct tree_attrs *a,
		     struct tnode **out, struct error *err)
{
	struct tnode *dir, *keep;
	const char *leaf;
	ext2_ino_t ino;
	if (make_room(t, path, a->mode, &dir, &leaf, &keep, err) < 0)
		return -1;
	if (image_inode_alloc(&t->inodes, false, path, &ino, err) < 0)
		return -1;
	*out = node_new(t, dir, leaf, strlen(leaf), a->mode, ino);
	return 0;
}

int image_tree_symlink(struct tree *t, const char *path, const struct tree_attrs *a,
		 const char *target, struct error *err)
{
	struct tnode *n;
	size_t len = strlen(target);
	if (len == 0 || len >= t->fs->blocksize)
		return error_set(err, "'/%s': symlink target of %zu bytes is not allowed", path, len);
	if (make_leaf(t, path, a, &n, err) < 0)
		return -1;
	n->target = xstrdup(target);
	return image_inode_symlink(&t->inodes, n->ino, a, target, path, err);
}

int image_tree_mknod(struct tree *t, const char *path, const struct tree_attrs *a, dev_t rdev,
	       struct error *err)
{
	struct tnode *n;
	if (!S_ISFIFO(a->mode) && !S_ISSOCK(a->mode) && !S_ISCHR(a->mode) && !S_ISBLK(a->mode))
		return error_set(err, "'/%s': not a special file type", path);
	if (make_leaf(t, path, a, &n, err) < 0)
		return -1;
	return image_inode_special(&t->inodes, n->ino, a, rdev, path, err);
}

int image_tree_hardlink(struct tree *t, const char *path, const char *target, struct error *err)
{
	struct tnode *to = lookup(t, target, err), *dir, *keep;
	const char *leaf;
	unsigned links;
	if (!to)
		return error_prefix(err, "hardlink '/%s'", path);
	if (!S_ISREG(to->mode))
		return error_set(err, "hardlink '/%s': target '/%s' is not a regular file", path,
				 target);
	if (!strcmp(path, target))
		return error_set(err, "hardlink '/%s' points at itself", path);
	if (image_inode_links(&t->inodes, to->ino, target, &links, err) < 0)
		return -1;
	if (links >= EXT2_LINK_MAX)
		return error_set(err, "hardlink '/%s': too many links to '/%s'", path, target);
	if (make_room(t, path, to->mode, &dir, &leaf, &keep, err) < 0)
		return -1;
	/* the target lay beneath what path replaced: its inode is gone (and may be reused) */
	if (to->removed)
		return error_set(err, "hardlink '/%s': its target '/%s' was beneath it and is gone",
				 path, target);
	/* make_room may have dropped a link of the target's inode: the count is read again */
	if (image_inode_link(&t->inodes, to->ino, target, path, err) < 0)
		return -1;
	struct tnode *n = node_new(t, dir, leaf, strlen(leaf), to->mode, to->ino);
	n->hardlink = true;
	return 0;
}

int image_tree_remove(struct tree *t, const char *path, struct error *err)
{
	struct tnode *dir;
	const char *leaf;
	if (!*path)
		return error_set(err, "cannot remove the root");
	if (walk_parent(t, path, false, &dir, &leaf, err) < 0)
		return -1;
	struct tnode *n = dir ? table_find(t, dir, leaf, strlen(leaf)) : NULL;
	if (n == t->lost_found)
		return error_set(err, "cannot remove '/lost+found'");
	return n ? remove_node(t, n, err) : 0;
}

int image_tree_set_xattr(struct tree *t, const char *path, const char *name, const void *value,
		   size_t len, struct error *err)
{
	struct tnode *n = lookup(t, path, err);
	if (!n)
		return -1;
	return image_inode_set_xattr(&t->inodes, n->ino, name, value, len, path, err);
}

/* ---- regular files -------------------------------------------------------- */

int image_tree_file_begin(struct tree *t, const char *path, const struct tree_attrs *a,
		    uint64_t size, struct tree_file **out, struct error *err)
{
	struct ext2_inode_large in;
	struct tnode *n;
	*out = NULL;
	if (size > image_tree_free_bytes(t))
		return error_set(err, "'/%s' declares %llu bytes, more than the %llu free in the "
				 "image: raise size: or use size: auto", path,
				 (unsigned long long)size, (unsigned long long)image_tree_free_bytes(t));
	if (make_leaf(t, path, a, &n, err) < 0 ||
	    image_inode_file(&t->inodes, n->ino, a, path, &in, err) < 0)
		return -1;
	return image_tree_file_open(t->fs, n->ino, &in, path, size, out, err);
}

/* ---- directories ---------------------------------------------------------- */

/* one directory as linear blocks: ".", "..", then the live children in input order */
static int write_dir(struct tree *t, struct tnode *dir, struct error *err)
{
	struct dirblocks d;
	unsigned subdirs = 0;
	image_dirblocks_init(&d, t->fs, dir->ino, dir->parent->ino);
	for (struct tnode *c = dir->first_child; c; c = c->next_sibling) {
		if (c->removed)
			continue;
		image_dirblocks_add(&d, c->ino, c->name, c->mode);
		subdirs += S_ISDIR(c->mode);
	}
	return image_dirblocks_write(&d, subdirs, dir == t->lost_found ? LOST_FOUND_BYTES : 0,
			       dir->name, err);
}

int image_tree_finish(struct tree *t, struct error *err)
{
	for (size_t i = 0; i < t->n_dirs; i++)
		if (!t->dirs[i]->removed && write_dir(t, t->dirs[i], err) < 0)
			return -1;
	return 0;
}

/* ---- walking ------------------------------------------------------------ */

static int walk_node(struct tree *t, struct tnode *n, struct buf *path, tree_walk_fn fn,
		     void *arg, struct error *err)
{
	size_t saved = path->len;
	if (n != t->root) {
		buf_addc(path, '/');
		buf_adds(path, n->name);
	}
	struct tree_entry e = { path->len ? path->data : "/", n->ino, n->mode, n->target };
	if (fn(arg, &e, err) < 0)
		return -1;
	if (S_ISDIR(n->mode))
		for (struct tnode *c = n->first_child; c; c = c->next_sibling)
			if (!c->removed && walk_node(t, c, path, fn, arg, err) < 0)
				return -1;
	path->len = saved;
	if (path->data)
		path->data[saved] = '\0';
	return 0;
}

int image_tree_walk(struct tree *t, tree_walk_fn fn, void *arg, struct error *err)
{
	struct buf path = BUF_INIT;
	int ret = walk_node(t, t->root, &path, fn, arg, err);
	buf_release(&path);
	return ret;
}

ext2_filsys image_tree_fs(const struct tree *t)
{
	return t->fs;
}
