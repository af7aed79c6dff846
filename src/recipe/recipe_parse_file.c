/*
 * recipe_parse_file: the top level of one recipe file: its format version,
 * its name, its include: entries (copied out for recipe_load.c to follow)
 * and its sections, each read by the parser of its entity
 * (recipe_parse_ENTITY.c).  Paths are kept as written plus the writing
 * file's directory.
 */
#include "recipe/recipe_parse_file.h"

#include <stdlib.h>

#include "recipe/recipe_parse.h"
#include "recipe/recipe_parse_image.h"
#include "recipe/recipe_parse_kernel.h"
#include "recipe/recipe_parse_profile.h"
#include "recipe/recipe_parse_source.h"

static int parse_name(struct recipe_parser *p, void *entity, const struct ynode *v,
		      const char *key, const char *ctx)
{
	char *name = NULL;
	int ret = recipe_parse_nonempty(p, v, key, 0, ctx, &name);
	/* the top file's name wins over an included file's */
	if (ret == 0 && !p->r->name)
		p->r->name = name;
	else
		free(name);
	return ret;
}

static int parse_includes(struct recipe_parser *p, void *entity, const struct ynode *v,
			  const char *key, const char *ctx)
{
	if (recipe_parse_want_list(p, v, "include", NULL) < 0)
		return -1;
	p->includes = xcalloc(v->n, sizeof(*p->includes));
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *item = v->items[i];
		if (!recipe_parse_is_string(item) || !*item->text)
			return recipe_parse_want(p, item, "include", i + 1, NULL, "a recipe file name");
		struct recipe_include *inc = &p->includes[p->n_includes++];
		inc->path = xstrdup(item->text);
		inc->mark = item->mark;
	}
	return 0;
}

static int parse_sources(struct recipe_parser *p, void *entity, const struct ynode *v,
			 const char *key, const char *ctx)
{
	return recipe_parse_source_section(p, v);
}

static int parse_kernels(struct recipe_parser *p, void *entity, const struct ynode *v,
			 const char *key, const char *ctx)
{
	return recipe_parse_kernel_section(p, v);
}

static int parse_images(struct recipe_parser *p, void *entity, const struct ynode *v,
			const char *key, const char *ctx)
{
	return recipe_parse_image_section(p, v);
}

static int parse_profiles(struct recipe_parser *p, void *entity, const struct ynode *v,
			  const char *key, const char *ctx)
{
	return recipe_parse_profile_section(p, v);
}

/* every top-level key, each with its reader (mvbuild: is checked first, by check_version) */
static const struct recipe_key top_keys[] = {
	RECIPE_KEY_TOGETHER("mvbuild"),
	RECIPE_KEY_FN("name", parse_name),
	RECIPE_KEY_FN("include", parse_includes),
	RECIPE_KEY_FN("sources", parse_sources),
	RECIPE_KEY_FN("kernels", parse_kernels),
	RECIPE_KEY_FN("images", parse_images),
	RECIPE_KEY_FN("profiles", parse_profiles),
};

static int check_version(struct recipe_parser *p, const struct ynode *root)
{
	const struct ynode *v = recipe_yaml_get(root, "mvbuild");
	if (!v)
		return recipe_parse_fail(p, root, "missing 'mvbuild: 1' (the recipe format version)");
	if (v->kind == YNODE_SCALAR && v->type == YSCALAR_INT && strcmp(v->text, "1") == 0)
		return 0;
	if (v->kind == YNODE_SCALAR && v->type == YSCALAR_STR && strcmp(v->text, "1") == 0)
		return recipe_parse_fail(p, v, "'mvbuild' must be the integer 1, not the string '1' "
					 "(write it without quotes)");
	if (v->kind == YNODE_SCALAR && strlen(v->text) <= 40)
		return recipe_parse_fail(p, v, "unsupported recipe format version '%s' (supported "
					 "versions: 1)", v->text);
	return recipe_parse_want(p, v, "mvbuild", 0, NULL, "the recipe format version 1");
}

int recipe_parse_file(struct recipe_parser *p, const struct ynode *root)
{
	if (!root) {
		struct mark start = { p->file, 1, 1 };
		return recipe_yaml_fail(p->err, &start,
					"empty recipe (a recipe starts with 'mvbuild: 1')");
	}
	/* the type only: a file that is not a recipe (a token, a key) is never quoted */
	if (root->kind != YNODE_MAP)
		return recipe_parse_fail(p, root, "a recipe must be a map of keys starting with "
					 "'mvbuild: 1', not %s", recipe_yaml_describe(root));
	if (check_version(p, root) < 0)
		return -1;
	return recipe_parse_keys(p, p, root, top_keys, ARRAY_SIZE(top_keys), NULL);
}
