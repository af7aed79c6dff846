/*
 * recipe_parse_image: one entry of `images:` (size, filesystem settings,
 * layers of sources, and overlays: files, directories, text, symlinks,
 * directories to make and paths to remove), every key checked.  Overlay
 * files and directories are checked in next to the recipe, so they must
 * exist beneath the recipe tree.
 */
#include "recipe/recipe_parse_image.h"

#include <stdlib.h>

#include "recipe/recipe_parse.h"
#include "recipe/recipe_validate.h"

/*
 * Every key of an overlay entry, read together: first its kinds in enum
 * overlay_kind order (exactly one is written), then what they take.
 */
static const struct recipe_key overlay_keys[] = {
	RECIPE_KEY_TOGETHER("dir"), RECIPE_KEY_TOGETHER("file"), RECIPE_KEY_TOGETHER("content"),
	RECIPE_KEY_TOGETHER("symlink"), RECIPE_KEY_TOGETHER("mkdir"), RECIPE_KEY_TOGETHER("remove"),
	RECIPE_KEY_TOGETHER("to"), RECIPE_KEY_TOGETHER("mode"), RECIPE_KEY_TOGETHER("uid"),
	RECIPE_KEY_TOGETHER("gid"),
	/* early drafts of the format wrote an overlay's destination as path: */
	RECIPE_KEY_RENAMED("path", "to"),
};
#define N_OVERLAY_KINDS (OVERLAY_REMOVE + 1)

static int parse_size_value(struct recipe_parser *p, void *entity, const struct ynode *v,
			    const char *key, const char *ctx)
{
	struct image *img = entity;
	static const char *desc = "digits with an optional K, M, G or T suffix (powers of 1024, "
				  "such as 512M or 2G), or auto";
	if (recipe_parse_is_string(v) && strcmp(v->text, "auto") == 0) {
		img->size_auto = true;
		return 0;
	}
	uint64_t size = 0;
	bool okay = v->kind == YNODE_SCALAR && (v->type == YSCALAR_STR || v->type == YSCALAR_INT) &&
		    parse_size(v->text, &size) == 0;
	if (!okay)
		return recipe_parse_want(p, v, "size", 0, ctx, desc);
	if (recipe_parse_check(p, v, "size", 0, ctx, recipe_validate_size(size)) < 0)
		return -1;
	img->size_auto = false;
	img->size = size;
	return 0;
}

/* a path inside the image (recipe_validate_image_path), "/" itself only when root_ok */
static int get_image_path(struct recipe_parser *p, const struct ynode *v, const char *key,
			  const char *ctx, bool root_ok, char **out)
{
	if (!recipe_parse_is_string(v))
		return recipe_parse_check(p, v, key, 0, ctx, recipe_validate_image_path("", root_ok));
	if (recipe_parse_check(p, v, key, 0, ctx, recipe_validate_image_path(v->text, root_ok)) < 0)
		return -1;
	free(*out);
	*out = xstrdup(v->text);
	return 0;
}

static int parse_mode(struct recipe_parser *p, struct overlay *ov, const struct ynode *v,
		      const char *ctx)
{
	const char *s = v->text;
	size_t len = v->kind == YNODE_SCALAR ? strlen(s) : 0;
	bool okay = recipe_parse_is_string(v) && len >= 3 && len <= 5 && strspn(s, "01234567") == len;
	unsigned long mode = okay ? strtoul(s, NULL, 8) : 0;
	if (!okay || mode > 07777)
		return recipe_parse_want(p, v, "mode", 0, ctx, "a quoted octal string such as \"0755\"");
	ov->has_mode = true;
	ov->mode = (uint32_t)mode;
	return 0;
}

/* which one of dir/file/content/symlink/mkdir/remove an entry is */
static int overlay_kind_of(struct recipe_parser *p, struct overlay *ov, const struct ynode *map,
			   const char *ctx, const struct ynode **value)
{
	int found = -1;
	for (size_t i = 0; i < N_OVERLAY_KINDS; i++) {
		const struct ynode *v = recipe_yaml_get(map, overlay_keys[i].name);
		if (!v)
			continue;
		if (found >= 0)
			return recipe_parse_fail(p, v, "%s has both '%s' and '%s' (want exactly one of dir, file, "
						 "content, symlink, mkdir or remove)", ctx, overlay_keys[found].name,
				    overlay_keys[i].name);
		found = (int)i;
		*value = v;
	}
	if (found < 0)
		return recipe_parse_fail(p, map, "%s needs one of dir, file, content, symlink, mkdir "
					 "or remove", ctx);
	ov->kind = (enum overlay_kind)found;
	return 0;
}

static int parse_overlay_source(struct recipe_parser *p, struct overlay *ov,
				const struct ynode *map, const struct ynode *v, const char *ctx)
{
	const char *kind = overlay_keys[ov->kind].name;
	const struct ynode *to = recipe_yaml_get(map, "to");
	switch (ov->kind) {
	case OVERLAY_MKDIR:
	case OVERLAY_REMOVE:
		if (to)
			return recipe_parse_fail(p, to, "%s is a %s entry, which takes no 'to'", ctx, kind);
		return get_image_path(p, v, kind, ctx, ov->kind == OVERLAY_MKDIR, &ov->to);
	case OVERLAY_CONTENT:
		if (recipe_parse_string(p, v, kind, 0, ctx, &ov->src) < 0)
			return -1;
		break;
	case OVERLAY_DIR:
	case OVERLAY_FILE:
		if (recipe_parse_nonempty(p, v, kind, 0, ctx, &ov->src) < 0 ||
		    recipe_parse_exists(p, v, kind, ctx, ov->kind == OVERLAY_DIR) < 0)
			return -1;
		break;
	case OVERLAY_SYMLINK:
		if (recipe_parse_string(p, v, kind, 0, ctx, &ov->src) < 0 ||
		    recipe_parse_check(p, v, kind, 0, ctx, recipe_validate_symlink(ov->src)) < 0)
			return -1;
		break;
	}
	if (!to)
		return recipe_parse_fail(p, map, "%s needs 'to' (where the %s goes in the image)", ctx, kind);
	return get_image_path(p, to, "to", ctx, ov->kind == OVERLAY_DIR, &ov->to);
}

static int parse_overlay(struct recipe_parser *p, struct overlay *ov, const struct ynode *map,
			 const char *ctx)
{
	const struct ynode *v = NULL;
	ov->mark = map->mark;
	ov->base_dir = xstrdup(p->base_dir);
	ov->root = p->r->dir;
	if (recipe_parse_keys(p, ov, map, overlay_keys, ARRAY_SIZE(overlay_keys), ctx) < 0 ||
	    overlay_kind_of(p, ov, map, ctx, &v) < 0 || parse_overlay_source(p, ov, map, v, ctx) < 0)
		return -1;
	const struct ynode *mode = recipe_yaml_get(map, "mode"), *uid = recipe_yaml_get(map, "uid"),
			   *gid = recipe_yaml_get(map, "gid");
	const char *kind = overlay_keys[ov->kind].name;
	if (mode && (ov->kind == OVERLAY_SYMLINK || ov->kind == OVERLAY_REMOVE))
		return recipe_parse_fail(p, mode, "%s is a %s entry, which takes no 'mode'", ctx, kind);
	if ((uid || gid) && ov->kind == OVERLAY_REMOVE)
		return recipe_parse_fail(p, uid ? uid : gid, "%s is a remove entry, which takes no '%s'", ctx,
					 uid ? "uid" : "gid");
	uint64_t n;
	if (mode && parse_mode(p, ov, mode, ctx) < 0)
		return -1;
	if (uid) {
		if (recipe_parse_uint(p, uid, "uid", ctx, 0, UINT32_MAX - 1, &n) < 0)
			return -1;
		ov->has_uid = true;
		ov->uid = (uint32_t)n;
	}
	if (gid) {
		if (recipe_parse_uint(p, gid, "gid", ctx, 0, UINT32_MAX - 1, &n) < 0)
			return -1;
		ov->has_gid = true;
		ov->gid = (uint32_t)n;
	}
	return 0;
}

static int parse_overlays(struct recipe_parser *p, void *entity, const struct ynode *v,
			  const char *key, const char *ctx)
{
	struct image *img = entity;
	if (recipe_parse_want_list(p, v, "overlays", ctx) < 0)
		return -1;
	img->overlays = xcalloc(v->n, sizeof(*img->overlays));
	for (size_t i = 0; i < v->n; i++) {
		if (recipe_parse_want_map(p, v->items[i], "overlays", i + 1, ctx) < 0)
			return -1;
		char *octx = xasprintf("overlay %zu of %s", i + 1, ctx);
		int ret = parse_overlay(p, &img->overlays[img->n_overlays++], v->items[i], octx);
		free(octx);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int parse_layers(struct recipe_parser *p, void *entity, const struct ynode *v,
			const char *key, const char *ctx)
{
	struct image *img = entity;
	if (recipe_parse_want_list(p, v, "layers", ctx) < 0)
		return -1;
	img->layers = xcalloc(v->n, sizeof(*img->layers));
	img->layer_refs = xcalloc(v->n, sizeof(*img->layer_refs));
	img->layer_marks = xcalloc(v->n, sizeof(*img->layer_marks));
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *item = v->items[i];
		if (!recipe_parse_is_string(item) || !*item->text)
			return recipe_parse_want(p, item, "layers", i + 1, ctx, "the name of a source");
		img->layer_marks[img->n_layers] = item->mark;
		img->layers[img->n_layers++] = xstrdup(item->text);
	}
	return 0;
}

static char *check_inodes_alone(uint64_t inodes)
{
	return recipe_validate_inodes(inodes, 0);
}

static char *check_epoch(uint64_t epoch)
{
	return recipe_validate_epoch(epoch > INT64_MAX ? -1 : (int64_t)epoch);
}

static int parse_fs(struct recipe_parser *p, void *entity, const struct ynode *v,
		    const char *key, const char *ctx)
{
	if (!recipe_parse_is_string(v) || strcmp(v->text, "ext4") != 0)
		return recipe_parse_want(p, v, key, 0, ctx, "ext4 (the only filesystem supported)");
	return 0;
}

static int parse_label(struct recipe_parser *p, void *entity, const struct ynode *v,
		       const char *key, const char *ctx)
{
	struct image *img = entity;
	if (recipe_parse_string(p, v, key, 0, ctx, &img->label) < 0)
		return -1;
	return recipe_parse_check(p, v, key, 0, ctx, recipe_validate_label(img->label));
}

static int parse_inodes(struct recipe_parser *p, void *entity, const struct ynode *v,
			const char *key, const char *ctx)
{
	struct image *img = entity;
	uint64_t n;
	/* the limit that depends on the size is checked once the whole image is read */
	if (recipe_parse_checked_uint(p, v, key, ctx, check_inodes_alone, &n) < 0)
		return -1;
	img->inodes = n;
	return 0;
}

static int parse_epoch(struct recipe_parser *p, void *entity, const struct ynode *v,
		       const char *key, const char *ctx)
{
	struct image *img = entity;
	uint64_t n;
	if (recipe_parse_checked_uint(p, v, key, ctx, check_epoch, &n) < 0)
		return -1;
	img->has_epoch = true;
	img->epoch = (int64_t)n;
	return 0;
}

static int parse_format(struct recipe_parser *p, void *entity, const struct ynode *v,
			const char *key, const char *ctx)
{
	static const char *const formats[] = {
		[IMAGE_EXT4] = "ext4", [IMAGE_CPIO] = "cpio", [IMAGE_SQUASHFS] = "squashfs",
	};
	struct image *img = entity;
	int f;
	if (recipe_parse_enum(p, v, key, 0, ctx, formats, ARRAY_SIZE(formats), &f) < 0)
		return -1;
	img->format = (enum image_format)f;
	return 0;
}

/* read once the format is known (check_format_keys): which values it takes depends on it */
static int parse_compression(struct recipe_parser *p, void *entity, const struct ynode *v,
			     const char *key, const char *ctx)
{
	return 0;
}

/* the compression v names, among the n that format takes (its default first) */
static int read_compression(struct recipe_parser *p, struct image *img, const struct ynode *v,
			    const enum image_compression *allowed, size_t n, const char *ctx)
{
	const char *names[4];
	int c;
	img->compression = allowed[0];
	if (!v)
		return 0;
	for (size_t i = 0; i < n; i++)
		names[i] = recipe_image_compression_name(allowed[i]);
	if (recipe_parse_enum(p, v, "compression", 0, ctx, names, n, &c) < 0)
		return -1;
	img->compression = allowed[c];
	return 0;
}

/* every key of an image, each with its reader */
static const struct recipe_key image_keys[] = {
	RECIPE_KEY_FN("format", parse_format),
	RECIPE_KEY_FN("compression", parse_compression),
	RECIPE_KEY_FN("size", parse_size_value),
	RECIPE_KEY_FN("fs", parse_fs),
	RECIPE_KEY_FN("label", parse_label),
	RECIPE_KEY_FN("inodes", parse_inodes),
	RECIPE_KEY_FN("epoch", parse_epoch),
	RECIPE_KEY_BOOL("devices", struct image, allow_devices),
	RECIPE_KEY_FN("layers", parse_layers),
	RECIPE_KEY_FN("overlays", parse_overlays),
};

/* the keys of one format that the others have no use for, and the compression it takes */
static int check_format_keys(struct recipe_parser *p, struct image *img,
			     const struct ynode *map, const char *ctx)
{
	static const char *const ext4_only[] = { "size", "fs", "label", "inodes" };
	static const enum image_compression cpio[] = { IMAGE_GZIP, IMAGE_ZSTD, IMAGE_UNCOMPRESSED };
	/* xz: the smallest, and what mksquashfs users and distributions' live images expect */
	static const enum image_compression squashfs[] = { IMAGE_XZ, IMAGE_ZSTD, IMAGE_GZIP };
	const struct ynode *v, *comp = recipe_yaml_get(map, "compression");
	if (img->format == IMAGE_EXT4) {
		if (comp)
			return recipe_parse_fail(p, comp, "%s is an ext4 filesystem, which takes no "
						 "'compression' (only format: cpio or squashfs is "
						 "compressed)", ctx);
		return 0;
	}
	const char *what = img->format == IMAGE_CPIO ? "a cpio archive (format: cpio)"
		: "a read-only squashfs filesystem (format: squashfs; its size is what it holds)";
	for (size_t i = 0; i < ARRAY_SIZE(ext4_only); i++)
		if ((v = recipe_yaml_get(map, ext4_only[i])))
			return recipe_parse_fail(p, v, "%s is %s, which takes no '%s' (an ext4 setting)",
						 ctx, what, ext4_only[i]);
	if (img->format == IMAGE_CPIO)
		return read_compression(p, img, comp, cpio, ARRAY_SIZE(cpio), ctx);
	return read_compression(p, img, comp, squashfs, ARRAY_SIZE(squashfs), ctx);
}

static int parse_image(struct recipe_parser *p, struct image *img, const struct ynode *map,
		       const char *ctx)
{
	img->size_auto = true;
	img->fs = xstrdup("ext4");
	if (recipe_parse_keys(p, img, map, image_keys, ARRAY_SIZE(image_keys), ctx) < 0 ||
	    check_format_keys(p, img, map, ctx) < 0)
		return -1;
	const struct ynode *inodes = recipe_yaml_get(map, "inodes");
	if (inodes && !img->size_auto)
		return recipe_parse_check(p, inodes, "inodes", 0, ctx,
					  recipe_validate_inodes(img->inodes, img->size));
	return 0;
}

int recipe_parse_image_section(struct recipe_parser *p, const struct ynode *v)
{
	RECIPE_PARSE_SECTION(p, v, "images", "image", p->r->images, p->r->n_images, parse_image);
	return 0;
}
