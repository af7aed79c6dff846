/*
 * kernel_tree: unpack a kernel source tarball with libarchive into the
 * cache, once per digest, atomically and read-only (see kernel_tree.h).
 * The tarball is decompressed by stream_pipe and checked to the end of its
 * stream (CRCs, checksums, no trailing bytes) before the tree is renamed
 * into place.
 */
#include "kernel/kernel_tree.h"

#include "base/archive_lazy.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/hash.h"
#include "base/stream_pipe.h"
#include "base/interrupt.h"
#include "base/util.h"
#include "cache/cache_layout.h"

/* true when path stays inside the tree: relative, and no ".." component */
static bool path_is_inside(const char *path)
{
	if (path[0] == '/')
		return false;
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return false;
	return true;
}

/*
 * The path with its first component removed, or NULL when nothing is left
 * or the path would leave the tree (archive paths are made absolute beneath
 * the destination, so libarchive's own absolute-path check cannot be used).
 */
static const char *strip_top(const char *path)
{
	if (!path_is_inside(path))
		return NULL;
	const char *slash = strchr(path, '/');
	if (!slash)
		return NULL;
	while (*slash == '/')
		slash++;
	return *slash ? slash : NULL;
}

/* rewrite an entry's path (and hard link target) beneath dest without the top directory */
static bool relocate(struct archive_entry *ae, const char *dest)
{
	const char *rel = strip_top(archive_entry_pathname(ae));
	if (!rel)
		return false;
	char *path = path_join(dest, rel);
	archive_entry_set_pathname(ae, path);
	free(path);
	const char *link = archive_entry_hardlink(ae);
	if (link) {
		const char *lrel = strip_top(link);
		if (!lrel)
			return false;
		char *lpath = path_join(dest, lrel);
		archive_entry_set_hardlink(ae, lpath);
		free(lpath);
	}
	return true;
}

static int copy_data(struct archive *in, struct archive *out, struct error *err)
{
	const void *block;
	size_t size;
	la_int64_t offset;
	for (;;) {
		int r = archive_read_data_block(in, &block, &size, &offset);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return error_set(err, "%s", archive_error_string(in));
		if (archive_write_data_block(out, block, size, offset) < ARCHIVE_WARN)
			return error_set(err, "%s", archive_error_string(out));
	}
}

static int unpack(const char *tarball, const char *dest, struct error *err)
{
	struct archive *in = archive_read_new();
	struct archive *out = archive_write_disk_new();
	int ret = -1;
	int fd;
	struct stream_pipe *stream = stream_pipe_open(tarball, &fd, NULL, NULL, err);
	if (!stream)
		goto out;
	archive_read_support_format_all(in);
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
				       ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
	if (archive_read_open_fd(in, fd, 1 << 20) != ARCHIVE_OK) {
		error_set(err, "%s", archive_error_string(in));
		goto out;
	}
	struct archive_entry *ae;
	int r;
	while ((r = archive_read_next_header(in, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (interrupt_pending()) {
			interrupt_error(err);
			goto out;
		}
		if (!relocate(ae, dest))
			continue;
		if (archive_write_header(out, ae) < ARCHIVE_WARN) {
			error_set(err, "%s", archive_error_string(out));
			goto out;
		}
		if (archive_entry_size(ae) > 0 && copy_data(in, out, err) < 0)
			goto out;
		if (archive_write_finish_entry(out) < ARCHIVE_WARN) {
			error_set(err, "%s", archive_error_string(out));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		error_set(err, "%s", archive_error_string(in));
		goto out;
	}
	if (archive_write_close(out) != ARCHIVE_OK) {
		error_set(err, "%s", archive_error_string(out));
		goto out;
	}
	ret = 0;
out:
	archive_read_free(in);
	archive_write_free(out);
	/* the tar end marker is not the end of the file: its stream is checked to the end */
	struct error decode_err = ERROR_INIT;
	if (stream_pipe_close(stream, ret == 0, &decode_err) < 0) {
		error_move(err, &decode_err);
		ret = -1;
	}
	error_release(&decode_err);
	return ret;
}

static int drop_write(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_F || type == FTW_DP)
		chmod(path, st->st_mode & ~(mode_t)0222);
	return 0;
}

static char *tree_path(const char *cache_dir, const char *digest)
{
	return cache_layout_path(cache_dir, CACHE_AREA_SRC, "%s", digest);
}

bool kernel_tree_present(const char *cache_dir, const char *digest)
{
	char *path = tree_path(cache_dir, digest);
	struct stat st;
	bool present = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
	free(path);
	return present;
}

int kernel_tree_get(const char *cache_dir, const char *tarball, const char *digest,
		    char **srcdir, struct error *err)
{
	char *final = tree_path(cache_dir, digest);
	char *parent = path_dirname(final);
	char *tmpdir = cache_layout_dir(cache_dir, CACHE_AREA_TMP);
	char *tmp = xasprintf("%s/src-%s.XXXXXX", tmpdir, digest);
	int ret = -1;
	if (kernel_tree_present(cache_dir, digest))
		goto done;
	if (mkdir_p(parent, 0755, err) < 0 || mkdir_p(tmpdir, 0755, err) < 0)
		goto out;
	if (!mkdtemp(tmp)) {
		error_errno(err, errno, "cannot create '%s'", tmp);
		goto out;
	}
	if (unpack(tarball, tmp, err) < 0) {
		error_prefix(err, "cannot unpack '%s'", tarball);
		remove_tree(tmp);
		goto out;
	}
	/* read-only: a build that writes into the shared tree is a bug to see at once */
	nftw(tmp, drop_write, 64, FTW_PHYS | FTW_DEPTH);
	chmod(tmp, 0755); /* keep the top writable only until it is renamed */
	if (rename(tmp, final) < 0) {
		int e = errno;
		remove_tree(tmp);
		if (e != EEXIST && e != ENOTEMPTY) {
			error_errno(err, e, "cannot rename '%s' to '%s'", tmp, final);
			goto out;
		}
	}
	chmod(final, 0555);
done:
	*srcdir = final;
	final = NULL;
	ret = 0;
out:
	free(final);
	free(parent);
	free(tmpdir);
	free(tmp);
	return ret;
}

int kernel_tree_objdir_lock(const char *cache_dir, const char *name, const char *digest,
		       const char *arch, char **objdir, int *lock_fd, struct error *err)
{
	char *ident = xasprintf("%s %s", digest, arch);
	char hex[HASH_MAX_HEX];
	hash_buffer_hex(HASH_SHA256, ident, strlen(ident), hex);
	char *dir = cache_layout_path(cache_dir, CACHE_AREA_KBUILD, "%s-%.12s", name, hex);
	char *lock = xasprintf("%s.lock", dir);
	int fd = -1, ret = -1;
	if (mkdir_p(dir, 0755, err) < 0)
		goto out;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		error_errno(err, errno, "cannot open '%s'", lock);
		goto out;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			error_errno(err, errno, "cannot lock '%s'", lock);
			goto out;
		}
	}
	*objdir = dir;
	*lock_fd = fd;
	dir = NULL;
	fd = -1;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(ident);
	free(dir);
	free(lock);
	return ret;
}

void kernel_tree_objdir_unlock(int lock_fd)
{
	if (lock_fd >= 0)
		close(lock_fd); /* closing the only descriptor releases the flock */
}
