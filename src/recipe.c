/* recipe: placeholder loader until the recipe module lands. */
#include "recipe.h"

#include <stdlib.h>
#include <string.h>

int recipe_load(struct recipe *r, const char *path, struct error *err)
{
	(void)r;
	return error_usage(err, "%s: recipe loading is not available in this build yet", path);
}

void recipe_release(struct recipe *r)
{
	(void)r;
}

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

const char *option_get(const struct option *opts, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(opts[i].key, key) == 0)
			return opts[i].value;
	return NULL;
}
