/*
 * recipe_parse: the typed conversion of one recipe file's node tree into
 * struct recipe (every key, type and value checked), and the checks that
 * need every file: names defined twice and references between entities.
 * Internal to the recipe module (recipe.c drives it).
 */
#ifndef MVBUILD_RECIPE_PARSE_H
#define MVBUILD_RECIPE_PARSE_H

#include <stdarg.h>
#include <stddef.h>

#include "base/error.h"
#include "recipe/recipe.h"
#include "recipe/recipe_yaml.h"

/* one include: entry of a file, copied out of its tree */
struct recipe_include {
	char *path;         /* as written */
	struct mark mark;   /* where it was written */
};

/* the state of converting one file */
struct recipe_parser {
	struct recipe *r;            /* filled in place */
	const char *file;            /* the file's name in marks (owned by r->files) */
	char *base_dir;              /* its directory, for the paths it writes (owned) */
	struct recipe_include *includes; /* include: entries, in order (owned) */
	size_t n_includes;
	const struct recipe_trust *trust; /* what the machine allows (recipe_tree.h) */
	struct error *err;
};

/*
 * Convert root (the file's whole tree; NULL for an empty file) into p->r
 * and collect its include: entries into p->includes.  Returns 0 or -1.
 */
int recipe_parse_file(struct recipe_parser *p, const struct ynode *root);
/* free what a parser owns */
void recipe_parser_release(struct recipe_parser *p);

/*
 * After every file: refuse names defined twice, resolve every reference
 * (kernel source, image layers, profile kernel and image).  Returns 0 or -1.
 */
int recipe_resolve(struct recipe *r, struct error *err);

#endif
