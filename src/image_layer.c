/*
 * image_layer: reads a layer archive with libarchive as a stream and turns
 * each entry into a tree operation.  The format (tar in any of its
 * dialects) and compression (gzip, xz, zstd, bzip2 or none) are detected
 * from the content, never from the name.
 *
 * What is rejected, with the entry named: names with a ".." part, paths
 * through a symlink placed earlier, hardlinks to missing or non-regular
 * targets or carrying data, declared sizes beyond the free space, device
 * nodes unless the recipe allows them, ids beyond 32 bits, and any
 * libarchive warning or error (a truncated or corrupt archive).
 * Absolute names are made relative by stripping the leading '/' (as GNU
 * tar does); see image_path_clean().
 *
 * For compressed layers a second thread decompresses (libarchive's "raw"
 * format over the same filters) into a socket pair that the tar reader consumes,
 * so decompression overlaps with writing the filesystem.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>

#include "image_layer.h"

#include "interrupt.h"

#define READ_BLOCK (128 * 1024)

static int archive_fail(struct archive *a, const char *path, struct error *err)
{
	const char *msg = archive_error_string(a);
	return error_set(err, "layer '%s': %s", path, msg ? msg : "unreadable archive");
}

static int entry_attrs(struct archive_entry *e, const char *name, struct tree_attrs *at,
		       struct error *err)
{
	la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
	if (uid < 0 || uid > UINT32_MAX || gid < 0 || gid > UINT32_MAX)
		return error_set(err, "'%s': uid or gid out of range", name);
	at->mode = archive_entry_filetype(e) | (archive_entry_perm(e) & 07777);
	at->uid = (uint32_t)uid;
	at->gid = (uint32_t)gid;
	at->mtime = archive_entry_mtime_is_set(e) ? archive_entry_mtime(e) : 0;
	return 0;
}

static int copy_data(struct tree *t, struct archive *a, const char *path,
		     const struct tree_attrs *at, uint64_t size, const char *layer,
		     struct error *err)
{
	struct tree_file *f;
	const void *block;
	size_t len;
	la_int64_t offset;
	if (tree_file_begin(t, path, at, size, &f, err) < 0)
		return -1;
	for (;;) {
		if (interrupt_pending()) {
			tree_file_abort(f);
			return interrupt_error(err);
		}
		int r = archive_read_data_block(a, &block, &len, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			const char *msg = archive_error_string(a);
			tree_file_abort(f);
			return error_set(err, "'/%s': %s", path, msg ? msg : "unreadable data");
		}
		/* sparse entries come as blocks at increasing offsets: gaps stay holes */
		if (tree_file_write(f, (uint64_t)offset, block, len, err) < 0) {
			tree_file_abort(f);
			return -1;
		}
	}
	return tree_file_end(f, err);
}

static int apply_xattrs(struct tree *t, struct archive_entry *e, const char *path,
			struct error *err)
{
	const char *name;
	const void *value;
	size_t size;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
		if (tree_set_xattr(t, path, name, value, size, err) < 0)
			return -1;
	return 0;
}

static int apply_entry(struct tree *t, struct archive *a, struct archive_entry *e,
		       bool allow_devices, const char *layer, struct error *err)
{
	const char *name = archive_entry_pathname(e);
	const char *link = archive_entry_hardlink(e);
	struct tree_attrs at;
	char *path = NULL, *target = NULL;
	int ret = -1;

	if (!name)
		return error_set(err, "an entry without a name");
	if (!(path = image_path_clean(name, err)))
		goto out;
	if (entry_attrs(e, name, &at, err) < 0)
		goto out;
	if (link) {
		if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0) {
			error_set(err, "hardlink '%s' carries data", name);
			goto out;
		}
		if (!(target = image_path_clean(link, err)))
			goto out;
		ret = tree_hardlink(t, path, target, err);
		goto out;
	}
	switch (at.mode & S_IFMT) {
	case S_IFREG: {
		la_int64_t size = archive_entry_size(e);
		if (size < 0) {
			error_set(err, "'%s' has a negative size", name);
			goto out;
		}
		ret = copy_data(t, a, path, &at, (uint64_t)size, layer, err);
		break;
	}
	case S_IFDIR:
		ret = tree_mkdir(t, path, &at, err);
		break;
	case S_IFLNK: {
		const char *to = archive_entry_symlink(e);
		ret = to ? tree_symlink(t, path, &at, to, err)
			 : error_set(err, "symlink '%s' has no target", name);
		break;
	}
	case S_IFCHR:
	case S_IFBLK:
		if (!allow_devices) {
			error_set(err, "'%s' is a device node and the image does not allow devices: "
				  "set devices: true", name);
			goto out;
		}
		/* fallthrough */
	case S_IFIFO:
	case S_IFSOCK:
		ret = tree_mknod(t, path, &at, archive_entry_rdev(e), err);
		break;
	default:
		error_set(err, "'%s' has an unknown type", name);
		goto out;
	}
	if (ret == 0)
		ret = apply_xattrs(t, e, path, err);
out:
	free(path);
	free(target);
	return ret;
}

/* ---- the decompression thread --------------------------------------------- */

struct inflater {
	struct archive *raw;  /* "raw" format over every filter: plain bytes out */
	int fd;               /* write end of the pipe */
	char *error;          /* set when decompression failed (owned) */
	pthread_t thread;
};

static void *inflate_main(void *arg)
{
	struct inflater *in = arg;
	const void *block;
	size_t len;
	la_int64_t offset;
	for (;;) {
		int r = archive_read_data_block(in->raw, &block, &len, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			const char *msg = archive_error_string(in->raw);
			in->error = xstrdup(msg ? msg : "decompression failed");
			break;
		}
		const char *p = block;
		while (len) {
			/* MSG_NOSIGNAL: a reader that stopped early must not raise SIGPIPE */
			ssize_t n = send(in->fd, p, len, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				goto done; /* the reader stopped early */
			p += n;
			len -= (size_t)n;
		}
	}
done:
	close(in->fd);
	in->fd = -1;
	return NULL;
}

/*
 * Open path; when it is compressed, start the inflater thread and return
 * the read end of its socket pair in *fd (else *fd is -1 and the file is read
 * directly).  Returns 0 or -1.
 */
static int inflater_start(struct inflater *in, const char *path, const char *name, int *fd,
			  struct error *err)
{
	struct archive_entry *e;
	int fds[2];
	*fd = -1;
	in->fd = -1;
	in->raw = archive_read_new();
	archive_read_support_filter_all(in->raw);
	archive_read_support_format_raw(in->raw);
	if (archive_read_open_filename(in->raw, path, READ_BLOCK) != ARCHIVE_OK ||
	    archive_read_next_header(in->raw, &e) != ARCHIVE_OK)
		return archive_fail(in->raw, name, err);
	if (archive_filter_count(in->raw) <= 1 ||
	    archive_filter_code(in->raw, 0) == ARCHIVE_FILTER_NONE) {
		archive_read_free(in->raw);
		in->raw = NULL;
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return error_errno(err, errno, "cannot make a socket pair");
	int sndbuf = 1 << 20;
	setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	in->fd = fds[1];
	if (pthread_create(&in->thread, NULL, inflate_main, in) != 0) {
		close(fds[0]);
		close(fds[1]);
		return error_set(err, "cannot start a decompression thread");
	}
	*fd = fds[0];
	return 0;
}

/* stop the thread (closing fd first so it cannot block) and free; returns its error or 0 */
static int inflater_stop(struct inflater *in, int fd, const char *name, struct error *err)
{
	int ret = 0;
	if (fd >= 0)
		close(fd);
	if (in->raw && fd >= 0) {
		pthread_join(in->thread, NULL);
		if (in->error)
			ret = error_set(err, "layer '%s': %s", name, in->error);
	}
	free(in->error);
	if (in->raw)
		archive_read_free(in->raw);
	return ret;
}

static struct archive *open_tar(const char *path, int fd)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	if (fd >= 0) {
		archive_read_open_fd(a, fd, READ_BLOCK);
	} else {
		archive_read_support_filter_all(a);
		archive_read_open_filename(a, path, READ_BLOCK);
	}
	return a;
}

int image_layer_apply(struct tree *t, const char *path, const char *name, bool allow_devices,
		      struct error *err)
{
	struct inflater in = { NULL, -1, NULL, 0 };
	struct archive_entry *e;
	int fd, ret = -1;
	if (inflater_start(&in, path, name, &fd, err) < 0) {
		inflater_stop(&in, -1, name, err);
		return -1;
	}
	struct archive *a = open_tar(path, fd);
	for (;;) {
		if (interrupt_pending()) {
			interrupt_error(err);
			goto out;
		}
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			archive_fail(a, name, err);
			goto out;
		}
		if (apply_entry(t, a, e, allow_devices, path, err) < 0) {
			error_prefix(err, "layer '%s'", name);
			goto out;
		}
	}
	ret = 0;
out:
	archive_read_free(a);
	/* a decompression error explains a tar error better than the tar reader can */
	struct error inflate_err = ERROR_INIT;
	if (inflater_stop(&in, fd, name, &inflate_err) < 0) {
		error_move(err, &inflate_err);
		ret = -1;
	}
	error_release(&inflate_err);
	return ret;
}

void image_measure_add(struct image_measure *m, const char *path, uint32_t mode, uint64_t size)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	const char *slash = memrchr(path, '/', len);
	size_t parent_len = slash ? (size_t)(slash - path) : 0;
	size_t name_len = len - (slash ? parent_len + 1 : 0);
	m->entries++;
	m->name_bytes += 8 + ((name_len + 3) & ~(size_t)3);
	if (S_ISREG(mode))
		m->data_bytes += (size + 4095) & ~4095ULL;
	else if (S_ISLNK(mode))
		m->data_bytes += 4096; /* a target of 60 bytes or more takes a block */
	else if (S_ISDIR(mode))
		m->dirs++;
	/* archives list a directory's entries together: a new parent may be an implied directory */
	if (!m->last_parent || strlen(m->last_parent) != parent_len ||
	    memcmp(m->last_parent, path, parent_len)) {
		free(m->last_parent);
		m->last_parent = xstrndup(path, parent_len);
		m->dirs++;
	}
}

int image_layer_measure(const char *path, struct image_measure *m, struct error *err)
{
	struct archive *a = open_tar(path, -1);
	struct archive_entry *e;
	int ret = -1;
	for (;;) {
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			archive_fail(a, path, err);
			goto out;
		}
		la_int64_t size = archive_entry_size(e);
		const char *name = archive_entry_pathname(e);
		image_measure_add(m, name ? name : "", archive_entry_filetype(e),
				  size > 0 ? (uint64_t)size : 0);
	}
	ret = 0;
out:
	archive_read_free(a);
	return ret;
}
