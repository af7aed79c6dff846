/*
 * image: builds an image from a recipe's image entity: creates the
 * filesystem (image_fs), applies layers (image_layer) then overlays
 * (image_overlay) to the tree (image_tree), writes the directories, the
 * manifest, and closes.  A failure removes the half-written image and
 * manifest.  See image.h for the manifest format.
 *
 * format: cpio and format: squashfs go through the same steps, so layers,
 * whiteouts, overlays, modes and hardlinks mean exactly what they mean for
 * ext4: the tree is built into a scratch filesystem (sparse, unlinked as
 * soon as it is open, with no lost+found; for cpio refusing extended
 * attributes, which newc cannot carry), then image_cpio writes it out as
 * the archive, or image_squashfs as a squashfs filesystem.  The price is
 * the file data written once more than an ext4 image needs; one namespace
 * implementation is worth it.
 *
 * size: auto measures the layers and overlays first (one extra read of
 * each archive).  It counts what the filesystem will hold: file data in
 * whole blocks, one block per symlink, one block per directory (explicit,
 * or implied by a change of parent in the archive) plus twice the bytes of
 * its entries, and 256 bytes per inode; the image is that * 1.3 + 64 MiB,
 * plus the inode tables of one inode per 16 KiB and the journal mke2fs
 * would give it, rounded up to a MiB, with at least 1.2 inodes per entry
 * plus 1024, and large enough for the recipe's `inodes` (so `check` can
 * accept any count with auto).  Rewritten paths count each time, so a layer stack is
 * overestimated, never under: the image is sparse, so room costs little.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/image.h"
#include "image/image_cpio.h"
#include "image/image_squashfs.h"
#include "image/image_fs.h"
#include "image/image_layer.h"
#include "image/image_manifest.h"
#include "image/image_overlay.h"
#include "image/image_tree.h"
#include "recipe/recipe_validate.h"
#include "base/util.h"

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
	char *why = recipe_validate_epoch(*epoch);
	if (why)
		error_usage(err, "image '%s': epoch %lld must be %s", img->name, (long long)*epoch, why);
	free(why);
	return why ? -1 : 0;
}

static size_t n_layer_paths(const struct image *img, const struct image_write_opts *o)
{
	return o->n_layer_paths ? o->n_layer_paths : img->n_layers;
}

static int measure_host_file(void *arg, const struct overlay_file *f, struct error *err)
{
	(void)err;
	image_layer_measure_add(arg, *f->rel ? f->rel : ".", f->st.st_mode, (uint64_t)f->st.st_size);
	return 0;
}

/* choose size and inode count for size: auto (see the top of this file) */
static int auto_size(const struct image *img, const struct image_write_opts *o,
		     struct overlay_skip *skip, struct image_fs_params *p, struct error *err)
{
	struct image_measure m = { 0 };
	int ret = -1;
	for (size_t i = 0; i < n_layer_paths(img, o); i++)
		if (image_layer_measure(o->layer_paths[i], &m, err) < 0)
			goto out;
	for (size_t i = 0; i < img->n_overlays; i++) {
		const struct overlay *ov = &img->overlays[i];
		if (image_overlay_walk(ov, skip, measure_host_file, &m, err) < 0)
			goto out;
		if (ov->kind == OVERLAY_CONTENT)
			image_layer_measure_add(&m, ov->to ? ov->to : "", S_IFREG, strlen(ov->src));
		else if (ov->kind != OVERLAY_DIR && ov->kind != OVERLAY_FILE)
			image_layer_measure_add(&m, ov->to ? ov->to : "", S_IFLNK, 0);
	}
	uint64_t want_inodes = m.entries + m.entries / 5 + 1024;
	/* a directory block holds whole entries only: count its records twice */
	uint64_t need = m.data_bytes + m.dirs * IMAGE_BLOCK_SIZE + m.name_bytes * 2 +
			want_inodes * 256;
	uint64_t size = need + need * 3 / 10 + (64ULL << 20);
	size += size / 64; /* the inode tables of one inode per 16 KiB */
	int journal = ext2fs_default_journal_size(size / IMAGE_BLOCK_SIZE);
	if (journal > 0)
		size += (uint64_t)journal * IMAGE_BLOCK_SIZE;
	if (size / RECIPE_BYTES_PER_INODE < p->inodes)
		size = p->inodes * RECIPE_BYTES_PER_INODE;
	p->size = (size + (1ULL << 20) - 1) & ~((1ULL << 20) - 1);
	if (!p->inodes && p->size / 16384 < want_inodes)
		p->inodes = want_inodes;
	ret = 0;
out:
	free(m.last_parent);
	return ret;
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

/* the init: oci shim at RECIPE_OCI_INIT, root's, 0755, at the epoch */
static int write_oci_init(struct tree *t, const char *script, int64_t epoch, struct error *err)
{
	struct tree_attrs dir = { S_IFDIR | 0755, 0, 0, epoch };
	struct tree_attrs file = { S_IFREG | 0755, 0, 0, epoch };
	char *parent = xstrdup(RECIPE_OCI_INIT + 1);
	*strrchr(parent, '/') = '\0';
	struct tree_file *f;
	size_t len = strlen(script);
	int ret = image_tree_mkdir(t, parent, &dir, err);
	free(parent);
	if (ret == 0 && (ret = image_tree_file_begin(t, RECIPE_OCI_INIT + 1, &file, len, &f, err)) == 0) {
		if ((ret = image_tree_file_write(f, 0, script, len, err)) < 0)
			image_tree_file_abort(f);
		else
			ret = image_tree_file_end(f, err);
	}
	return ret < 0 ? error_prefix(err, "the 'init: oci' shim") : 0;
}

static int populate(struct tree *t, const struct image *img, const struct image_write_opts *o,
		    struct overlay_skip *skip, struct buf *manifest, struct error *err)
{
	for (size_t i = 0; i < n_layer_paths(img, o); i++)
		if (image_layer_apply(t, o->layer_paths[i],
				      o->layer_names ? o->layer_names[i] : o->layer_paths[i],
				      img->allow_devices,
				      o->layer_whiteouts && o->layer_whiteouts[i],
				      o->layer_digests ? o->layer_digests[i] : NULL, err) < 0)
			return -1;
	for (size_t i = 0; i < img->n_overlays; i++)
		if (image_overlay_apply(t, &img->overlays[i], skip, img->allow_devices, o->epoch,
					o->check, err) < 0)
			return -1;
	if (o->oci_init && write_oci_init(t, o->oci_init, o->epoch, err) < 0)
		return -1;
	if (image_tree_finish(t, err) < 0)
		return -1;
	return image_manifest(t, manifest, err);
}

/* a bad value of img: "image 'I': WHAT must be WHY" (why is a recipe_validate phrase, freed) */
static int refuse(struct error *err, const struct image *img, const char *what, char *why)
{
	if (!why)
		return 0;
	error_usage(err, "image '%s': %s must be %s", img->name, what, why);
	free(why);
	return -1;
}

/* a scratch filesystem for a cpio or squashfs image's tree: gone from the directory once open */
static char *scratch_fs_path(const char *out_path)
{
	return xasprintf("%s.tree", out_path);
}

/* what the tree of an image of format f holds besides its entries */
static unsigned tree_flags(enum image_format f)
{
	if (f == IMAGE_EXT4)
		return IMAGE_TREE_LOST_FOUND | IMAGE_TREE_XATTRS;
	return f == IMAGE_SQUASHFS ? IMAGE_TREE_XATTRS : 0;
}

int image_write(const struct image *img, const struct image_write_opts *o, struct error *err)
{
	struct image_fs_params p = { img->size, img->label, img->inodes, o->key, (uint32_t)o->epoch };
	/* cpio and squashfs are written from a scratch filesystem's tree */
	bool scratch = img->format != IMAGE_EXT4;
	char *fs_path = NULL;
	struct buf manifest = BUF_INIT;
	struct overlay_skip skip;
	ext2_filsys fs = NULL;
	struct tree *t = NULL;
	bool created = false; /* never unlink a file this call did not create */
	int ret = -1;

	if (img->fs && strcmp(img->fs, "ext4"))
		return error_usage(err, "image '%s': fs '%s' is not supported (only ext4)", img->name,
				   img->fs);
	if (img->label && refuse(err, img, "label", recipe_validate_label(img->label)) < 0)
		return -1;
	if (refuse(err, img, "epoch", recipe_validate_epoch(o->epoch)) < 0)
		return -1;
	image_overlay_skip_init(&skip, o->skip_dir);
	if (img->size_auto && auto_size(img, o, &skip, &p, err) < 0)
		goto out;
	if (refuse(err, img, "size", recipe_validate_size(p.size)) < 0 ||
	    (img->inodes && refuse(err, img, "inodes", recipe_validate_inodes(img->inodes, p.size)) < 0)) {
		image_overlay_skip_release(&skip);
		return -1;
	}
	fs_path = scratch ? scratch_fs_path(o->out_path) : xstrdup(o->out_path);
	if (image_fs_create(&fs, fs_path, &p, err) < 0)
		goto out;
	/* the open filesystem keeps its file: nothing of it outlives this call */
	if (scratch)
		unlink(fs_path);
	created = true;
	if (!(t = image_tree_new(fs, p.epoch, tree_flags(img->format), err)))
		goto out;
	if (populate(t, img, o, &skip, &manifest, err) < 0)
		goto out;
	if (img->format == IMAGE_CPIO && image_cpio_write(t, o->out_path, img->compression, err) < 0)
		goto out;
	if (img->format == IMAGE_SQUASHFS &&
	    image_squashfs_write(t, o->out_path, img->compression, p.epoch, err) < 0)
		goto out;
	image_tree_free(t);
	t = NULL;
	if (scratch) {
		image_fs_free(fs);
		ret = 0;
	} else {
		ret = image_fs_close(fs, err);
	}
	fs = NULL;
	if (ret == 0 && o->manifest_path)
		ret = write_file(o->manifest_path, &manifest, err);
out:
	image_tree_free(t);
	if (fs)
		image_fs_free(fs);
	buf_release(&manifest);
	image_overlay_skip_release(&skip);
	if (ret < 0) {
		if (created && !scratch) /* image_cpio_write() and image_squashfs_write() remove their own */
			unlink(o->out_path);
		if (created && o->manifest_path)
			unlink(o->manifest_path);
		error_prefix(err, "image '%s'", img->name);
	}
	free(fs_path);
	return ret;
}
