/*
 * image_inode: inodes written with libext2fs (see image_inode.h).
 *
 * An inode freed by a replaced or removed entry is reused first (last
 * freed, first reused), then new ones come from a counter, so a layer
 * that rewrites a path 5,000 times needs one inode, not 5,000, and the
 * same input always gives the same inode numbers.  Every inode is written
 * over its whole on-disk slot, so nothing of an earlier user of the
 * number (in-inode xattrs) survives.
 */
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <ext2fs/ext3_extents.h>

#include "image/image_fs.h"
#include "image/image_inode.h"
#include "base/util.h"

void image_inode_init(struct inodes *s, ext2_filsys fs, uint32_t epoch)
{
	memset(s, 0, sizeof(*s));
	s->fs = fs;
	s->epoch = epoch;
	s->next = EXT2_FIRST_INODE(fs->super);
}

void image_inode_release(struct inodes *s)
{
	free(s->freed);
	s->freed = NULL;
	s->n_freed = s->alloc_freed = 0;
}

void image_inode_take(struct inodes *s, ext2_ino_t ino, bool dir)
{
	ext2fs_inode_alloc_stats2(s->fs, ino, +1, dir);
}

int image_inode_alloc(struct inodes *s, bool dir, const char *path, ext2_ino_t *ino,
		      struct error *err)
{
	ext2_filsys fs = s->fs;
	if (s->n_freed) {
		*ino = s->freed[--s->n_freed];
	} else {
		while (s->next <= fs->super->s_inodes_count &&
		       ext2fs_test_inode_bitmap2(fs->inode_map, s->next))
			s->next++;
		if (s->next > fs->super->s_inodes_count)
			return error_set(err, "'/%s': %s (all %u are in use)", path,
					 IMAGE_NO_INODES_MSG, fs->super->s_inodes_count);
		*ino = s->next++;
	}
	image_inode_take(s, *ino, dir);
	return 0;
}

/* give ino back for the next entry (its inode is already freed on disk) */
static void free_ino(struct inodes *s, ext2_ino_t ino)
{
	if (s->n_freed == s->alloc_freed) {
		s->alloc_freed = s->alloc_freed ? s->alloc_freed * 2 : 64;
		s->freed = xrealloc(s->freed, s->alloc_freed * sizeof(*s->freed));
	}
	s->freed[s->n_freed++] = ino;
}

static uint32_t clamp_time(const struct inodes *s, int64_t when)
{
	if (when < 0)
		return 0;
	return when > (int64_t)s->epoch ? s->epoch : (uint32_t)when;
}

static void fill_inode(const struct inodes *s, struct ext2_inode_large *in, const struct tree_attrs *a)
{
	memset(in, 0, sizeof(*in));
	in->i_mode = (uint16_t)a->mode;
	in->i_uid = (uint16_t)a->uid;
	ext2fs_set_i_uid_high(*in, a->uid >> 16);
	in->i_gid = (uint16_t)a->gid;
	ext2fs_set_i_gid_high(*in, a->gid >> 16);
	in->i_mtime = in->i_atime = clamp_time(s, a->mtime);
	in->i_ctime = in->i_crtime = s->epoch;
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
static int write_new_inode(struct inodes *s, ext2_ino_t ino, struct ext2_inode_large *in,
			   const char *path, struct error *err)
{
	int size = EXT2_INODE_SIZE(s->fs->super);
	char *slot = xcalloc(1, (size_t)size);
	memcpy(slot, in, sizeof(*in));
	errcode_t rc = ext2fs_write_inode_full(s->fs, ino, (struct ext2_inode *)slot, size);
	free(slot);
	if (rc)
		return image_fs_error(s->fs, err, rc, "cannot write the inode of '/%s'", path);
	return 0;
}

static int read_inode(struct inodes *s, ext2_ino_t ino, struct ext2_inode_large *in,
		      const char *path, struct error *err)
{
	errcode_t rc = ext2fs_read_inode_full(s->fs, ino, (struct ext2_inode *)in, sizeof(*in));
	if (rc)
		return image_fs_error(s->fs, err, rc, "cannot read the inode of '/%s'", path);
	return 0;
}

static int update_inode(struct inodes *s, ext2_ino_t ino, struct ext2_inode_large *in,
			const char *path, struct error *err)
{
	errcode_t rc = ext2fs_write_inode_full(s->fs, ino, (struct ext2_inode *)in, sizeof(*in));
	if (rc)
		return image_fs_error(s->fs, err, rc, "cannot write the inode of '/%s'", path);
	return 0;
}

int image_inode_dir(struct inodes *s, ext2_ino_t ino, const struct tree_attrs *a, const char *path,
		    struct error *err)
{
	struct ext2_inode_large in;
	fill_inode(s, &in, a);
	in.i_links_count = 2;
	init_extents(&in);
	return write_new_inode(s, ino, &in, path, err);
}

int image_inode_set_attrs(struct inodes *s, ext2_ino_t ino, const struct tree_attrs *a,
			  const char *path, struct error *err)
{
	struct ext2_inode_large in;
	if (read_inode(s, ino, &in, path, err) < 0)
		return -1;
	in.i_mode = (uint16_t)a->mode;
	in.i_uid = (uint16_t)a->uid;
	ext2fs_set_i_uid_high(in, a->uid >> 16);
	in.i_gid = (uint16_t)a->gid;
	ext2fs_set_i_gid_high(in, a->gid >> 16);
	in.i_mtime = in.i_atime = clamp_time(s, a->mtime);
	return update_inode(s, ino, &in, path, err);
}

int image_inode_file(struct inodes *s, ext2_ino_t ino, const struct tree_attrs *a, const char *path,
		     struct ext2_inode_large *in, struct error *err)
{
	fill_inode(s, in, a);
	init_extents(in);
	return write_new_inode(s, ino, in, path, err);
}

int image_inode_symlink(struct inodes *s, ext2_ino_t ino, const struct tree_attrs *a,
			const char *target, const char *path, struct error *err)
{
	struct ext2_inode_large in;
	size_t len = strlen(target);
	fill_inode(s, &in, a);
	in.i_size = (uint32_t)len;
	if (len < sizeof(in.i_block)) {
		/* a fast symlink: the target lives in the inode itself */
		memcpy(in.i_block, target, len);
		return write_new_inode(s, ino, &in, path, err);
	}
	in.i_size = 0;
	init_extents(&in);
	if (write_new_inode(s, ino, &in, path, err) < 0)
		return -1;
	ext2_file_t file = NULL;
	errcode_t rc = ext2fs_file_open2(s->fs, ino, (struct ext2_inode *)&in, EXT2_FILE_WRITE, &file);
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
		return image_fs_error(s->fs, err, rc, "cannot write the symlink '/%s'", path);
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

int image_inode_special(struct inodes *s, ext2_ino_t ino, const struct tree_attrs *a, dev_t rdev,
			const char *path, struct error *err)
{
	struct ext2_inode_large in;
	fill_inode(s, &in, a);
	if (S_ISCHR(a->mode) || S_ISBLK(a->mode))
		encode_dev(&in, rdev);
	return write_new_inode(s, ino, &in, path, err);
}

int image_inode_links(struct inodes *s, ext2_ino_t ino, const char *path, unsigned *links,
		      struct error *err)
{
	struct ext2_inode_large in;
	if (read_inode(s, ino, &in, path, err) < 0)
		return -1;
	*links = in.i_links_count;
	return 0;
}

int image_inode_link(struct inodes *s, ext2_ino_t ino, const char *target, const char *path,
		     struct error *err)
{
	struct ext2_inode_large in;
	if (read_inode(s, ino, &in, target, err) < 0)
		return -1;
	in.i_links_count++;
	return update_inode(s, ino, &in, path, err);
}

int image_inode_unlink(struct inodes *s, ext2_ino_t ino, bool dir, const char *name,
		       struct error *err)
{
	struct ext2_inode_large in;
	if (read_inode(s, ino, &in, name, err) < 0)
		return -1;
	if (!dir && in.i_links_count > 1) {
		in.i_links_count--;
		return update_inode(s, ino, &in, name, err);
	}
	errcode_t rc = 0;
	if (ext2fs_inode_has_valid_blocks2(s->fs, (struct ext2_inode *)&in))
		rc = ext2fs_punch(s->fs, ino, (struct ext2_inode *)&in, NULL, 0, ~0ULL);
	if (!rc && ext2fs_file_acl_block(s->fs, (struct ext2_inode *)&in))
		rc = ext2fs_free_ext_attr(s->fs, ino, &in);
	if (rc)
		return image_fs_error(s->fs, err, rc, "cannot free the inode of '%s'", name);
	ext2fs_inode_alloc_stats2(s->fs, ino, -1, dir);
	struct ext2_inode_large zero;
	memset(&zero, 0, sizeof(zero));
	zero.i_dtime = s->epoch;
	if (write_new_inode(s, ino, &zero, name, err) < 0)
		return -1;
	free_ino(s, ino);
	return 0;
}

int image_inode_set_xattr(struct inodes *s, ext2_ino_t ino, const char *xname, const void *value,
			  size_t len, const char *path, struct error *err)
{
	struct ext2_xattr_handle *h = NULL;
	errcode_t rc = ext2fs_xattrs_open(s->fs, ino, &h);
	if (!rc)
		rc = ext2fs_xattrs_read(h);
	if (!rc)
		rc = ext2fs_xattr_set(h, xname, value, len);
	if (h) {
		errcode_t rc2 = ext2fs_xattrs_close(&h);
		rc = rc ? rc : rc2;
	}
	if (rc)
		return image_fs_error(s->fs, err, rc, "cannot set xattr '%s' on '/%s'", xname, path);
	return 0;
}

void image_inode_devnum(const struct ext2_inode_large *in, unsigned *major, unsigned *minor)
{
	uint32_t b0 = in->i_block[0], b1 = in->i_block[1];
	*major = b0 ? (b0 >> 8) & 0xff : (b1 >> 8) & 0xfff;
	*minor = b0 ? b0 & 0xff : (b1 & 0xff) | ((b1 >> 12) & 0xfff00);
}
