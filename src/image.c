/*
 * image: builds an ext4 image from a recipe's image entity: creates the
 * filesystem (image_fs), applies layers (image_layer) then overlays
 * (image_overlay) to the tree (image_tree), writes the directories, the
 * manifest, and closes.  A failure removes the half-written image and
 * manifest.  See image.h for the manifest format.
 *
 * size: auto measures the layers and overlays first (one extra read of
 * each archive) and sizes the image as content * 1.3 + 64 MiB, rounded up
 * to a MiB, with at least 1.2 inodes per entry plus 1024.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "image_fs.h"
#include "image_layer.h"
#include "image_manifest.h"
#include "image_overlay.h"
#include "image_tree.h"
#include "util.h"

int image_epoch(const struct image *img, int64_t *epoch, struct error *err)
{
	const char *env = getenv("SOURCE_DATE_EPOCH");
	if (img->has_epoch) {
		*epoch = img->epoch;
	} else if (env && *env) {
		char *end;
		errno = 0;
		long long v = strtoll(env, &end, 10);
		if (errno || *end || v < 0)
			return error_usage(err, "SOURCE_DATE_EPOCH '%s' is not a number of seconds", env);
		*epoch = v;
	} else {
		*epoch = IMAGE_DEFAULT_EPOCH;
	}
	if (*epoch < 0 || *epoch > UINT32_MAX)
		return error_usage(err, "image '%s': epoch %lld is out of range", img->name,
				   (long long)*epoch);
	return 0;
}

struct measure {
	uint64_t bytes;
	uint64_t entries;
};

static int measure_host_file(void *arg, const struct overlay_file *f, struct error *err)
{
	struct measure *m = arg;
	if (S_ISREG(f->st.st_mode))
		m->bytes += ((uint64_t)f->st.st_size + 4095) & ~4095ULL;
	m->entries++;
	return 0;
}

/* choose size and inode count for size: auto */
static int auto_size(const struct image *img, const struct image_write_opts *o,
		     struct image_fs_params *p, struct error *err)
{
	struct measure m = { 0, 0 };
	for (size_t i = 0; i < img->n_layers; i++)
		if (image_layer_measure(o->layer_paths[i], &m.bytes, &m.entries, err) < 0)
			return -1;
	for (size_t i = 0; i < img->n_overlays; i++) {
		const struct overlay *ov = &img->overlays[i];
		if (overlay_walk(ov, measure_host_file, &m, err) < 0)
			return -1;
		if (ov->kind == OVERLAY_CONTENT)
			m.bytes += (strlen(ov->src) + 4095) & ~4095ULL;
		m.entries++;
	}
	uint64_t content = m.bytes + m.entries * 512;
	p->size = ((content + content * 3 / 10 + (64ULL << 20)) + (1ULL << 20) - 1) & ~((1ULL << 20) - 1);
	uint64_t want_inodes = m.entries + m.entries / 5 + 1024;
	if (!p->inodes && p->size / 16384 < want_inodes)
		p->inodes = want_inodes;
	return 0;
}

static int write_file(const char *path, const struct buf *b, struct error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return error_errno(err, errno, "cannot create '%s'", path);
	ssize_t n = b->len ? write(fd, b->data, b->len) : 0;
	int saved = errno;
	if (close(fd) < 0 && n >= 0)
		n = -1, saved = errno;
	if (n < 0 || (size_t)n != b->len)
		return error_errno(err, n < 0 ? saved : EIO, "cannot write '%s'", path);
	return 0;
}

static int populate(struct tree *t, const struct image *img, const struct image_write_opts *o,
		    struct buf *manifest, struct error *err)
{
	for (size_t i = 0; i < img->n_layers; i++)
		if (image_layer_apply(t, o->layer_paths[i],
				      o->layer_names ? o->layer_names[i] : o->layer_paths[i],
				      img->allow_devices, err) < 0)
			return -1;
	for (size_t i = 0; i < img->n_overlays; i++)
		if (image_overlay_apply(t, &img->overlays[i], img->allow_devices, o->epoch, o->check,
					err) < 0)
			return -1;
	if (tree_finish(t, err) < 0)
		return -1;
	return image_manifest(t, manifest, err);
}

int image_write(const struct image *img, const struct image_write_opts *o, struct error *err)
{
	struct image_fs_params p = { img->size, img->label, img->inodes, o->key, (uint32_t)o->epoch };
	struct buf manifest = BUF_INIT;
	ext2_filsys fs = NULL;
	struct tree *t = NULL;
	bool created = false; /* never unlink a file this call did not create */
	int ret = -1;

	if (img->fs && strcmp(img->fs, "ext4"))
		return error_usage(err, "image '%s': fs '%s' is not supported (only ext4)", img->name,
				   img->fs);
	if (img->label && strlen(img->label) > 16)
		return error_usage(err, "image '%s': label '%s' is longer than 16 bytes", img->name,
				   img->label);
	if (o->epoch < 0 || o->epoch > UINT32_MAX)
		return error_usage(err, "image '%s': epoch out of range", img->name);
	if (img->size_auto && auto_size(img, o, &p, err) < 0)
		goto out;
	if (image_fs_create(&fs, o->out_path, &p, err) < 0)
		goto out;
	created = true;
	if (!(t = tree_new(fs, p.epoch, err)))
		goto out;
	if (populate(t, img, o, &manifest, err) < 0)
		goto out;
	tree_free(t);
	t = NULL;
	ret = image_fs_close(fs, err);
	fs = NULL;
	if (ret == 0 && o->manifest_path)
		ret = write_file(o->manifest_path, &manifest, err);
out:
	tree_free(t);
	if (fs)
		ext2fs_free(fs);
	buf_release(&manifest);
	if (ret < 0) {
		if (created)
			unlink(o->out_path);
		if (created && o->manifest_path)
			unlink(o->manifest_path);
		error_prefix(err, "image '%s'", img->name);
	}
	return ret;
}
