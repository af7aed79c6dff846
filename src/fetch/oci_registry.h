/*
 * oci_registry: one repository of a container registry, spoken to over the
 * OCI distribution API (GET /v2/REPO/manifests/REF, /v2/REPO/blobs/DIGEST)
 * through fetch.h, so timeouts, retries, resumes, redirects (registries
 * send blobs to storage) and size caps are fetch_url's.
 *
 * This file owns the registry policy: https, or plain http only to a
 * loopback host (127.0.0.1, localhost, ::1) or one the machine config marks
 * insecure_http; credentials only from the machine config (registries:),
 * sent only when the registry asks (a Basic or Bearer challenge, see
 * oci_auth.h) and never printed; every body verified against the digest
 * that names it and refused past its size (a manifest past OCI_MANIFEST_MAX, a blob
 * past its declared size), so a hostile registry can make a pull fail but
 * never make it publish something else.
 */
#ifndef MVBUILD_OCI_REGISTRY_H
#define MVBUILD_OCI_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/hash.h"

struct buf;
struct config;
struct progress;

/* "sha256:" + 64 hex digits + NUL */
#define OCI_REGISTRY_DIGEST_MAX 72
/* the media types asked for, in the Accept header, in order of preference */
#define OCI_REGISTRY_ACCEPT \
	"Accept: application/vnd.oci.image.index.v1+json, " \
	"application/vnd.oci.image.manifest.v1+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json, " \
	"application/vnd.docker.distribution.manifest.v2+json"

struct oci_registry;

/*
 * A client for REPO on HOST[:PORT], with the credentials and the
 * insecure_http setting the config has for HOST (a password_file is read
 * now).  0 with *out set, or -1 with err (a bad name, an unreadable
 * password file).
 */
int oci_registry_open(struct oci_registry **out, const char *host, const char *repo,
		      const struct config *cfg, struct progress *progress, const char *node_id,
		      struct error *err);
/* forget the credentials and token and free r (NULL is fine) */
void oci_registry_free(struct oci_registry *r);
/* "HOST/REPO", for messages */
const char *oci_registry_name(const struct oci_registry *r);

/*
 * GET the manifest or index REF (a digest, or a tag) into body (appended),
 * at most OCI_MANIFEST_MAX bytes (oci_manifest.h).  digest gets "sha256:HEX" of the
 * body: for a digest REF it must be REF, else nothing is returned.
 * media_type gets the Content-Type (caller frees; "" when none).  0, or -1
 * with err naming the registry, repository, REF and the HTTP status.
 */
int oci_registry_manifest(struct oci_registry *r, const char *ref, struct buf *body,
			  char digest[OCI_REGISTRY_DIGEST_MAX], char **media_type, struct error *err);
/*
 * GET the blob DIGEST into fd (truncated first), streamed, at most size
 * bytes, its sha256 computed while it arrives.  0 when it has exactly size
 * bytes and that digest, content gets its content digest (hash.h) for the
 * cache; else -1 with err naming the blob, and fd holds nothing to trust.
 */
int oci_registry_blob(struct oci_registry *r, const char *digest, uint64_t size, int fd,
		      char content[SHA256_HEX], struct error *err);
/*
 * The digest of the manifest or index that REFERENCE, "HOST[:PORT]/REPO"
 * with ":TAG" (default "latest") or "@sha256:HEX", names now on its
 * registry: digest gets "sha256:HEX" (what a recipe pins).  0, or -1 with
 * err.
 */
int oci_registry_resolve(const char *reference, const struct config *cfg,
			 struct progress *progress, char digest[OCI_REGISTRY_DIGEST_MAX],
			 struct error *err);

struct build_ctx;
struct source;

/*
 * Pulling an `oci:` source (oci_registry_pull.c): write the image
 * src->oci_digest of src->oci_registry/src->oci_repo as an OCI image layout
 * in the existing empty directory layout_dir: the file oci-layout, an
 * index.json whose manifests[] holds a descriptor of src->oci_digest, and
 * blobs/sha256/HEX for that manifest or index, and, for the manifest that
 * src->platform selects, its config and its layers.  Returns 0, or -1 with
 * err.
 */
int oci_registry_pull(struct build_ctx *b, const struct source *src, const char *layout_dir,
		      struct error *err);

#endif
