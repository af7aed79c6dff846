/*
 * image_dirblocks: the on-disk form of one directory, written once and
 * whole: linear blocks (no htree: an unindexed directory is valid on a
 * dir_index filesystem, and the kernel indexes it the first time it
 * grows), each entry's rec_len rounded to 4 bytes, the last entry of a
 * block stretched over the rest of it, and the metadata_csum tail at the
 * end of each block when the filesystem has that feature.
 */
#include <string.h>
#include <sys/stat.h>

#include "image/image_fs.h"
#include "image/image_dirblocks.h"

static int file_type(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return EXT2_FT_REG_FILE;
	case S_IFDIR: return EXT2_FT_DIR;
	case S_IFLNK: return EXT2_FT_SYMLINK;
	case S_IFCHR: return EXT2_FT_CHRDEV;
	case S_IFBLK: return EXT2_FT_BLKDEV;
	case S_IFIFO: return EXT2_FT_FIFO;
	case S_IFSOCK: return EXT2_FT_SOCK;
	}
	return EXT2_FT_UNKNOWN;
}


static void open_block(struct dirblocks *d)
{
	d->block = d->data.len;
	buf_grow(&d->data, d->fs->blocksize);
	memset(d->data.data + d->block, 0, d->fs->blocksize);
	d->data.len += d->fs->blocksize;
	d->used = 0;
	d->last = d->block;
}

/* stretch the last entry over the rest of the block and add the checksum tail */
static void close_block(struct dirblocks *d)
{
	struct ext2_dir_entry *last = (struct ext2_dir_entry *)(d->data.data + d->last);
	if (d->used == 0) /* an empty block: one unused entry spanning it */
		last->inode = 0;
	ext2fs_set_rec_len(d->fs, (unsigned)(d->usable - (d->last - d->block)), last);
	if (d->usable < d->fs->blocksize)
		ext2fs_initialize_dirent_tail(d->fs, EXT2_DIRENT_TAIL(d->data.data + d->block,
								      d->fs->blocksize));
}

static void add_entry(struct dirblocks *d, ext2_ino_t ino, const char *name, int type)
{
	size_t len = strlen(name);
	size_t rec = 8 + ((len + 3) & ~(size_t)3);
	if (d->used + rec > d->usable) {
		close_block(d);
		open_block(d);
	}
	struct ext2_dir_entry *e = (struct ext2_dir_entry *)(d->data.data + d->block + d->used);
	e->inode = ino;
	ext2fs_set_rec_len(d->fs, (unsigned)rec, e);
	ext2fs_dirent_set_name_len(e, (int)len);
	ext2fs_dirent_set_file_type(e, type);
	memcpy(e->name, name, len);
	d->last = d->block + d->used;
	d->used += rec;
}

void image_dirblocks_init(struct dirblocks *d, ext2_filsys fs, ext2_ino_t self, ext2_ino_t parent)
{
	memset(d, 0, sizeof(*d));
	d->fs = fs;
	d->data = (struct buf)BUF_INIT;
	d->self = self;
	d->usable = fs->blocksize;
	if (ext2fs_has_feature_metadata_csum(fs->super))
		d->usable -= sizeof(struct ext2_dir_entry_tail);
	open_block(d);
	add_entry(d, self, ".", EXT2_FT_DIR);
	add_entry(d, parent, "..", EXT2_FT_DIR);
}

void image_dirblocks_add(struct dirblocks *d, ext2_ino_t ino, const char *name, uint32_t mode)
{
	add_entry(d, ino, name, file_type(mode));
}

int image_dirblocks_write(struct dirblocks *d, unsigned subdirs, size_t min_bytes, const char *name,
		    struct error *err)
{
	ext2_filsys fs = d->fs;
	struct ext2_inode_large in;
	ext2_file_t file = NULL;
	unsigned written;
	errcode_t rc;
	int ret = -1;

	close_block(d);
	while (d->data.len < min_bytes) {
		open_block(d);
		close_block(d);
	}
	for (size_t off = 0; off < d->data.len; off += fs->blocksize) {
		rc = ext2fs_dir_block_csum_set(fs, d->self,
					       (struct ext2_dir_entry *)(d->data.data + off));
		if (rc)
			goto fail;
	}
	rc = ext2fs_read_inode_full(fs, d->self, (struct ext2_inode *)&in, sizeof(in));
	if (rc)
		goto fail;
	in.i_links_count = subdirs + 2 >= EXT2_LINK_MAX ? 1 : (uint16_t)(subdirs + 2);
	rc = ext2fs_file_open2(fs, d->self, (struct ext2_inode *)&in, EXT2_FILE_WRITE, &file);
	if (!rc)
		rc = ext2fs_file_write(file, d->data.data, (unsigned)d->data.len, &written);
	if (!rc)
		rc = ext2fs_file_set_size2(file, d->data.len);
	if (file) {
		errcode_t rc2 = ext2fs_file_close(file);
		rc = rc ? rc : rc2;
	}
	if (rc)
		goto fail;
	ret = 0;
	goto out;
fail:
	image_fs_error(fs, err, rc, "cannot write directory '%s'", name);
out:
	buf_release(&d->data);
	return ret;
}
