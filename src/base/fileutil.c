#include "base/fileutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int mkdir_p(const char *path, unsigned mode, struct error *err)
{
	/* the common case, the directory or its parent already there, in one
	 * call; anything else walks from the top so the error names the first
	 * component that cannot be made */
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	char *p = xstrdup(path);
	int ret = 0;
	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			ret = error_errno(err, errno, "cannot create directory '%s'", p);
			break;
		}
		*s = saved;
		if (!saved)
			break;
	}
	free(p);
	return ret;
}

/* what a non-regular file is, for messages */
static const char *file_kind(mode_t mode)
{
	if (S_ISFIFO(mode)) return "a FIFO";
	if (S_ISSOCK(mode)) return "a socket";
	if (S_ISCHR(mode)) return "a character device";
	if (S_ISBLK(mode)) return "a block device";
	if (S_ISDIR(mode)) return "a directory";
	if (S_ISLNK(mode)) return "a symlink";
	return "not a regular file";
}

static int not_regular(mode_t mode, const char *shown, struct error *err)
{
	if (S_ISSOCK(mode) || S_ISFIFO(mode) || S_ISCHR(mode) || S_ISBLK(mode) ||
	    S_ISDIR(mode) || S_ISLNK(mode))
		return error_set(err, "'%s' is %s, not a regular file", shown, file_kind(mode));
	return error_set(err, "'%s' is not a regular file", shown);
}

int open_regular_at(int dirfd, const char *name, int extra, const char *shown, struct error *err)
{
	struct stat st;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | extra);
	if (fd < 0) {
		int saved = errno;
		/* a socket cannot be opened at all (ENXIO): say what it is */
		if (fstatat(dirfd, name, &st, extra & O_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0) == 0 &&
		    !S_ISREG(st.st_mode))
			return not_regular(st.st_mode, shown, err);
		return error_errno(err, saved, "cannot open '%s'", shown);
	}
	if (fstat(fd, &st) < 0) {
		error_errno(err, errno, "cannot stat '%s'", shown);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		not_regular(st.st_mode, shown, err);
		close(fd);
		return -1;
	}
	return fd;
}

int open_regular(const char *path, struct error *err)
{
	return open_regular_at(AT_FDCWD, path, 0, path, err);
}

int read_file(const char *path, size_t max, struct buf *out, struct error *err)
{
	int fd = open_regular(path, err);
	if (fd < 0)
		return -1;
	int ret = 0;
	size_t total = 0;
	for (;;) {
		buf_grow(out, 65536);
		ssize_t n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = error_errno(err, errno, "cannot read '%s'", path);
			break;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
		total += (size_t)n;
		if (total > max) {
			ret = error_set(err, "cannot read '%s': larger than %zu bytes", path, max);
			break;
		}
	}
	close(fd);
	return ret;
}

int read_secret_file(const char *path, char **out, struct error *err)
{
	struct buf b = BUF_INIT;
	if (read_file(path, 4096, &b, err) < 0) {
		buf_release(&b);
		return error_prefix(err, "cannot read credentials");
	}
	while (b.len && strchr(" \t\r\n", b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	if (!b.len || memchr(b.data, '\n', b.len)) {
		explicit_bzero(b.data, b.cap);
		buf_release(&b);
		return error_usage(err, "credentials file '%s' must hold one non-empty line", path);
	}
	*out = buf_detach(&b);
	return 0;
}

void fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

void fsync_parent(const char *path)
{
	char *dir = path_dirname(path);
	fsync_dir(dir);
	free(dir);
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
		      struct error *err)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ret = -1;
	if (fd < 0) {
		error_errno(err, errno, "cannot create '%s'", tmp);
		goto out;
	}
	if (write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		error_errno(err, errno, "cannot write '%s'", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0) {
		error_errno(err, errno, "cannot write '%s'", tmp);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		error_errno(err, errno, "cannot rename '%s' to '%s'", tmp, path);
		unlink(tmp);
		goto out;
	}
	fsync_parent(path);
	ret = 0;
out:
	free(tmp);
	return ret;
}

/* copy [start, end) from in to out at the same offsets */
static int copy_range(int in, int out, off_t start, off_t end, char *block, size_t bsize)
{
	while (start < end) {
		size_t want = (size_t)(end - start) < bsize ? (size_t)(end - start) : bsize;
		ssize_t got = pread(in, block, want, start);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -1 : (errno = EIO, -1);
		for (ssize_t done = 0; done < got;) {
			ssize_t n = pwrite(out, block + done, (size_t)(got - done), start + done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -1;
			done += n;
		}
		start += got;
	}
	return 0;
}

static int copy_extents(int in, int out, off_t size)
{
	const size_t bsize = 1 << 20;
	char *block = xmalloc(bsize);
	int ret = 0;
	off_t pos = 0;
	while (pos < size) {
		off_t data = lseek(in, pos, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0)
			data = pos; /* no SEEK_DATA: copy everything */
		off_t hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0 || hole > size)
			hole = size;
		if (copy_range(in, out, data, hole, block, bsize) < 0) {
			ret = -1;
			break;
		}
		pos = hole;
	}
	free(block);
	/* a trailing hole: set the length without writing zeros */
	if (ret == 0 && ftruncate(out, size) < 0)
		ret = -1;
	return ret;
}

int copy_file_sparse(const char *src, const char *dst, unsigned mode, struct error *err)
{
	return copy_file_sparse_opt(src, dst, mode, true, err);
}

int file_copy_begin(struct file_copy *c, const char *src, const char *dst, struct error *err)
{
	c->src = src;
	c->dst = dst;
	if ((c->in = open_regular(src, err)) < 0)
		return -1;
	c->out = open(dst, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (c->out < 0) {
		error_errno(err, errno, "cannot create '%s'", dst);
		close(c->in);
		return -1;
	}
	if (fstat(c->in, &c->st) < 0) {
		error_errno(err, errno, "cannot stat '%s'", src);
		return file_copy_end(c, -1, 0, false, err);
	}
	return 0;
}

int file_copy_end(struct file_copy *c, int ret, unsigned mode, bool durable, struct error *err)
{
	if (ret == 0 && (fchmod(c->out, mode) < 0 || (durable && fsync(c->out) < 0)))
		ret = error_errno(err, errno, "cannot write '%s'", c->dst);
	if (close(c->out) < 0 && ret == 0)
		ret = error_errno(err, errno, "cannot write '%s'", c->dst);
	if (ret < 0)
		unlink(c->dst);
	close(c->in);
	return ret;
}

int copy_file_sparse_opt(const char *src, const char *dst, unsigned mode, bool durable,
			 struct error *err)
{
	struct file_copy c;
	if (file_copy_begin(&c, src, dst, err) < 0)
		return -1;
	int ret = 0;
	if (ioctl(c.out, FICLONE, c.in) < 0 && copy_extents(c.in, c.out, c.st.st_size) < 0)
		ret = error_errno(err, errno, "cannot copy '%s' to '%s'", src, dst);
	return file_copy_end(&c, ret, mode, durable, err);
}

int dir_open_beneath(int dirfd, const char *relpath)
{
	char *copy = xstrdup(relpath), *save = NULL;
	int fd = dup(dirfd);
	for (char *c = strtok_r(copy, "/", &save); c && fd >= 0; c = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		fd = next;
		errno = e;
	}
	free(copy);
	return fd;
}

/* empty the directory open at fd (consumed), never following a symlink in it */
static void empty_dir_fd(int fd)
{
	/* a directory left read-only (an unpacked tree) must become writable to be emptied */
	fchmod(fd, 0700);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			remove_tree_at(dirfd(d), e->d_name);
	}
	closedir(d);
}

void remove_tree_at(int dirfd, const char *name)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(dirfd, name, 0);
		return;
	}
	/* O_NOFOLLOW: if name was swapped for a symlink since the fstatat, this fails */
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		empty_dir_fd(fd);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

void remove_beneath(int dirfd, const char *relpath)
{
	const char *slash = strrchr(relpath, '/');
	if (!slash) {
		remove_tree_at(dirfd, relpath);
		return;
	}
	char *parent = xstrndup(relpath, (size_t)(slash - relpath));
	int fd = dir_open_beneath(dirfd, parent);
	if (fd >= 0) {
		remove_tree_at(fd, slash + 1);
		close(fd);
	}
	free(parent);
}

void remove_tree(const char *path)
{
	char *trimmed = xstrdup(path);
	size_t len = strlen(trimmed);
	while (len > 1 && trimmed[len - 1] == '/')
		trimmed[--len] = '\0';
	char *parent = path_dirname(trimmed);
	const char *slash = strrchr(trimmed, '/');
	const char *name = slash ? slash + 1 : trimmed;
	int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && *name) {
		remove_tree_at(fd, name);
	}
	if (fd >= 0)
		close(fd);
	free(parent);
	free(trimmed);
}

char *path_absolute(const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return xstrdup(path);
	if (strcmp(path, ".") == 0)
		return xstrdup(cwd);
	if (str_startswith(path, "./"))
		path += 2;
	return path_join(cwd, path);
}

uint64_t file_allocated(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	return (uint64_t)st.st_blocks * 512;
}
