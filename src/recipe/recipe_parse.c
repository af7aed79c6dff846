/*
 * recipe_parse: one file's node tree converted into struct recipe, with
 * every key, type and value checked (recipe format version 1; the keys are
 * documented in docs/recipes.md and schemas/recipe-v1.schema.json).  Paths
 * are kept as written plus the writing file's directory.  Files that a
 * recipe checks in next to itself (kernel fragments and base files,
 * overlay files and directories) must exist; sources need not, since they
 * may be downloaded or generated later.
 */
#include "recipe/recipe_parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "recipe/recipe_tree.h"
#include "recipe/recipe_validate.h"
#include "base/util.h"

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
static char *subject(const char *key, size_t item, const char *ctx)
{
	if (!ctx)
		return item ? xasprintf("item %zu of top-level '%s'", item, key)
			    : xasprintf("top-level '%s'", key);
	if (item)
		return xasprintf("item %zu of '%s' in %s", item, key, ctx);
	return xasprintf("'%s' in %s", key, ctx);
}

static int fail(struct recipe_parser *p, const struct ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct recipe_parser *p, const struct ynode *at, const char *fmt, ...)
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
static int want(struct recipe_parser *p, const struct ynode *v, const char *key, size_t item,
		const char *ctx, const char *desc)
{
	char *subj = subject(key, item, ctx), *got = show(v);
	fail(p, v, "%s must be %s, not %s", subj, desc, got);
	free(subj);
	free(got);
	return -1;
}

static const char *const overlay_keys[] = { "dir", "file", "content", "symlink", "mkdir",
					    "remove", "to", "mode", "uid", "gid" };

/* every key of map must be one of keys[]; the error suggests the closest */
static int check_keys(struct recipe_parser *p, const struct ynode *map, const char *const *keys,
		      size_t n, const char *ctx)
{
	const struct ynode *k = recipe_yaml_unknown_key(map, keys, n);
	if (!k)
		return 0;
	char *hint = recipe_yaml_did_you_mean(k->text, keys, n);
	/* early drafts of the format wrote an overlay's destination as path: */
	if (!*hint && !strcmp(k->text, "path") && keys == overlay_keys) {
		free(hint);
		hint = xstrdup(" (did you mean 'to'?)");
	}
	if (ctx)
		fail(p, k, "unknown key '%s' in %s%s", k->text, ctx, hint);
	else
		fail(p, k, "unknown top-level key '%s'%s", k->text, hint);
	free(hint);
	return -1;
}

/* ---- typed values ------------------------------------------------------ */

static bool is_string(const struct ynode *v)
{
	return v->kind == YNODE_SCALAR && v->type == YSCALAR_STR;
}

static int get_string(struct recipe_parser *p, const struct ynode *v, const char *key, size_t item,
		      const char *ctx, char **out)
{
	if (!is_string(v))
		return want(p, v, key, item, ctx, "a string");
	free(*out);
	*out = xstrdup(v->text);
	return 0;
}

static int get_nonempty(struct recipe_parser *p, const struct ynode *v, const char *key, size_t item,
			const char *ctx, char **out)
{
	if (!is_string(v) || !*v->text)
		return want(p, v, key, item, ctx, "a non-empty string");
	free(*out);
	*out = xstrdup(v->text);
	return 0;
}

static int get_bool(struct recipe_parser *p, const struct ynode *v, const char *key, const char *ctx,
		    bool *out)
{
	if (v->kind != YNODE_SCALAR || v->type != YSCALAR_BOOL)
		return want(p, v, key, 0, ctx, "true or false");
	*out = v->text[0] == 't' || v->text[0] == 'T';
	return 0;
}

static int get_uint(struct recipe_parser *p, const struct ynode *v, const char *key, const char *ctx,
		    uint64_t min, uint64_t max, uint64_t *out)
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
		want(p, v, key, 0, ctx, desc);
		free(desc);
		return -1;
	}
	*out = n;
	return 0;
}

/* refuse v when why (a recipe_validate phrase, freed here) is set: "KEY must be WHY, not V" */
static int check_value(struct recipe_parser *p, const struct ynode *v, const char *key, size_t item,
		       const char *ctx, char *why)
{
	if (!why)
		return 0;
	want(p, v, key, item, ctx, why);
	free(why);
	return -1;
}

/* a non-negative integer that check accepts; a non-integer gets check's phrase too */
static int get_checked_uint(struct recipe_parser *p, const struct ynode *v, const char *key,
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
	if (check_value(p, v, key, 0, ctx, check(n)) < 0)
		return -1;
	*out = n;
	return 0;
}

/* names[i] for the string v, or an error listing them (with a suggestion) */
static int get_enum(struct recipe_parser *p, const struct ynode *v, const char *key, size_t item,
		    const char *ctx, const char *const *names, size_t n, int *out)
{
	for (size_t i = 0; is_string(v) && i < n; i++) {
		if (strcmp(v->text, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	struct buf desc = BUF_INIT;
	buf_adds(&desc, "one of ");
	for (size_t i = 0; i < n; i++)
		buf_addf(&desc, "%s%s", i ? ", " : "", names[i]);
	char *subj = subject(key, item, ctx), *got = show(v);
	char *hint = is_string(v) ? recipe_yaml_did_you_mean(v->text, names, n) : xstrdup("");
	fail(p, v, "%s must be %s, not %s%s", subj, desc.data, got, hint);
	free(subj);
	free(got);
	free(hint);
	buf_release(&desc);
	return -1;
}

static int want_map(struct recipe_parser *p, const struct ynode *v, const char *key, size_t item,
		    const char *ctx)
{
	return v->kind == YNODE_MAP ? 0 : want(p, v, key, item, ctx, "a map");
}

static int want_list(struct recipe_parser *p, const struct ynode *v, const char *key,
		     const char *ctx)
{
	return v->kind == YNODE_SEQ ? 0 : want(p, v, key, 0, ctx, "a list");
}

/* a file the recipe checks in next to itself: it must exist beneath the recipe tree */
static int check_exists(struct recipe_parser *p, const struct ynode *at, const char *what,
			const char *ctx, bool want_dir)
{
	char *subject = xasprintf("%s '%s' of %s", what, at->text, ctx);
	struct recipe_tree_path tp = { subject, p->base_dir, at->text, RECIPE_TREE_ONLY, want_dir,
				       false };
	int ret = recipe_tree_check(p->r->dir, p->trust, &tp, p->err);
	free(subject);
	if (ret < 0) {
		error_locate(p->err, at->mark.file, at->mark.line, at->mark.column);
		error_prefix(p->err, "%s:%d:%d", at->mark.file, at->mark.line, at->mark.column);
	}
	return ret;
}

static void recipe_path_set(struct recipe_parser *p, struct recipe_path *rp, const struct ynode *v)
{
	rp->path = xstrdup(v->text);
	rp->base_dir = xstrdup(p->base_dir);
	rp->mark = v->mark;
}

/* entity names become node ids ("image:NAME") and file names */
static int check_name(struct recipe_parser *p, const struct ynode *k, const char *what)
{
	const char *s = k->text;
	bool okay = *s && *s != '.' && *s != '-' && strlen(s) <= 64;
	for (; okay && *s; s++)
		okay = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		       (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.';
	if (okay)
		return 0;
	return fail(p, k, "%s name '%s' must be 1 to 64 letters, digits, '_', '-' or '.' "
		    "(not starting with '.' or '-')", what, k->text);
}

/* ---- sources ----------------------------------------------------------- */

static const char *const source_keys[] = { "url", "urls", "path", "sha256", "sha512" };

static bool looks_like_url(const char *s)
{
	const char *colon = strstr(s, "://");
	if (!colon || colon == s || !colon[3])
		return false;
	for (const char *c = s; c < colon; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (c > s && ((*c >= '0' && *c <= '9') || *c == '+' || *c == '-' || *c == '.'))))
			return false;
	return true;
}

static int add_url(struct recipe_parser *p, struct source *s, const struct ynode *v,
		   const char *key, size_t item, const char *ctx)
{
	if (!is_string(v) || !looks_like_url(v->text))
		return want(p, v, key, item, ctx, "a URL (scheme://...)");
	if (check_value(p, v, key, item, ctx, recipe_validate_url(v->text)) < 0)
		return -1;
	s->urls = xrealloc(s->urls, (s->n_urls + 1) * sizeof(*s->urls));
	s->urls[s->n_urls++] = xstrdup(v->text);
	return 0;
}

static int parse_checksum(struct recipe_parser *p, struct source *s, const struct ynode *v,
			  enum hash_algo algo, const char *ctx)
{
	const char *key = hash_algo_name(algo);
	size_t len = hash_hex_len(algo);
	/* a digest of digits only reads as a plain integer; its text is what counts */
	bool text = is_string(v) || (v->kind == YNODE_SCALAR && v->type == YSCALAR_INT);
	if (!text || !hash_hex_is_valid(v->text, len)) {
		char *desc = xasprintf("%zu lowercase hex digits", len);
		if (text && strlen(v->text) != len) {
			char *subj = subject(key, 0, ctx);
			fail(p, v, "%s must be %s (got %zu characters)", subj, desc, strlen(v->text));
			free(subj);
		} else {
			want(p, v, key, 0, ctx, desc);
		}
		free(desc);
		return -1;
	}
	s->has_checksum = true;
	s->algo = algo;
	s->checksum = xstrdup(v->text);
	return 0;
}

static int parse_source_location(struct recipe_parser *p, struct source *s, const struct ynode *map,
				 const char *ctx)
{
	const struct ynode *kinds[3] = { recipe_yaml_get(map, "url"), recipe_yaml_get(map, "urls"),
					 recipe_yaml_get(map, "path") };
	static const char *const names[3] = { "url", "urls", "path" };
	int first = -1;
	for (int i = 0; i < 3; i++) {
		if (!kinds[i])
			continue;
		if (first >= 0)
			return fail(p, kinds[i], "%s has both '%s' and '%s' (want exactly one)", ctx,
				    names[first], names[i]);
		first = i;
	}
	if (first < 0)
		return fail(p, map, "%s needs one of 'url', 'urls' or 'path'", ctx);
	if (first == 2) {
		s->kind = SOURCE_PATH;
		return get_nonempty(p, kinds[2], "path", 0, ctx, &s->path);
	}
	s->kind = SOURCE_URL;
	if (first == 0)
		return add_url(p, s, kinds[0], "url", 0, ctx);
	if (want_list(p, kinds[1], "urls", ctx) < 0)
		return -1;
	if (kinds[1]->n == 0)
		return fail(p, kinds[1], "'urls' in %s must list at least one URL", ctx);
	for (size_t i = 0; i < kinds[1]->n; i++)
		if (add_url(p, s, kinds[1]->items[i], "urls", i + 1, ctx) < 0)
			return -1;
	return 0;
}

static int parse_source(struct recipe_parser *p, struct source *s, const struct ynode *map,
			const char *ctx)
{
	s->base_dir = xstrdup(p->base_dir);
	if (check_keys(p, map, source_keys, ARRAY_SIZE(source_keys), ctx) < 0 ||
	    parse_source_location(p, s, map, ctx) < 0)
		return -1;
	const struct ynode *v256 = recipe_yaml_get(map, "sha256"), *v512 = recipe_yaml_get(map, "sha512");
	if (v256 && v512)
		return fail(p, v512, "%s has both 'sha256' and 'sha512' (want one)", ctx);
	if (v256 && parse_checksum(p, s, v256, HASH_SHA256, ctx) < 0)
		return -1;
	if (v512 && parse_checksum(p, s, v512, HASH_SHA512, ctx) < 0)
		return -1;
	if (s->kind == SOURCE_URL && !s->has_checksum)
		return fail(p, map, "%s downloads a URL, so it needs a 'sha256' or 'sha512' checksum "
			    "('mvbuild fetch --print-checksums' prints it)", ctx);
	return 0;
}

/* ---- kernels ----------------------------------------------------------- */

static const char *const kernel_keys[] = { "source", "base", "fragments", "config", "targets",
					   "arch", "strict" };
static const char *const kernel_bases[] = { "allnoconfig", "tinyconfig", "defconfig",
					    "alldefconfig" };
static const char *const kernel_targets[] = { "bzImage", "vmlinux" };

static int parse_kernel_base(struct recipe_parser *p, struct kernel *k, const struct ynode *v,
			     const char *ctx)
{
	static const char *const file_keys[] = { "file" };
	if (v->kind != YNODE_MAP) {
		int base;
		if (v->kind != YNODE_SCALAR)
			return want(p, v, "base", 0, ctx,
				    "allnoconfig, tinyconfig, defconfig, alldefconfig or {file: PATH}");
		if (get_enum(p, v, "base", 0, ctx, kernel_bases, ARRAY_SIZE(kernel_bases), &base) < 0)
			return -1;
		k->base = (enum kernel_base_kind)base;
		return 0;
	}
	char *bctx = xasprintf("'base' of %s", ctx);
	const struct ynode *f = recipe_yaml_get(v, "file");
	int ret = check_keys(p, v, file_keys, 1, bctx);
	if (ret == 0 && !f)
		ret = fail(p, v, "'base' of %s needs 'file' (a full kernel config)", ctx);
	if (ret == 0 && (!is_string(f) || !*f->text))
		ret = want(p, f, "file", 0, bctx, "a non-empty string");
	if (ret == 0)
		ret = check_exists(p, f, "base config file", ctx, false);
	if (ret == 0) {
		k->base = KBASE_FILE;
		recipe_path_set(p, &k->base_file, f);
	}
	free(bctx);
	return ret;
}

static int parse_fragments(struct recipe_parser *p, struct kernel *k, const struct ynode *v,
			   const char *ctx)
{
	if (want_list(p, v, "fragments", ctx) < 0)
		return -1;
	k->fragments = xcalloc(v->n, sizeof(*k->fragments));
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *item = v->items[i];
		if (!is_string(item) || !*item->text)
			return want(p, item, "fragments", i + 1, ctx, "a file name");
		if (check_exists(p, item, "fragment", ctx, false) < 0)
			return -1;
		recipe_path_set(p, &k->fragments[k->n_fragments++], item);
	}
	return 0;
}

static bool is_config_symbol(const char *s)
{
	if (!str_startswith(s, "CONFIG_") || !s[7])
		return false;
	for (s += 7; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static bool is_hex_number(const char *s)
{
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
		return false;
	for (s += 2; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
			return false;
	return true;
}

/* a string in Kconfig's own quoting: "text" with \ and " escaped */
static char *kconfig_quote(const char *s)
{
	struct buf b = BUF_INIT;
	buf_addc(&b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(&b, '\\');
		buf_addc(&b, *s);
	}
	buf_addc(&b, '"');
	return buf_detach(&b);
}

static int parse_config_value(struct recipe_parser *p, struct kconfig_value *kv,
			      const struct ynode *v, const char *key, const char *ctx)
{
	if (v->kind == YNODE_SCALAR && v->type == YSCALAR_INT) {
		kv->value = xstrdup(v->text);
		return 0;
	}
	if (v->kind == YNODE_SCALAR && v->type == YSCALAR_STR && !v->quoted &&
	    (!strcmp(v->text, "y") || !strcmp(v->text, "m") || !strcmp(v->text, "n") ||
	     is_hex_number(v->text))) {
		kv->value = xstrdup(v->text);
		return 0;
	}
	if (is_string(v) && v->quoted) {
		if (strchr(v->text, '\n'))
			return fail(p, v, "'%s' in %s must not contain a newline", key, ctx);
		kv->value = kconfig_quote(v->text);
		return 0;
	}
	return want(p, v, key, 0, ctx, "y, m, n, a number or a quoted string");
}

static int parse_config(struct recipe_parser *p, struct kernel *k, const struct ynode *v,
			const char *ctx)
{
	if (want_map(p, v, "config", 0, ctx) < 0)
		return -1;
	char *cctx = xasprintf("'config' of %s", ctx);
	int ret = 0;
	k->config = xcalloc(v->n, sizeof(*k->config));
	for (size_t i = 0; i < v->n && ret == 0; i++) {
		const struct ynode *key = v->pairs[i].key;
		if (!is_config_symbol(key->text)) {
			ret = fail(p, key, "'%s' in %s is not a kernel config symbol (want CONFIG_NAME)",
				   key->text, cctx);
			break;
		}
		struct kconfig_value *kv = &k->config[k->n_config++];
		kv->symbol = xstrdup(key->text);
		kv->mark = key->mark;
		ret = parse_config_value(p, kv, v->pairs[i].value, key->text, cctx);
	}
	free(cctx);
	return ret;
}

static int parse_targets(struct recipe_parser *p, struct kernel *k, const struct ynode *v,
			 const char *ctx)
{
	if (want_list(p, v, "targets", ctx) < 0)
		return -1;
	if (v->n == 0)
		return fail(p, v, "'targets' in %s must list bzImage, vmlinux or both", ctx);
	k->target_bzimage = k->target_vmlinux = false;
	for (size_t i = 0; i < v->n; i++) {
		int t;
		if (get_enum(p, v->items[i], "targets", i + 1, ctx, kernel_targets,
			     ARRAY_SIZE(kernel_targets), &t) < 0)
			return -1;
		bool *flag = t == 0 ? &k->target_bzimage : &k->target_vmlinux;
		if (*flag)
			return fail(p, v->items[i], "'targets' in %s lists '%s' twice", ctx,
				    kernel_targets[t]);
		*flag = true;
	}
	return 0;
}

static int parse_arch(struct recipe_parser *p, struct kernel *k, const struct ynode *v,
		      const char *ctx)
{
	if (!is_string(v))
		return want(p, v, "arch", 0, ctx, "x86_64");
	if (check_value(p, v, "arch", 0, ctx, recipe_validate_arch(v->text)) < 0)
		return -1;
	free(k->arch);
	k->arch = xstrdup(v->text);
	return 0;
}

static int parse_kernel(struct recipe_parser *p, struct kernel *k, const struct ynode *map,
			const char *ctx)
{
	k->target_bzimage = k->target_vmlinux = true;
	k->strict = true;
	k->arch = xstrdup("x86_64");
	k->base = KBASE_ALLNOCONFIG;
	if (check_keys(p, map, kernel_keys, ARRAY_SIZE(kernel_keys), ctx) < 0)
		return -1;
	for (size_t i = 0; i < map->n; i++) {
		const char *key = map->pairs[i].key->text;
		const struct ynode *v = map->pairs[i].value;
		int ret = 0;
		if (!strcmp(key, "source")) {
			ret = get_nonempty(p, v, key, 0, ctx, &k->source);
			k->source_mark = v->mark;
		} else if (!strcmp(key, "base"))
			ret = parse_kernel_base(p, k, v, ctx);
		else if (!strcmp(key, "fragments"))
			ret = parse_fragments(p, k, v, ctx);
		else if (!strcmp(key, "config"))
			ret = parse_config(p, k, v, ctx);
		else if (!strcmp(key, "targets"))
			ret = parse_targets(p, k, v, ctx);
		else if (!strcmp(key, "arch"))
			ret = parse_arch(p, k, v, ctx);
		else if (!strcmp(key, "strict"))
			ret = get_bool(p, v, key, ctx, &k->strict);
		if (ret < 0)
			return -1;
	}
	if (!k->source)
		return fail(p, map, "%s needs a 'source' (the name of a kernel source tarball)", ctx);
	return 0;
}

/* ---- images ------------------------------------------------------------ */

static const char *const image_keys[] = { "size", "fs", "label", "inodes", "epoch", "devices",
					  "layers", "overlays" };
/* the kinds in enum overlay_kind order */
static const char *const overlay_kinds[] = { "dir", "file", "content", "symlink", "mkdir",
					     "remove" };

static int parse_size_value(struct recipe_parser *p, struct image *img, const struct ynode *v,
			    const char *ctx)
{
	static const char *desc = "digits with an optional K, M, G or T suffix (powers of 1024, "
				  "such as 512M or 2G), or auto";
	if (is_string(v) && strcmp(v->text, "auto") == 0) {
		img->size_auto = true;
		return 0;
	}
	uint64_t size = 0;
	bool okay = v->kind == YNODE_SCALAR && (v->type == YSCALAR_STR || v->type == YSCALAR_INT) &&
		    parse_size(v->text, &size) == 0;
	if (!okay)
		return want(p, v, "size", 0, ctx, desc);
	if (check_value(p, v, "size", 0, ctx, recipe_validate_size(size)) < 0)
		return -1;
	img->size_auto = false;
	img->size = size;
	return 0;
}

/* a path inside the image (recipe_validate_image_path), "/" itself only when root_ok */
static int get_image_path(struct recipe_parser *p, const struct ynode *v, const char *key,
			  const char *ctx, bool root_ok, char **out)
{
	if (!is_string(v))
		return check_value(p, v, key, 0, ctx, recipe_validate_image_path("", root_ok));
	if (check_value(p, v, key, 0, ctx, recipe_validate_image_path(v->text, root_ok)) < 0)
		return -1;
	free(*out);
	*out = xstrdup(v->text);
	return 0;
}

static int parse_mode(struct recipe_parser *p, struct overlay *ov, const struct ynode *v,
		      const char *ctx)
{
	const char *s = v->text;
	size_t len = v->kind == YNODE_SCALAR ? strlen(s) : 0;
	bool okay = is_string(v) && len >= 3 && len <= 5 && strspn(s, "01234567") == len;
	unsigned long mode = okay ? strtoul(s, NULL, 8) : 0;
	if (!okay || mode > 07777)
		return want(p, v, "mode", 0, ctx, "a quoted octal string such as \"0755\"");
	ov->has_mode = true;
	ov->mode = (uint32_t)mode;
	return 0;
}

/* which one of dir/file/content/symlink/mkdir/remove an entry is */
static int overlay_kind_of(struct recipe_parser *p, struct overlay *ov, const struct ynode *map,
			   const char *ctx, const struct ynode **value)
{
	int found = -1;
	for (size_t i = 0; i < ARRAY_SIZE(overlay_kinds); i++) {
		const struct ynode *v = recipe_yaml_get(map, overlay_kinds[i]);
		if (!v)
			continue;
		if (found >= 0)
			return fail(p, v, "%s has both '%s' and '%s' (want exactly one of dir, file, "
				    "content, symlink, mkdir or remove)", ctx, overlay_kinds[found],
				    overlay_kinds[i]);
		found = (int)i;
		*value = v;
	}
	if (found < 0)
		return fail(p, map, "%s needs one of dir, file, content, symlink, mkdir or remove", ctx);
	ov->kind = (enum overlay_kind)found;
	return 0;
}

static int parse_overlay_source(struct recipe_parser *p, struct overlay *ov, const struct ynode *map,
				const struct ynode *v, const char *ctx)
{
	const char *kind = overlay_kinds[ov->kind];
	const struct ynode *to = recipe_yaml_get(map, "to");
	switch (ov->kind) {
	case OVERLAY_MKDIR:
	case OVERLAY_REMOVE:
		if (to)
			return fail(p, to, "%s is a %s entry, which takes no 'to'", ctx, kind);
		return get_image_path(p, v, kind, ctx, ov->kind == OVERLAY_MKDIR, &ov->to);
	case OVERLAY_CONTENT:
		if (get_string(p, v, kind, 0, ctx, &ov->src) < 0)
			return -1;
		break;
	case OVERLAY_DIR:
	case OVERLAY_FILE:
		if (get_nonempty(p, v, kind, 0, ctx, &ov->src) < 0 ||
		    check_exists(p, v, kind, ctx, ov->kind == OVERLAY_DIR) < 0)
			return -1;
		break;
	case OVERLAY_SYMLINK:
		if (get_string(p, v, kind, 0, ctx, &ov->src) < 0 ||
		    check_value(p, v, kind, 0, ctx, recipe_validate_symlink(ov->src)) < 0)
			return -1;
		break;
	}
	if (!to)
		return fail(p, map, "%s needs 'to' (where the %s goes in the image)", ctx, kind);
	return get_image_path(p, to, "to", ctx, ov->kind == OVERLAY_DIR, &ov->to);
}

static int parse_overlay(struct recipe_parser *p, struct overlay *ov, const struct ynode *map,
			 const char *ctx)
{
	const struct ynode *v = NULL;
	ov->mark = map->mark;
	ov->base_dir = xstrdup(p->base_dir);
	ov->root = p->r->dir;
	if (check_keys(p, map, overlay_keys, ARRAY_SIZE(overlay_keys), ctx) < 0 ||
	    overlay_kind_of(p, ov, map, ctx, &v) < 0 || parse_overlay_source(p, ov, map, v, ctx) < 0)
		return -1;
	const struct ynode *mode = recipe_yaml_get(map, "mode"), *uid = recipe_yaml_get(map, "uid"),
			   *gid = recipe_yaml_get(map, "gid");
	const char *kind = overlay_kinds[ov->kind];
	if (mode && (ov->kind == OVERLAY_SYMLINK || ov->kind == OVERLAY_REMOVE))
		return fail(p, mode, "%s is a %s entry, which takes no 'mode'", ctx, kind);
	if ((uid || gid) && ov->kind == OVERLAY_REMOVE)
		return fail(p, uid ? uid : gid, "%s is a remove entry, which takes no '%s'", ctx,
			    uid ? "uid" : "gid");
	uint64_t n;
	if (mode && parse_mode(p, ov, mode, ctx) < 0)
		return -1;
	if (uid) {
		if (get_uint(p, uid, "uid", ctx, 0, UINT32_MAX - 1, &n) < 0)
			return -1;
		ov->has_uid = true;
		ov->uid = (uint32_t)n;
	}
	if (gid) {
		if (get_uint(p, gid, "gid", ctx, 0, UINT32_MAX - 1, &n) < 0)
			return -1;
		ov->has_gid = true;
		ov->gid = (uint32_t)n;
	}
	return 0;
}

static int parse_overlays(struct recipe_parser *p, struct image *img, const struct ynode *v,
			  const char *ctx)
{
	if (want_list(p, v, "overlays", ctx) < 0)
		return -1;
	img->overlays = xcalloc(v->n, sizeof(*img->overlays));
	for (size_t i = 0; i < v->n; i++) {
		if (want_map(p, v->items[i], "overlays", i + 1, ctx) < 0)
			return -1;
		char *octx = xasprintf("overlay %zu of %s", i + 1, ctx);
		int ret = parse_overlay(p, &img->overlays[img->n_overlays++], v->items[i], octx);
		free(octx);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int parse_layers(struct recipe_parser *p, struct image *img, const struct ynode *v,
			const char *ctx)
{
	if (want_list(p, v, "layers", ctx) < 0)
		return -1;
	img->layers = xcalloc(v->n, sizeof(*img->layers));
	img->layer_refs = xcalloc(v->n, sizeof(*img->layer_refs));
	img->layer_marks = xcalloc(v->n, sizeof(*img->layer_marks));
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *item = v->items[i];
		if (!is_string(item) || !*item->text)
			return want(p, item, "layers", i + 1, ctx, "the name of a source");
		img->layer_marks[img->n_layers] = item->mark;
		img->layers[img->n_layers++] = xstrdup(item->text);
	}
	return 0;
}

static char *check_inodes_alone(uint64_t inodes)
{
	return recipe_validate_inodes(inodes, 0);
}

static char *check_epoch(uint64_t epoch)
{
	return recipe_validate_epoch(epoch > INT64_MAX ? -1 : (int64_t)epoch);
}

static int parse_image_scalars(struct recipe_parser *p, struct image *img, const char *key,
			       const struct ynode *v, const char *ctx)
{
	uint64_t n;
	if (!strcmp(key, "size"))
		return parse_size_value(p, img, v, ctx);
	if (!strcmp(key, "fs")) {
		if (!is_string(v) || strcmp(v->text, "ext4") != 0)
			return want(p, v, key, 0, ctx, "ext4 (the only filesystem supported)");
		return 0;
	}
	if (!strcmp(key, "label")) {
		if (get_string(p, v, key, 0, ctx, &img->label) < 0)
			return -1;
		return check_value(p, v, key, 0, ctx, recipe_validate_label(img->label));
	}
	if (!strcmp(key, "inodes")) {
		/* the limit that depends on the size is checked once the whole image is read */
		if (get_checked_uint(p, v, key, ctx, check_inodes_alone, &n) < 0)
			return -1;
		img->inodes = n;
		return 0;
	}
	if (!strcmp(key, "epoch")) {
		if (get_checked_uint(p, v, key, ctx, check_epoch, &n) < 0)
			return -1;
		img->has_epoch = true;
		img->epoch = (int64_t)n;
		return 0;
	}
	return get_bool(p, v, key, ctx, &img->allow_devices);
}

static int parse_image(struct recipe_parser *p, struct image *img, const struct ynode *map,
		       const char *ctx)
{
	img->size_auto = true;
	img->fs = xstrdup("ext4");
	if (check_keys(p, map, image_keys, ARRAY_SIZE(image_keys), ctx) < 0)
		return -1;
	for (size_t i = 0; i < map->n; i++) {
		const char *key = map->pairs[i].key->text;
		const struct ynode *v = map->pairs[i].value;
		int ret;
		if (!strcmp(key, "layers"))
			ret = parse_layers(p, img, v, ctx);
		else if (!strcmp(key, "overlays"))
			ret = parse_overlays(p, img, v, ctx);
		else
			ret = parse_image_scalars(p, img, key, v, ctx);
		if (ret < 0)
			return -1;
	}
	const struct ynode *inodes = recipe_yaml_get(map, "inodes");
	if (inodes && !img->size_auto)
		return check_value(p, inodes, "inodes", 0, ctx,
				   recipe_validate_inodes(img->inodes, img->size));
	return 0;
}

/* ---- profiles ---------------------------------------------------------- */

static const char *const profile_keys[] = { "hypervisor", "kernel", "image", "mem", "cpus",
					    "init", "cmdline", "net", "persist", "qemu",
					    "firecracker" };
static const char *const hypervisors[] = { "qemu", "firecracker" };
static const char *const net_keys[] = { "tap", "mac" };
static const char *const qemu_keys[] = { "accel", "binary", "machine", "tsc_early_khz" };
static const char *const fc_keys[] = { "binary" };
static const char *const accels[] = { "kvm", "tcg", "auto" };

static int parse_net_entry(struct recipe_parser *p, struct net_iface *ni, const struct ynode *map,
			   const char *ctx)
{
	ni->mark = map->mark;
	if (check_keys(p, map, net_keys, ARRAY_SIZE(net_keys), ctx) < 0)
		return -1;
	const struct ynode *tap = recipe_yaml_get(map, "tap"), *mac = recipe_yaml_get(map, "mac");
	if (!tap)
		return fail(p, map, "%s needs 'tap' (a host tap device name)", ctx);
	if (get_string(p, tap, "tap", 0, ctx, &ni->tap) < 0 ||
	    check_value(p, tap, "tap", 0, ctx, recipe_validate_tap(ni->tap)) < 0)
		return -1;
	if (!mac)
		return 0;
	if (get_string(p, mac, "mac", 0, ctx, &ni->mac) < 0)
		return -1;
	return check_value(p, mac, "mac", 0, ctx, recipe_validate_mac(ni->mac));
}

static int parse_net(struct recipe_parser *p, struct profile *pr, const struct ynode *v,
		     const char *ctx)
{
	if (want_list(p, v, "net", ctx) < 0)
		return -1;
	pr->net = xcalloc(v->n, sizeof(*pr->net));
	for (size_t i = 0; i < v->n; i++) {
		if (want_map(p, v->items[i], "net", i + 1, ctx) < 0)
			return -1;
		char *nctx = xasprintf("net entry %zu of %s", i + 1, ctx);
		struct net_iface *ni = &pr->net[pr->n_net++];
		int ret = parse_net_entry(p, ni, v->items[i], nctx);
		for (size_t j = 0; ret == 0 && j + 1 < pr->n_net; j++)
			if (strcmp(pr->net[j].tap, ni->tap) == 0)
				ret = fail(p, v->items[i], "%s uses tap '%s' twice", ctx, ni->tap);
		free(nctx);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* the qemu: / firecracker: maps: known keys, scalar values kept as text */
static int parse_options(struct recipe_parser *p, struct option **opts, size_t *n,
			 const struct ynode *v, const char *key, const char *const *keys,
			 size_t n_keys, const char *ctx)
{
	if (want_map(p, v, key, 0, ctx) < 0)
		return -1;
	char *octx = xasprintf("'%s' options of %s", key, ctx);
	int ret = check_keys(p, v, keys, n_keys, octx);
	*opts = xcalloc(v->n, sizeof(**opts));
	for (size_t i = 0; i < v->n && ret == 0; i++) {
		const struct ynode *k = v->pairs[i].key, *val = v->pairs[i].value;
		int accel;
		if (val->kind != YNODE_SCALAR || val->type == YSCALAR_NULL)
			ret = want(p, val, k->text, 0, octx, "a single value");
		else if (!strcmp(key, "qemu") && !strcmp(k->text, "accel"))
			ret = get_enum(p, val, k->text, 0, octx, accels, ARRAY_SIZE(accels), &accel);
		else if (!strcmp(k->text, "binary"))
			ret = check_value(p, val, k->text, 0, octx, recipe_validate_binary(val->text));
		else if (!strcmp(k->text, "machine"))
			ret = check_value(p, val, k->text, 0, octx, recipe_validate_machine(val->text));
		else if (!strcmp(k->text, "tsc_early_khz"))
			ret = check_value(p, val, k->text, 0, octx, recipe_validate_tsc_khz(val->text));
		if (ret == 0) {
			struct option *o = &(*opts)[(*n)++];
			o->key = xstrdup(k->text);
			o->value = xstrdup(val->text);
			o->mark = k->mark;
		}
	}
	free(octx);
	return ret;
}

static char *check_cpus_qemu(uint64_t cpus)
{
	return recipe_validate_cpus(cpus, HV_QEMU);
}

static int parse_profile_value(struct recipe_parser *p, struct profile *pr, const char *key,
			       const struct ynode *v, const char *ctx)
{
	uint64_t n;
	int hv;
	if (!strcmp(key, "hypervisor")) {
		if (get_enum(p, v, key, 0, ctx, hypervisors, ARRAY_SIZE(hypervisors), &hv) < 0)
			return -1;
		pr->hypervisor = (enum hypervisor)hv;
	} else if (!strcmp(key, "kernel")) {
		pr->kernel_mark = v->mark;
		return get_nonempty(p, v, key, 0, ctx, &pr->kernel);
	} else if (!strcmp(key, "image")) {
		pr->image_mark = v->mark;
		return get_nonempty(p, v, key, 0, ctx, &pr->image);
	} else if (!strcmp(key, "mem")) {
		if (get_checked_uint(p, v, key, ctx, recipe_validate_mem, &n) < 0)
			return -1;
		pr->mem = (uint32_t)n;
	} else if (!strcmp(key, "cpus")) {
		/* Firecracker's own limit is checked once the hypervisor is known */
		if (get_checked_uint(p, v, key, ctx, check_cpus_qemu, &n) < 0)
			return -1;
		pr->cpus = (uint32_t)n;
	} else if (!strcmp(key, "init")) {
		if (!is_string(v))
			return check_value(p, v, key, 0, ctx, recipe_validate_init(""));
		if (check_value(p, v, key, 0, ctx, recipe_validate_init(v->text)) < 0)
			return -1;
		return get_string(p, v, key, 0, ctx, &pr->init);
	} else if (!strcmp(key, "cmdline")) {
		if (get_string(p, v, key, 0, ctx, &pr->cmdline) < 0)
			return -1;
		return check_value(p, v, key, 0, ctx, recipe_validate_cmdline(pr->cmdline));
	} else if (!strcmp(key, "net")) {
		return parse_net(p, pr, v, ctx);
	} else if (!strcmp(key, "persist")) {
		return get_bool(p, v, key, ctx, &pr->persist);
	} else if (!strcmp(key, "qemu")) {
		return parse_options(p, &pr->qemu_opts, &pr->n_qemu_opts, v, key, qemu_keys,
				     ARRAY_SIZE(qemu_keys), ctx);
	} else if (!strcmp(key, "firecracker")) {
		return parse_options(p, &pr->fc_opts, &pr->n_fc_opts, v, key, fc_keys,
				     ARRAY_SIZE(fc_keys), ctx);
	}
	return 0;
}

static int parse_profile(struct recipe_parser *p, struct profile *pr, const struct ynode *map,
			 const char *ctx)
{
	pr->mem = 128;
	pr->cpus = 1;
	pr->hypervisor = HV_QEMU;
	if (check_keys(p, map, profile_keys, ARRAY_SIZE(profile_keys), ctx) < 0)
		return -1;
	for (size_t i = 0; i < map->n; i++)
		if (parse_profile_value(p, pr, map->pairs[i].key->text, map->pairs[i].value, ctx) < 0)
			return -1;
	if (!pr->kernel)
		return fail(p, map, "%s needs 'kernel' (the name of a kernel)", ctx);
	if (!pr->image)
		return fail(p, map, "%s needs 'image' (the name of an image)", ctx);
	const struct ynode *other = recipe_yaml_get(map, pr->hypervisor == HV_QEMU ? "firecracker" : "qemu");
	if (other)
		return fail(p, other, "%s runs %s, so it takes no '%s' options", ctx,
			    hypervisors[pr->hypervisor], pr->hypervisor == HV_QEMU ? "firecracker" : "qemu");
	const struct ynode *cpus = recipe_yaml_get(map, "cpus");
	if (cpus)
		return check_value(p, cpus, "cpus", 0, ctx, recipe_validate_cpus(pr->cpus, pr->hypervisor));
	return 0;
}

/* ---- sections and the top level ---------------------------------------- */

/*
 * Each section is a map NAME -> entity; entities are appended to the
 * recipe's array (grown once per section) and each gets a name, a mark and
 * a context string for messages ("image 'rootfs'").
 */
#define PARSE_SECTION(p, v, section, what, array, count, parse_fn)                            \
	do {                                                                                  \
		if (want_map(p, v, section, 0, NULL) < 0)                                     \
			return -1;                                                            \
		(array) = xrealloc((array), ((count) + (v)->n) * sizeof(*(array)));           \
		memset((array) + (count), 0, (v)->n * sizeof(*(array)));                      \
		for (size_t i_ = 0; i_ < (v)->n; i_++) {                                      \
			const struct ynode *k_ = (v)->pairs[i_].key, *m_ = (v)->pairs[i_].value; \
			if (check_name(p, k_, what) < 0)                                      \
				return -1;                                                    \
			__typeof__(&(array)[0]) e_ = &(array)[(count)++];                     \
			e_->name = xstrdup(k_->text);                                         \
			e_->mark = k_->mark;                                                  \
			char *ctx_ = xasprintf("%s '%s'", what, k_->text);                    \
			int ret_ = want_map(p, m_, k_->text, 0, section);                     \
			if (ret_ == 0)                                                        \
				ret_ = parse_fn(p, e_, m_, ctx_);                             \
			free(ctx_);                                                           \
			if (ret_ < 0)                                                         \
				return -1;                                                    \
		}                                                                             \
	} while (0)

static int parse_sources(struct recipe_parser *p, const struct ynode *v)
{
	PARSE_SECTION(p, v, "sources", "source", p->r->sources, p->r->n_sources, parse_source);
	return 0;
}

static int parse_kernels(struct recipe_parser *p, const struct ynode *v)
{
	PARSE_SECTION(p, v, "kernels", "kernel", p->r->kernels, p->r->n_kernels, parse_kernel);
	return 0;
}

static int parse_images(struct recipe_parser *p, const struct ynode *v)
{
	PARSE_SECTION(p, v, "images", "image", p->r->images, p->r->n_images, parse_image);
	return 0;
}

static int parse_profiles(struct recipe_parser *p, const struct ynode *v)
{
	PARSE_SECTION(p, v, "profiles", "profile", p->r->profiles, p->r->n_profiles, parse_profile);
	return 0;
}

static int parse_includes(struct recipe_parser *p, const struct ynode *v)
{
	if (want_list(p, v, "include", NULL) < 0)
		return -1;
	p->includes = xcalloc(v->n, sizeof(*p->includes));
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *item = v->items[i];
		if (!is_string(item) || !*item->text)
			return want(p, item, "include", i + 1, NULL, "a recipe file name");
		struct recipe_include *inc = &p->includes[p->n_includes++];
		inc->path = xstrdup(item->text);
		inc->mark = item->mark;
	}
	return 0;
}

static int check_version(struct recipe_parser *p, const struct ynode *root)
{
	const struct ynode *v = recipe_yaml_get(root, "mvbuild");
	if (!v)
		return fail(p, root, "missing 'mvbuild: 1' (the recipe format version)");
	if (v->kind == YNODE_SCALAR && v->type == YSCALAR_INT && strcmp(v->text, "1") == 0)
		return 0;
	if (v->kind == YNODE_SCALAR && v->type == YSCALAR_STR && strcmp(v->text, "1") == 0)
		return fail(p, v, "'mvbuild' must be the integer 1, not the string '1' (write it "
			    "without quotes)");
	if (v->kind == YNODE_SCALAR && strlen(v->text) <= 40)
		return fail(p, v, "unsupported recipe format version '%s' (supported versions: 1)",
			    v->text);
	return want(p, v, "mvbuild", 0, NULL, "the recipe format version 1");
}

static const char *const top_keys[] = { "mvbuild", "name", "include", "sources", "kernels",
					"images", "profiles" };

int recipe_parse_file(struct recipe_parser *p, const struct ynode *root)
{
	if (!root) {
		struct mark start = { p->file, 1, 1 };
		return recipe_yaml_fail(p->err, &start, "empty recipe (a recipe starts with 'mvbuild: 1')");
	}
	/* the type only: a file that is not a recipe (a token, a key) is never quoted */
	if (root->kind != YNODE_MAP)
		return fail(p, root, "a recipe must be a map of keys starting with 'mvbuild: 1', not %s",
			    recipe_yaml_describe(root));
	if (check_version(p, root) < 0 || check_keys(p, root, top_keys, ARRAY_SIZE(top_keys), NULL) < 0)
		return -1;
	for (size_t i = 0; i < root->n; i++) {
		const char *key = root->pairs[i].key->text;
		const struct ynode *v = root->pairs[i].value;
		int ret = 0;
		if (!strcmp(key, "name")) {
			char *name = NULL;
			ret = get_nonempty(p, v, key, 0, NULL, &name);
			/* the top file's name wins over an included file's */
			if (ret == 0 && !p->r->name)
				p->r->name = name;
			else
				free(name);
		} else if (!strcmp(key, "include"))
			ret = parse_includes(p, v);
		else if (!strcmp(key, "sources"))
			ret = parse_sources(p, v);
		else if (!strcmp(key, "kernels"))
			ret = parse_kernels(p, v);
		else if (!strcmp(key, "images"))
			ret = parse_images(p, v);
		else if (!strcmp(key, "profiles"))
			ret = parse_profiles(p, v);
		if (ret < 0)
			return -1;
	}
	return 0;
}

void recipe_parser_release(struct recipe_parser *p)
{
	for (size_t i = 0; i < p->n_includes; i++)
		free(p->includes[i].path);
	free(p->includes);
	free(p->base_dir);
	p->includes = NULL;
	p->n_includes = 0;
	p->base_dir = NULL;
}
