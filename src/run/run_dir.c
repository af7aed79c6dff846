/*
 * run_dir: where a VM's writable state lives.  The guest never writes the
 * cached image: each run boots a copy (a reflink where the filesystem can,
 * else a sparse copy of the data extents), made without fsync because
 * nothing needs it to survive a crash of the host.  Layout in run.h.
 */
#include "run/run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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

/* true when the persistent copy was made from the image with this digest */
static bool copy_is_current(const struct run_dir *rd, const char *digest)
{
	char *stamp = path_join(rd->path, "image.sha256");
	struct buf b = BUF_INIT;
	struct error ignored = ERROR_INIT;
	bool current = read_file(stamp, 256, &b, &ignored) == 0 && b.data &&
		       strcmp(b.data, digest) == 0 && access(rd->image, W_OK) == 0;
	error_release(&ignored);
	buf_release(&b);
	free(stamp);
	return current;
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
	if (copy_is_current(rd, digest)) {
		rd->reused = true;
		return 0;
	}
	char *stamp = path_join(rd->path, "image.sha256");
	unlink(stamp);
	unlink(rd->image);
	int ret = copy_file_sparse_opt(src, rd->image, 0644, true, err);
	if (ret == 0)
		ret = write_file_atomic(stamp, digest, strlen(digest), 0644, err);
	free(stamp);
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
