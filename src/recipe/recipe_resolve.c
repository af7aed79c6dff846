/*
 * recipe_resolve: the checks that need every file of a recipe (a name
 * defined twice, references between entities).  Names are looked up
 * through sorted indexes, so a hostile recipe with many thousands of
 * entities still loads in O(n log n).
 */
#include "recipe/recipe_resolve.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "recipe/recipe_yaml.h"

/* ---- name indexes ------------------------------------------------------ */

/* one entity seen through its name and mark, whatever its struct */
struct named {
	const char *name;
	const struct mark *mark;
	void *entity;
	size_t order;   /* position in the recipe's array: earlier files first */
};

struct name_index {
	struct named *items;   /* sorted by name, then order */
	size_t n;
	const char *what;      /* "source", "kernel", ... */
};

static int cmp_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

#define INDEX_BUILD(idx, array, count, kind)                              \
	do {                                                              \
		(idx)->what = (kind);                                     \
		(idx)->n = (count);                                       \
		(idx)->items = xcalloc((count), sizeof(struct named));   \
		for (size_t i_ = 0; i_ < (count); i_++) {                 \
			(idx)->items[i_].name = (array)[i_].name;         \
			(idx)->items[i_].mark = &(array)[i_].mark;        \
			(idx)->items[i_].entity = &(array)[i_];           \
			(idx)->items[i_].order = i_;                      \
		}                                                         \
		qsort((idx)->items, (count), sizeof(struct named), cmp_named); \
	} while (0)

/* the second definition of a name names the first */
static int index_check_twice(const struct name_index *idx, struct error *err)
{
	for (size_t i = 1; i < idx->n; i++) {
		const struct named *a = &idx->items[i - 1], *b = &idx->items[i];
		if (strcmp(a->name, b->name) != 0)
			continue;
		return recipe_yaml_fail(err, b->mark, "%s '%s' is already defined at %s:%d:%d", idx->what,
				   b->name, a->mark->file, a->mark->line, a->mark->column);
	}
	return 0;
}

static void *index_find(const struct name_index *idx, const char *name)
{
	struct named key = { .name = name, .order = 0 };
	size_t lo = 0, hi = idx->n;
	while (lo < hi) { /* first item not less than key */
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_named(&idx->items[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < idx->n && strcmp(idx->items[lo].name, name) == 0)
		return idx->items[lo].entity;
	return NULL;
}

/* a reference that must name an entity of idx */
static void *index_resolve(const struct name_index *idx, const char *name, const struct mark *at,
			   const char *user, struct error *err)
{
	void *found = index_find(idx, name);
	if (found)
		return found;
	const char **names = xcalloc(idx->n, sizeof(*names));
	for (size_t i = 0; i < idx->n; i++)
		names[i] = idx->items[i].name;
	char *hint = recipe_yaml_did_you_mean(name, names, idx->n);
	recipe_yaml_fail(err, at, "%s uses %s '%s', which is not defined%s", user, idx->what, name, hint);
	free(hint);
	free(names);
	return NULL;
}

/* ---- references -------------------------------------------------------- */

static int resolve_kernels(struct recipe *r, const struct name_index *sources, struct error *err)
{
	for (size_t i = 0; i < r->n_kernels; i++) {
		struct kernel *k = &r->kernels[i];
		char *user = xasprintf("kernel '%s'", k->name);
		k->source_ref = index_resolve(sources, k->source, &k->source_mark, user, err);
		free(user);
		if (!k->source_ref)
			return -1;
		/* a kernel unpacks a source tarball; an image's layers are no kernel tree */
		if (recipe_source_is_image(k->source_ref))
			return recipe_yaml_fail(err, &k->source_mark, "kernel '%s' uses source '%s', "
						"which is a container image (images take it as a layer)",
						k->name, k->source);
	}
	return 0;
}

static int resolve_images(struct recipe *r, const struct name_index *sources, struct error *err)
{
	for (size_t i = 0; i < r->n_images; i++) {
		struct image *img = &r->images[i];
		char *user = xasprintf("image '%s'", img->name);
		for (size_t j = 0; j < img->n_layers; j++) {
			img->layer_refs[j] = index_resolve(sources, img->layers[j], &img->layer_marks[j],
							   user, err);
			if (!img->layer_refs[j]) {
				free(user);
				return -1;
			}
		}
		free(user);
	}
	return 0;
}

/* what an image of format f is, for messages */
static const char *format_phrase(enum image_format f)
{
	return f == IMAGE_CPIO ? "a cpio archive" : f == IMAGE_SQUASHFS ? "a squashfs filesystem"
		: "an ext4 filesystem";
}

/*
 * The profile's image (a disk: ext4, or squashfs mounted read-only) or
 * initrd (loaded into memory: cpio), each of the format its role needs, at
 * the mark of the reference.
 */
static int resolve_boot_image(struct profile *pr, const struct name_index *images, bool initrd,
			      const char *user, struct error *err)
{
	const char *name = initrd ? pr->initrd : pr->image;
	const struct mark *m = initrd ? &pr->initrd_mark : &pr->image_mark;
	struct image *img = index_resolve(images, name, m, user, err);
	if (!img)
		return -1;
	if (initrd)
		pr->initrd_ref = img;
	else
		pr->image_ref = img;
	if (initrd && img->format != IMAGE_CPIO)
		return recipe_yaml_fail(err, m, "%s uses image '%s' as its initrd, but it is %s: "
			       "an initrd must be an image of format cpio", user, name,
			       format_phrase(img->format));
	if (!initrd && img->format == IMAGE_CPIO)
		return recipe_yaml_fail(err, m, "%s uses image '%s' as its disk, but it is a cpio archive: "
			       "boot it with 'initrd: %s'", user, name, name);
	/* persist keeps what the guest wrote to its root: a squashfs root takes no writes */
	if (!initrd && img->format == IMAGE_SQUASHFS && pr->persist)
		return recipe_yaml_fail(err, m, "%s keeps its root disk (persist: true), but image '%s' "
			       "is a read-only squashfs filesystem: drop persist, or use format ext4",
			       user, name);
	return 0;
}

/* an extra disk's image: an ext4 filesystem (a cpio archive is no block device) */
static int resolve_disk_image(struct profile_disk *d, const struct name_index *images,
			      const char *user, struct error *err)
{
	d->image_ref = index_resolve(images, d->image, &d->image_mark, user, err);
	if (!d->image_ref)
		return -1;
	if (d->image_ref->format != IMAGE_EXT4)
		return recipe_yaml_fail(err, &d->image_mark, "%s uses image '%s' as a disk, but it is "
			       "%s: a disk must be an image of format ext4", user, d->image,
			       format_phrase(d->image_ref->format));
	return 0;
}

/*
 * init: oci runs the root's container entrypoint: the root (the image, else
 * the initrd) must have a container image among its layers, and it gains
 * the shim that runs it.
 */
static int resolve_oci_init(struct profile *pr, const char *user, struct error *err)
{
	struct image *root = pr->image_ref ? pr->image_ref : pr->initrd_ref;
	for (size_t i = 0; root && i < root->n_layers; i++)
		if (root->layer_refs[i] && recipe_source_is_image(root->layer_refs[i])) {
			root->oci_init = true;
			return 0;
		}
	return recipe_yaml_fail(err, &pr->init_mark, "%s boots with 'init: oci', but image '%s' has "
				"no container image among its layers (oci:, oci-layout: or "
				"docker-archive: sources): there is no entrypoint to run", user,
				root ? root->name : "");
}

static int resolve_profiles(struct recipe *r, const struct name_index *kernels,
			    const struct name_index *images, struct error *err)
{
	for (size_t i = 0; i < r->n_profiles; i++) {
		struct profile *pr = &r->profiles[i];
		char *user = xasprintf("profile '%s'", pr->name);
		pr->kernel_ref = index_resolve(kernels, pr->kernel, &pr->kernel_mark, user, err);
		int ret = pr->kernel_ref ? 0 : -1;
		if (ret == 0 && pr->image)
			ret = resolve_boot_image(pr, images, false, user, err);
		if (ret == 0 && pr->initrd)
			ret = resolve_boot_image(pr, images, true, user, err);
		for (size_t j = 0; ret == 0 && j < pr->n_disks; j++)
			if (pr->disks[j].image)
				ret = resolve_disk_image(&pr->disks[j], images, user, err);
		if (ret == 0 && pr->init_oci)
			ret = resolve_oci_init(pr, user, err);
		free(user);
		if (ret < 0)
			return -1;
	}
	return 0;
}

int recipe_resolve(struct recipe *r, struct error *err)
{
	struct name_index sources, kernels, images, profiles;
	INDEX_BUILD(&sources, r->sources, r->n_sources, "source");
	INDEX_BUILD(&kernels, r->kernels, r->n_kernels, "kernel");
	INDEX_BUILD(&images, r->images, r->n_images, "image");
	INDEX_BUILD(&profiles, r->profiles, r->n_profiles, "profile");
	int ret = -1;
	if (index_check_twice(&sources, err) < 0 || index_check_twice(&kernels, err) < 0 ||
	    index_check_twice(&images, err) < 0 || index_check_twice(&profiles, err) < 0)
		goto out;
	if (resolve_kernels(r, &sources, err) < 0 || resolve_images(r, &sources, err) < 0 ||
	    resolve_profiles(r, &kernels, &images, err) < 0)
		goto out;
	ret = 0;
out:
	free(sources.items);
	free(kernels.items);
	free(images.items);
	free(profiles.items);
	return ret;
}
