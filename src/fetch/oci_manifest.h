/*
 * oci_manifest: the JSON documents of container images, parsed into
 * structs and checked, with no I/O: an image index (OCI index, Docker
 * manifest list), an image manifest (OCI v1, Docker schema 2), an image
 * config (its runtime fields), an OCI layout's index.json and oci-layout
 * files, and a `docker save` archive's manifest.json.  Inputs are hostile:
 * each document is at most OCI_MANIFEST_MAX bytes, nested at most
 * JSON_MAX_DEPTH deep, and every digest, size and media type is checked
 * before it is used as a file name or a length.  Shared by the local image
 * sources (oci_source) and the registry client.
 */
#ifndef MVBUILD_OCI_MANIFEST_H
#define MVBUILD_OCI_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct source_platform;

#define OCI_MANIFEST_MAX (4u << 20)  /* bytes of an index or manifest (registries use 4 MiB) */
#define OCI_CONFIG_MAX (16u << 20)   /* bytes of an image config */
#define OCI_MAX_ENTRIES 4096         /* manifests of an index, layers of a manifest, strings of a list */

/* what a layer's media type says of its bytes */
enum oci_layer_format { OCI_LAYER_TAR, OCI_LAYER_GZIP, OCI_LAYER_ZSTD };

/* a content descriptor: what a blob is, its digest and size */
struct oci_descriptor {
	char *media_type;        /* as written; NULL when absent (allowed only in index.json) */
	char *digest;            /* "sha256:" and 64 lowercase hex digits (checked) */
	uint64_t size;           /* bytes (checked: an integer from 0 to 2^53) */
	char *os;                /* an index entry's platform.os, or NULL */
	char *arch;              /* platform.architecture, or NULL */
	char *variant;           /* platform.variant, or NULL */
	char *ref_name;          /* annotation org.opencontainers.image.ref.name, or NULL */
};

/* an image index, Docker manifest list or OCI layout's index.json */
struct oci_index {
	struct oci_descriptor *manifests;
	size_t n;
};

/* an image manifest (OCI v1 or Docker schema 2), its layers bottom first */
struct oci_manifest {
	struct oci_descriptor config;
	struct oci_descriptor *layers;
	size_t n_layers;
	enum oci_layer_format *formats; /* per layer, from its (checked) media type */
};

/* the runtime fields of an image config, each NULL / 0 when absent */
struct oci_config {
	char *os;                /* "linux" */
	char *arch;              /* "amd64" */
	char *variant;           /* or NULL */
	char **env;              /* config.Env, "NAME=value" */
	size_t n_env;
	char **entrypoint;       /* config.Entrypoint */
	size_t n_entrypoint;
	char **cmd;              /* config.Cmd */
	size_t n_cmd;
	char *working_dir;       /* config.WorkingDir */
	char *user;              /* config.User */
};

/* one image of a `docker save` archive's manifest.json: paths inside the archive */
struct oci_docker_image {
	char *config;            /* "Config": the config's path */
	char **layers;           /* "Layers": layer paths, bottom first */
	size_t n_layers;
	char **repo_tags;        /* "RepoTags", for messages */
	size_t n_repo_tags;
};

/* whether s is "sha256:" and 64 lowercase hex digits */
bool oci_manifest_digest_valid(const char *s);
/* whether media_type is an index or manifest list (else a manifest is expected) */
bool oci_manifest_is_index_type(const char *media_type);
/* the format of a layer's media type; -1 with err naming an unknown one */
int oci_manifest_layer_format(const char *media_type, enum oci_layer_format *out,
			      struct error *err);
/* the mediaType member of a document (NULL when absent or not JSON); caller frees */
char *oci_manifest_media_type(const char *text, size_t len);
/*
 * Whether a document is an index rather than a manifest: by its mediaType,
 * else by the descriptor's (descriptor_type, may be NULL), else by having a
 * "manifests" member (both members are optional in OCI documents).
 */
bool oci_manifest_is_index(const char *text, size_t len, const char *descriptor_type);

/* parse an index (an OCI layout's index.json too); 0, or -1 with err */
int oci_manifest_parse_index(struct oci_index *out, const char *text, size_t len,
			     struct error *err);
/* parse an image manifest, checking every layer's media type; 0, or -1 with err */
int oci_manifest_parse(struct oci_manifest *out, const char *text, size_t len, struct error *err);
/* parse an image config; 0, or -1 with err */
int oci_manifest_parse_config(struct oci_config *out, const char *text, size_t len,
			      struct error *err);
/* parse a `docker save` manifest.json, which must list exactly one image; 0, or -1 */
int oci_manifest_parse_docker(struct oci_docker_image *out, const char *text, size_t len,
			      struct error *err);
/* an OCI layout's oci-layout file: imageLayoutVersion 1.0.0; 0, or -1 with err */
int oci_manifest_check_layout(const char *text, size_t len, struct error *err);

/* the entry of idx for platform p (variant compared when both say one), or NULL */
const struct oci_descriptor *oci_manifest_select(const struct oci_index *idx,
						 const struct source_platform *p);
/* the entry of idx whose ref.name annotation is ref, or whose digest is ref; NULL */
const struct oci_descriptor *oci_manifest_find_ref(const struct oci_index *idx, const char *ref);

void oci_manifest_index_release(struct oci_index *idx);
void oci_manifest_release(struct oci_manifest *m);
void oci_manifest_config_release(struct oci_config *c);
void oci_manifest_docker_release(struct oci_docker_image *d);

#endif
