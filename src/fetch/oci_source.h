/*
 * oci_source: container images as sources (`oci:`, `oci-layout:`,
 * `docker-archive:`): their keys, and the build that verifies every blob
 * and publishes the image as the source node's outputs (docs/cache.md,
 * "Container images").
 */
#ifndef MVBUILD_OCI_SOURCE_H
#define MVBUILD_OCI_SOURCE_H

#include "base/error.h"
#include "cache/record.h"

struct build_ctx;
struct mvctx;
struct oci_config;
struct source;

/*
 * Add an image source's identity to rec: its platform, and for oci and
 * oci-layout its manifest (or index) digest, a layout's tag resolved
 * through its index.json.  Returns 0, or -1 with err.
 */
int oci_source_describe(struct mvctx *ctx, const struct source *src, struct record *rec,
			struct error *err);
/* build an image source into b->workdir and declare its outputs; 0, or -1 with err */
int oci_source_build(struct build_ctx *b, const struct source *src, struct error *err);
/* read and parse the image config at path (a verified blob); 0, or -1 with err */
int oci_source_read_config(const char *path, struct oci_config *out, struct error *err);

#endif
