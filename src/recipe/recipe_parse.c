/*
 * recipe_parse: the readers every part of the recipe parser shares (see
 * recipe_parse.h): messages in one form ("KEY in CTX must be DESC, not
 * VALUE"), typed values, and recipe_parse_keys(), which reads an entity
 * from its key table so each key is named once: the unknown-key check and
 * the reader come from the same entry.
 */
#include "recipe/recipe_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "recipe/recipe_tree.h"

/* ---- messages -------------------------------------------------------- */

/* how a value reads in "must be X, not Y" */
static char *show(const struct ynode *v)
{
	if (v->kind != YNODE_SCALAR)
		return xstrdup(recipe_yaml_describe(v));
	if (v->type == YSCALAR_NULL)
		return xstrdup("empty");
	if (v->type == YSCALAR_INT || v->type == YSCALAR_BOOL)
		return xasprintf("%s %.40s", v->type == YSCALAR_INT ? "the integer" : "the boolean",
				 v->text);
	if (strlen(v->text) > 40)
		return xasprintf("the string '%.37s...'", v->text);
	return xasprintf("the string '%s'", v->text);
}

/* "'size' in image 'rootfs'", "item 2 of 'layers' in ...", "top-level 'name'" */
char *recipe_parse_subject(const char *key, size_t item, const char *ctx)
{
	if (!ctx)
		return item ? xasprintf("item %zu of top-level '%s'", item, key)
			    : xasprintf("top-level '%s'", key);
	if (item)
		return xasprintf("item %zu of '%s' in %s", item, key, ctx);
	return xasprintf("'%s' in %s", key, ctx);
}

int recipe_parse_fail(struct recipe_parser *p, const struct ynode *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	recipe_yaml_fail(p->err, &at->mark, "%s", msg);
	free(msg);
	return -1;
}

/* "KEY in CTX must be DESC, not VALUE" */
int recipe_parse_want(struct recipe_parser *p, const struct ynode *v, const char *key, size_t item,
		      const char *ctx, const char *desc)
{
	char *subj = recipe_parse_subject(key, item, ctx), *got = show(v);
	recipe_parse_fail(p, v, "%s must be %s, not %s", subj, desc, got);
	free(subj);
	free(got);
	return -1;
}

/* every key of map must be one that keys[] declares; the error suggests the closest */
static int check_keys(struct recipe_parser *p, const struct ynode *map,
		      const struct recipe_key *keys, size_t n, const char *ctx)
{
	const char **names = xcalloc(n ? n : 1, sizeof(*names));
	size_t n_names = 0;
	for (size_t i = 0; i < n; i++)
		if (keys[i].kind != RECIPE_KEY_KIND_RENAMED)
			names[n_names++] = keys[i].name;
	const struct ynode *k = recipe_yaml_unknown_key(map, names, n_names);
	char *hint = k ? recipe_yaml_did_you_mean(k->text, names, n_names) : NULL;
	free(names);
	if (!k)
		return 0;
	/* an old spelling (an overlay's path:, now to:) is named when nothing is closer */
	for (size_t i = 0; !*hint && i < n; i++) {
		if (keys[i].kind == RECIPE_KEY_KIND_RENAMED && !strcmp(k->text, keys[i].name)) {
			free(hint);
			hint = xasprintf(" (did you mean '%s'?)", keys[i].to);
		}
	}
	if (ctx)
		recipe_parse_fail(p, k, "unknown key '%s' in %s%s", k->text, ctx, hint);
	else
		recipe_parse_fail(p, k, "unknown top-level key '%s'%s", k->text, hint);
	free(hint);
	return -1;
}

static const struct recipe_key *find_key(const struct recipe_key *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i].kind != RECIPE_KEY_KIND_RENAMED && !strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

int recipe_parse_keys(struct recipe_parser *p, void *entity, const struct ynode *map,
		      const struct recipe_key *keys, size_t n, const char *ctx)
{
	if (check_keys(p, map, keys, n, ctx) < 0)
		return -1;
	for (size_t i = 0; i < map->n; i++) {
		const char *name = map->pairs[i].key->text;
		const struct ynode *v = map->pairs[i].value;
		const struct recipe_key *k = find_key(keys, n, name);
		char *field = (char *)entity + k->offset;
		int ret = 0;
		switch (k->kind) {
		case RECIPE_KEY_KIND_FN:
			ret = k->parse(p, entity, v, name, ctx);
			break;
		case RECIPE_KEY_KIND_BOOL:
			ret = recipe_parse_bool(p, v, name, ctx, (bool *)field);
			break;
		case RECIPE_KEY_KIND_REF:
			*(struct mark *)((char *)entity + k->mark) = v->mark;
			ret = recipe_parse_nonempty(p, v, name, 0, ctx, (char **)field);
			break;
		case RECIPE_KEY_KIND_TOGETHER:
		case RECIPE_KEY_KIND_RENAMED:
			break;
		}
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* ---- typed values ------------------------------------------------------ */

bool recipe_parse_is_string(const struct ynode *v)
{
	return v->kind == YNODE_SCALAR && v->type == YSCALAR_STR;
}

int recipe_parse_string(struct recipe_parser *p, const struct ynode *v, const char *key,
			size_t item, const char *ctx, char **out)
{
	if (!recipe_parse_is_string(v))
		return recipe_parse_want(p, v, key, item, ctx, "a string");
	free(*out);
	*out = xstrdup(v->text);
	return 0;
}

int recipe_parse_nonempty(struct recipe_parser *p, const struct ynode *v, const char *key,
			  size_t item, const char *ctx, char **out)
{
	if (!recipe_parse_is_string(v) || !*v->text)
		return recipe_parse_want(p, v, key, item, ctx, "a non-empty string");
	free(*out);
	*out = xstrdup(v->text);
	return 0;
}

int recipe_parse_bool(struct recipe_parser *p, const struct ynode *v, const char *key,
		      const char *ctx, bool *out)
{
	if (v->kind != YNODE_SCALAR || v->type != YSCALAR_BOOL)
		return recipe_parse_want(p, v, key, 0, ctx, "true or false");
	*out = v->text[0] == 't' || v->text[0] == 'T';
	return 0;
}

int recipe_parse_uint(struct recipe_parser *p, const struct ynode *v, const char *key,
		      const char *ctx, uint64_t min, uint64_t max, uint64_t *out)
{
	errno = 0;
	char *end = NULL;
	unsigned long long n = 0;
	bool okay = v->kind == YNODE_SCALAR && v->type == YSCALAR_INT && v->text[0] != '-';
	if (okay)
		n = strtoull(v->text, &end, 10);
	if (!okay || errno || *end || n < min || n > max) {
		char *desc = xasprintf("an integer from %llu to %llu", (unsigned long long)min,
				       (unsigned long long)max);
		recipe_parse_want(p, v, key, 0, ctx, desc);
		free(desc);
		return -1;
	}
	*out = n;
	return 0;
}

/* refuse v when why (a recipe_validate phrase, freed here) is set: "KEY must be WHY, not V" */
int recipe_parse_check(struct recipe_parser *p, const struct ynode *v, const char *key, size_t item,
		       const char *ctx, char *why)
{
	if (!why)
		return 0;
	recipe_parse_want(p, v, key, item, ctx, why);
	free(why);
	return -1;
}

/* a non-negative integer that check accepts; a non-integer gets check's phrase too */
int recipe_parse_checked_uint(struct recipe_parser *p, const struct ynode *v, const char *key,
			      const char *ctx, char *(*check)(uint64_t), uint64_t *out)
{
	errno = 0;
	char *end = NULL;
	uint64_t n = UINT64_MAX; /* no check accepts it */
	if (v->kind == YNODE_SCALAR && v->type == YSCALAR_INT && v->text[0] != '-') {
		unsigned long long parsed = strtoull(v->text, &end, 10);
		if (!errno && !*end)
			n = parsed;
	}
	if (recipe_parse_check(p, v, key, 0, ctx, check(n)) < 0)
		return -1;
	*out = n;
	return 0;
}

/* names[i] for the string v, or an error listing them (with a suggestion) */
int recipe_parse_enum(struct recipe_parser *p, const struct ynode *v, const char *key, size_t item,
		      const char *ctx, const char *const *names, size_t n, int *out)
{
	for (size_t i = 0; recipe_parse_is_string(v) && i < n; i++) {
		if (strcmp(v->text, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	struct buf desc = BUF_INIT;
	buf_adds(&desc, "one of ");
	for (size_t i = 0; i < n; i++)
		buf_addf(&desc, "%s%s", i ? ", " : "", names[i]);
	char *subj = recipe_parse_subject(key, item, ctx), *got = show(v);
	char *hint = recipe_parse_is_string(v) ? recipe_yaml_did_you_mean(v->text, names, n) : xstrdup("");
	recipe_parse_fail(p, v, "%s must be %s, not %s%s", subj, desc.data, got, hint);
	free(subj);
	free(got);
	free(hint);
	buf_release(&desc);
	return -1;
}

int recipe_parse_want_map(struct recipe_parser *p, const struct ynode *v, const char *key,
			  size_t item, const char *ctx)
{
	return v->kind == YNODE_MAP ? 0 : recipe_parse_want(p, v, key, item, ctx, "a map");
}

int recipe_parse_want_list(struct recipe_parser *p, const struct ynode *v, const char *key,
			   const char *ctx)
{
	return v->kind == YNODE_SEQ ? 0 : recipe_parse_want(p, v, key, 0, ctx, "a list");
}

/* a file the recipe checks in next to itself: it must exist beneath the recipe tree */
int recipe_parse_exists(struct recipe_parser *p, const struct ynode *at, const char *what,
			const char *ctx, bool want_dir)
{
	return recipe_parse_beneath(p, at, what, ctx, want_dir, false);
}

int recipe_parse_beneath(struct recipe_parser *p, const struct ynode *at, const char *what,
			 const char *ctx, bool want_dir, bool may_be_missing)
{
	char *subject = xasprintf("%s '%s' of %s", what, at->text, ctx);
	struct recipe_tree_path tp = { subject, p->base_dir, at->text, RECIPE_TREE_ONLY, want_dir,
				       may_be_missing };
	int ret = recipe_tree_check(p->r->dir, p->trust, &tp, p->err);
	free(subject);
	if (ret < 0) {
		error_locate(p->err, at->mark.file, at->mark.line, at->mark.column);
		error_prefix(p->err, "%s:%d:%d", at->mark.file, at->mark.line, at->mark.column);
	}
	return ret;
}

void recipe_parse_path_set(struct recipe_parser *p, struct recipe_path *rp, const struct ynode *v)
{
	rp->path = xstrdup(v->text);
	rp->base_dir = xstrdup(p->base_dir);
	rp->mark = v->mark;
}

/* entity names become node ids ("image:NAME") and file names */
int recipe_parse_name(struct recipe_parser *p, const struct ynode *k, const char *what)
{
	const char *s = k->text;
	bool okay = *s && *s != '.' && *s != '-' && strlen(s) <= 64;
	for (; okay && *s; s++)
		okay = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		       (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.';
	if (okay)
		return 0;
	return recipe_parse_fail(p, k, "%s name '%s' must be 1 to 64 letters, digits, '_', '-' or '.' "
				 "(not starting with '.' or '-')", what, k->text);
}

void recipe_parse_release(struct recipe_parser *p)
{
	for (size_t i = 0; i < p->n_includes; i++)
		free(p->includes[i].path);
	free(p->includes);
	free(p->base_dir);
	p->includes = NULL;
	p->n_includes = 0;
	p->base_dir = NULL;
}
