/*
 * builder_image: the image builder.  describe() records every parameter
 * of an image (size, label, inodes, epoch, devices, fs), each layer's
 * source name (the engine adds the layers' digests as dependencies
 * "source:NAME", output "file"), each field of each overlay as an entry
 * "overlay I FIELD" (I counts from 1, as recipe errors do; an absent optional
 * field has no entry), and for
 * dir/file overlays one entry per host file with its type, sha256 and mode
 * as words (record_add_words).  An image of format cpio or squashfs records
 * "param format" and "param compression" instead of the ext4 parameters
 * (size, fs, label, inodes).  build() writes the outputs "rootfs.ext4"
 * (or what recipe_image_output() names: "initramfs.cpio.gz", ".zst" or no
 * suffix; "rootfs.squashfs") and "manifest" (see image.h) into the scratch
 * directory; the UUID and hash seed derive from the seed key (builder.h:
 * the action key without the content of checksum-less path sources, so an
 * image built while such a layer was still pending, reading the user's file
 * and hashing it, is byte for byte the one built from the cache's copy).
 */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/builder.h"
#include "cache/cache.h"
#include "engine/digest_memo.h"
#include "image/image.h"
#include "image/image_oci.h"
#include "image/image_oci_init.h"
#include "image/image_overlay.h"
#include "base/fileutil.h"
#include "base/progress.h"
#include "recipe/recipe.h"
#include "base/util.h"

static const char *const overlay_kinds[] = {
	[OVERLAY_DIR] = "dir", [OVERLAY_FILE] = "file", [OVERLAY_CONTENT] = "content",
	[OVERLAY_SYMLINK] = "symlink", [OVERLAY_MKDIR] = "mkdir", [OVERLAY_REMOVE] = "remove",
};

struct describe_walk {
	struct mvctx *ctx;
	struct record *rec;
	const struct overlay *ov;
	size_t index;                /* the overlay's position, from 1 */
};

static const char *stat_type(mode_t mode)
{
	if (S_ISDIR(mode)) return "dir";
	if (S_ISREG(mode)) return "file";
	if (S_ISLNK(mode)) return "symlink";
	if (S_ISFIFO(mode)) return "fifo";
	return "special";
}

#define HOST_FILE_LABEL "overlay file "

/* the record label of one host file of an overlay; caller frees */
static char *host_file_label(const struct overlay *ov, const struct overlay_file *f)
{
	return xasprintf(HOST_FILE_LABEL "%s%s%s", ov->src, *f->rel ? "/" : "", f->rel);
}

/* the digest field of a host file with no content to hash: a device's number, else "-" */
static void host_file_no_content(const struct overlay_file *f, char hex[SHA256_HEX])
{
	if (S_ISCHR(f->st.st_mode) || S_ISBLK(f->st.st_mode))
		snprintf(hex, SHA256_HEX, "%llu", (unsigned long long)f->st.st_rdev);
	else
		snprintf(hex, SHA256_HEX, "-");
}

/*
 * add its entry to rec: type, hex (the content digest, or what stands for it)
 * and mode as words; describe() and the build-time check both write it here
 */
static void host_file_add(struct record *rec, const char *label, const struct overlay_file *f,
			  const char *hex)
{
	char mode[8];
	snprintf(mode, sizeof(mode), "%04o", (unsigned)(f->st.st_mode & 07777));
	const char *words[] = { stat_type(f->st.st_mode), hex, mode };
	record_add_words(rec, label, NULL, words, ARRAY_SIZE(words));
}

static int describe_host_file(void *arg, const struct overlay_file *f, struct error *err)
{
	struct describe_walk *w = arg;
	char *label = host_file_label(w->ov, f);
	char hex[SHA256_HEX];
	int ret = 0;
	host_file_no_content(f, hex);
	if (S_ISREG(f->st.st_mode)) {
		if (w->ctx->memo)
			ret = digest_memo_file(w->ctx->memo, f->abs, hex, err);
		else
			ret = hash_file_hex(HASH_CONTENT, f->abs, hex, err);
	} else if (S_ISLNK(f->st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(f->dirfd, f->name, target, sizeof(target) - 1);
		if (n >= 0)
			hash_buffer_hex(HASH_SHA256, target, (size_t)n, hex);
	}
	if (ret == 0)
		host_file_add(w->rec, label, f, hex);
	free(label);
	return ret;
}

/* add the entry "overlay I FIELD" (a field of the overlay at index i) */
static void overlay_add(struct record *rec, size_t i, const char *field, const char *where,
			const char *value)
{
	char *label = xasprintf("overlay %zu %s", i, field);
	record_add_at(rec, label, where, "%s", value);
	free(label);
}

/* one entry per field of the overlay, so no two overlays can describe alike */
/* what image_write() applied, checked against the record behind the key */
struct host_file_check {
	const struct record *rec;  /* the record behind the key */
	struct record seen;        /* the entries found as described (labels unique) */
};

/*
 * A host file as image_write() applied it (a regular file hashed while it
 * was copied) must be the file the key describes: else it changed since
 * describe() and the image would hold content its key does not name.
 */
static int check_host_file(void *arg, const struct overlay *ov, const struct overlay_file *f,
			   const char *sha256, struct error *err)
{
	struct host_file_check *c = arg;
	char hex[SHA256_HEX];
	if (!sha256)
		host_file_no_content(f, hex);
	char *label = host_file_label(ov, f);
	struct record now = RECORD_INIT;
	host_file_add(&now, label, f, sha256 ? sha256 : hex);
	const char *keyed = record_get(c->rec, label), *value = record_get(&now, label);
	int ret = 0;
	if (keyed && strcmp(keyed, value) == 0)
		record_add(&c->seen, label, "%s", value);
	else
		ret = error_set(err, "'%s' changed during the build", f->abs);
	record_release(&now);
	free(label);
	return ret;
}

/* every host file the key describes was applied: none was removed meanwhile */
static int check_all_applied(const struct host_file_check *c, struct error *err)
{
	size_t described = 0;
	for (size_t i = 0; i < c->rec->n; i++)
		described += str_startswith(c->rec->entries[i].label, HOST_FILE_LABEL);
	if (described != c->seen.n)
		return error_set(err, "overlay files changed during the build (%zu described, %zu found)",
				 described, c->seen.n);
	return 0;
}

static void describe_overlay(struct record *rec, const struct overlay *ov, size_t i)
{
	char *where = xasprintf("%s:%d", ov->mark.file ? ov->mark.file : "recipe", ov->mark.line);
	char num[32];
	overlay_add(rec, i, "kind", where, overlay_kinds[ov->kind]);
	if (ov->to)
		overlay_add(rec, i, "to", where, ov->to);
	if (ov->kind == OVERLAY_CONTENT) {
		char hex[HASH_MAX_HEX];
		hash_buffer_hex(HASH_SHA256, ov->src, strlen(ov->src), hex);
		overlay_add(rec, i, "content", where, hex);
	} else if (ov->src) {
		overlay_add(rec, i, "src", where, ov->src);
	}
	if (ov->has_mode) {
		snprintf(num, sizeof(num), "%04o", (unsigned)ov->mode);
		overlay_add(rec, i, "mode", where, num);
	}
	if (ov->has_uid) {
		snprintf(num, sizeof(num), "%u", (unsigned)ov->uid);
		overlay_add(rec, i, "uid", where, num);
	}
	if (ov->has_gid) {
		snprintf(num, sizeof(num), "%u", (unsigned)ov->gid);
		overlay_add(rec, i, "gid", where, num);
	}
	free(where);
}

/* the cache, which no overlay reads (the image being built lies inside it) */
static const char *cache_dir(const struct mvctx *ctx)
{
	return ctx->cache ? cache_root(ctx->cache) : ctx->cache_dir;
}

/* image_overlay_walk() leaving the cache out, with a note when the overlay holds it */
static int walk_overlay(struct mvctx *ctx, const struct node *node, const struct overlay *ov,
			overlay_file_fn fn, void *arg, struct error *err)
{
	struct overlay_skip skip;
	image_overlay_skip_init(&skip, cache_dir(ctx));
	int ret = image_overlay_walk(ov, &skip, fn, arg, err);
	if (ret == 0 && skip.skipped)
		progress_note(ctx->progress, node->id,
			      "overlay 'dir: %s': skipping the cache directory '%s/'", ov->src,
			      skip.skipped);
	image_overlay_skip_release(&skip);
	return ret;
}

/* the parameters only an ext4 filesystem has */
static void describe_ext4(struct record *rec, const struct image *img)
{
	if (img->size_auto)
		record_add(rec, "param size", "auto");
	else
		record_add(rec, "param size", "%llu", (unsigned long long)img->size);
	record_add(rec, "param fs", "%s", img->fs ? img->fs : "ext4");
	if (img->label)
		record_add(rec, "param label", "%s", img->label);
	record_add(rec, "param inodes", "%llu", (unsigned long long)img->inodes);
}

static int image_describe(struct mvctx *ctx, const struct node *node, struct record *rec,
			  struct error *err)
{
	const struct image *img = node->u.image;
	int64_t epoch;
	if (image_epoch(img, &epoch, err) < 0)
		return -1;
	if (img->format != IMAGE_EXT4) {
		/* an ext4 image says its format by "param fs", as it did before cpio existed */
		record_add(rec, "param format", "%s", img->format == IMAGE_CPIO ? "cpio" : "squashfs");
		record_add(rec, "param compression", "%s",
			   recipe_image_compression_name(img->compression));
	} else {
		describe_ext4(rec, img);
	}
	record_add(rec, "param epoch", "%lld", (long long)epoch);
	record_add(rec, "param devices", "%s", img->allow_devices ? "true" : "false");
	if (img->oci_init) /* a profile boots it with init: oci: the image holds the shim */
		record_add(rec, "param oci-init", "%s shim %d", RECIPE_OCI_INIT,
			   IMAGE_OCI_INIT_VERSION);
	/* layers and overlays count from 1 in keys (so in explain) as in recipe errors */
	for (size_t i = 0; i < img->n_layers; i++) {
		char *label = xasprintf("layer %zu", i + 1);
		record_add(rec, label, "%s", img->layers[i]);
		free(label);
	}
	for (size_t i = 0; i < img->n_overlays; i++) {
		const struct overlay *ov = &img->overlays[i];
		struct describe_walk w = { ctx, rec, ov, i + 1 };
		describe_overlay(rec, ov, i + 1);
		if (walk_overlay(ctx, node, ov, describe_host_file, &w, err) < 0)
			return error_prefix(err, "image '%s'", img->name);
	}
	return 0;
}

static int image_build(struct build_ctx *b, struct error *err)
{
	const struct image *img = b->node->u.image;
	const char *out_name = recipe_image_output(img);
	char *out = path_join(b->workdir, out_name);
	char *manifest = path_join(b->workdir, "manifest");
	struct host_file_check hc = { b->record, RECORD_INIT };
	struct overlay_check check = { check_host_file, &hc };
	struct image_oci_layers layers;
	int ret = -1;

	char (*digests)[SHA256_HEX] = NULL;
	char **want = NULL;

	if (image_oci_layers(b, img, &layers, err) < 0)
		goto out_free;
	/* a pending source's file is hashed in the read that applies it */
	digests = xcalloc(layers.n + 1, sizeof(*digests));
	want = xcalloc(layers.n + 1, sizeof(*want));
	for (size_t i = 0; i < layers.n; i++)
		if (layers.inputs[i] && !layers.inputs[i]->digest)
			want[i] = digests[i];
	struct image_write_opts o = {
		.out_path = out, .manifest_path = manifest, .layer_paths = layers.paths,
		.layer_names = (const char *const *)layers.names, .n_layer_paths = layers.n,
		.layer_whiteouts = layers.whiteouts, .layer_digests = want,
		.key = b->seed ? b->seed : b->key, .skip_dir = cache_dir(b->ctx),
		.check = b->record ? &check : NULL,
		.oci_init = layers.init.len ? layers.init.data : NULL,
	};
	/* an image of no layers at all still says so: n_layer_paths 0 means img->n_layers (0) */
	if (image_epoch(img, &o.epoch, err) < 0 || image_write(img, &o, err) < 0)
		goto out;
	for (size_t i = 0; i < layers.n; i++)
		if (want[i] && builder_input_hashed(b, layers.inputs[i], want[i], err) < 0)
			goto out;
	if (b->record && check_all_applied(&hc, err) < 0) {
		error_prefix(err, "image '%s'", img->name);
		goto out;
	}
	if (layers.config.len) {
		char *cfg = path_join(b->workdir, "oci-config");
		ret = write_file_atomic(cfg, layers.config.data, layers.config.len, 0444, err);
		free(cfg);
		if (ret < 0)
			goto out;
		builder_output(b, "oci-config", "oci-config");
		ret = -1;
	}
	builder_output(b, out_name, out_name);
	builder_output(b, "manifest", "manifest");
	ret = 0;
out:
	image_oci_layers_release(&layers);
out_free:
	free(digests);
	free(want);
	record_release(&hc.seen);
	free(out);
	free(manifest);
	return ret;
}

const struct builder image_builder = {
	.kind = NODE_IMAGE,
	.name = "image",
	.version = 4, /* 2: freed inodes reused, size: auto counts directory blocks;
			3: data written in runs and write-combined I/O (the superblock's
			lifetime writes differ), overhead recorded as mke2fs does;
			4: UUID and hash seed from the seed key (builder.h), not the key */
	.describe = image_describe,
	.build = image_build,
	.reads_sources_directly = true,
};
