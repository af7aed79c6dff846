/*
 * recipe_parse_source: one entry of `sources:` (a tarball or tree to
 * download by URL with its checksum, or a local path), every key checked.
 * Sources need not exist yet: they may be downloaded or generated later.
 */
#include "recipe/recipe_parse_source.h"

#include <stdlib.h>

#include "recipe/recipe_parse.h"
#include "recipe/recipe_validate.h"

/*
 * Every key of a source, read together: exactly one location (the first
 * three, in this order) and at most one checksum (named as hash_algo_name()).
 */
static const struct recipe_key source_keys[] = {
	RECIPE_KEY_TOGETHER("url"), RECIPE_KEY_TOGETHER("urls"), RECIPE_KEY_TOGETHER("path"),
	RECIPE_KEY_TOGETHER("sha256"), RECIPE_KEY_TOGETHER("sha512"),
};
enum { LOC_URL, LOC_URLS, LOC_PATH, N_LOCATIONS };

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
	if (!recipe_parse_is_string(v) || !looks_like_url(v->text))
		return recipe_parse_want(p, v, key, item, ctx, "a URL (scheme://...)");
	if (recipe_parse_check(p, v, key, item, ctx, recipe_validate_url(v->text)) < 0)
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
	bool text = recipe_parse_is_string(v) || (v->kind == YNODE_SCALAR && v->type == YSCALAR_INT);
	if (!text || !hash_hex_is_valid(v->text, len)) {
		char *desc = xasprintf("%zu lowercase hex digits", len);
		if (text && strlen(v->text) != len) {
			char *subj = recipe_parse_subject(key, 0, ctx);
			recipe_parse_fail(p, v, "%s must be %s (got %zu characters)", subj, desc, strlen(v->text));
			free(subj);
		} else {
			recipe_parse_want(p, v, key, 0, ctx, desc);
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
	const struct ynode *kinds[N_LOCATIONS];
	int first = -1;
	for (int i = 0; i < N_LOCATIONS; i++) {
		kinds[i] = recipe_yaml_get(map, source_keys[i].name);
		if (!kinds[i])
			continue;
		if (first >= 0)
			return recipe_parse_fail(p, kinds[i], "%s has both '%s' and '%s' (want exactly "
						 "one)", ctx, source_keys[first].name,
						 source_keys[i].name);
		first = i;
	}
	if (first < 0)
		return recipe_parse_fail(p, map, "%s needs one of 'url', 'urls' or 'path'", ctx);
	if (first == LOC_PATH) {
		s->kind = SOURCE_PATH;
		return recipe_parse_nonempty(p, kinds[LOC_PATH], "path", 0, ctx, &s->path);
	}
	s->kind = SOURCE_URL;
	if (first == LOC_URL)
		return add_url(p, s, kinds[LOC_URL], "url", 0, ctx);
	const struct ynode *urls = kinds[LOC_URLS];
	if (recipe_parse_want_list(p, urls, "urls", ctx) < 0)
		return -1;
	if (urls->n == 0)
		return recipe_parse_fail(p, urls, "'urls' in %s must list at least one URL", ctx);
	for (size_t i = 0; i < urls->n; i++)
		if (add_url(p, s, urls->items[i], "urls", i + 1, ctx) < 0)
			return -1;
	return 0;
}

static int parse_source(struct recipe_parser *p, struct source *s, const struct ynode *map,
			const char *ctx)
{
	s->base_dir = xstrdup(p->base_dir);
	if (recipe_parse_keys(p, s, map, source_keys, ARRAY_SIZE(source_keys), ctx) < 0 ||
	    parse_source_location(p, s, map, ctx) < 0)
		return -1;
	const struct ynode *v256 = recipe_yaml_get(map, hash_algo_name(HASH_SHA256)),
			   *v512 = recipe_yaml_get(map, hash_algo_name(HASH_SHA512));
	if (v256 && v512)
		return recipe_parse_fail(p, v512, "%s has both 'sha256' and 'sha512' (want one)", ctx);
	if (v256 && parse_checksum(p, s, v256, HASH_SHA256, ctx) < 0)
		return -1;
	if (v512 && parse_checksum(p, s, v512, HASH_SHA512, ctx) < 0)
		return -1;
	if (s->kind == SOURCE_URL && !s->has_checksum)
		return recipe_parse_fail(p, map, "%s downloads a URL, so it needs a 'sha256' or "
					 "'sha512' checksum ('mvbuild fetch --print-checksums' "
					 "prints it)", ctx);
	return 0;
}

int recipe_parse_source_section(struct recipe_parser *p, const struct ynode *v)
{
	RECIPE_PARSE_SECTION(p, v, "sources", "source", p->r->sources, p->r->n_sources, parse_source);
	return 0;
}
