/*
 * image_overlay: applies overlays to the image tree and walks the host
 * files they read.
 *
 * Safety: a dir/file source is opened through the recipe-tree boundary
 * (recipe_tree_open: beneath the recipe root after following symlinks,
 * a regular file or a directory, never a FIFO that would block).  Inside
 * a dir overlay, symlinks are copied as symlinks (never followed), and
 * each name is opened with O_NOFOLLOW from its parent's descriptor.
 *
 * What was hashed is what was used: each regular file is hashed in the same
 * pass that copies it, and the caller's check compares that digest with
 * the one in the action key, so a file replaced or rewritten since the key
 * was computed fails the build instead of entering the image under the old
 * key.  Files are opened with O_NONBLOCK and checked to be regular, so a
 * FIFO swapped in cannot block the build.
 *
 * Reproducibility: host owners and times never reach the image.  Every
 * entry is owned by 0:0 unless the overlay sets uid/gid, and its times are
 * the epoch.  Permission bits come from the host unless `mode` is given
 * (for a dir overlay, `mode` applies to the destination directory only).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/hash.h"
#include "image/image_overlay.h"
#include "recipe/recipe_tree.h"
#include "base/util.h"

#define COPY_CHUNK (64 * 1024)

/* the overlay's source, open for reading beneath its recipe tree (recipe_tree.h) */
static int open_source(const struct overlay *ov, struct error *err)
{
	const char *kind = ov->kind == OVERLAY_DIR ? "dir" : "file";
	char *subject = xasprintf("overlay %s '%s'", kind, ov->src);
	struct recipe_tree_path tp = { subject, ov->base_dir, ov->src, RECIPE_TREE_ONLY,
				       ov->kind == OVERLAY_DIR, false };
	int fd = recipe_tree_open(ov->root ? ov->root : ov->base_dir, NULL, &tp, true, err);
	free(subject);
	return fd;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the names in directory fd, sorted; count in *n */
static char **sorted_names(int fd, size_t *n, const char *abs, struct error *err)
{
	int dup_fd = dup(fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	char **names = NULL;
	size_t alloc = 0;
	*n = 0;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		error_errno(err, errno, "cannot read directory '%s'", abs);
		return NULL;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			names = xrealloc(names, alloc * sizeof(*names));
		}
		names[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof(*names), cmp_names);
	return names ? names : xcalloc(1, sizeof(*names));
}

void image_overlay_skip_init(struct overlay_skip *s, const char *dir)
{
	struct stat st;
	memset(s, 0, sizeof(*s));
	if (dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		s->set = true;
	}
}

void image_overlay_skip_release(struct overlay_skip *s)
{
	free(s->skipped);
	s->skipped = NULL;
}

/* true (and recorded) when st is the directory skip leaves out */
static bool skip_dir(struct overlay_skip *skip, const struct stat *st, const char *rel)
{
	if (!skip || !skip->set || !S_ISDIR(st->st_mode) || st->st_dev != skip->dev ||
	    st->st_ino != skip->ino)
		return false;
	if (!skip->skipped)
		skip->skipped = xstrdup(*rel ? rel : ".");
	return true;
}

static int walk_dir(int fd, const char *rel, const char *abs, struct overlay_skip *skip,
		    overlay_file_fn fn, void *arg, struct error *err)
{
	size_t n;
	int ret = 0;
	char **names = sorted_names(fd, &n, abs, err);
	if (!names)
		return -1;
	for (size_t i = 0; i < n && ret == 0; i++) {
		char *crel = *rel ? path_join(rel, names[i]) : xstrdup(names[i]);
		char *cabs = path_join(abs, names[i]);
		struct overlay_file f = { crel, cabs, fd, names[i], { 0 } };
		if (fstatat(fd, names[i], &f.st, AT_SYMLINK_NOFOLLOW) < 0)
			ret = error_errno(err, errno, "cannot stat '%s'", cabs);
		else if (skip_dir(skip, &f.st, crel))
			goto next;
		if (ret == 0)
			ret = fn(arg, &f, err);
		if (ret == 0 && S_ISDIR(f.st.st_mode)) {
			int cfd = openat(fd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0)
				ret = error_errno(err, errno, "cannot open '%s'", cabs);
			else {
				ret = walk_dir(cfd, crel, cabs, skip, fn, arg, err);
				close(cfd);
			}
		}
next:
		free(crel);
		free(cabs);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

int image_overlay_walk(const struct overlay *ov, struct overlay_skip *skip, overlay_file_fn fn,
		 void *arg, struct error *err)
{
	if (ov->kind != OVERLAY_DIR && ov->kind != OVERLAY_FILE)
		return 0;
	int fd = open_source(ov, err);
	if (fd < 0)
		return -1;
	char *abs = path_join(ov->base_dir, ov->src);
	struct overlay_file top = { "", abs, fd, "", { 0 } };
	int ret = 0;
	if (fstat(fd, &top.st) < 0)
		ret = error_errno(err, errno, "cannot stat '%s'", abs);
	if (ret == 0 && skip_dir(skip, &top.st, ""))
		goto out;
	if (ret == 0)
		ret = fn(arg, &top, err);
	if (ret == 0 && ov->kind == OVERLAY_DIR)
		ret = walk_dir(fd, "", abs, skip, fn, arg, err);
out:
	close(fd);
	free(abs);
	return ret;
}

/* ---- applying ------------------------------------------------------------- */

struct apply {
	struct tree *t;
	const struct overlay *ov;
	struct overlay_skip *skip;
	bool allow_devices;
	int64_t epoch;
	const struct overlay_check *check; /* may be NULL */
	char *dest;          /* cleaned destination of the overlay */
};

static struct tree_attrs overlay_attrs(const struct apply *ap, uint32_t type, uint32_t perm)
{
	struct tree_attrs a = { type | (perm & 07777), 0, 0, ap->epoch };
	if (ap->ov->has_uid)
		a.uid = ap->ov->uid;
	if (ap->ov->has_gid)
		a.gid = ap->ov->gid;
	return a;
}

/*
 * copy size bytes of fd into dest, hashing them in the same pass into digest
 * (the content digest, as the key's digest memo computes it for the check)
 */
static int copy_bytes(struct tree *t, const char *dest, const struct tree_attrs *a, int fd,
		      uint64_t size, const char *abs, char digest[SHA256_HEX], struct error *err)
{
	struct tree_file *f = NULL;
	struct hash h;
	char *chunk = xmalloc(COPY_CHUNK);
	uint64_t off = 0;
	int ret = -1;
	if (hash_init(&h, HASH_CONTENT, err) < 0) {
		free(chunk);
		return -1;
	}
	if (image_tree_file_begin(t, dest, a, size, &f, err) < 0)
		goto out;
	while (off < size) {
		size_t want = size - off < COPY_CHUNK ? (size_t)(size - off) : COPY_CHUNK;
		ssize_t n = pread(fd, chunk, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error_set(err, "cannot read '%s': %s", abs, n < 0 ? strerror(errno)
					: "file shrank while reading");
			goto out;
		}
		if (image_tree_file_write(f, off, chunk, (size_t)n, err) < 0)
			goto out;
		hash_update(&h, chunk, (size_t)n);
		off += (uint64_t)n;
	}
	hash_final_hex(&h, digest);
	ret = image_tree_file_end(f, err);
	f = NULL;
out:
	image_tree_file_abort(f);
	hash_release(&h);
	free(chunk);
	return ret;
}

static int apply_host_file(void *arg, const struct overlay_file *f, struct error *err)
{
	struct apply *ap = arg;
	const struct overlay *ov = ap->ov;
	bool top = !*f->rel;
	char *dest = top ? xstrdup(ap->dest) : path_join(ap->dest, f->rel);
	uint32_t perm = top && ov->has_mode ? ov->mode : f->st.st_mode & 07777;
	struct tree_attrs a = overlay_attrs(ap, f->st.st_mode & S_IFMT, perm);
	char sha256[SHA256_HEX];
	const char *content = NULL;  /* digest of what was read, for the check */
	int ret = -1;

	if (S_ISDIR(f->st.st_mode)) {
		ret = top && !ov->has_mode && !ov->has_uid && !ov->has_gid
			? image_tree_mkdir_p(ap->t, dest, err) : image_tree_mkdir(ap->t, dest, &a, err);
	} else if (S_ISREG(f->st.st_mode)) {
		int fd = top ? dup(f->dirfd) : open_regular_at(f->dirfd, f->name, O_NOFOLLOW, f->abs, err);
		if (fd < 0) {
			if (top)
				error_errno(err, errno, "cannot open '%s'", f->abs);
			goto out;
		}
		ret = copy_bytes(ap->t, dest, &a, fd, (uint64_t)f->st.st_size, f->abs, sha256, err);
		close(fd);
		content = sha256;
	} else if (S_ISLNK(f->st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(f->dirfd, f->name, target, sizeof(target) - 1);
		if (n < 0) {
			error_errno(err, errno, "cannot read link '%s'", f->abs);
			goto out;
		}
		target[n] = '\0';
		hash_buffer_hex(HASH_SHA256, target, (size_t)n, sha256);
		content = sha256;
		ret = image_tree_symlink(ap->t, dest, &a, target, err);
	} else if (S_ISFIFO(f->st.st_mode) ||
		   ((S_ISCHR(f->st.st_mode) || S_ISBLK(f->st.st_mode)) && ap->allow_devices)) {
		ret = image_tree_mknod(ap->t, dest, &a, f->st.st_rdev, err);
	} else if (S_ISSOCK(f->st.st_mode)) {
		error_set(err, "'%s' is a socket and cannot be copied", f->abs);
	} else {
		error_set(err, "'%s' is a device node and the image does not allow devices: "
			  "set devices: true", f->abs);
	}
	if (ret == 0 && ap->check)
		ret = ap->check->fn(ap->check->arg, ov, f, content, err);
out:
	free(dest);
	return ret;
}

static int apply_content(struct apply *ap, struct error *err)
{
	const struct overlay *ov = ap->ov;
	struct tree_attrs a = overlay_attrs(ap, S_IFREG, ov->has_mode ? ov->mode : 0644);
	struct tree_file *f;
	size_t len = strlen(ov->src);
	if (image_tree_file_begin(ap->t, ap->dest, &a, len, &f, err) < 0)
		return -1;
	if (image_tree_file_write(f, 0, ov->src, len, err) < 0) {
		image_tree_file_abort(f);
		return -1;
	}
	return image_tree_file_end(f, err);
}

static int apply_one(struct apply *ap, struct error *err)
{
	const struct overlay *ov = ap->ov;
	struct tree_attrs a;
	switch (ov->kind) {
	case OVERLAY_DIR:
	case OVERLAY_FILE:
		return image_overlay_walk(ov, ap->skip, apply_host_file, ap, err);
	case OVERLAY_CONTENT:
		return apply_content(ap, err);
	case OVERLAY_SYMLINK:
		a = overlay_attrs(ap, S_IFLNK, 0777);
		return image_tree_symlink(ap->t, ap->dest, &a, ov->src, err);
	case OVERLAY_MKDIR:
		a = overlay_attrs(ap, S_IFDIR, ov->has_mode ? ov->mode : 0755);
		return image_tree_mkdir(ap->t, ap->dest, &a, err);
	case OVERLAY_REMOVE:
		return image_tree_remove(ap->t, ap->dest, err);
	}
	return error_set(err, "unknown overlay kind");
}

int image_overlay_apply(struct tree *t, const struct overlay *ov, struct overlay_skip *skip,
			bool allow_devices, int64_t epoch, const struct overlay_check *check,
			struct error *err)
{
	struct apply ap = { t, ov, skip, allow_devices, epoch, check, NULL };
	int ret = -1;
	if (!ov->to)
		return error_set(err, "overlay without a destination");
	if (!(ap.dest = image_tree_path_clean(ov->to, err)))
		goto out;
	ret = apply_one(&ap, err);
out:
	free(ap.dest);
	if (ret < 0) {
		error_locate(err, ov->mark.file, ov->mark.line, ov->mark.column);
		error_prefix(err, "%s:%d:%d: overlay", ov->mark.file ? ov->mark.file : "recipe",
			     ov->mark.line, ov->mark.column);
	}
	return ret;
}
