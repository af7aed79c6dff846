/*
 * recipe_resolve: the checks that need every file of a recipe, run by
 * recipe_load() once all are read.
 */
#ifndef MVBUILD_RECIPE_RESOLVE_H
#define MVBUILD_RECIPE_RESOLVE_H

#include "base/error.h"
#include "recipe/recipe.h"

/*
 * Refuse names defined twice, resolve every reference (kernel source,
 * image layers, profile kernel and image).  Returns 0 or -1.
 */
int recipe_resolve(struct recipe *r, struct error *err);

#endif
