/*
 * recipe_parse: what the per-entity parsers (recipe_parse_source.c,
 * recipe_parse_kernel.c, recipe_parse_image.c, recipe_parse_profile.c) and
 * the top level (recipe_parse_file.c) share: the state of converting one
 * file, the typed readers of a node with their messages ("'mem' in profile
 * 'x' must be ..., not ..."), and the key tables that declare each entity's
 * keys once.  Internal to the recipe module.
 */
#ifndef MVBUILD_RECIPE_PARSE_H
#define MVBUILD_RECIPE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/error.h"
#include "base/util.h"
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

/* free what a parser owns */
void recipe_parse_release(struct recipe_parser *p);

/* ---- key tables ---------------------------------------------------------- */

/* how recipe_parse_keys() reads one key */
enum recipe_key_kind {
	RECIPE_KEY_KIND_TOGETHER, /* read by the entity's own code, with the keys it depends on */
	RECIPE_KEY_KIND_FN,       /* parse(p, entity, value, key, ctx) */
	RECIPE_KEY_KIND_BOOL,     /* true or false, into the bool at offset */
	RECIPE_KEY_KIND_REF,      /* the name of another entity: a non-empty string into the
				     char * at offset, and where it was written into the mark
				     at mark */
	RECIPE_KEY_KIND_RENAMED,  /* not a key: an old spelling; its unknown-key error
				     suggests the key it became (to) when nothing is closer */
};

/* one key of an entity: the only place the key is named */
struct recipe_key {
	const char *name;
	enum recipe_key_kind kind;
	int (*parse)(struct recipe_parser *p, void *entity, const struct ynode *v, const char *key,
		     const char *ctx);   /* RECIPE_KEY_KIND_FN: 0, or -1 with p->err */
	size_t offset;              /* RECIPE_KEY_KIND_BOOL, RECIPE_KEY_KIND_REF: the field */
	size_t mark;                /* RECIPE_KEY_KIND_REF: the field of its mark */
	const char *to;             /* RECIPE_KEY_KIND_RENAMED: the key it became */
};

/* the entries of a key table, one per kind */
#define RECIPE_KEY_TOGETHER(name) { name, RECIPE_KEY_KIND_TOGETHER, NULL, 0, 0, NULL }
#define RECIPE_KEY_FN(name, fn) { name, RECIPE_KEY_KIND_FN, fn, 0, 0, NULL }
#define RECIPE_KEY_BOOL(name, type, field) \
	{ name, RECIPE_KEY_KIND_BOOL, NULL, offsetof(type, field), 0, NULL }
#define RECIPE_KEY_REF(name, type, field, mark_field) \
	{ name, RECIPE_KEY_KIND_REF, NULL, offsetof(type, field), offsetof(type, mark_field), NULL }
#define RECIPE_KEY_RENAMED(name, now) { name, RECIPE_KEY_KIND_RENAMED, NULL, 0, 0, now }

/*
 * Refuse a key of map that keys[] does not declare ("unknown key 'x' in
 * CTX (did you mean 'y'?)", or "unknown top-level key" when ctx is NULL),
 * then read every key that has a reader, in written order, into entity.
 * Returns 0 or -1.
 */
int recipe_parse_keys(struct recipe_parser *p, void *entity, const struct ynode *map,
		      const struct recipe_key *keys, size_t n, const char *ctx);

/* ---- messages ------------------------------------------------------------ */

/* "'size' in image 'rootfs'", "item 2 of 'layers' in ...", "top-level 'name'" (allocated) */
char *recipe_parse_subject(const char *key, size_t item, const char *ctx);
/* set p->err to "FILE:LINE:COL: message" at node at; returns -1 */
int recipe_parse_fail(struct recipe_parser *p, const struct ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "KEY in CTX must be DESC, not VALUE" (item: 1-based list item, 0 none); returns -1 */
int recipe_parse_want(struct recipe_parser *p, const struct ynode *v, const char *key, size_t item,
		      const char *ctx, const char *desc);
/* refuse v when why (a recipe_validate phrase, freed here) is set: "KEY must be WHY, not V" */
int recipe_parse_check(struct recipe_parser *p, const struct ynode *v, const char *key, size_t item,
		       const char *ctx, char *why);

/* ---- typed values: 0, or -1 with the message above ------------------------ */

/* a string scalar (quoted, or plain text that is no other type) */
bool recipe_parse_is_string(const struct ynode *v);
/* a string into *out (replacing it) */
int recipe_parse_string(struct recipe_parser *p, const struct ynode *v, const char *key,
			size_t item, const char *ctx, char **out);
/* a non-empty string into *out (replacing it) */
int recipe_parse_nonempty(struct recipe_parser *p, const struct ynode *v, const char *key,
			  size_t item, const char *ctx, char **out);
/* true or false */
int recipe_parse_bool(struct recipe_parser *p, const struct ynode *v, const char *key,
		      const char *ctx, bool *out);
/* an integer from min to max */
int recipe_parse_uint(struct recipe_parser *p, const struct ynode *v, const char *key,
		      const char *ctx, uint64_t min, uint64_t max, uint64_t *out);
/* a non-negative integer that check accepts; a non-integer gets check's phrase too */
int recipe_parse_checked_uint(struct recipe_parser *p, const struct ynode *v, const char *key,
			      const char *ctx, char *(*check)(uint64_t), uint64_t *out);
/* the index of the string v in names, or an error listing them (with a suggestion) */
int recipe_parse_enum(struct recipe_parser *p, const struct ynode *v, const char *key, size_t item,
		      const char *ctx, const char *const *names, size_t n, int *out);
/* v is a map */
int recipe_parse_want_map(struct recipe_parser *p, const struct ynode *v, const char *key,
			  size_t item, const char *ctx);
/* v is a list */
int recipe_parse_want_list(struct recipe_parser *p, const struct ynode *v, const char *key,
			   const char *ctx);
/* a file the recipe checks in next to itself: it must exist beneath the recipe tree */
int recipe_parse_exists(struct recipe_parser *p, const struct ynode *at, const char *what,
			const char *ctx, bool want_dir);
/* the same for a path that may not exist yet (a folder run makes use of later) */
int recipe_parse_beneath(struct recipe_parser *p, const struct ynode *at, const char *what,
			 const char *ctx, bool want_dir, bool may_be_missing);
/* rp = the path v as written, with the file's directory and v's mark */
void recipe_parse_path_set(struct recipe_parser *p, struct recipe_path *rp, const struct ynode *v);
/* an entity name (it becomes node ids "image:NAME" and file names) */
int recipe_parse_name(struct recipe_parser *p, const struct ynode *k, const char *what);

/*
 * One section (sources:, kernels:, ...): a map NAME -> entity; entities are
 * appended to the recipe's array (grown once per section) and each gets a
 * name, a mark and a context string for messages ("image 'rootfs'") before
 * parse_fn(p, entity, map, ctx) reads it.
 */
#define RECIPE_PARSE_SECTION(p, v, section, what, array, count, parse_fn)                     \
	do {                                                                                  \
		if (recipe_parse_want_map(p, v, section, 0, NULL) < 0)                        \
			return -1;                                                            \
		(array) = xrealloc((array), ((count) + (v)->n) * sizeof(*(array)));           \
		memset((array) + (count), 0, (v)->n * sizeof(*(array)));                      \
		for (size_t i_ = 0; i_ < (v)->n; i_++) {                                      \
			const struct ynode *k_ = (v)->pairs[i_].key, *m_ = (v)->pairs[i_].value; \
			if (recipe_parse_name(p, k_, what) < 0)                               \
				return -1;                                                    \
			__typeof__(&(array)[0]) e_ = &(array)[(count)++];                     \
			e_->name = xstrdup(k_->text);                                         \
			e_->mark = k_->mark;                                                  \
			char *ctx_ = xasprintf("%s '%s'", what, k_->text);                    \
			int ret_ = recipe_parse_want_map(p, m_, k_->text, 0, section);        \
			if (ret_ == 0)                                                        \
				ret_ = parse_fn(p, e_, m_, ctx_);                             \
			free(ctx_);                                                           \
			if (ret_ < 0)                                                         \
				return -1;                                                    \
		}                                                                             \
	} while (0)

#endif
