/*
 * image_cpio: the tree of an image written as a newc cpio archive through
 * libarchive's writer (see image_cpio.h for what makes it reproducible).
 *
 * The tree was built by the same code as an ext4 image (layers, whiteouts,
 * overlays, modes, hardlinks) into a scratch filesystem; this walks it,
 * sorts the entries, and reads each inode's attributes and data back.
 */
#include "image/image_cpio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/archive_lazy.h"
#include "base/util.h"
#include "image/image_fs.h"
#include "image/image_inode.h"

/* one entry of the archive */
struct cpio_entry {
	char *name;          /* "." for the root, else the path without its leading '/' */
	ext2_ino_t ino;      /* the tree's inode (shared by hardlinks) */
	uint32_t mode;
	char *target;        /* symlink target, else NULL */
};

struct cpio_list {
	struct cpio_entry *v;
	size_t n, alloc;
};

struct cpio_writer {
	ext2_filsys fs;
	struct archive *a;
	struct archive_entry *e;
	uint32_t *number;    /* the archive's inode number of each tree inode (0: none yet) */
	size_t *last;        /* the index of the last link of each tree inode */
	uint32_t next;       /* the next archive inode number */
	unsigned char *buf;  /* file data in transit */
};

#define DATA_CHUNK (1 << 16)

static int collect(void *arg, const struct tree_entry *te, struct error *err)
{
	struct cpio_list *l = arg;
	(void)err;
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 256;
		l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	struct cpio_entry *c = &l->v[l->n++];
	c->name = xstrdup(strcmp(te->path, "/") ? te->path + 1 : ".");
	c->ino = te->ino;
	c->mode = te->mode;
	c->target = te->target ? xstrdup(te->target) : NULL;
	return 0;
}

/* bytewise by name, the root first; a prefix sorts before what extends it */
static int cmp_entry(const void *a, const void *b)
{
	const struct cpio_entry *x = a, *y = b;
	bool xr = strcmp(x->name, ".") == 0, yr = strcmp(y->name, ".") == 0;
	if (xr || yr)
		return yr - xr;
	return strcmp(x->name, y->name);
}

static int archive_fail(struct archive *a, struct error *err, const char *what)
{
	return error_set(err, "%s: %s", what, archive_error_string(a) ? archive_error_string(a)
			 : "unknown libarchive error");
}

/* the data of the regular file ino, size bytes, into the archive */
static int copy_data(struct cpio_writer *w, ext2_ino_t ino, uint64_t size, const char *name,
		     struct error *err)
{
	ext2_file_t f;
	errcode_t rc = ext2fs_file_open(w->fs, ino, 0, &f);
	if (rc)
		return image_fs_error(w->fs, err, rc, "cannot open '/%s'", name);
	int ret = 0;
	while (ret == 0 && size) {
		unsigned want = size < DATA_CHUNK ? (unsigned)size : DATA_CHUNK, got = 0;
		rc = ext2fs_file_read(f, w->buf, want, &got);
		if (rc || got == 0)
			ret = image_fs_error(w->fs, err, rc ? rc : EXT2_ET_SHORT_READ,
					     "cannot read '/%s'", name);
		else if (archive_write_data(w->a, w->buf, got) != (la_ssize_t)got)
			ret = archive_fail(w->a, err, "cannot write the archive");
		size -= got;
	}
	ext2fs_file_close(f);
	return ret;
}

static int write_entry(struct cpio_writer *w, const struct cpio_entry *c, size_t index,
		       struct error *err)
{
	struct ext2_inode_large in;
	errcode_t rc = ext2fs_read_inode_full(w->fs, c->ino, (struct ext2_inode *)&in, sizeof(in));
	if (rc)
		return image_fs_error(w->fs, err, rc, "cannot read the inode of '/%s'", c->name);
	if (!w->number[c->ino])
		w->number[c->ino] = w->next++;
	/* newc: every link but the last of a hardlinked file is empty */
	uint64_t size = S_ISREG(c->mode) && w->last[c->ino] == index ? EXT2_I_SIZE(&in) : 0;
	struct archive_entry *e = archive_entry_clear(w->e);
	archive_entry_set_pathname(e, c->name);
	archive_entry_set_mode(e, (c->mode & S_IFMT) | (in.i_mode & 07777));
	archive_entry_set_uid(e, inode_uid(in));
	archive_entry_set_gid(e, inode_gid(in));
	archive_entry_set_mtime(e, (time_t)in.i_mtime, 0);
	archive_entry_set_nlink(e, in.i_links_count);
	archive_entry_set_ino64(e, w->number[c->ino]);
	archive_entry_set_size(e, (la_int64_t)size);
	if (S_ISLNK(c->mode))
		archive_entry_set_symlink(e, c->target);
	if (S_ISCHR(c->mode) || S_ISBLK(c->mode)) {
		unsigned major, minor;
		image_inode_devnum(&in, &major, &minor);
		archive_entry_set_rdevmajor(e, major);
		archive_entry_set_rdevminor(e, minor);
	}
	if (archive_write_header(w->a, e) != ARCHIVE_OK)
		return archive_fail(w->a, err, "cannot write the archive");
	return size ? copy_data(w, c->ino, size, c->name, err) : 0;
}

/* the archive writer for path (created here, O_EXCL) with compression c */
static int open_archive(struct cpio_writer *w, const char *path, enum image_compression c,
			int *fd, struct error *err)
{
	if (archive_lazy_load(err) < 0)
		return -1;
	if (!(w->a = archive_write_new()) || !(w->e = archive_entry_new()))
		return error_set(err, "cannot start a cpio archive: out of memory");
	int r = archive_write_set_format_cpio_newc(w->a);
	if (r == ARCHIVE_OK)
		r = c == IMAGE_GZIP ? archive_write_add_filter_gzip(w->a)
		  : c == IMAGE_ZSTD ? archive_write_add_filter_zstd(w->a)
				    : archive_write_add_filter_none(w->a);
	/* gzip would store the time of the build in its header */
	if (r == ARCHIVE_OK && c == IMAGE_GZIP)
		r = archive_write_set_filter_option(w->a, "gzip", "timestamp", NULL);
	/* the archive ends at its trailer, not at a 10 KiB block boundary */
	if (r == ARCHIVE_OK)
		r = archive_write_set_bytes_in_last_block(w->a, 1);
	if (r != ARCHIVE_OK)
		return archive_fail(w->a, err, "cannot set up the cpio writer");
	*fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (*fd < 0)
		return error_errno(err, errno, "cannot create '%s'", path);
	if (archive_write_open_fd(w->a, *fd) != ARCHIVE_OK)
		return archive_fail(w->a, err, "cannot start the archive");
	return 0;
}

static int write_all(struct cpio_writer *w, const struct cpio_list *l, struct error *err)
{
	for (size_t i = 0; i < l->n; i++)
		w->last[l->v[i].ino] = i;
	for (size_t i = 0; i < l->n; i++)
		if (write_entry(w, &l->v[i], i, err) < 0)
			return -1;
	if (archive_write_close(w->a) != ARCHIVE_OK)
		return archive_fail(w->a, err, "cannot finish the archive");
	return 0;
}

int image_cpio_write(struct tree *t, const char *path, enum image_compression c,
		     struct error *err)
{
	struct cpio_list l = { 0 };
	ext2_filsys fs = image_tree_fs(t);
	size_t slots = (size_t)fs->super->s_inodes_count + 1;
	struct cpio_writer w = { fs, NULL, NULL, xcalloc(slots, sizeof(*w.number)),
				 xcalloc(slots, sizeof(*w.last)), 1, xmalloc(DATA_CHUNK) };
	int fd = -1, ret = -1;
	if (image_tree_walk(t, collect, &l, err) < 0)
		goto out;
	qsort(l.v, l.n, sizeof(*l.v), cmp_entry);
	if (open_archive(&w, path, c, &fd, err) < 0 || write_all(&w, &l, err) < 0)
		goto out;
	ret = 0;
out:
	if (w.a)
		archive_write_free(w.a);
	if (w.e)
		archive_entry_free(w.e);
	if (fd >= 0 && close(fd) < 0 && ret == 0)
		ret = error_errno(err, errno, "cannot write '%s'", path);
	if (ret < 0 && fd >= 0)
		unlink(path);
	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].name);
		free(l.v[i].target);
	}
	free(l.v);
	free(w.number);
	free(w.last);
	free(w.buf);
	return ret;
}
