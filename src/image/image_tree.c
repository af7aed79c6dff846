/*
 * image_tree: entries of an image being written (see image_tree.h): where
 * each goes, what it replaces, and which inode it gets.  The nodes and
 * their (parent, name) table belong to image_tree_node.c, the inodes to
 * image_inode; regular file data streams through image_tree_file.
 * Directory contents live only in memory until image_tree_finish()
 * (image_tree_node.c) writes each directory once (image_dirblocks).
 */
#include <string.h>
#include <sys/stat.h>

#include "image/image_inode.h"
#include "image/image_tree.h"
#include "image/image_tree_internal.h"

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

/* ---- paths and replacement ------------------------------------------------ */

/* remove n and everything beneath it, dropping a link of each inode */
static int remove_node(struct tree *t, struct tnode *n, struct error *err)
{
	if (S_ISDIR(n->mode))
		for (struct tnode *c = n->first_child; c; c = c->next_sibling)
			if (!c->removed && remove_node(t, c, err) < 0)
				return -1;
	image_tree_node_unhash(t, n);
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
	*out = image_tree_node_new(t, parent, name, len, a->mode, ino);
	image_tree_node_dir(t, *out);
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
		struct tnode *c = image_tree_node_find(t, cur, p, len);
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
	struct tnode *n = dir ? image_tree_node_find(t, dir, leaf, strlen(leaf)) : NULL;
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
	struct tnode *old = image_tree_node_find(t, *dir, *leaf, strlen(*leaf));
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

struct tree *image_tree_new(ext2_filsys fs, uint32_t epoch, unsigned flags, struct error *err)
{
	struct tree *t = xcalloc(1, sizeof(*t));
	const struct tree_attrs root_attrs = { S_IFDIR | 0755, 0, 0, epoch };
	const struct tree_attrs lf_attrs = { S_IFDIR | 0700, 0, 0, epoch };
	t->fs = fs;
	t->flags = flags;
	image_inode_init(&t->inodes, fs, epoch);
	image_inode_take(&t->inodes, EXT2_ROOT_INO, true);
	if (image_inode_dir(&t->inodes, EXT2_ROOT_INO, &root_attrs, "", err) < 0)
		goto fail;
	t->root = image_tree_node_new(t, NULL, "", 0, root_attrs.mode, EXT2_ROOT_INO);
	image_tree_node_dir(t, t->root);
	if ((flags & IMAGE_TREE_LOST_FOUND) &&
	    make_dir(t, t->root, "lost+found", 10, "lost+found", &lf_attrs, &t->lost_found, err) < 0)
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
	image_tree_node_release(t);
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
	if (keep) {
		keep->layer = t->layer; /* an opaque marker of this layer keeps it */
		return set_dir_attrs(t, keep, a, path, err);
	}
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
	n = image_tree_node_find(t, dir, leaf, strlen(leaf));
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
	*out = image_tree_node_new(t, dir, leaf, strlen(leaf), a->mode, ino);
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
	image_tree_node_new(t, dir, leaf, strlen(leaf), to->mode, to->ino);
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
	struct tnode *n = dir ? image_tree_node_find(t, dir, leaf, strlen(leaf)) : NULL;
	if (n && n == t->lost_found)
		return error_set(err, "cannot remove '/lost+found'");
	return n ? remove_node(t, n, err) : 0;
}

void image_tree_next_layer(struct tree *t)
{
	t->layer++;
}

/* remove what lies beneath dir from before this layer; this layer's directories are searched */
static int remove_older(struct tree *t, struct tnode *dir, struct error *err)
{
	for (struct tnode *c = dir->first_child; c; c = c->next_sibling) {
		if (c->removed || c == t->lost_found)
			continue;
		int ret = c->layer != t->layer ? remove_node(t, c, err)
			  : S_ISDIR(c->mode) ? remove_older(t, c, err) : 0;
		if (ret < 0)
			return -1;
	}
	return 0;
}

int image_tree_opaque(struct tree *t, const char *path, struct error *err)
{
	struct tnode *dir;
	const char *leaf;
	if (!*path)
		return remove_older(t, t->root, err);
	if (walk_parent(t, path, false, &dir, &leaf, err) < 0)
		return -1;
	struct tnode *n = dir ? image_tree_node_find(t, dir, leaf, strlen(leaf)) : NULL;
	return n && S_ISDIR(n->mode) ? remove_older(t, n, err) : 0;
}

int image_tree_set_xattr(struct tree *t, const char *path, const char *name, const void *value,
		   size_t len, struct error *err)
{
	struct tnode *n = lookup(t, path, err);
	if (!n)
		return -1;
	if (!(t->flags & IMAGE_TREE_XATTRS))
		return error_set(err, "'/%s' has the extended attribute '%s', which a cpio archive "
				 "cannot hold", path, name);
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

ext2_filsys image_tree_fs(const struct tree *t)
{
	return t->fs;
}
