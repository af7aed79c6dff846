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
 * tar does); see image_tree_path_clean().
 *
 * A container image's layer (whiteouts) follows the OCI image spec's
 * whiteouts as containerd's applier does: ".wh.NAME" removes NAME (and all
 * beneath it) as placed by earlier layers, and is a no-op when NAME does
 * not exist; ".wh..wh..opq" removes everything earlier layers placed in
 * its directory, keeping what this layer puts there before or after it; a
 * whiteout is matched by name whatever its type (a hardlink too), never
 * appears in the image, and its data, owner and mode are ignored.  Its
 * parent directories are made as for any entry.  Plain tarballs have no
 * whiteouts: a ".wh." file in one is an ordinary file.
 *
 * For compressed layers (and for a layer read straight from the user's file,
 * whose digest is computed as it is read) a second thread decompresses
 * (stream_pipe) into a socket pair that the tar reader consumes; the file's
 * own bytes (read by that thread, or by the tar reader for an uncompressed
 * file) are copied into fetch_digest's ring and hashed by a thread of its
 * own, so decompression and hashing overlap with writing the filesystem; the stream is read to its end with its integrity
 * checks (gzip CRC32 and ISIZE, xz check, zstd frame checksum, bzip2 CRCs)
 * and trailing bytes refused before the layer counts as applied.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/archive_lazy.h"

#include "image/image_layer.h"
#include "base/stream_pipe.h"
#include "fetch/fetch_digest.h"

#include "base/interrupt.h"

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
	if (image_tree_file_begin(t, path, at, size, &f, err) < 0)
		return -1;
	for (;;) {
		if (interrupt_pending()) {
			image_tree_file_abort(f);
			return interrupt_error(err);
		}
		int r = archive_read_data_block(a, &block, &len, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			const char *msg = archive_error_string(a);
			image_tree_file_abort(f);
			return error_set(err, "'/%s': %s", path, msg ? msg : "unreadable data");
		}
		/* sparse entries come as blocks at increasing offsets: gaps stay holes */
		if (image_tree_file_write(f, (uint64_t)offset, block, len, err) < 0) {
			image_tree_file_abort(f);
			return -1;
		}
	}
	return image_tree_file_end(f, err);
}

static int apply_xattrs(struct tree *t, struct archive_entry *e, const char *path,
			struct error *err)
{
	const char *name;
	const void *value;
	size_t size;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
		if (image_tree_set_xattr(t, path, name, value, size, err) < 0)
			return -1;
	return 0;
}

/*
 * A container image saved as a tar (an OCI layout, `docker save`) would
 * silently become an image holding blobs/ and index.json: refuse it by the
 * files only such archives have at their top.  0, or -1 with err.
 */
static int refuse_container_image(const char *path, struct error *err)
{
	const char *slash = strchr(path, '/');
	const char *kind = !strcmp(path, "oci-layout") ? "an OCI image layout" :
			   !strcmp(path, "repositories") ||
			   (slash && !strcmp(slash, "/layer.tar")) ? "a 'docker save' archive" : NULL;
	if (!kind)
		return 0;
	return error_set(err, "it is %s (it holds '%s'), not a root filesystem tarball: a container "
			 "image is a source of its own kind ('oci-layout: DIR' with 'ref:', or "
			 "'docker-archive: FILE'), not 'path:' or 'url:'", kind, path);
}

#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"

/* a whiteout entry at the clean path: what it removes, removed; 0 or -1 */
static int apply_whiteout(struct tree *t, const char *path, const char *base, struct error *err)
{
	size_t dir_len = (size_t)(base - path);
	char *dir = xstrndup(path, dir_len ? dir_len - 1 : 0);
	int ret;
	/* its directory exists afterwards, as containerd makes an entry's parents */
	if (*dir && image_tree_mkdir_p(t, dir, err) < 0)
		ret = -1;
	else if (strcmp(base, OPAQUE) == 0)
		ret = image_tree_opaque(t, dir, err);
	else if (!base[strlen(WHITEOUT)])
		ret = error_set(err, "whiteout '/%s' names no file", path);
	else {
		char *victim = xasprintf("%.*s%s", (int)dir_len, path, base + strlen(WHITEOUT));
		ret = image_tree_remove(t, victim, err);
		free(victim);
	}
	free(dir);
	return ret;
}

static int apply_entry(struct tree *t, struct archive *a, struct archive_entry *e,
		       bool allow_devices, bool whiteouts, const char *layer, struct error *err)
{
	const char *name = archive_entry_pathname(e);
	const char *link = archive_entry_hardlink(e);
	struct tree_attrs at;
	char *path = NULL, *target = NULL;
	int ret = -1;

	if (!name)
		return error_set(err, "an entry without a name");
	if (!(path = image_tree_path_clean(name, err)))
		goto out;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (whiteouts && strncmp(base, WHITEOUT, strlen(WHITEOUT)) == 0) {
		ret = apply_whiteout(t, path, base, err);
		goto out;
	}
	if (!whiteouts && refuse_container_image(path, err) < 0)
		goto out;
	if (entry_attrs(e, name, &at, err) < 0)
		goto out;
	if (link) {
		if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0) {
			error_set(err, "hardlink '%s' carries data", name);
			goto out;
		}
		if (!(target = image_tree_path_clean(link, err)))
			goto out;
		ret = image_tree_hardlink(t, path, target, err);
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
		ret = image_tree_mkdir(t, path, &at, err);
		break;
	case S_IFLNK: {
		const char *to = archive_entry_symlink(e);
		ret = to ? image_tree_symlink(t, path, &at, to, err)
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
		ret = image_tree_mknod(t, path, &at, archive_entry_rdev(e), err);
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

/* an uncompressed layer read by the tar reader itself, each block into the hashing ring */
struct tapped_file {
	int fd;
	struct fetch_digest *ring;
	char *buf;                 /* READ_BLOCK bytes */
};

static la_ssize_t tapped_read(struct archive *a, void *arg, const void **block)
{
	struct tapped_file *f = arg;
	ssize_t n;
	while ((n = read(f->fd, f->buf, READ_BLOCK)) < 0 && errno == EINTR)
		;
	if (n < 0) {
		archive_set_error(a, errno, "cannot read: %s", strerror(errno));
		return -1;
	}
	fetch_digest_update(f->ring, f->buf, (size_t)n);
	*block = f->buf;
	return n;
}

/* fd: what stream_pipe gives; tapped: read it through the ring instead (no seeking) */
static struct archive *open_tar(const char *path, int fd, struct tapped_file *tapped)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	if (tapped) {
		archive_read_open(a, tapped, NULL, tapped_read, NULL);
	} else if (fd >= 0) {
		archive_read_open_fd(a, fd, READ_BLOCK);
	} else {
		archive_read_support_filter_all(a);
		archive_read_open_filename(a, path, READ_BLOCK);
	}
	return a;
}

/* the decoding thread's tap: the file's bytes into the hashing ring */
static int hash_tap(void *arg, const void *data, size_t n, struct error *err)
{
	fetch_digest_update(arg, data, n);
	return 0;
}

int image_layer_apply(struct tree *t, const char *path, const char *name, bool allow_devices,
		      bool whiteouts, char *digest, struct error *err)
{
	struct archive_entry *e;
	int fd, ret = -1;
	/* hashed on threads of its own: the decoding thread only copies into the ring */
	struct fetch_digest *ring = NULL;
	if (digest && !(ring = fetch_digest_new(HASH_CONTENT, false, false, -1, err)))
		return error_prefix(err, "layer '%s'", name);
	struct stream_pipe *in = stream_pipe_open(path, &fd, ring ? hash_tap : NULL, ring, err);
	if (!in) {
		fetch_digest_free(ring);
		return error_prefix(err, "layer '%s'", name);
	}
	/* uncompressed: the tar reader's own reads feed the ring, no second thread copies */
	struct tapped_file tapped = { fd, ring, NULL };
	bool tap_here = ring && stream_pipe_plain(in);
	if (tap_here)
		tapped.buf = xmalloc(READ_BLOCK);
	struct archive *a = open_tar(path, fd, tap_here ? &tapped : NULL);
	if (whiteouts)
		image_tree_next_layer(t);
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
		if (apply_entry(t, a, e, allow_devices, whiteouts, path, err) < 0) {
			error_prefix(err, "layer '%s'", name);
			goto out;
		}
	}
	ret = 0;
out:
	archive_read_free(a);
	/* the tar end marker is not the end of the file: its stream is checked to the end */
	struct error decode_err = ERROR_INIT;
	if (stream_pipe_close(in, ret == 0, &decode_err) < 0) {
		error_move(err, &decode_err);
		error_prefix(err, "layer '%s'", name);
		ret = -1;
	}
	error_release(&decode_err);
	free(tapped.buf);
	if (ring && ret == 0) {
		char content[HASH_MAX_HEX], sha256[SHA256_HEX];
		fetch_digest_final(ring, content, sha256, digest);
	}
	fetch_digest_free(ring);
	return ret;
}

void image_layer_measure_add(struct image_measure *m, const char *path, uint32_t mode, uint64_t size)
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
	struct archive *a = open_tar(path, -1, NULL);
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
		image_layer_measure_add(m, name ? name : "", archive_entry_filetype(e),
				  size > 0 ? (uint64_t)size : 0);
	}
	ret = 0;
out:
	archive_read_free(a);
	return ret;
}
