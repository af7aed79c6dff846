/*
 * image_tree_file: the data of one regular file as it streams in.  A block
 * that is all zeros when the writer moves past it is never written, so it
 * stays a hole (sparse input stays sparse, and so does a file of zeros).
 * The file's size is the one declared at the start, whatever was written.
 *
 * Consecutive non-zero blocks are gathered into a run of up to 1 MiB; a run
 * is allocated as one free range where there is one and written with one
 * write per range, instead of one ext2fs_file_write per 4 KiB block (a
 * syscall each, after a write of zeros into the new block).  The inode is
 * ours from begin to end: the extent code updates it in place, and end
 * writes it with the size.
 */
#include <string.h>

#include "image/image_fs.h"
#include "image/image_tree.h"
#include "base/util.h"

#define NO_BLOCK UINT64_MAX
#define RUN_BLOCKS 256u /* 1 MiB of 4 KiB blocks */

struct tree_file {
	ext2_filsys fs;
	ext2_ino_t ino;
	struct ext2_inode_large inode; /* the file's inode, kept current by the extent code */
	char *path;                 /* for messages */
	uint64_t size;              /* declared size */
	uint64_t cur_blk;           /* the block being filled (the run's next slot), NO_BLOCK when none */
	uint64_t run_start;         /* logical block of run[0] */
	unsigned run_len;           /* complete non-zero blocks in run */
	unsigned char *run;         /* RUN_BLOCKS blocks */
	blk64_t goal;               /* where the next allocation should start */
	ext2_extent_handle_t extents; /* the inode's extent tree, open from open to end */
};

int image_tree_file_open(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *in, const char *path,
		   uint64_t size, struct tree_file **out, struct error *err)
{
	struct tree_file *f = xcalloc(1, sizeof(*f));
	*out = NULL;
	f->fs = fs;
	f->ino = ino;
	f->inode = *in;
	f->path = xstrdup(path);
	f->size = size;
	f->cur_blk = NO_BLOCK;
	f->run = xmalloc((size_t)RUN_BLOCKS * fs->blocksize);
	/* the declared size from the start: every block mapped lies within it */
	errcode_t rc = ext2fs_inode_size_set(fs, (struct ext2_inode *)&f->inode, size);
	if (!rc)
		rc = ext2fs_extent_open2(fs, ino, (struct ext2_inode *)&f->inode, &f->extents);
	if (rc) {
		image_tree_file_abort(f);
		return image_fs_error(fs, err, rc, "cannot open '/%s' for writing", path);
	}
	f->goal = ext2fs_find_inode_goal(fs, ino, (struct ext2_inode *)&f->inode, 0);
	*out = f;
	return 0;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	return p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

/* write run[from..from+count) at physical block pblk */
static errcode_t write_piece(struct tree_file *f, unsigned from, blk64_t pblk, unsigned count)
{
	return io_channel_write_blk64(f->fs->io, pblk, (int)count, f->run + (size_t)from * f->fs->blocksize);
}

/*
 * allocate the run's blocks (as few ranges as the free space allows), map
 * them (ext2fs_extent_set_bmap extends the last extent, so a file written in
 * runs has the extents one ext2fs_file_write per block would give) and write
 * each range with one call
 */
static int flush_run(struct tree_file *f, struct error *err)
{
	struct ext2_inode *in = (struct ext2_inode *)&f->inode;
	errcode_t rc = 0;
	for (unsigned i = 0; !rc && i < f->run_len;) {
		blk64_t pblk, plen;
		rc = ext2fs_new_range(f->fs, 0, f->goal, f->run_len - i, NULL, &pblk, &plen);
		if (rc)
			break;
		ext2fs_block_alloc_stats_range(f->fs, pblk, (blk_t)plen, +1);
		for (blk64_t k = 0; !rc && k < plen; k++)
			rc = ext2fs_extent_set_bmap(f->extents, f->run_start + i + k, pblk + k, 0);
		if (!rc)
			rc = ext2fs_iblk_add_blocks(f->fs, in, plen);
		if (!rc)
			rc = write_piece(f, i, pblk, (unsigned)plen);
		f->goal = pblk + plen;
		i += (unsigned)plen;
	}
	f->run_len = 0;
	if (rc)
		return image_fs_error(f->fs, err, rc, "cannot write '/%s'", f->path);
	return 0;
}

/* the block being filled is complete: keep it in the run unless it is all zeros (a hole) */
static void finish_block(struct tree_file *f)
{
	unsigned bs = f->fs->blocksize;
	if (f->cur_blk == NO_BLOCK)
		return;
	if (!all_zero(f->run + (size_t)f->run_len * bs, bs))
		f->run_len++;
	f->cur_blk = NO_BLOCK;
}

/* start filling block blk: the run's next slot, after writing the run if blk does not extend it */
static int start_block(struct tree_file *f, uint64_t blk, struct error *err)
{
	unsigned bs = f->fs->blocksize;
	if (f->run_len && (blk != f->run_start + f->run_len || f->run_len == RUN_BLOCKS) &&
	    flush_run(f, err) < 0)
		return -1;
	if (f->run_len == 0)
		f->run_start = blk;
	memset(f->run + (size_t)f->run_len * bs, 0, bs);
	f->cur_blk = blk;
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
			finish_block(f);
			if (start_block(f, blk, err) < 0)
				return -1;
		}
		memcpy(f->run + (size_t)f->run_len * bs + in_blk, p, n);
		p += n;
		offset += n;
		len -= n;
	}
	return 0;
}

int image_tree_file_end(struct tree_file *f, struct error *err)
{
	finish_block(f);
	int ret = flush_run(f, err);
	if (ret == 0) {
		errcode_t rc = ext2fs_write_inode_full(f->fs, f->ino, (struct ext2_inode *)&f->inode,
						       sizeof(f->inode));
		if (rc)
			ret = image_fs_error(f->fs, err, rc, "cannot finish '/%s'", f->path);
	}
	image_tree_file_abort(f);
	return ret;
}

void image_tree_file_abort(struct tree_file *f)
{
	if (!f)
		return;
	if (f->extents)
		ext2fs_extent_free(f->extents);
	free(f->path);
	free(f->run);
	free(f);
}
