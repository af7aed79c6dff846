/*
 * recipe_parse_image: the `images:` section of one recipe file (recipe_parse_file.c).
 */
#ifndef MVBUILD_RECIPE_PARSE_IMAGE_H
#define MVBUILD_RECIPE_PARSE_IMAGE_H

#include "recipe/recipe_parse.h"

/* append every image of the section v to p->r, each checked; 0 or -1 with p->err */
int recipe_parse_image_section(struct recipe_parser *p, const struct ynode *v);

#endif
