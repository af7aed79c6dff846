/*
 * oci_registry: pulling a container image from a registry over the OCI
 * distribution API (`oci: HOST[:PORT]/REPO@sha256:HEX`).  Its one job is to
 * turn a pinned reference into a local OCI image layout; everything after
 * that (platform selection, verification of every blob's digest and size,
 * the source's outputs) is oci_source's, the same code as `oci-layout:`.
 */
#ifndef MVBUILD_OCI_REGISTRY_H
#define MVBUILD_OCI_REGISTRY_H

#include "base/error.h"

struct build_ctx;
struct source;

/*
 * Write the image src->oci_digest of src->oci_registry/src->oci_repo as an
 * OCI image layout in the existing empty directory layout_dir: the file
 * oci-layout, an index.json whose manifests[] holds a descriptor of
 * src->oci_digest, and blobs/sha256/HEX for that manifest or index, and,
 * for the manifest that src->platform selects, its config and its layers.
 * Blobs need not be verified here (the caller checks every digest and size
 * before publishing anything).  Returns 0, or -1 with err.
 */
int oci_registry_pull(struct build_ctx *b, const struct source *src, const char *layout_dir,
		      struct error *err);

#endif
