/*
 * oci_manifest: container image documents (oci_manifest.h).  Everything is
 * read through base/json's strict reader (RFC 8259, depth-limited); this
 * file adds the shapes: which members must be there, of which type, and
 * what values they may hold.  A member of the wrong type is an error, never
 * skipped, so a document cannot mean one thing here and another elsewhere.
 */
#include "fetch/oci_manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/oci_ref.h"
#include "base/util.h"
#include "recipe/recipe.h"

#define REF_NAME "org.opencontainers.image.ref.name"

static const char *const index_types[] = {
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
};
static const char *const manifest_types[] = {
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
};
static const char *const config_types[] = {
	"application/vnd.oci.image.config.v1+json",
	"application/vnd.docker.container.image.v1+json",
};
static const struct {
	const char *type;
	enum oci_layer_format format;
} layer_types[] = {
	{ "application/vnd.oci.image.layer.v1.tar", OCI_LAYER_TAR },
	{ "application/vnd.oci.image.layer.v1.tar+gzip", OCI_LAYER_GZIP },
	{ "application/vnd.oci.image.layer.v1.tar+zstd", OCI_LAYER_ZSTD },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar", OCI_LAYER_TAR },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", OCI_LAYER_GZIP },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", OCI_LAYER_ZSTD },
	{ "application/vnd.docker.image.rootfs.diff.tar", OCI_LAYER_TAR },
	{ "application/vnd.docker.image.rootfs.diff.tar.gzip", OCI_LAYER_GZIP },
	{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", OCI_LAYER_GZIP },
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

bool oci_manifest_digest_valid(const char *s)
{
	return s && oci_ref_digest_valid(s, strlen(s));
}

bool oci_manifest_is_index_type(const char *media_type)
{
	return in_list(media_type, index_types, ARRAY_SIZE(index_types));
}

int oci_manifest_layer_format(const char *media_type, enum oci_layer_format *out,
			      struct error *err)
{
	for (size_t i = 0; media_type && i < ARRAY_SIZE(layer_types); i++)
		if (strcmp(media_type, layer_types[i].type) == 0) {
			*out = layer_types[i].format;
			return 0;
		}
	return error_set(err, "layer media type '%s' is not a tar, tar+gzip or tar+zstd layer",
			 media_type ? media_type : "(none)");
}

/* parse text as a JSON object no larger than max; 0, or -1 with err */
static int parse_object(struct json *j, const char *text, size_t len, size_t max, const char *what,
			struct error *err)
{
	if (len > max)
		return error_set(err, "%s is larger than %zu bytes", what, max);
	if (json_parse(j, text, len, err) < 0)
		return error_prefix(err, "%s is not JSON", what);
	if (j->type != JSON_OBJECT) {
		json_release(j);
		return error_set(err, "%s is not a JSON object", what);
	}
	return 0;
}

char *oci_manifest_media_type(const char *text, size_t len)
{
	struct json j;
	struct error err = ERROR_INIT;
	char *type = NULL;
	if (parse_object(&j, text, len, OCI_MANIFEST_MAX, "document", &err) == 0) {
		const char *t = json_get_string(&j, "mediaType");
		type = t ? xstrdup(t) : NULL;
		json_release(&j);
	}
	error_release(&err);
	return type;
}

bool oci_manifest_is_index(const char *text, size_t len, const char *descriptor_type)
{
	struct json j;
	struct error err = ERROR_INIT;
	bool index = false;
	if (parse_object(&j, text, len, OCI_MANIFEST_MAX, "document", &err) == 0) {
		const char *t = json_get_string(&j, "mediaType");
		index = t ? oci_manifest_is_index_type(t)
			  : descriptor_type ? oci_manifest_is_index_type(descriptor_type)
			  : json_get(&j, "manifests") != NULL;
		json_release(&j);
	}
	error_release(&err);
	return index;
}

/* an optional string member: absent is fine, another type is not */
static int opt_string(const struct json *obj, const char *key, char **out, const char *what,
		      struct error *err)
{
	const struct json *v = json_get(obj, key);
	if (!v)
		return 0;
	if (v->type != JSON_STRING)
		return error_set(err, "%s: '%s' is not a string", what, key);
	*out = xstrdup(v->string);
	return 0;
}

/* an optional list of strings (null counts as absent, as Docker writes it) */
static int opt_strings(const struct json *obj, const char *key, char ***out, size_t *n,
		       const char *what, struct error *err)
{
	const struct json *v = json_get(obj, key);
	if (!v || v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_ARRAY || v->n > OCI_MAX_ENTRIES)
		return error_set(err, "%s: '%s' is not a list of at most %d strings", what, key,
				 OCI_MAX_ENTRIES);
	*out = xcalloc(v->n ? v->n : 1, sizeof(**out));
	for (size_t i = 0; i < v->n; i++) {
		if (v->items[i].type != JSON_STRING)
			return error_set(err, "%s: item %zu of '%s' is not a string", what, i + 1, key);
		(*out)[(*n)++] = xstrdup(v->items[i].string);
	}
	return 0;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void descriptor_release(struct oci_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	free(d->os);
	free(d->arch);
	free(d->variant);
	free(d->ref_name);
	memset(d, 0, sizeof(*d));
}

/* a descriptor object: digest and size checked, media type required unless optional */
static int parse_descriptor(const struct json *v, struct oci_descriptor *d, bool type_optional,
			    const char *what, struct error *err)
{
	if (v->type != JSON_OBJECT)
		return error_set(err, "%s is not an object", what);
	const struct json *size = json_get(v, "size");
	const char *digest = json_get_string(v, "digest");
	if (opt_string(v, "mediaType", &d->media_type, what, err) < 0)
		return -1;
	if (!d->media_type && !type_optional)
		return error_set(err, "%s has no media type", what);
	if (!oci_manifest_digest_valid(digest))
		return error_set(err, "%s: digest '%s' is not sha256: and 64 lowercase hex digits",
				 what, digest ? digest : "(none)");
	d->digest = xstrdup(digest);
	/* 2^53: beyond it a JSON number (a double here) no longer names one integer */
	if (!size || size->type != JSON_NUMBER || size->number < 0 ||
	    size->number > 9007199254740992.0 ||
	    (double)(uint64_t)size->number != size->number)
		return error_set(err, "%s of '%s': size is not a number of bytes", what, digest);
	d->size = (uint64_t)size->number;
	const struct json *pf = json_get(v, "platform");
	if (pf && (pf->type != JSON_OBJECT || opt_string(pf, "os", &d->os, what, err) < 0 ||
		   opt_string(pf, "architecture", &d->arch, what, err) < 0 ||
		   opt_string(pf, "variant", &d->variant, what, err) < 0))
		return pf->type != JSON_OBJECT ? error_set(err, "%s: platform is not an object", what)
					      : -1;
	const struct json *ann = json_get(v, "annotations");
	if (ann && (ann->type != JSON_OBJECT || opt_string(ann, REF_NAME, &d->ref_name, what, err) < 0))
		return ann->type != JSON_OBJECT ? error_set(err, "%s: annotations is not an object",
							    what) : -1;
	return 0;
}

/* schemaVersion 2, the one both OCI and Docker schema 2 documents carry */
static int check_schema_version(const struct json *j, const char *what, struct error *err)
{
	const struct json *v = json_get(j, "schemaVersion");
	if (!v || v->type != JSON_NUMBER || v->number != 2)
		return error_set(err, "%s: schemaVersion is not 2", what);
	return 0;
}

int oci_manifest_parse_index(struct oci_index *out, const char *text, size_t len,
			     struct error *err)
{
	struct json j;
	memset(out, 0, sizeof(*out));
	if (parse_object(&j, text, len, OCI_MANIFEST_MAX, "image index", err) < 0)
		return -1;
	const struct json *list = json_get(&j, "manifests");
	const char *type = json_get_string(&j, "mediaType");
	int ret = -1;
	if (check_schema_version(&j, "image index", err) < 0)
		goto out;
	if (type && !oci_manifest_is_index_type(type)) {
		error_set(err, "image index has the media type '%s'", type);
		goto out;
	}
	if (!list || list->type != JSON_ARRAY || list->n > OCI_MAX_ENTRIES) {
		error_set(err, "image index: 'manifests' is not a list of at most %d entries",
			  OCI_MAX_ENTRIES);
		goto out;
	}
	out->manifests = xcalloc(list->n ? list->n : 1, sizeof(*out->manifests));
	for (; out->n < list->n; out->n++) {
		char what[64];
		snprintf(what, sizeof(what), "entry %zu of the image index", out->n + 1);
		if (parse_descriptor(&list->items[out->n], &out->manifests[out->n], true, what,
				     err) < 0) {
			out->n++;
			goto out;
		}
	}
	ret = 0;
out:
	json_release(&j);
	if (ret < 0)
		oci_manifest_index_release(out);
	return ret;
}

int oci_manifest_parse(struct oci_manifest *out, const char *text, size_t len, struct error *err)
{
	struct json j;
	memset(out, 0, sizeof(*out));
	if (parse_object(&j, text, len, OCI_MANIFEST_MAX, "image manifest", err) < 0)
		return -1;
	const struct json *layers = json_get(&j, "layers"), *config = json_get(&j, "config");
	const char *type = json_get_string(&j, "mediaType");
	int ret = -1;
	if (check_schema_version(&j, "image manifest", err) < 0)
		goto out;
	if (type && !in_list(type, manifest_types, ARRAY_SIZE(manifest_types))) {
		error_set(err, "manifest media type '%s' is not an OCI or Docker schema 2 image "
			  "manifest", type);
		goto out;
	}
	if (!config || parse_descriptor(config, &out->config, false, "image config", err) < 0) {
		if (!config)
			error_set(err, "image manifest has no config");
		goto out;
	}
	if (!in_list(out->config.media_type, config_types, ARRAY_SIZE(config_types))) {
		error_set(err, "config media type '%s' is not a container image's",
			  out->config.media_type);
		goto out;
	}
	if (!layers || layers->type != JSON_ARRAY || layers->n > OCI_MAX_ENTRIES) {
		error_set(err, "image manifest: 'layers' is not a list of at most %d entries",
			  OCI_MAX_ENTRIES);
		goto out;
	}
	out->layers = xcalloc(layers->n ? layers->n : 1, sizeof(*out->layers));
	out->formats = xcalloc(layers->n ? layers->n : 1, sizeof(*out->formats));
	for (; out->n_layers < layers->n; out->n_layers++) {
		char what[64];
		size_t i = out->n_layers;
		snprintf(what, sizeof(what), "layer %zu", i + 1);
		if (parse_descriptor(&layers->items[i], &out->layers[i], false, what, err) < 0 ||
		    oci_manifest_layer_format(out->layers[i].media_type, &out->formats[i], err) < 0) {
			out->n_layers++;
			error_prefix(err, "layer %zu", i + 1);
			goto out;
		}
	}
	ret = 0;
out:
	json_release(&j);
	if (ret < 0)
		oci_manifest_release(out);
	return ret;
}

int oci_manifest_parse_config(struct oci_config *out, const char *text, size_t len,
			      struct error *err)
{
	struct json j;
	memset(out, 0, sizeof(*out));
	if (parse_object(&j, text, len, OCI_CONFIG_MAX, "image config", err) < 0)
		return -1;
	const struct json *c = json_get(&j, "config");
	const char *what = "image config";
	int ret = -1;
	if (opt_string(&j, "os", &out->os, what, err) < 0 ||
	    opt_string(&j, "architecture", &out->arch, what, err) < 0 ||
	    opt_string(&j, "variant", &out->variant, what, err) < 0)
		goto out;
	if (c && c->type != JSON_NULL) {
		if (c->type != JSON_OBJECT) {
			error_set(err, "image config: 'config' is not an object");
			goto out;
		}
		if (opt_strings(c, "Env", &out->env, &out->n_env, what, err) < 0 ||
		    opt_strings(c, "Entrypoint", &out->entrypoint, &out->n_entrypoint, what, err) < 0 ||
		    opt_strings(c, "Cmd", &out->cmd, &out->n_cmd, what, err) < 0 ||
		    opt_string(c, "WorkingDir", &out->working_dir, what, err) < 0 ||
		    opt_string(c, "User", &out->user, what, err) < 0)
			goto out;
	}
	ret = 0;
out:
	json_release(&j);
	if (ret < 0)
		oci_manifest_config_release(out);
	return ret;
}

int oci_manifest_parse_docker(struct oci_docker_image *out, const char *text, size_t len,
			      struct error *err)
{
	struct json j;
	memset(out, 0, sizeof(*out));
	if (len > OCI_MANIFEST_MAX)
		return error_set(err, "manifest.json is larger than %u bytes", OCI_MANIFEST_MAX);
	if (json_parse(&j, text, len, err) < 0)
		return error_prefix(err, "manifest.json is not JSON");
	const char *what = "manifest.json";
	int ret = -1;
	if (j.type != JSON_ARRAY || j.n != 1) {
		error_set(err, "manifest.json must list exactly one image (it lists %zu)",
			  j.type == JSON_ARRAY ? j.n : 0);
		goto out;
	}
	const struct json *img = &j.items[0];
	if (img->type != JSON_OBJECT || opt_string(img, "Config", &out->config, what, err) < 0 ||
	    opt_strings(img, "Layers", &out->layers, &out->n_layers, what, err) < 0 ||
	    opt_strings(img, "RepoTags", &out->repo_tags, &out->n_repo_tags, what, err) < 0)
		goto out;
	if (!out->config || !out->layers) {
		error_set(err, "manifest.json names no Config or no Layers");
		goto out;
	}
	ret = 0;
out:
	if (ret < 0 && !err->msg)
		error_set(err, "manifest.json: the image is not an object");
	json_release(&j);
	if (ret < 0)
		oci_manifest_docker_release(out);
	return ret;
}

int oci_manifest_check_layout(const char *text, size_t len, struct error *err)
{
	struct json j;
	if (parse_object(&j, text, len, 4096, "oci-layout", err) < 0)
		return -1;
	const char *v = json_get_string(&j, "imageLayoutVersion");
	int ret = v && strcmp(v, "1.0.0") == 0 ? 0
		  : error_set(err, "oci-layout: imageLayoutVersion is '%s', not 1.0.0", v ? v : "(none)");
	json_release(&j);
	return ret;
}

const struct oci_descriptor *oci_manifest_select(const struct oci_index *idx,
						 const struct source_platform *p)
{
	for (size_t i = 0; i < idx->n; i++) {
		const struct oci_descriptor *d = &idx->manifests[i];
		if (d->os && d->arch && strcmp(d->os, p->os) == 0 && strcmp(d->arch, p->arch) == 0 &&
		    (!p->variant || !d->variant || strcmp(d->variant, p->variant) == 0))
			return d;
	}
	return NULL;
}

const struct oci_descriptor *oci_manifest_find_ref(const struct oci_index *idx, const char *ref)
{
	bool digest = strncmp(ref, "sha256:", 7) == 0;
	for (size_t i = 0; i < idx->n; i++) {
		const struct oci_descriptor *d = &idx->manifests[i];
		if (digest ? strcmp(d->digest, ref) == 0 : d->ref_name && strcmp(d->ref_name, ref) == 0)
			return d;
	}
	return NULL;
}

void oci_manifest_index_release(struct oci_index *idx)
{
	for (size_t i = 0; i < idx->n; i++)
		descriptor_release(&idx->manifests[i]);
	free(idx->manifests);
	memset(idx, 0, sizeof(*idx));
}

void oci_manifest_release(struct oci_manifest *m)
{
	descriptor_release(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_release(&m->layers[i]);
	free(m->layers);
	free(m->formats);
	memset(m, 0, sizeof(*m));
}

void oci_manifest_config_release(struct oci_config *c)
{
	free(c->os);
	free(c->arch);
	free(c->variant);
	free_strings(c->env, c->n_env);
	free_strings(c->entrypoint, c->n_entrypoint);
	free_strings(c->cmd, c->n_cmd);
	free(c->working_dir);
	free(c->user);
	memset(c, 0, sizeof(*c));
}

void oci_manifest_docker_release(struct oci_docker_image *d)
{
	free(d->config);
	free_strings(d->layers, d->n_layers);
	free_strings(d->repo_tags, d->n_repo_tags);
	memset(d, 0, sizeof(*d));
}
