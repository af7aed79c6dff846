/*
 * image_tree_file: the data of one regular file as it streams in.  One
 * block is held in memory; a block that is all zeros when the writer
 * moves past it is never written, so it stays a hole (sparse input stays
 * sparse, and so does a file of zeros).  The file's size is the one
 * declared at the start, whatever was written.
 */
#include <string.h>

#include "image/image_fs.h"
#include "image/image_tree.h"
#include "base/util.h"

#define NO_BLOCK UINT64_MAX

struct tree_file {
	ext2_filsys fs;
	ext2_file_t file;           /* libext2fs file handle */
	char *path;                 /* for messages */
	uint64_t size;              /* declared size */
	uint64_t cur_blk;           /* block held in buf, NO_BLOCK when none */
	unsigned char *buf;         /* one filesystem block */
};

int image_tree_file_open(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *in, const char *path,
		   uint64_t size, struct tree_file **out, struct error *err)
{
	struct tree_file *f = xcalloc(1, sizeof(*f));
	*out = NULL;
	f->fs = fs;
	f->path = xstrdup(path);
	f->size = size;
	f->cur_blk = NO_BLOCK;
	f->buf = xmalloc(fs->blocksize);
	errcode_t rc = ext2fs_file_open2(fs, ino, (struct ext2_inode *)in, EXT2_FILE_WRITE, &f->file);
	if (rc) {
		image_tree_file_abort(f);
		return image_fs_error(fs, err, rc, "cannot open '/%s' for writing", path);
	}
	*out = f;
	return 0;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	return p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

/* write the held block unless it is all zeros (then it stays a hole) */
static int flush_block(struct tree_file *f, struct error *err)
{
	unsigned bs = f->fs->blocksize;
	if (f->cur_blk == NO_BLOCK || all_zero(f->buf, bs))
		return 0;
	uint64_t off = f->cur_blk * bs;
	unsigned n = f->size - off < bs ? (unsigned)(f->size - off) : bs;
	unsigned written;
	errcode_t rc = ext2fs_file_llseek(f->file, off, EXT2_SEEK_SET, NULL);
	if (!rc)
		rc = ext2fs_file_write(f->file, f->buf, n, &written);
	if (rc)
		return image_fs_error(f->fs, err, rc, "cannot write '/%s'", f->path);
	return 0;
}

int image_tree_file_write(struct tree_file *f, uint64_t offset, const void *data, size_t len,
		    struct error *err)
{
	unsigned bs = f->fs->blocksize;
	const unsigned char *p = data;
	if (offset > f->size || len > f->size - offset)
		return error_set(err, "'/%s': data beyond the declared size of %llu bytes",
				 f->path, (unsigned long long)f->size);
	while (len) {
		uint64_t blk = offset / bs;
		size_t in_blk = offset % bs;
		size_t n = bs - in_blk < len ? bs - in_blk : len;
		if (blk != f->cur_blk) {
			if (flush_block(f, err) < 0)
				return -1;
			memset(f->buf, 0, bs);
			f->cur_blk = blk;
		}
		memcpy(f->buf + in_blk, p, n);
		p += n;
		offset += n;
		len -= n;
	}
	return 0;
}

int image_tree_file_end(struct tree_file *f, struct error *err)
{
	int ret = flush_block(f, err);
	errcode_t rc = 0;
	if (ret == 0)
		rc = ext2fs_file_set_size2(f->file, f->size);
	errcode_t rc2 = ext2fs_file_close(f->file);
	f->file = NULL;
	rc = rc ? rc : rc2;
	if (ret == 0 && rc)
		ret = image_fs_error(f->fs, err, rc, "cannot finish '/%s'", f->path);
	image_tree_file_abort(f);
	return ret;
}

void image_tree_file_abort(struct tree_file *f)
{
	if (!f)
		return;
	if (f->file)
		ext2fs_file_close(f->file);
	free(f->path);
	free(f->buf);
	free(f);
}
