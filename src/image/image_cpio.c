/*
 * image_cpio: the tree of an image written as a newc cpio archive through
 * libarchive's writer (see image_cpio.h for what makes it reproducible).
 *
 * The tree was built by the same code as an ext4 image (layers, whiteouts,
 * overlays, modes, hardlinks) into a scratch filesystem; image_entries
 * lists and sorts it, and this reads each inode's attributes and data back.
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
#include "image/image_entries.h"
#include "image/image_fs.h"
#include "image/image_inode.h"

struct cpio_writer {
	ext2_filsys fs;
	struct archive *a;
	struct archive_entry *e;
	uint32_t *number;    /* the archive's inode number of each tree inode (0: none yet) */
	size_t *last;        /* the index of the last link of each tree inode */
	uint32_t next;       /* the next archive inode number */
	struct image_entries *l; /* the entries, sorted bytewise */
};

static int archive_fail(struct archive *a, struct error *err, const char *what)
{
	return error_set(err, "%s: %s", what, archive_error_string(a) ? archive_error_string(a)
			 : "unknown libarchive error");
}

static int write_data(void *arg, const void *data, size_t len, struct error *err)
{
	struct cpio_writer *w = arg;
	if (archive_write_data(w->a, data, len) != (la_ssize_t)len)
		return archive_fail(w->a, err, "cannot write the archive");
	return 0;
}

static int write_entry(struct cpio_writer *w, const struct image_entry *c, size_t index,
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
	return size ? image_entries_read(w->l, w->fs, c, size, write_data, w, err) : 0;
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

static int write_all(struct cpio_writer *w, struct error *err)
{
	const struct image_entries *l = w->l;
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
	struct image_entries l = { 0 };
	ext2_filsys fs = image_tree_fs(t);
	size_t slots = (size_t)fs->super->s_inodes_count + 1;
	struct cpio_writer w = { fs, NULL, NULL, xcalloc(slots, sizeof(*w.number)),
				 xcalloc(slots, sizeof(*w.last)), 1, &l };
	int fd = -1, ret = -1;
	if (image_entries_list(t, IMAGE_ENTRIES_BYTEWISE, &l, err) < 0)
		goto out;
	if (open_archive(&w, path, c, &fd, err) < 0 || write_all(&w, err) < 0)
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
	image_entries_release(&l);
	free(w.number);
	free(w.last);
	return ret;
}
