/*
 * image_manifest: writes the manifest of an image, one line per entry in
 * tree order: PATH TYPE MODE UID GID SIZE TARGET separated by tabs (see
 * image.h).  Owners, modes and sizes are read back from the inodes, so the
 * manifest says what the filesystem holds, not what was asked for.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "image/image_fs.h"
#include "image/image_inode.h"
#include "image/image_manifest.h"

/* first path seen of each inode with more than one link */
struct first_paths {
	ext2_ino_t *ino;
	char **path;
	size_t n, alloc;
};

struct manifest {
	ext2_filsys fs;
	struct buf *out;
	struct first_paths fp;
};

static const char *type_name(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "dir";
	case S_IFLNK: return "symlink";
	case S_IFCHR: return "char";
	case S_IFBLK: return "block";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	}
	return "unknown";
}

/* the first path of ino, or NULL (and remember path) when this is the first */
static const char *first_path(struct first_paths *fp, ext2_ino_t ino, const char *path)
{
	for (size_t i = 0; i < fp->n; i++)
		if (fp->ino[i] == ino)
			return fp->path[i];
	if (fp->n == fp->alloc) {
		fp->alloc = fp->alloc ? fp->alloc * 2 : 16;
		fp->ino = xrealloc(fp->ino, fp->alloc * sizeof(*fp->ino));
		fp->path = xrealloc(fp->path, fp->alloc * sizeof(*fp->path));
	}
	fp->ino[fp->n] = ino;
	fp->path[fp->n++] = xstrdup(path);
	return NULL;
}

/* names may hold any byte but '/' and NUL: escape the manifest's separators */
static void add_escaped(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_adds(out, "\\\\");
		else if (*s == '\t')
			buf_adds(out, "\\t");
		else if (*s == '\n')
			buf_adds(out, "\\n");
		else
			buf_addc(out, *s);
	}
}

static int manifest_entry(void *arg, const struct tree_entry *e, struct error *err)
{
	struct manifest *m = arg;
	struct ext2_inode_large in;
	errcode_t rc = ext2fs_read_inode_full(m->fs, e->ino, (struct ext2_inode *)&in, sizeof(in));
	if (rc)
		return image_fs_error(m->fs, err, rc, "cannot read the inode of '%s'", e->path);
	const char *type = type_name(e->mode), *target = "-";
	char devs[32];
	if (S_ISLNK(e->mode)) {
		target = e->target;
	} else if (S_ISCHR(e->mode) || S_ISBLK(e->mode)) {
		unsigned major, minor;
		image_inode_devnum(&in, &major, &minor);
		snprintf(devs, sizeof(devs), "%u:%u", major, minor);
		target = devs;
	} else if (S_ISREG(e->mode) && in.i_links_count > 1) {
		const char *first = first_path(&m->fp, e->ino, e->path);
		if (first) {
			type = "hardlink";
			target = first;
		}
	}
	add_escaped(m->out, e->path);
	buf_addf(m->out, "\t%s\t%04o\t%u\t%u\t%llu\t", type, in.i_mode & 07777,
		 inode_uid(in), inode_gid(in), (unsigned long long)EXT2_I_SIZE(&in));
	add_escaped(m->out, target);
	buf_addc(m->out, '\n');
	return 0;
}

int image_manifest(struct tree *t, struct buf *out, struct error *err)
{
	struct manifest m = { image_tree_fs(t), out, { NULL, NULL, 0, 0 } };
	int ret = image_tree_walk(t, manifest_entry, &m, err);
	for (size_t i = 0; i < m.fp.n; i++)
		free(m.fp.path[i]);
	free(m.fp.ino);
	free(m.fp.path);
	return ret;
}
