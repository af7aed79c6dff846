/*
 * recipe_yaml: one YAML file read with libyaml into a small node tree
 * where every node keeps its mark (file:line:column, 1-based), and where
 * the things a recipe never needs are refused while parsing: anchors and
 * aliases (so no billion-laughs expansion can start), tags, duplicate map
 * keys, non-scalar map keys, more than one document, nesting deeper than
 * YNODE_MAX_DEPTH, NUL bytes, files larger than YNODE_MAX_FILE, and any
 * encoding but UTF-8 (libyaml would decode UTF-16 on its own).  Time
 * and memory are therefore linear in the (bounded) file size.
 */
#ifndef MVBUILD_RECIPE_YAML_H
#define MVBUILD_RECIPE_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "recipe/mark.h"

#define YNODE_MAX_DEPTH 64          /* deepest nesting of maps and sequences */
#define YNODE_MAX_FILE (1 << 20)    /* largest file read: 1 MiB */

enum ynode_kind { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

/* what a scalar means, resolved as YAML 1.2's core schema (plain scalars only) */
enum yscalar_type {
	YSCALAR_STR,   /* quoted, or plain text that is nothing below */
	YSCALAR_NULL,  /* plain "", "~", "null" */
	YSCALAR_BOOL,  /* plain true/false */
	YSCALAR_INT,   /* plain decimal integer, optionally signed */
};

struct ynode;

/* one key: value pair of a map, in written order */
struct ypair {
	struct ynode *key;    /* always a scalar */
	struct ynode *value;
};

struct ynode {
	enum ynode_kind kind;
	struct mark mark;         /* where the node starts */
	char *text;               /* YNODE_SCALAR: the value (no NUL inside) */
	enum yscalar_type type;   /* YNODE_SCALAR: resolved type */
	bool quoted;              /* YNODE_SCALAR: written with quotes or as a block */
	struct ynode **items;     /* YNODE_SEQ: the items */
	struct ypair *pairs;      /* YNODE_MAP: the pairs */
	size_t n;                 /* count of items or pairs */
};

/*
 * Parse the file at path into *root (NULL when the file holds no
 * document).  Marks name `file` (owned by the caller, must outlive the
 * tree).  Returns 0, or -1 with an ERROR_USAGE error "FILE:LINE:COL: ...".
 */
int recipe_yaml_parse_file(const char *path, const char *file, struct ynode **root, struct error *err);
/* the same for an open descriptor (not closed); it must be a regular file */
int recipe_yaml_parse_fd(int fd, const char *file, struct ynode **root, struct error *err);
/* parse len bytes of text the same way (file names it in marks and errors) */
int recipe_yaml_parse_text(const char *text, size_t len, const char *file, struct ynode **root,
		     struct error *err);
/* free a tree (NULL is fine) */
void recipe_yaml_free(struct ynode *n);
/* the value of key in a map node, or NULL */
struct ynode *recipe_yaml_get(const struct ynode *map, const char *key);
/* "a string", "an integer", "a map", ... for error messages */
const char *recipe_yaml_describe(const struct ynode *n);
/* the first key of map that is not one of keys[0..n), or NULL when all are known */
const struct ynode *recipe_yaml_unknown_key(const struct ynode *map, const char *const *keys, size_t n);

/* set an ERROR_USAGE error "FILE:LINE:COL: message"; returns -1 */
int recipe_yaml_fail(struct error *err, const struct mark *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* suggest_closest() (suggest.h), for the readers of a tree */
const char *recipe_yaml_suggest(const char *word, const char *const *candidates, size_t n);
/* suggest_did_you_mean() (suggest.h), for the readers of a tree */
char *recipe_yaml_did_you_mean(const char *word, const char *const *candidates, size_t n);

#endif
