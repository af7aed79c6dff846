/*
 * recipe_parse_kernel: one entry of `kernels:` (a source, a base config,
 * fragments and inline CONFIG_ values, targets), every key checked.
 * Fragments and a base config file are checked in next to the recipe, so
 * they must exist beneath the recipe tree.
 */
#include "recipe/recipe_parse_kernel.h"

#include <stdlib.h>

#include "recipe/recipe_parse.h"
#include "recipe/recipe_validate.h"

static const char *const kernel_bases[] = { "allnoconfig", "tinyconfig", "defconfig",
					    "alldefconfig" };
static const char *const kernel_targets[] = { "bzImage", "vmlinux" };

static int parse_kernel_base(struct recipe_parser *p, void *entity, const struct ynode *v,
			     const char *key, const char *ctx)
{
	struct kernel *k = entity;
	static const struct recipe_key file_keys[] = { RECIPE_KEY_TOGETHER("file") };
	if (v->kind != YNODE_MAP) {
		int base;
		if (v->kind != YNODE_SCALAR)
			return recipe_parse_want(p, v, "base", 0, ctx,
						 "allnoconfig, tinyconfig, defconfig, alldefconfig or {file: PATH}");
		if (recipe_parse_enum(p, v, "base", 0, ctx, kernel_bases, ARRAY_SIZE(kernel_bases), &base) < 0)
			return -1;
		k->base = (enum kernel_base_kind)base;
		return 0;
	}
	char *bctx = xasprintf("'base' of %s", ctx);
	const struct ynode *f = recipe_yaml_get(v, file_keys[0].name);
	int ret = recipe_parse_keys(p, k, v, file_keys, ARRAY_SIZE(file_keys), bctx);
	if (ret == 0 && !f)
		ret = recipe_parse_fail(p, v, "'base' of %s needs 'file' (a full kernel config)", ctx);
	if (ret == 0 && (!recipe_parse_is_string(f) || !*f->text))
		ret = recipe_parse_want(p, f, "file", 0, bctx, "a non-empty string");
	if (ret == 0)
		ret = recipe_parse_exists(p, f, "base config file", ctx, false);
	if (ret == 0) {
		k->base = KBASE_FILE;
		recipe_parse_path_set(p, &k->base_file, f);
	}
	free(bctx);
	return ret;
}

static int parse_fragments(struct recipe_parser *p, void *entity, const struct ynode *v,
			   const char *key, const char *ctx)
{
	struct kernel *k = entity;
	if (recipe_parse_want_list(p, v, "fragments", ctx) < 0)
		return -1;
	k->fragments = xcalloc(v->n, sizeof(*k->fragments));
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *item = v->items[i];
		if (!recipe_parse_is_string(item) || !*item->text)
			return recipe_parse_want(p, item, "fragments", i + 1, ctx, "a file name");
		if (recipe_parse_exists(p, item, "fragment", ctx, false) < 0)
			return -1;
		recipe_parse_path_set(p, &k->fragments[k->n_fragments++], item);
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
	if (recipe_parse_is_string(v) && v->quoted) {
		if (strchr(v->text, '\n'))
			return recipe_parse_fail(p, v, "'%s' in %s must not contain a newline", key, ctx);
		kv->value = kconfig_quote(v->text);
		return 0;
	}
	return recipe_parse_want(p, v, key, 0, ctx, "y, m, n, a number or a quoted string");
}

static int parse_config(struct recipe_parser *p, void *entity, const struct ynode *v,
			const char *key, const char *ctx)
{
	struct kernel *k = entity;
	if (recipe_parse_want_map(p, v, "config", 0, ctx) < 0)
		return -1;
	char *cctx = xasprintf("'config' of %s", ctx);
	int ret = 0;
	k->config = xcalloc(v->n, sizeof(*k->config));
	for (size_t i = 0; i < v->n && ret == 0; i++) {
		const struct ynode *sym = v->pairs[i].key;
		if (!is_config_symbol(sym->text)) {
			ret = recipe_parse_fail(p, sym, "'%s' in %s is not a kernel config symbol "
						"(want CONFIG_NAME)", sym->text, cctx);
			break;
		}
		struct kconfig_value *kv = &k->config[k->n_config++];
		kv->symbol = xstrdup(sym->text);
		kv->mark = sym->mark;
		ret = parse_config_value(p, kv, v->pairs[i].value, sym->text, cctx);
	}
	free(cctx);
	return ret;
}

static int parse_targets(struct recipe_parser *p, void *entity, const struct ynode *v,
			 const char *key, const char *ctx)
{
	struct kernel *k = entity;
	if (recipe_parse_want_list(p, v, "targets", ctx) < 0)
		return -1;
	if (v->n == 0)
		return recipe_parse_fail(p, v, "'targets' in %s must list bzImage, vmlinux or both", ctx);
	k->target_bzimage = k->target_vmlinux = false;
	for (size_t i = 0; i < v->n; i++) {
		int t;
		if (recipe_parse_enum(p, v->items[i], "targets", i + 1, ctx, kernel_targets,
				      ARRAY_SIZE(kernel_targets), &t) < 0)
			return -1;
		bool *flag = t == 0 ? &k->target_bzimage : &k->target_vmlinux;
		if (*flag)
			return recipe_parse_fail(p, v->items[i], "'targets' in %s lists '%s' twice", ctx,
						 kernel_targets[t]);
		*flag = true;
	}
	return 0;
}

static int parse_arch(struct recipe_parser *p, void *entity, const struct ynode *v,
		      const char *key, const char *ctx)
{
	struct kernel *k = entity;
	if (!recipe_parse_is_string(v))
		return recipe_parse_want(p, v, "arch", 0, ctx, "x86_64");
	if (recipe_parse_check(p, v, "arch", 0, ctx, recipe_validate_arch(v->text)) < 0)
		return -1;
	free(k->arch);
	k->arch = xstrdup(v->text);
	return 0;
}

/* every key of a kernel, each with its reader */
static const struct recipe_key kernel_keys[] = {
	RECIPE_KEY_REF("source", struct kernel, source, source_mark),
	RECIPE_KEY_FN("base", parse_kernel_base),
	RECIPE_KEY_FN("fragments", parse_fragments),
	RECIPE_KEY_FN("config", parse_config),
	RECIPE_KEY_FN("targets", parse_targets),
	RECIPE_KEY_FN("arch", parse_arch),
	RECIPE_KEY_BOOL("strict", struct kernel, strict),
};

static int parse_kernel(struct recipe_parser *p, struct kernel *k, const struct ynode *map,
			const char *ctx)
{
	k->target_bzimage = k->target_vmlinux = true;
	k->strict = true;
	k->arch = xstrdup("x86_64");
	k->base = KBASE_ALLNOCONFIG;
	if (recipe_parse_keys(p, k, map, kernel_keys, ARRAY_SIZE(kernel_keys), ctx) < 0)
		return -1;
	if (!k->source)
		return recipe_parse_fail(p, map, "%s needs a 'source' (the name of a kernel source "
					 "tarball)", ctx);
	return 0;
}

int recipe_parse_kernel_section(struct recipe_parser *p, const struct ynode *v)
{
	RECIPE_PARSE_SECTION(p, v, "kernels", "kernel", p->r->kernels, p->r->n_kernels, parse_kernel);
	return 0;
}
