/*
 * run_dir: where a VM's writable state lives.  The guest never writes the
 * cached image: each run boots a copy (a reflink where the filesystem can,
 * else a sparse copy of the data extents), made without fsync because
 * nothing needs it to survive a crash of the host.  Layout in run.h.
 */
#include "run/run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/util.h"
#include "cache/cache_layout.h"

static int lock_dir(struct run_dir *rd, const char *profile, struct error *err)
{
	char *lock = path_join(rd->path, CACHE_LAYOUT_RUN_LOCK);
	rd->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	int ret = 0;
	if (rd->lock_fd < 0)
		ret = error_errno(err, errno, "cannot open '%s'", lock);
	else if (flock(rd->lock_fd, LOCK_EX | LOCK_NB) < 0)
		ret = error_set(err, "profile '%s' is already running (its persistent image '%s' is "
				"in use)", profile, rd->path);
	free(lock);
	return ret;
}

/* true when the persistent copy was made from the image with this digest (its stamp says so) */
static bool copy_is_current(const char *stamp, const char *copy, const char *digest)
{
	struct buf b = BUF_INIT;
	struct error ignored = ERROR_INIT;
	bool current = read_file(stamp, 256, &b, &ignored) == 0 && b.data &&
		       strcmp(b.data, digest) == 0 && access(copy, W_OK) == 0;
	error_release(&ignored);
	buf_release(&b);
	return current;
}

/* copy src to copy, stamped with its digest (the stamp goes first, so a half copy never passes) */
static int copy_stamped(const char *src, const char *copy, const char *stamp, const char *digest,
			struct error *err)
{
	unlink(stamp);
	unlink(copy);
	int ret = copy_file_sparse_opt(src, copy, 0644, true, err);
	if (ret == 0)
		ret = write_file_atomic(stamp, digest, strlen(digest), 0644, err);
	return ret;
}

static int prepare_persistent(struct run_dir *rd, const char *base, const char *recipe_id,
			      const char *profile, const char *src, const char *digest,
			      struct error *err)
{
	char *name = xasprintf("%s-%s", recipe_id, profile);
	rd->path = path_join(base, name);
	rd->image = path_join(rd->path, "root.ext4");
	rd->persistent = true;
	free(name);
	if (mkdir_p(rd->path, 0755, err) < 0 || lock_dir(rd, profile, err) < 0)
		return -1;
	char *stamp = path_join(rd->path, "image.sha256");
	int ret = 0;
	if (copy_is_current(stamp, rd->image, digest))
		rd->reused = true;
	else
		ret = copy_stamped(src, rd->image, stamp, digest, err);
	free(stamp);
	return ret;
}

int run_dir_disk(struct run_dir *rd, const char *name, const char *src, const char *digest,
		 uint64_t size, char **path, struct error *err)
{
	char *file = src ? xasprintf("image-%s.ext4", name) : xasprintf("file-%s", name);
	*path = path_join(rd->path, file);
	free(file);
	if (src) {
		char *stamp = xasprintf("%s/image-%s.sha256", rd->path, name);
		int ret = 0;
		if (!rd->persistent)
			ret = copy_file_sparse_opt(src, *path, 0644, false, err);
		else if (!copy_is_current(stamp, *path, digest))
			ret = copy_stamped(src, *path, stamp, digest, err);
		free(stamp);
		return ret;
	}
	struct stat st;
	if (rd->persistent && stat(*path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size == size)
		return 0;
	/* a new scratch disk, or one whose size the recipe changed: empty and sparse */
	int fd = open(*path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		error_errno(err, errno, "cannot create the scratch disk '%s'", *path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int run_dir_reset(const char *cache_root, const char *recipe_id, const char *profile,
		  struct error *err)
{
	char *base = cache_layout_dir(cache_root, CACHE_AREA_RUN);
	char *name = xasprintf("%s-%s", recipe_id, profile);
	struct run_dir rd = { .path = path_join(base, name), .lock_fd = -1, .persistent = true };
	free(base);
	free(name);
	int ret = 0;
	DIR *dir = opendir(rd.path);
	if (dir && (ret = lock_dir(&rd, profile, err)) == 0) {
		/* everything but the lock we hold: the root copy, disks, stamps */
		for (struct dirent *e; (e = readdir(dir));)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
			    strcmp(e->d_name, CACHE_LAYOUT_RUN_LOCK))
				remove_tree_at(dirfd(dir), e->d_name);
	}
	if (dir)
		closedir(dir);
	run_dir_release(&rd);
	return ret;
}

/*
 * A one-run directory holds its lock for the life of the run and names its
 * process in "pid", the mark gc looks for: a one-run directory whose lock
 * is free belongs to a run that is gone (killed before it could clean up).
 */
static int mark_one_run(struct run_dir *rd, const char *profile, struct error *err)
{
	if (lock_dir(rd, profile, err) < 0)
		return -1;
	char *pid = path_join(rd->path, CACHE_LAYOUT_RUN_PID), *text = xasprintf("%d\n", (int)getpid());
	int ret = write_file_atomic(pid, text, strlen(text), 0644, err);
	free(pid);
	free(text);
	return ret;
}

int run_dir_prepare(struct run_dir *rd, const char *cache_root, const char *recipe_id,
		    const char *profile, bool persist, const char *image_src,
		    const char *image_digest, struct error *err)
{
	memset(rd, 0, sizeof(*rd));
	rd->lock_fd = -1;
	char *base = cache_layout_dir(cache_root, CACHE_AREA_RUN);
	int ret = mkdir_p(base, 0755, err);
	/* persist keeps a disk: a profile with none (refused by the recipe) has nothing to keep */
	if (ret == 0 && persist && image_src) {
		ret = prepare_persistent(rd, base, recipe_id, profile, image_src, image_digest, err);
	} else if (ret == 0) {
		char *tmpl = xasprintf("%s/%s.XXXXXX", base, profile);
		if (!mkdtemp(tmpl)) {
			ret = error_errno(err, errno, "cannot create a run directory in '%s'", base);
			free(tmpl);
		} else {
			rd->path = tmpl;
			ret = mark_one_run(rd, profile, err);
			/* an initrd-only profile has no disk to copy */
			if (ret == 0 && image_src) {
				rd->image = path_join(rd->path, "root.ext4");
				ret = copy_file_sparse_opt(image_src, rd->image, 0644, false, err);
			}
		}
	}
	free(base);
	if (ret < 0) {
		error_prefix(err, "run directory for profile '%s'", profile);
		run_dir_release(rd);
	}
	return ret;
}

void run_dir_release(struct run_dir *rd)
{
	if (rd->path && !rd->persistent)
		remove_tree(rd->path);
	if (rd->lock_fd >= 0)
		close(rd->lock_fd);
	free(rd->path);
	free(rd->image);
	memset(rd, 0, sizeof(*rd));
	rd->lock_fd = -1;
}
