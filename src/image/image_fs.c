/*
 * image_fs: creates the ext4 filesystem of an image in a sparse file with
 * libext2fs, following the order of e2fsprogs' misc/mke2fs.c: initialize
 * the superblock, set the identity (UUID, checksum seed, directory hash
 * seed), allocate group tables, write the reserved inodes, the bad-block
 * and resize inodes, and the journal.  The root directory and lost+found
 * are made by image_tree, which writes every directory.
 *
 * Features are those mke2fs gives ext4 on Debian 12 (/etc/mke2fs.conf):
 * has_journal ext_attr resize_inode dir_index filetype extent 64bit
 * flex_bg sparse_super large_file huge_file dir_nlink extra_isize
 * metadata_csum, 4 KiB blocks, 256-byte inodes, one inode per 16 KiB.
 * The superblock records the overhead as mke2fs 1.47 does: the blocks of
 * the group tables and of the journal, plus the first data block.
 *
 * Reproducibility: the UUID is the first 16 bytes of
 * sha256("mvbuild image uuid\n" KEY) shaped as a version 4 UUID, the hash
 * seed likewise from "mvbuild image hash seed\n" KEY (the image builder's
 * seed key, builder.h: the same whether a path layer was read directly or
 * from the cache), and fs->now is set
 * to the epoch so every time libext2fs writes (mkfs, last write, journal,
 * resize inode) is the epoch.  The file starts as a hole, so inode tables
 * and the journal need no zeroing (as mke2fs after a discard returning
 * zeros).
 *
 * Cost of a large size: the metadata of many block groups.  Groups
 * nothing is allocated in keep BLOCK_UNINIT and INODE_UNINIT (as with
 * mke2fs), so ext2fs_close writes no bitmap for them; what a 64 GiB image
 * writes beyond a 1 GiB one is its 12 backup superblocks and group
 * descriptor tables, one block bitmap per flex group, and the resize
 * inode's 1,024 reserved GDT blocks (4 MiB, the bulk; mke2fs writes them
 * too).  image_io writes those in a few large writes; the file is never
 * fsynced here (the cache fsyncs it once when it publishes it), but its
 * writeback is started after the layout and again after the close, so the
 * disk works while the layers are applied and the output is digested.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/hash.h"
#include "image/image_fs.h"
#include "image/image_io.h"
#include "recipe/recipe_validate.h"
#include "base/util.h"

/* what image_fs keeps beside a filesystem (fs->priv_data), for messages */
struct image_fs_host {
	char *path;             /* the image file on the host */
	int fd;                 /* our own descriptor of it, to start writeback early; -1 if none */
	errcode_t write_err;    /* the first failed host write (errno or EXT2_ET_SHORT_WRITE), or 0 */
};

static void free_host(struct image_fs_host *h)
{
	if (h) {
		free(h->path);
		if (h->fd >= 0)
			close(h->fd);
	}
	free(h);
}

/*
 * Ask the kernel to start writing the image's dirty pages now, without
 * waiting (advisory: errors show up at the publisher's fsync).  The writer
 * never fsyncs: the cache fsyncs the file once when it publishes it, and by
 * then the disk has written what was started here while we kept working.
 */
static void start_writeback(const struct image_fs_host *h)
{
	if (h && h->fd >= 0)
		sync_file_range(h->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

static pthread_once_t error_table_once = PTHREAD_ONCE_INIT;

/* without the table, error_message() says "Unknown code ext2 91" */
static void load_error_table(void)
{
	initialize_ext2_error_table();
}

/* what went wrong, in the words a recipe author can act on */
static char *describe_code(const struct image_fs_host *h, errcode_t code)
{
	pthread_once(&error_table_once, load_error_table);
	/* a failed host write surfaces later under other codes (EIO from a cache flush) */
	if (h && h->write_err) {
		errcode_t w = h->write_err;
		if (w == ENOSPC || w == EDQUOT || w == EXT2_ET_SHORT_WRITE)
			return xasprintf("no space left on the host disk writing '%s'", h->path);
		return xasprintf("cannot write '%s': %s", h->path, error_message(w));
	}
	switch (code) {
	case EXT2_ET_BLOCK_ALLOC_FAIL:
	case EXT2_ET_DIR_NO_SPACE:
		return xstrdup(IMAGE_FULL_MSG);
	case EXT2_ET_INODE_ALLOC_FAIL:
		return xstrdup(IMAGE_NO_INODES_MSG);
	case ENOSPC:
	case EDQUOT:
	case EXT2_ET_SHORT_WRITE:
		return xasprintf("no space left on the host disk writing '%s'", h ? h->path : "the image");
	}
	return xstrdup(error_message(code));
}

int image_fs_error(ext2_filsys fs, struct error *err, errcode_t code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	char *why = describe_code(fs ? fs->priv_data : NULL, code);
	error_set(err, "%s: %s", what, why);
	free(why);
	free(what);
	return -1;
}

/* libext2fs calls this for every failed write to the image file: remember the first cause */
static errcode_t note_write_error(io_channel channel, unsigned long block, int count,
				  const void *data, size_t size, int actual, errcode_t error)
{
	ext2_filsys fs = channel->app_data;
	struct image_fs_host *h = fs ? fs->priv_data : NULL;
	(void)block, (void)count, (void)data, (void)size, (void)actual;
	if (!error)
		error = EXT2_ET_SHORT_WRITE;
	if (h && !h->write_err)
		h->write_err = error;
	return error;
}

/* 16 bytes derived from key under a purpose string */
static void derive_bytes(const char *purpose, const char *key, unsigned char out[16])
{
	char *text = xasprintf("mvbuild image %s\n%s", purpose, key);
	char hex[HASH_MAX_HEX];
	hash_buffer_hex(HASH_SHA256, text, strlen(text), hex);
	free(text);
	for (int i = 0; i < 16; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
	out[6] = (out[6] & 0x0f) | 0x40; /* version 4 */
	out[8] = (out[8] & 0x3f) | 0x80; /* RFC 4122 variant */
}

static void set_params(struct ext2_super_block *param, const struct image_fs_params *p)
{
	blk64_t blocks = p->size / IMAGE_BLOCK_SIZE;
	memset(param, 0, sizeof(*param));
	ext2fs_blocks_count_set(param, blocks);
	ext2fs_r_blocks_count_set(param, blocks * 5 / 100);
	param->s_log_block_size = 2; /* 1024 << 2 */
	param->s_rev_level = EXT2_DYNAMIC_REV;
	param->s_inode_size = 256;
	param->s_inodes_count = p->inodes ? p->inodes : p->size / 16384;
	if (param->s_inodes_count < 64)
		param->s_inodes_count = 64;
	param->s_log_groups_per_flex = 4;
	param->s_min_extra_isize = param->s_want_extra_isize =
		sizeof(struct ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
	param->s_default_mount_opts = EXT2_DEFM_XATTR_USER | EXT2_DEFM_ACL;
	ext2fs_set_feature_journal(param);
	ext2fs_set_feature_xattr(param);
	ext2fs_set_feature_resize_inode(param);
	ext2fs_set_feature_dir_index(param);
	ext2fs_set_feature_filetype(param);
	ext2fs_set_feature_extents(param);
	ext2fs_set_feature_64bit(param);
	ext2fs_set_feature_flex_bg(param);
	ext2fs_set_feature_sparse_super(param);
	ext2fs_set_feature_large_file(param);
	ext2fs_set_feature_huge_file(param);
	ext2fs_set_feature_dir_nlink(param);
	ext2fs_set_feature_extra_isize(param);
	ext2fs_set_feature_metadata_csum(param);
}

static void set_identity(ext2_filsys fs, const struct image_fs_params *p)
{
	struct ext2_super_block *sb = fs->super;
	sb->s_checksum_type = EXT2_CRC32C_CHKSUM;
	derive_bytes("uuid", p->key, sb->s_uuid);
	ext2fs_init_csum_seed(fs);
	derive_bytes("hash seed", p->key, (unsigned char *)sb->s_hash_seed);
	sb->s_def_hash_version = EXT2_HASH_HALF_MD4;
	if (p->label)
		strncpy((char *)sb->s_volume_name, p->label, sizeof(sb->s_volume_name));
	sb->s_mkfs_time = sb->s_lastcheck = p->epoch;
	sb->s_max_mnt_count = -1;
	sb->s_checkinterval = 0;
	sb->s_kbytes_written = 1;
	fs->now = p->epoch;
}

/* the file starts as zeros, so inode tables count as zeroed (lazy init not needed) */
static void mark_tables_zeroed(ext2_filsys fs)
{
	for (dgrp_t g = 0; g < fs->group_desc_count; g++) {
		ext2fs_bg_flags_set(fs, g, EXT2_BG_INODE_ZEROED);
		ext2fs_group_desc_csum_set(fs, g);
	}
}

/* reserved inodes get valid checksums; 3..first-1 are counted as used */
static errcode_t reserve_inodes(ext2_filsys fs)
{
	char *zero = xcalloc(1, EXT2_INODE_SIZE(fs->super));
	errcode_t rc = 0;
	for (ext2_ino_t ino = 1; ino < EXT2_FIRST_INODE(fs->super) && !rc; ino++)
		rc = ext2fs_write_inode_full(fs, ino, (struct ext2_inode *)zero,
					     EXT2_INODE_SIZE(fs->super));
	free(zero);
	for (ext2_ino_t ino = EXT2_ROOT_INO + 1; ino < EXT2_FIRST_INODE(fs->super); ino++)
		ext2fs_inode_alloc_stats2(fs, ino, +1, 0);
	ext2fs_mark_ib_dirty(fs);
	if (rc)
		return rc;
	ext2fs_mark_inode_bitmap2(fs->inode_map, EXT2_BAD_INO);
	ext2fs_inode_alloc_stats2(fs, EXT2_BAD_INO, +1, 0);
	return ext2fs_update_bb_inode(fs, NULL);
}

/* the journal mke2fs would give; adds its blocks to *overhead */
static errcode_t add_journal(ext2_filsys fs, blk64_t *overhead)
{
	struct ext2fs_journal_params jp;
	errcode_t rc = ext2fs_get_journal_params(&jp, fs);
	if (rc || jp.num_journal_blocks == 0) {
		/* too small for a journal, as mke2fs decides */
		ext2fs_clear_feature_journal(fs->super);
		return 0;
	}
	*overhead += (blk64_t)jp.num_journal_blocks + jp.num_fc_blocks;
	return ext2fs_add_journal_inode3(fs, &jp, ~0ULL,
					 EXT2_MKJOURNAL_LAZYINIT | EXT2_MKJOURNAL_NO_MNT_CHECK);
}

/* create path as a hole of size bytes; returns its descriptor or -1 */
static int create_sparse_file(const char *path, uint64_t size, struct error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return error_errno(err, errno, "cannot create '%s'", path);
	if (ftruncate(fd, (off_t)size) < 0) {
		error_errno(err, errno, "cannot size '%s'", path);
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* the "too many inodes" of ext2fs_initialize, with the numbers that decide it */
static int too_many_inodes(const struct image_fs_params *p, struct error *err)
{
	return error_set(err, "%llu inodes do not fit an image of %llu MiB: "
			 "lower inodes: or raise size:",
			 (unsigned long long)p->inodes, (unsigned long long)(p->size >> 20));
}

int image_fs_create(ext2_filsys *out, const char *path, const struct image_fs_params *p,
		    struct error *err)
{
	struct ext2_super_block param;
	struct image_fs_host *host = xcalloc(1, sizeof(*host));
	ext2_filsys fs = NULL;
	blk64_t overhead = 0;   /* clusters of metadata and journal, for s_overhead_clusters */
	errcode_t rc;
	const char *step = "cannot initialize ext4";

	*out = NULL;
	host->path = xstrdup(path);
	host->fd = -1;
	if (p->size < RECIPE_SIZE_MIN) {
		free_host(host);
		return error_set(err, "image size %llu is below the %llu MiB minimum: raise size: "
				 "or use size: auto", (unsigned long long)p->size, RECIPE_SIZE_MIN >> 20);
	}
	if (p->inodes > UINT32_MAX) {
		free_host(host);
		return too_many_inodes(p, err);
	}
	if ((host->fd = create_sparse_file(path, p->size, err)) < 0) {
		free_host(host);
		return -1;
	}
	set_params(&param, p);
	rc = ext2fs_initialize(path, EXT2_FLAG_64BITS, &param, image_io_manager, &fs);
	if (rc)
		goto out;
	fs->priv_data = host;
	fs->io->app_data = fs;
	fs->io->write_error = note_write_error;
	host = NULL;
	set_identity(fs, p);
	step = "cannot allocate group tables";
	if ((rc = ext2fs_allocate_tables(fs)))
		goto out;
	/* what mke2fs records as the overhead: the tables just placed, the journal, block 0 */
	if ((rc = ext2fs_count_used_clusters(fs, fs->super->s_first_data_block,
					     ext2fs_blocks_count(fs->super) - 1, &overhead)))
		goto out;
	mark_tables_zeroed(fs);
	step = "cannot write reserved inodes";
	if ((rc = reserve_inodes(fs)))
		goto out;
	step = "cannot create the resize inode";
	if ((rc = ext2fs_create_resize_inode(fs)))
		goto out;
	step = "cannot create the journal";
	if ((rc = add_journal(fs, &overhead)))
		goto out;
	fs->super->s_overhead_clusters = overhead + fs->super->s_first_data_block;
	/* the layout is written (with a large image, mostly the resize inode's blocks) */
	start_writeback(fs->priv_data);
	*out = fs;
	return 0;
out:
	if (rc == EXT2_ET_TOO_MANY_INODES)
		too_many_inodes(p, err);
	else
		image_fs_error(fs, err, rc, "%s in '%s'", step, path);
	image_fs_free(fs);
	free_host(host);
	unlink(path);
	return -1;
}

int image_fs_close(ext2_filsys fs, struct error *err)
{
	struct image_fs_host *host = fs->priv_data;
	/*
	 * No fsync (ext2fs_close would sync twice, around the primary
	 * superblock): the file is not visible to anyone until the cache
	 * publishes it, with its own fsync.  fs->priv_data stays set until the
	 * channel is closed, so a failed write of its last cached blocks is
	 * still noted in host->write_err.
	 */
	errcode_t rc = ext2fs_close2(fs, EXT2_FLAG_FLUSH_NO_SYNC);
	if (rc) {
		fs->priv_data = NULL;
		ext2fs_free(fs);
	}
	if (!rc && host->write_err)
		rc = host->write_err;
	if (rc) {
		char *why = describe_code(host, rc);
		error_set(err, "cannot write the filesystem: %s", why);
		free(why);
	} else {
		start_writeback(host);
	}
	free_host(host);
	return rc ? -1 : 0;
}

void image_fs_free(ext2_filsys fs)
{
	if (!fs)
		return;
	free_host(fs->priv_data);
	fs->priv_data = NULL;
	ext2fs_free(fs);
}
