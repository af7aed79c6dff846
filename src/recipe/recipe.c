/*
 * recipe: the data model's own functions: release, lookups by name and the
 * recipe's identity.  Everything in the recipe module includes recipe.h;
 * this file includes nothing of the module above it (the loader is
 * recipe_load.c).
 */
#include "recipe/recipe.h"

#include <stdlib.h>
#include <string.h>

#include "base/fileutil.h"
#include "base/util.h"

void recipe_id(const struct recipe *r, char id[17])
{
	char *abs = path_absolute(r->path);
	char hex[SHA256_HEX];
	hash_buffer_hex(HASH_SHA256, abs, strlen(abs), hex);
	free(abs);
	memcpy(id, hex, 16);
	id[16] = '\0';
}

bool recipe_source_is_local(const struct source *s)
{
	return s->kind == SOURCE_PATH || s->kind == SOURCE_OCI_LAYOUT ||
	       s->kind == SOURCE_DOCKER_ARCHIVE;
}

bool recipe_source_is_image(const struct source *s)
{
	return s->kind == SOURCE_OCI_REGISTRY || s->kind == SOURCE_OCI_LAYOUT ||
	       s->kind == SOURCE_DOCKER_ARCHIVE;
}

/* ---- release ------------------------------------------------------------ */

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void source_release(struct source *s)
{
	free(s->name);
	free_strings(s->urls, s->n_urls);
	free(s->path);
	free(s->base_dir);
	free(s->checksum);
	free(s->oci_registry);
	free(s->oci_repo);
	free(s->oci_tag);
	free(s->oci_digest);
	free(s->platform.os);
	free(s->platform.arch);
	free(s->platform.variant);
}

static void recipe_path_release(struct recipe_path *p)
{
	free(p->path);
	free(p->base_dir);
}

static void kernel_release(struct kernel *k)
{
	free(k->name);
	free(k->source);
	recipe_path_release(&k->base_file);
	for (size_t i = 0; i < k->n_fragments; i++)
		recipe_path_release(&k->fragments[i]);
	free(k->fragments);
	for (size_t i = 0; i < k->n_config; i++) {
		free(k->config[i].symbol);
		free(k->config[i].value);
	}
	free(k->config);
	free(k->arch);
}

static void image_release(struct image *img)
{
	free(img->name);
	free(img->fs);
	free(img->label);
	free_strings(img->layers, img->n_layers);
	free(img->layer_refs);
	free(img->layer_marks);
	for (size_t i = 0; i < img->n_overlays; i++) {
		free(img->overlays[i].src);
		free(img->overlays[i].base_dir);
		free(img->overlays[i].to);
	}
	free(img->overlays);
}

static void options_release(struct option *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(o[i].key);
		free(o[i].value);
	}
	free(o);
}

static void profile_release(struct profile *p)
{
	free(p->name);
	free(p->kernel);
	free(p->image);
	free(p->initrd);
	free(p->init);
	free(p->cmdline);
	for (size_t i = 0; i < p->n_net; i++) {
		free(p->net[i].tap);
		free(p->net[i].mac);
		free_strings(p->net[i].forwards, p->net[i].n_forwards);
	}
	free(p->net);
	for (size_t i = 0; i < p->n_disks; i++) {
		free(p->disks[i].image);
		free(p->disks[i].file);
	}
	free(p->disks);
	for (size_t i = 0; i < p->n_shares; i++) {
		recipe_path_release(&p->shares[i].host);
		free(p->shares[i].tag);
	}
	free(p->shares);
	options_release(p->qemu_opts, p->n_qemu_opts);
	options_release(p->fc_opts, p->n_fc_opts);
}

void recipe_release(struct recipe *r)
{
	for (size_t i = 0; i < r->n_sources; i++)
		source_release(&r->sources[i]);
	for (size_t i = 0; i < r->n_kernels; i++)
		kernel_release(&r->kernels[i]);
	for (size_t i = 0; i < r->n_images; i++)
		image_release(&r->images[i]);
	for (size_t i = 0; i < r->n_profiles; i++)
		profile_release(&r->profiles[i]);
	free(r->sources);
	free(r->kernels);
	free(r->images);
	free(r->profiles);
	free_strings(r->files, r->n_files);
	free(r->path);
	free(r->dir);
	free(r->name);
	memset(r, 0, sizeof(*r));
}

/* ---- lookups ------------------------------------------------------------ */

struct source *recipe_find_source(const struct recipe *r, const char *name)
{
	for (size_t i = 0; i < r->n_sources; i++)
		if (strcmp(r->sources[i].name, name) == 0)
			return &r->sources[i];
	return NULL;
}

struct kernel *recipe_find_kernel(const struct recipe *r, const char *name)
{
	for (size_t i = 0; i < r->n_kernels; i++)
		if (strcmp(r->kernels[i].name, name) == 0)
			return &r->kernels[i];
	return NULL;
}

struct image *recipe_find_image(const struct recipe *r, const char *name)
{
	for (size_t i = 0; i < r->n_images; i++)
		if (strcmp(r->images[i].name, name) == 0)
			return &r->images[i];
	return NULL;
}

struct profile *recipe_find_profile(const struct recipe *r, const char *name)
{
	for (size_t i = 0; i < r->n_profiles; i++)
		if (strcmp(r->profiles[i].name, name) == 0)
			return &r->profiles[i];
	return NULL;
}

const char *recipe_image_compression_name(enum image_compression c)
{
	static const char *const names[] = {
		[IMAGE_GZIP] = "gzip", [IMAGE_ZSTD] = "zstd", [IMAGE_UNCOMPRESSED] = "none",
	};
	return names[c];
}

const char *recipe_image_output(const struct image *img)
{
	static const char *const cpio[] = {
		[IMAGE_GZIP] = "initramfs.cpio.gz", [IMAGE_ZSTD] = "initramfs.cpio.zst",
		[IMAGE_UNCOMPRESSED] = "initramfs.cpio",
	};
	return img->format == IMAGE_CPIO ? cpio[img->compression] : "rootfs.ext4";
}

const char *recipe_option_get(const struct option *opts, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(opts[i].key, key) == 0)
			return opts[i].value;
	return NULL;
}
