/*
 * image_squashfs: the tree of an image written as a squashfs filesystem
 * through libsquashfs (see image_squashfs.h for what makes it reproducible).
 *
 * As for cpio, the tree was built by the same code as an ext4 image into a
 * scratch filesystem; image_entries lists it depth first.  Then, in the
 * order squashfs-tools-ng's own writer (tar2sqfs) follows: every file's
 * data through the block processor (which fills in each file's inode),
 * the inodes in number order (each directory after its entries, whose
 * inode references its listing needs), the directory listings, the
 * fragment, id and xattr tables, and the superblock last, now that it
 * knows where each table starts.
 */
#include "image/image_squashfs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/squashfs_lazy.h"
#include "base/util.h"
#include "image/image_entries.h"
#include "image/image_fs.h"
#include "image/image_inode.h"

#define NO_XATTRS 0xFFFFFFFFu

/* what the writer knows of one inode of the tree (hardlinks share it) */
struct sq_slot {
	sqfs_inode_generic_t *file; /* a regular file's inode, from the block processor */
	sqfs_u64 ref;               /* where its inode lies in the inode table, once written */
	uint32_t number;            /* its squashfs inode number, 1.. (0: none yet) */
};

struct sq_writer {
	ext2_filsys fs;
	struct image_entries l;     /* the entries, depth first */
	size_t *end;                /* per entry: the index just past it and all it holds */
	size_t *parent;             /* per entry: its directory's index (the root: 0) */
	size_t *order;              /* the entries' indices in inode number order */
	struct sq_slot *slots;      /* per tree inode */
	uint32_t count;             /* inodes numbered */
	sqfs_file_t *file;
	sqfs_compressor_t *cmp, *uncmp;
	sqfs_super_t super;
	sqfs_block_writer_t *blocks;
	sqfs_frag_table_t *frags;
	sqfs_block_processor_t *proc;
	sqfs_id_table_t *ids;
	sqfs_xattr_writer_t *xattrs;
	sqfs_meta_writer_t *inodes;  /* the inode table, written as it fills */
	sqfs_meta_writer_t *dirs;    /* the directory table, kept in memory until the inodes are out */
	sqfs_dir_writer_t *listing;
};

/* a libsquashfs failure (code < 0) as err; -1 */
static int sq_fail(struct error *err, int code, const char *what)
{
	return error_set(err, "%s: %s", what, squashfs_lazy_strerror(code));
}

/* whether entry e lies inside directory d */
static bool inside(const struct image_entry *d, const struct image_entry *e)
{
	size_t n = strlen(d->name);
	return strcmp(d->name, ".") == 0 || (strncmp(e->name, d->name, n) == 0 && e->name[n] == '/');
}

/* each entry's parent and the end of what it holds, from the depth-first order */
static void link_entries(struct sq_writer *w)
{
	size_t n = w->l.n, depth = 0, *stack = xcalloc(n + 1, sizeof(*stack));
	w->end = xcalloc(n + 1, sizeof(*w->end));
	w->parent = xcalloc(n + 1, sizeof(*w->parent));
	for (size_t i = 0; i < n; i++) {
		while (depth && !inside(&w->l.v[stack[depth - 1]], &w->l.v[i]))
			w->end[stack[--depth]] = i;
		w->parent[i] = depth ? stack[depth - 1] : 0;
		stack[depth++] = i;
	}
	while (depth)
		w->end[stack[--depth]] = n;
	free(stack);
}

/* give entry k's inode the next number, unless a hardlink gave it one */
static void number_one(struct sq_writer *w, size_t k)
{
	struct sq_slot *s = &w->slots[w->l.v[k].ino];
	if (!s->number) {
		s->number = ++w->count;
		w->order[w->count - 1] = k;
	}
}

/* number what directory d holds: subdirectories' contents first, then its entries */
static void number_dir(struct sq_writer *w, size_t d)
{
	for (size_t k = d + 1; k < w->end[d]; k = w->end[k])
		if (S_ISDIR(w->l.v[k].mode))
			number_dir(w, k);
	for (size_t k = d + 1; k < w->end[d]; k = w->end[k])
		number_one(w, k);
}

static int read_inode(struct sq_writer *w, const struct image_entry *e,
		      struct ext2_inode_large *in, struct error *err)
{
	errcode_t rc = ext2fs_read_inode_full(w->fs, e->ino, (struct ext2_inode *)in, sizeof(*in));
	return rc ? image_fs_error(w->fs, err, rc, "cannot read the inode of '/%s'", e->name) : 0;
}

static int append_data(void *arg, const void *data, size_t len, struct error *err)
{
	struct sq_writer *w = arg;
	int rc = sqfs_block_processor_append(w->proc, data, len);
	return rc ? sq_fail(err, rc, "cannot write file data") : 0;
}

/* every regular file's data, once per inode, in entry order */
static int write_data(struct sq_writer *w, struct error *err)
{
	for (size_t i = 0; i < w->l.n; i++) {
		const struct image_entry *e = &w->l.v[i];
		struct sq_slot *s = &w->slots[e->ino];
		struct ext2_inode_large in;
		if (!S_ISREG(e->mode) || s->file)
			continue;
		if (read_inode(w, e, &in, err) < 0)
			return -1;
		int rc = sqfs_block_processor_begin_file(w->proc, &s->file, NULL, 0);
		if (rc)
			return sq_fail(err, rc, "cannot start file data");
		if (image_entries_read(&w->l, w->fs, e, EXT2_I_SIZE(&in), append_data, w, err) < 0)
			return error_prefix(err, "'/%s'", e->name);
		if ((rc = sqfs_block_processor_end_file(w->proc)))
			return sq_fail(err, rc, "cannot finish file data");
	}
	int rc = sqfs_block_processor_finish(w->proc);
	return rc ? sq_fail(err, rc, "cannot finish the data blocks") : 0;
}

struct xattr_walk {
	sqfs_xattr_writer_t *x;
	int rc;
	size_t n;
};

static int add_xattr(char *name, char *value, size_t len, void *arg)
{
	struct xattr_walk *xw = arg;
	xw->rc = sqfs_xattr_writer_add(xw->x, name, value, len);
	xw->n++;
	return xw->rc ? XATTR_ABORT : 0;
}

/* the extended attributes of tree inode ino into the xattr table; *index is NO_XATTRS without */
static int write_xattrs(struct sq_writer *w, const struct image_entry *e, uint32_t *index,
			struct error *err)
{
	struct ext2_xattr_handle *h = NULL;
	struct xattr_walk xw = { w->xattrs, 0, 0 };
	size_t count = 0;
	*index = NO_XATTRS;
	errcode_t rc = ext2fs_xattrs_open(w->fs, e->ino, &h);
	if (!rc)
		rc = ext2fs_xattrs_read(h);
	if (!rc)
		rc = ext2fs_xattrs_count(h, &count);
	if (!rc && count && (xw.rc = sqfs_xattr_writer_begin(w->xattrs, 0)) == 0) {
		rc = ext2fs_xattrs_iterate(h, add_xattr, &xw);
		if (!rc && !xw.rc)
			xw.rc = sqfs_xattr_writer_end(w->xattrs, index);
	}
	if (h)
		ext2fs_xattrs_close(&h);
	if (rc)
		return image_fs_error(w->fs, err, rc, "cannot read the xattrs of '/%s'", e->name);
	return xw.rc ? sq_fail(err, xw.rc, "cannot store an extended attribute") : 0;
}

/* the listing of directory d and its inode (libsquashfs's); NULL with err */
static sqfs_inode_generic_t *dir_inode(struct sq_writer *w, size_t d, uint32_t xattr,
				       struct error *err)
{
	int rc = sqfs_dir_writer_begin(w->listing, 0);
	for (size_t k = d + 1; rc == 0 && k < w->end[d]; k = w->end[k]) {
		const struct image_entry *e = &w->l.v[k];
		const struct sq_slot *s = &w->slots[e->ino];
		const char *base = strrchr(e->name, '/');
		rc = sqfs_dir_writer_add_entry(w->listing, base ? base + 1 : e->name, s->number,
					       s->ref, (sqfs_u16)e->mode);
	}
	if (rc == 0)
		rc = sqfs_dir_writer_end(w->listing);
	if (rc) {
		sq_fail(err, rc, "cannot write a directory listing");
		return NULL;
	}
	/* the root's parent is one past the last inode, as mksquashfs writes it */
	uint32_t parent = d == 0 ? w->count + 1 : w->slots[w->l.v[w->parent[d]].ino].number;
	sqfs_inode_generic_t *inode = sqfs_dir_writer_create_inode(w->listing, 0, xattr, parent);
	if (!inode)
		error_set(err, "cannot make a directory inode: out of memory");
	return inode;
}

/* a symlink, device, FIFO or socket inode of entry e (the caller frees it) */
static sqfs_inode_generic_t *leaf_inode(const struct image_entry *e,
					const struct ext2_inode_large *in)
{
	size_t extra = e->target ? strlen(e->target) : 0;
	sqfs_inode_generic_t *inode = xcalloc(1, sizeof(*inode) + extra);
	unsigned major, minor;
	switch (e->mode & S_IFMT) {
	case S_IFLNK:
		inode->base.type = SQFS_INODE_SLINK;
		inode->data.slink.nlink = in->i_links_count;
		inode->data.slink.target_size = (sqfs_u32)extra;
		memcpy(inode->extra, e->target, extra);
		break;
	case S_IFCHR:
	case S_IFBLK:
		inode->base.type = S_ISCHR(e->mode) ? SQFS_INODE_CDEV : SQFS_INODE_BDEV;
		inode->data.dev.nlink = in->i_links_count;
		image_inode_devnum(in, &major, &minor);
		/* the kernel's new_encode_dev(), which squashfs stores */
		inode->data.dev.devno = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
		break;
	default:
		inode->base.type = S_ISFIFO(e->mode) ? SQFS_INODE_FIFO : SQFS_INODE_SOCKET;
		inode->data.ipc.nlink = in->i_links_count;
		break;
	}
	return inode;
}

/* the inode of the tree inode e into the inode table; its reference into its slot */
static int write_inode(struct sq_writer *w, size_t k, struct error *err)
{
	const struct image_entry *e = &w->l.v[k];
	struct sq_slot *s = &w->slots[e->ino];
	struct ext2_inode_large in;
	sqfs_inode_generic_t *inode;
	bool ours = false;  /* allocated here (free), else by libsquashfs (sqfs_free) */
	uint32_t xattr;
	if (read_inode(w, e, &in, err) < 0 || write_xattrs(w, e, &xattr, err) < 0)
		return -1;
	if (S_ISDIR(e->mode)) {
		if (!(inode = dir_inode(w, k, xattr, err)))
			return -1;
	} else if (S_ISREG(e->mode)) {
		inode = s->file;
		s->file = NULL;
	} else {
		inode = leaf_inode(e, &in);
		ours = true;
	}
	/* only with xattrs: without, libsquashfs would make a large directory's inode basic,
	 * dropping the index that speeds up its lookups */
	int rc = xattr == NO_XATTRS ? 0 : sqfs_inode_set_xattr_index(inode, xattr);
	if (rc == 0 && S_ISREG(e->mode) && in.i_links_count > 1 &&
	    (rc = sqfs_inode_make_extended(inode)) == 0)
		inode->data.file_ext.nlink = in.i_links_count;
	if (S_ISDIR(e->mode) && inode->base.type == SQFS_INODE_DIR)
		inode->data.dir.nlink = in.i_links_count;
	else if (S_ISDIR(e->mode))
		inode->data.dir_ext.nlink = in.i_links_count;
	inode->base.mode = (sqfs_u16)((e->mode & S_IFMT) | (in.i_mode & 07777));
	inode->base.mod_time = in.i_mtime;
	inode->base.inode_number = s->number;
	if (rc == 0)
		rc = sqfs_id_table_id_to_index(w->ids, inode_uid(in), &inode->base.uid_idx);
	if (rc == 0)
		rc = sqfs_id_table_id_to_index(w->ids, inode_gid(in), &inode->base.gid_idx);
	if (rc == 0) {
		sqfs_u64 block;
		sqfs_u32 offset;
		sqfs_meta_writer_get_position(w->inodes, &block, &offset);
		s->ref = (block << 16) | offset;
		rc = sqfs_meta_writer_write_inode(w->inodes, inode);
	}
	if (ours)
		free(inode);
	else
		sqfs_free(inode);
	return rc ? sq_fail(err, rc, "cannot write an inode") : 0;
}

/* the inode and directory tables; the superblock learns where they start */
static int write_tree(struct sq_writer *w, struct error *err)
{
	w->super.inode_table_start = w->file->get_size(w->file);
	for (uint32_t i = 0; i < w->count; i++)
		if (write_inode(w, w->order[i], err) < 0)
			return error_prefix(err, "'/%s'", w->l.v[w->order[i]].name);
	int rc = sqfs_meta_writer_flush(w->inodes);
	if (rc == 0)
		rc = sqfs_meta_writer_flush(w->dirs);
	w->super.root_inode_ref = w->slots[w->l.v[0].ino].ref;
	w->super.directory_table_start = w->file->get_size(w->file);
	if (rc == 0)
		rc = sqfs_meta_write_write_to_file(w->dirs);
	return rc ? sq_fail(err, rc, "cannot write the inode and directory tables") : 0;
}

/* the compressors (one to write, one to compare fragments), the superblock's first draft */
static int open_output(struct sq_writer *w, const char *path, enum image_compression c,
		       uint32_t epoch, struct error *err)
{
	SQFS_COMPRESSOR id = c == IMAGE_ZSTD ? SQFS_COMP_ZSTD : c == IMAGE_GZIP ? SQFS_COMP_GZIP
						: SQFS_COMP_XZ;
	sqfs_compressor_config_t cfg;
	/* sqfs_open_file refuses a file that exists, as O_EXCL would */
	if (!(w->file = sqfs_open_file(path, 0)))
		return error_errno(err, errno ? errno : EEXIST, "cannot create '%s'", path);
	int rc = sqfs_compressor_config_init(&cfg, id, IMAGE_SQUASHFS_BLOCK, 0);
	if (rc == 0)
		rc = sqfs_compressor_create(&cfg, &w->cmp);
	cfg.flags |= SQFS_COMP_FLAG_UNCOMPRESS;
	if (rc == 0)
		rc = sqfs_compressor_create(&cfg, &w->uncmp);
	if (rc)
		return sq_fail(err, rc, "cannot set up the compressor");
	rc = sqfs_super_init(&w->super, IMAGE_SQUASHFS_BLOCK, epoch, id);
	if (rc == 0)
		rc = sqfs_super_write(&w->super, w->file);
	/* options only when not the defaults: none here, but the format allows them */
	int opts = rc ? 0 : w->cmp->write_options(w->cmp, w->file);
	if (opts < 0)
		rc = opts;
	else if (opts > 0)
		w->super.flags |= SQFS_FLAG_COMPRESSOR_OPTIONS;
	return rc ? sq_fail(err, rc, "cannot start the filesystem") : 0;
}

/* the writers of data blocks and tables */
static int open_writers(struct sq_writer *w, struct error *err)
{
	sqfs_block_processor_desc_t d = { 0 };
	w->blocks = sqfs_block_writer_create(w->file, SQFS_DEVBLK_SIZE, 0);
	w->frags = sqfs_frag_table_create(0);
	w->ids = sqfs_id_table_create(0);
	w->xattrs = sqfs_xattr_writer_create(0);
	w->inodes = sqfs_meta_writer_create(w->file, w->cmp, 0);
	w->dirs = sqfs_meta_writer_create(w->file, w->cmp, SQFS_META_WRITER_KEEP_IN_MEMORY);
	w->listing = w->dirs ? sqfs_dir_writer_create(w->dirs, 0) : NULL;
	if (!w->blocks || !w->frags || !w->ids || !w->xattrs || !w->inodes || !w->listing)
		return sq_fail(err, SQFS_ERROR_ALLOC, "cannot set up the squashfs writer");
	d.size = sizeof(d);
	d.max_block_size = IMAGE_SQUASHFS_BLOCK;
	/* one thread: mvbuild builds other nodes meanwhile, and the order is then plainly fixed */
	d.num_workers = 1;
	d.max_backlog = 10;
	d.cmp = w->cmp;
	d.wr = w->blocks;
	d.tbl = w->frags;
	d.file = w->file;
	d.uncmp = w->uncmp;
	int rc = sqfs_block_processor_create_ex(&d, &w->proc);
	return rc ? sq_fail(err, rc, "cannot set up the block processor") : 0;
}

/* the tables after the tree, the final superblock, zeros up to a whole 4 KiB */
static int finish(struct sq_writer *w, struct error *err)
{
	w->super.inode_count = w->count;
	int rc = sqfs_frag_table_write(w->frags, w->file, &w->super, w->cmp);
	if (rc == 0)
		rc = sqfs_id_table_write(w->ids, w->file, &w->super, w->cmp);
	if (rc == 0)
		rc = sqfs_xattr_writer_flush(w->xattrs, w->file, &w->super, w->cmp);
	if (rc)
		return sq_fail(err, rc, "cannot write the filesystem's tables");
	w->super.bytes_used = w->file->get_size(w->file);
	if ((rc = sqfs_super_write(&w->super, w->file)))
		return sq_fail(err, rc, "cannot write the superblock");
	size_t pad = (SQFS_DEVBLK_SIZE - w->super.bytes_used % SQFS_DEVBLK_SIZE) % SQFS_DEVBLK_SIZE;
	if (pad) {
		char *zeros = xcalloc(1, pad);
		rc = w->file->write_at(w->file, w->super.bytes_used, zeros, pad);
		free(zeros);
	}
	return rc ? sq_fail(err, rc, "cannot pad the filesystem") : 0;
}

static void release(struct sq_writer *w, size_t slots)
{
	for (size_t i = 0; w->slots && i < slots; i++)
		sqfs_free(w->slots[i].file);
	sqfs_destroy(w->listing);
	sqfs_destroy(w->dirs);
	sqfs_destroy(w->inodes);
	sqfs_destroy(w->xattrs);
	sqfs_destroy(w->ids);
	sqfs_destroy(w->proc);
	sqfs_destroy(w->blocks);
	sqfs_destroy(w->frags);
	sqfs_destroy(w->uncmp);
	sqfs_destroy(w->cmp);
	image_entries_release(&w->l);
	free(w->end);
	free(w->parent);
	free(w->order);
	free(w->slots);
}

int image_squashfs_write(struct tree *t, const char *path, enum image_compression c,
			 uint32_t epoch, struct error *err)
{
	struct sq_writer w = { .fs = image_tree_fs(t) };
	size_t slots = (size_t)w.fs->super->s_inodes_count + 1;
	int ret = -1;
	if (squashfs_lazy_load(err) < 0 ||
	    image_entries_list(t, IMAGE_ENTRIES_DEPTH_FIRST, &w.l, err) < 0)
		goto out;
	w.slots = xcalloc(slots, sizeof(*w.slots));
	w.order = xcalloc(w.l.n + 1, sizeof(*w.order));
	link_entries(&w);
	number_dir(&w, 0);
	number_one(&w, 0);
	errno = 0;
	if (open_output(&w, path, c, epoch, err) < 0 || open_writers(&w, err) < 0 ||
	    write_data(&w, err) < 0 || write_tree(&w, err) < 0 || finish(&w, err) < 0)
		goto out;
	ret = 0;
out:
	release(&w, slots);
	/* every write was a pwrite, checked as it happened: closing loses nothing */
	sqfs_destroy(w.file);
	if (ret < 0 && w.file)
		unlink(path);
	return ret;
}
