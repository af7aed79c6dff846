/*
 * mark: where something was written in a YAML file (file:line:column).  Its
 * own header so the generic YAML reader (recipe_yaml.h) and the typed recipe
 * (recipe.h) can both carry marks without either including the other.
 */
#ifndef MVBUILD_MARK_H
#define MVBUILD_MARK_H

/* where something was written: file as given on the command line or include */
struct mark {
	const char *file; /* path of the file (owned by whoever read it: struct recipe, config) */
	int line;         /* 1-based */
	int column;       /* 1-based */
};

#endif
