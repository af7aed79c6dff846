/*
 * recipe_parse_file: one recipe file's node tree converted into struct
 * recipe (recipe format version 1; the keys are documented in
 * docs/recipes.md and schemas/recipe-v1.schema.json).  recipe_load.c drives
 * it once per file.
 */
#ifndef MVBUILD_RECIPE_PARSE_FILE_H
#define MVBUILD_RECIPE_PARSE_FILE_H

#include "recipe/recipe_parse.h"

/*
 * Convert root (the file's whole tree; NULL for an empty file) into p->r
 * and collect its include: entries into p->includes.  Returns 0 or -1.
 */
int recipe_parse_file(struct recipe_parser *p, const struct ynode *root);

#endif
