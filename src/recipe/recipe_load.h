/*
 * recipe_load: a recipe read from its top file, every file it includes,
 * every key, type and reference checked, into a struct recipe (recipe.h).
 */
#ifndef MVBUILD_RECIPE_LOAD_H
#define MVBUILD_RECIPE_LOAD_H

#include "base/error.h"
#include "recipe/recipe.h"
#include "recipe/recipe_tree.h"

/*
 * Load and validate the recipe at path.  On failure returns -1 with an
 * ERROR_USAGE error whose message starts "FILE:LINE:COLUMN: ".
 */
int recipe_load(struct recipe *r, const char *path, struct error *err);
/*
 * recipe_load() under what the machine config allows outside the recipe
 * tree (recipe_tree.h); NULL: only RECIPE_TREE_DEFAULT_ALLOW, no credentials.
 */
int recipe_load_trusted(struct recipe *r, const char *path, const struct recipe_trust *trust,
			struct error *err);

#endif
