/*
 * recipe_parse_profile: the `profiles:` section of one recipe file (recipe_parse_file.c).
 */
#ifndef MVBUILD_RECIPE_PARSE_PROFILE_H
#define MVBUILD_RECIPE_PARSE_PROFILE_H

#include "recipe/recipe_parse.h"

/* append every profile of the section v to p->r, each checked; 0 or -1 with p->err */
int recipe_parse_profile_section(struct recipe_parser *p, const struct ynode *v);

#endif
