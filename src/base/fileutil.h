/*
 * fileutil: file operations with the care a cache needs: atomic writes
 * (temp file, fsync, rename, fsync of the directory), sparse-preserving
 * copies (reflink first, then SEEK_DATA/SEEK_HOLE), whole-file reads with a
 * size bound, recursive mkdir and removal.
 */
#ifndef MVBUILD_FILEUTIL_H
#define MVBUILD_FILEUTIL_H

#include <stdbool.h>
#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/util.h"

/*
 * Open name (relative to dirfd, or AT_FDCWD) for reading, refusing anything
 * but a regular file: opened with O_NONBLOCK so a FIFO cannot block, then
 * checked with fstat.  extra adds flags (O_NOFOLLOW); shown names the file
 * in errors.  The descriptor, or -1 with err ("'F' is a FIFO, not a regular
 * file").
 */
int open_regular_at(int dirfd, const char *name, int extra, const char *shown, struct error *err);
/* open_regular_at() of a path */
int open_regular(const char *path, struct error *err);
/* mkdir -p with mode for created directories; 0, or -1 with err */
int mkdir_p(const char *path, unsigned mode, struct error *err);
/* read a whole file of at most max bytes into out (appended); 0, or -1 with err */
int read_file(const char *path, size_t max, struct buf *out, struct error *err);
/*
 * Read a credentials file holding one non-empty line of at most 4 KiB
 * (trailing whitespace dropped) into *out (caller clears and frees); -1
 * with err, which never quotes the content.
 */
int read_secret_file(const char *path, char **out, struct error *err);
/*
 * Write data to path atomically: a temp file in the same directory, fsync,
 * rename over path, fsync of the directory.  mode is the final mode.
 */
int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
		      struct error *err);
/* fsync the directory at path (errors ignored where unsupported) */
void fsync_dir(const char *path);
/* fsync the directory containing path */
void fsync_parent(const char *path);
/*
 * Copy src to a new file dst (which must not exist), keeping holes: a reflink
 * (FICLONE) when the filesystem can, else data extents only via
 * SEEK_DATA/SEEK_HOLE.  The copy is fsynced.  0, or -1 with err.
 */
int copy_file_sparse(const char *src, const char *dst, unsigned mode, struct error *err);
/* the same; durable false skips the fsync (scratch copies such as a VM's run image) */
int copy_file_sparse_opt(const char *src, const char *dst, unsigned mode, bool durable,
			 struct error *err);
/*
 * The two ends of a file copy, shared by every way of copying (the plain
 * one above, and hash.h's copy that hashes what it copies).
 */
struct file_copy {
	int in, out;         /* src open for reading; dst, created here, read-write */
	struct stat st;      /* src's */
	const char *src, *dst;
};
/* open src (a regular file) and create dst (which must not exist); 0, or -1 with err */
int file_copy_begin(struct file_copy *c, const char *src, const char *dst, struct error *err);
/*
 * Finish a copy whose data step returned ret: on success set mode, fsync
 * when durable; close both ends; dst is removed when anything failed.
 * Returns ret, or -1 with err when finishing failed.
 */
int file_copy_end(struct file_copy *c, int ret, unsigned mode, bool durable, struct error *err);
/*
 * Remove a file or directory tree, making directories writable first; a
 * symlink is removed, never followed (only path's own directory part is
 * resolved as given).  Errors ignored.
 */
void remove_tree(const char *path);
/* the same for the entry name of the directory open at dirfd */
void remove_tree_at(int dirfd, const char *name);
/*
 * Open the directory relpath beneath the directory open at dirfd, refusing
 * a symlink at every step (O_NOFOLLOW); an fd, or -1 with errno.
 */
int dir_open_beneath(int dirfd, const char *relpath);
/* remove_tree_at for relpath beneath dirfd, whose directories are opened as dir_open_beneath does */
void remove_beneath(int dirfd, const char *relpath);
/* the absolute form of path (not resolving symlinks); caller frees */
char *path_absolute(const char *path);
/* bytes allocated on disk for a file (st_blocks * 512), 0 when it cannot be stat'ed */
uint64_t file_allocated(const char *path);

#endif
