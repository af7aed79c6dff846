/*
 * recipe_parse_source: one entry of `sources:` (a tarball or tree to
 * download by URL with its checksum, a local path, or a container image: a
 * registry's by digest, an OCI image layout, a `docker save` archive),
 * every key checked.  Sources need not exist yet: they may be downloaded or
 * generated later.
 */
#include "recipe/recipe_parse_source.h"

#include <stdlib.h>
#include <string.h>

#include "base/oci_ref.h"

#include "recipe/recipe_parse.h"
#include "recipe/recipe_validate.h"

/*
 * Every key of a source, read together: exactly one location (the first
 * six, in this order), at most one checksum (named as hash_algo_name()),
 * and the keys of container images.
 */
static const struct recipe_key source_keys[] = {
	RECIPE_KEY_TOGETHER("url"), RECIPE_KEY_TOGETHER("urls"), RECIPE_KEY_TOGETHER("path"),
	RECIPE_KEY_TOGETHER("oci"), RECIPE_KEY_TOGETHER("oci-layout"),
	RECIPE_KEY_TOGETHER("docker-archive"),
	RECIPE_KEY_TOGETHER("sha256"), RECIPE_KEY_TOGETHER("sha512"),
	RECIPE_KEY_TOGETHER("ref"), RECIPE_KEY_TOGETHER("platform"),
};
enum { LOC_URL, LOC_URLS, LOC_PATH, LOC_OCI, LOC_OCI_LAYOUT, LOC_DOCKER_ARCHIVE, N_LOCATIONS };

#define OCI_REFERENCE "a reference HOST[:PORT]/REPO@sha256:HEX"
static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * oci: HOST[:PORT]/REPO[:TAG]@sha256:HEX.  The first component is always
 * the registry (there is no default one); a tag is kept for humans, and a
 * tag without a digest is refused: tags move, recipes pin.
 */
static int parse_oci_reference(struct recipe_parser *p, struct source *s, const struct ynode *v,
			       const char *ctx)
{
	if (!recipe_parse_is_string(v))
		return recipe_parse_want(p, v, "oci", 0, ctx, OCI_REFERENCE);
	struct oci_ref ref;
	const char *why = NULL;
	if (oci_ref_parse(v->text, &ref, &why) < 0)
		return recipe_parse_want(p, v, "oci", 0, ctx, strcmp(why, "the digest") == 0
					 ? OCI_REFERENCE " (a digest is sha256: and 64 lowercase hex digits)"
					 : OCI_REFERENCE);
	if (!ref.digest) {
		char *subj = recipe_parse_subject("oci", 0, ctx);
		char *tag = ref.tag ? xasprintf("the tag '%s' but no digest", ref.tag)
				    : xstrdup("no digest");
		recipe_parse_fail(p, v, "%s names %s: a recipe pins an image by its digest, as "
				  "%s/%s@sha256:HEX ('mvbuild fetch --print-checksums oci:%s' "
				  "prints it)", subj, tag, ref.host, ref.repo, v->text);
		free(tag);
		free(subj);
		oci_ref_release(&ref);
		return -1;
	}
	s->oci_registry = ref.host;
	s->oci_repo = ref.repo;
	s->oci_tag = ref.tag;
	s->oci_digest = ref.digest;
	return 0;
}

/* ref: TAG (an org.opencontainers.image.ref.name of index.json) or sha256:HEX */
static int parse_layout_ref(struct recipe_parser *p, struct source *s, const struct ynode *v,
			    const char *ctx)
{
	static const char desc[] = "a tag of the layout's index.json or sha256: and 64 "
				   "lowercase hex digits";
	if (!recipe_parse_is_string(v) || !*v->text || strlen(v->text) > 255)
		return recipe_parse_want(p, v, "ref", 0, ctx, desc);
	if (strncmp(v->text, OCI_REF_SHA256, strlen(OCI_REF_SHA256)) == 0) {
		if (!oci_ref_digest_valid(v->text, strlen(v->text)))
			return recipe_parse_want(p, v, "ref", 0, ctx, desc);
		s->oci_digest = xstrdup(v->text);
		return 0;
	}
	/* the annotation's grammar: components of letters and digits joined by -._:@/+ */
	for (const char *c = v->text; *c; c++)
		if (!is_lower_alnum(*c) && !(*c >= 'A' && *c <= 'Z') && !strchr("-._:@/+", *c))
			return recipe_parse_want(p, v, "ref", 0, ctx, desc);
	s->oci_tag = xstrdup(v->text);
	return 0;
}

/* one word of a platform: lowercase letters, digits, '_', '-', '.' (1-32) */
static bool is_platform_word(const char *s, size_t len)
{
	if (len == 0 || len > 32)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* platform: OS/ARCH[/VARIANT] */
static int parse_platform(struct recipe_parser *p, struct source *s, const struct ynode *v,
			  const char *ctx)
{
	static const char desc[] = "OS/ARCH or OS/ARCH/VARIANT (linux/amd64, linux/arm64/v8)";
	const char *t = v->text, *a = recipe_parse_is_string(v) ? strchr(t, '/') : NULL;
	const char *b = a ? strchr(a + 1, '/') : NULL;
	const char *end = t ? t + strlen(t) : NULL;
	if (!a || !is_platform_word(t, (size_t)(a - t)) ||
	    !is_platform_word(a + 1, (size_t)((b ? b : end) - a - 1)) ||
	    (b && !is_platform_word(b + 1, (size_t)(end - b - 1))))
		return recipe_parse_want(p, v, "platform", 0, ctx, desc);
	free(s->platform.os);
	free(s->platform.arch);
	s->platform.os = xstrndup(t, (size_t)(a - t));
	s->platform.arch = xstrndup(a + 1, (size_t)((b ? b : end) - a - 1));
	s->platform.variant = b ? xstrdup(b + 1) : NULL;
	return 0;
}

/* the keys only some kinds take: ref: (oci-layout), platform: and checksums */
static int parse_image_keys(struct recipe_parser *p, struct source *s, const struct ynode *map,
			    const char *ctx)
{
	const struct ynode *ref = recipe_yaml_get(map, "ref"),
			   *platform = recipe_yaml_get(map, "platform"),
			   *sum = recipe_yaml_get(map, hash_algo_name(HASH_SHA256));
	const char *sum_key = hash_algo_name(sum ? HASH_SHA256 : HASH_SHA512);
	if (!sum)
		sum = recipe_yaml_get(map, sum_key);
	if (ref && s->kind != SOURCE_OCI_LAYOUT)
		return recipe_parse_fail(p, ref, "'ref' in %s is only for an 'oci-layout' source "
					 "(an 'oci' reference carries its own digest)", ctx);
	if (platform && !recipe_source_is_image(s))
		return recipe_parse_fail(p, platform, "'platform' in %s is only for container "
					 "images ('oci', 'oci-layout', 'docker-archive')", ctx);
	if (sum && (s->kind == SOURCE_OCI_REGISTRY || s->kind == SOURCE_OCI_LAYOUT))
		return recipe_parse_fail(p, sum, "%s is pinned by its manifest digest (%s), so it "
					 "takes no '%s'", ctx, s->kind == SOURCE_OCI_REGISTRY ?
					 "'oci: HOST/REPO@sha256:HEX'" : "'ref'", sum_key);
	if (!recipe_source_is_image(s))
		return 0;
	s->platform.os = xstrdup("linux");
	s->platform.arch = xstrdup("amd64");
	if (platform && parse_platform(p, s, platform, ctx) < 0)
		return -1;
	if (s->kind != SOURCE_OCI_LAYOUT)
		return 0;
	if (!ref)
		return recipe_parse_fail(p, map, "%s is an 'oci-layout', so it needs 'ref' (a tag "
					 "of its index.json, or sha256:HEX)", ctx);
	return parse_layout_ref(p, s, ref, ctx);
}

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
		return recipe_parse_fail(p, map, "%s needs one of 'url', 'urls', 'path', 'oci', "
					 "'oci-layout' or 'docker-archive'", ctx);
	if (first == LOC_PATH || first == LOC_OCI_LAYOUT || first == LOC_DOCKER_ARCHIVE) {
		s->kind = first == LOC_PATH ? SOURCE_PATH : first == LOC_OCI_LAYOUT ?
			  SOURCE_OCI_LAYOUT : SOURCE_DOCKER_ARCHIVE;
		return recipe_parse_nonempty(p, kinds[first], source_keys[first].name, 0, ctx,
					     &s->path);
	}
	if (first == LOC_OCI) {
		s->kind = SOURCE_OCI_REGISTRY;
		return parse_oci_reference(p, s, kinds[LOC_OCI], ctx);
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
	    parse_source_location(p, s, map, ctx) < 0 || parse_image_keys(p, s, map, ctx) < 0)
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
