/*
 * image_tree: entries of an image being written (see image_tree.h).
 *
 * Every entry is a node (name, parent, inode number, type) found through
 * a hash table keyed by (parent, name).  An inode freed by a replaced or
 * removed entry is reused first (last freed, first reused), then new ones
 * come from a counter, so a layer that rewrites a path 5,000 times needs
 * one inode, not 5,000, and the same input always gives the same inode
 * numbers.  Directory contents live only in memory until
 * image_tree_finish(), which writes each directory once (image_dirblocks);
 * regular file data streams through image_tree_file.
 *
 * Times: mtime = atime = the entry's mtime clamped to [0, epoch];
 * ctime = crtime = epoch; nanoseconds are zero.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <ext2fs/ext3_extents.h>

#include "image/image_fs.h"
#include "image/image_tree.h"
#include "image/image_dirblocks.h"

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
	uint32_t epoch;             /* timestamp for everything written */
	struct tnode *root;
	struct tnode **buckets;     /* hash table of nodes by (parent, name) */
	size_t n_buckets;           /* power of two */
	size_t n_hashed;            /* nodes in the table */
	struct tnode **nodes;       /* every node ever made, for freeing */
	size_t n_nodes, alloc_nodes;
	struct tnode **dirs;        /* directories in creation order, for image_tree_finish */
	size_t n_dirs, alloc_dirs;
	struct tnode *lost_found;   /* padded to 16 KiB as mke2fs does */
	ext2_ino_t next_ino;        /* next never-used inode number to try */
	ext2_ino_t *freed;          /* inodes released by removed entries, reused last first */
	size_t n_freed, alloc_freed;
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

/* ---- inodes --------------------------------------------------------------- */

static int alloc_ino(struct tree *t, bool dir, const char *path, ext2_ino_t *ino,
		     struct error *err)
{
	ext2_filsys fs = t->fs;
	if (t->n_freed) {
		*ino = t->freed[--t->n_freed];
	} else {
		while (t->next_ino <= fs->super->s_inodes_count &&
		       ext2fs_test_inode_bitmap2(fs->inode_map, t->next_ino))
			t->next_ino++;
		if (t->next_ino > fs->super->s_inodes_count)
			return error_set(err, "'/%s': %s (all %u are in use)", path,
					 IMAGE_NO_INODES_MSG, fs->super->s_inodes_count);
		*ino = t->next_ino++;
	}
	ext2fs_inode_alloc_stats2(fs, *ino, +1, dir);
	return 0;
}

/* give ino back for the next entry (its inode is already freed on disk) */
static void free_ino(struct tree *t, ext2_ino_t ino)
{
	if (t->n_freed == t->alloc_freed) {
		t->alloc_freed = t->alloc_freed ? t->alloc_freed * 2 : 64;
		t->freed = xrealloc(t->freed, t->alloc_freed * sizeof(*t->freed));
	}
	t->freed[t->n_freed++] = ino;
}

static uint32_t clamp_time(const struct tree *t, int64_t when)
{
	if (when < 0)
		return 0;
	return when > (int64_t)t->epoch ? t->epoch : (uint32_t)when;
}

static void fill_inode(const struct tree *t, struct ext2_inode_large *in, const struct tree_attrs *a)
{
	memset(in, 0, sizeof(*in));
	in->i_mode = (uint16_t)a->mode;
	in->i_uid = (uint16_t)a->uid;
	ext2fs_set_i_uid_high(*in, a->uid >> 16);
	in->i_gid = (uint16_t)a->gid;
	ext2fs_set_i_gid_high(*in, a->gid >> 16);
	in->i_mtime = in->i_atime = clamp_time(t, a->mtime);
	in->i_ctime = in->i_crtime = t->epoch;
	in->i_links_count = 1;
	in->i_extra_isize = sizeof(struct ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
}

/* an empty extent tree in i_block, as ext4 expects of every extent-mapped inode */
static void init_extents(struct ext2_inode_large *in)
{
	struct ext3_extent_header *eh = (struct ext3_extent_header *)in->i_block;
	eh->eh_magic = ext2fs_cpu_to_le16(EXT3_EXT_MAGIC);
	eh->eh_entries = 0;
	eh->eh_max = ext2fs_cpu_to_le16((sizeof(in->i_block) - sizeof(*eh)) /
					sizeof(struct ext3_extent));
	eh->eh_depth = 0;
	in->i_flags |= EXT4_EXTENTS_FL;
}

/* write a new inode, zeroing the whole on-disk slot (no stale in-inode xattrs) */
static int write_new_inode(struct tree *t, ext2_ino_t ino, struct ext2_inode_large *in,
			   const char *path, struct error *err)
{
	int size = EXT2_INODE_SIZE(t->fs->super);
	char *slot = xcalloc(1, (size_t)size);
	memcpy(slot, in, sizeof(*in));
	errcode_t rc = ext2fs_write_inode_full(t->fs, ino, (struct ext2_inode *)slot, size);
	free(slot);
	if (rc)
		return image_fs_error(t->fs, err, rc, "cannot write the inode of '/%s'", path);
	return 0;
}

static int read_inode(struct tree *t, ext2_ino_t ino, struct ext2_inode_large *in,
		      const char *path, struct error *err)
{
	errcode_t rc = ext2fs_read_inode_full(t->fs, ino, (struct ext2_inode *)in, sizeof(*in));
	if (rc)
		return image_fs_error(t->fs, err, rc, "cannot read the inode of '/%s'", path);
	return 0;
}

static int update_inode(struct tree *t, ext2_ino_t ino, struct ext2_inode_large *in,
			const char *path, struct error *err)
{
	errcode_t rc = ext2fs_write_inode_full(t->fs, ino, (struct ext2_inode *)in, sizeof(*in));
	if (rc)
		return image_fs_error(t->fs, err, rc, "cannot write the inode of '/%s'", path);
	return 0;
}

/* drop one link of a non-directory or the only one of a directory; frees at zero */
static int release_inode(struct tree *t, struct tnode *n, struct error *err)
{
	struct ext2_inode_large in;
	if (read_inode(t, n->ino, &in, n->name, err) < 0)
		return -1;
	if (!S_ISDIR(n->mode) && in.i_links_count > 1) {
		in.i_links_count--;
		return update_inode(t, n->ino, &in, n->name, err);
	}
	errcode_t rc = 0;
	if (ext2fs_inode_has_valid_blocks2(t->fs, (struct ext2_inode *)&in))
		rc = ext2fs_punch(t->fs, n->ino, (struct ext2_inode *)&in, NULL, 0, ~0ULL);
	if (!rc && ext2fs_file_acl_block(t->fs, (struct ext2_inode *)&in))
		rc = ext2fs_free_ext_attr(t->fs, n->ino, &in);
	if (rc)
		return image_fs_error(t->fs, err, rc, "cannot free the inode of '%s'", n->name);
	ext2fs_inode_alloc_stats2(t->fs, n->ino, -1, S_ISDIR(n->mode));
	struct ext2_inode_large zero;
	memset(&zero, 0, sizeof(zero));
	zero.i_dtime = t->epoch;
	if (write_new_inode(t, n->ino, &zero, n->name, err) < 0)
		return -1;
	free_ino(t, n->ino);
	return 0;
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
	return release_inode(t, n, err);
}

/* a directory inode with no blocks yet (image_tree_finish writes them); path is for messages */
static int make_dir(struct tree *t, struct tnode *parent, const char *name, size_t len,
		    const char *path, const struct tree_attrs *a, struct tnode **out,
		    struct error *err)
{
	struct ext2_inode_large in;
	ext2_ino_t ino;
	if (alloc_ino(t, true, path, &ino, err) < 0)
		return -1;
	fill_inode(t, &in, a);
	in.i_links_count = 2;
	init_extents(&in);
	if (write_new_inode(t, ino, &in, path, err) < 0)
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
	struct ext2_inode_large in;
	const struct tree_attrs root_attrs = { S_IFDIR | 0755, 0, 0, epoch };
	const struct tree_attrs lf_attrs = { S_IFDIR | 0700, 0, 0, epoch };
	t->fs = fs;
	t->epoch = epoch;
	t->next_ino = EXT2_FIRST_INODE(fs->super);
	ext2fs_inode_alloc_stats2(fs, EXT2_ROOT_INO, +1, 1);
	fill_inode(t, &in, &root_attrs);
	in.i_links_count = 2;
	init_extents(&in);
	if (write_new_inode(t, EXT2_ROOT_INO, &in, "", err) < 0)
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
	free(t->freed);
	free(t);
}

uint64_t image_tree_free_bytes(const struct tree *t)
{
	return ext2fs_free_blocks_count(t->fs->super) * (uint64_t)t->fs->blocksize;
}

static int set_dir_attrs(struct tree *t, struct tnode *n, const struct tree_attrs *a,
			 const char *path, struct error *err)
{
	struct ext2_inode_large in;
	if (read_inode(t, n->ino, &in, path, err) < 0)
		return -1;
	in.i_mode = (uint16_t)a->mode;
	in.i_uid = (uint16_t)a->uid;
	ext2fs_set_i_uid_high(in, a->uid >> 16);
	in.i_gid = (uint16_t)a->gid;
	ext2fs_set_i_gid_high(in, a->gid >> 16);
	in.i_mtime = in.i_atime = clamp_time(t, a->mtime);
	n->mode = a->mode;
	return update_inode(t, n->ino, &in, path, err);
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

/* a node with a fresh inode for a non-directory entry */
static int make_leaf(struct tree *t, const char *path, const struct tree_attrs *a,
		     struct ext2_inode_large *in, struct tnode **out, struct error *err)
{
	struct tnode *dir, *keep;
	const char *leaf;
	ext2_ino_t ino;
	if (make_room(t, path, a->mode, &dir, &leaf, &keep, err) < 0)
		return -1;
	if (alloc_ino(t, false, path, &ino, err) < 0)
		return -1;
	fill_inode(t, in, a);
	*out = node_new(t, dir, leaf, strlen(leaf), a->mode, ino);
	return 0;
}

int image_tree_symlink(struct tree *t, const char *path, const struct tree_attrs *a,
		 const char *target, struct error *err)
{
	struct ext2_inode_large in;
	struct tnode *n;
	size_t len = strlen(target);
	if (len == 0 || len >= t->fs->blocksize)
		return error_set(err, "'/%s': symlink target of %zu bytes is not allowed", path, len);
	if (make_leaf(t, path, a, &in, &n, err) < 0)
		return -1;
	n->target = xstrdup(target);
	in.i_size = (uint32_t)len;
	if (len < sizeof(in.i_block)) {
		/* a fast symlink: the target lives in the inode itself */
		memcpy(in.i_block, target, len);
		return write_new_inode(t, n->ino, &in, path, err);
	}
	in.i_size = 0;
	init_extents(&in);
	if (write_new_inode(t, n->ino, &in, path, err) < 0)
		return -1;
	ext2_file_t file = NULL;
	errcode_t rc = ext2fs_file_open2(t->fs, n->ino, (struct ext2_inode *)&in,
					 EXT2_FILE_WRITE, &file);
	unsigned int written;
	if (!rc)
		rc = ext2fs_file_write(file, target, (unsigned int)len, &written);
	if (!rc)
		rc = ext2fs_file_set_size2(file, len);
	if (file) {
		errcode_t rc2 = ext2fs_file_close(file);
		rc = rc ? rc : rc2;
	}
	if (rc)
		return image_fs_error(t->fs, err, rc, "cannot write the symlink '/%s'", path);
	return 0;
}

/* device numbers in i_block as Linux encodes them (old form when both fit a byte) */
static void encode_dev(struct ext2_inode_large *in, dev_t rdev)
{
	unsigned major = major(rdev), minor = minor(rdev);
	if (major < 256 && minor < 256) {
		in->i_block[0] = ext2fs_cpu_to_le32(major << 8 | minor);
	} else {
		in->i_block[1] = ext2fs_cpu_to_le32((minor & 0xff) | (major << 8) |
						    ((minor & ~0xffu) << 12));
	}
}

int image_tree_mknod(struct tree *t, const char *path, const struct tree_attrs *a, dev_t rdev,
	       struct error *err)
{
	struct ext2_inode_large in;
	struct tnode *n;
	if (!S_ISFIFO(a->mode) && !S_ISSOCK(a->mode) && !S_ISCHR(a->mode) && !S_ISBLK(a->mode))
		return error_set(err, "'/%s': not a special file type", path);
	if (make_leaf(t, path, a, &in, &n, err) < 0)
		return -1;
	if (S_ISCHR(a->mode) || S_ISBLK(a->mode))
		encode_dev(&in, rdev);
	return write_new_inode(t, n->ino, &in, path, err);
}

int image_tree_hardlink(struct tree *t, const char *path, const char *target, struct error *err)
{
	struct ext2_inode_large in;
	struct tnode *to = lookup(t, target, err), *dir, *keep;
	const char *leaf;
	if (!to)
		return error_prefix(err, "hardlink '/%s'", path);
	if (!S_ISREG(to->mode))
		return error_set(err, "hardlink '/%s': target '/%s' is not a regular file", path,
				 target);
	if (!strcmp(path, target))
		return error_set(err, "hardlink '/%s' points at itself", path);
	if (read_inode(t, to->ino, &in, target, err) < 0)
		return -1;
	if (in.i_links_count >= EXT2_LINK_MAX)
		return error_set(err, "hardlink '/%s': too many links to '/%s'", path, target);
	if (make_room(t, path, to->mode, &dir, &leaf, &keep, err) < 0)
		return -1;
	/* the target lay beneath what path replaced: its inode is gone (and may be reused) */
	if (to->removed)
		return error_set(err, "hardlink '/%s': its target '/%s' was beneath it and is gone",
				 path, target);
	/* make_room may have dropped a link of the target's inode: read it again */
	if (read_inode(t, to->ino, &in, target, err) < 0)
		return -1;
	in.i_links_count++;
	struct tnode *n = node_new(t, dir, leaf, strlen(leaf), to->mode, to->ino);
	n->hardlink = true;
	return update_inode(t, to->ino, &in, path, err);
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
	struct ext2_xattr_handle *h = NULL;
	struct tnode *n = lookup(t, path, err);
	if (!n)
		return -1;
	errcode_t rc = ext2fs_xattrs_open(t->fs, n->ino, &h);
	if (!rc)
		rc = ext2fs_xattrs_read(h);
	if (!rc)
		rc = ext2fs_xattr_set(h, name, value, len);
	if (h) {
		errcode_t rc2 = ext2fs_xattrs_close(&h);
		rc = rc ? rc : rc2;
	}
	if (rc)
		return image_fs_error(t->fs, err, rc, "cannot set xattr '%s' on '/%s'", name, path);
	return 0;
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
	if (make_leaf(t, path, a, &in, &n, err) < 0)
		return -1;
	init_extents(&in);
	if (write_new_inode(t, n->ino, &in, path, err) < 0)
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
