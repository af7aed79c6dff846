/*
 * image_oci: an image's layers as archive paths, with container image
 * sources (oci, oci-layout, docker-archive) expanded into their layers,
 * and the runtime config of the topmost such source for the image's
 * "oci-config" output (docs/image.md).
 */
#ifndef MVBUILD_IMAGE_OCI_H
#define MVBUILD_IMAGE_OCI_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/util.h"

struct build_ctx;
struct build_input;
struct image;

/* the archives an image applies, in order */
struct image_oci_layers {
	const char **paths;      /* archive paths (the dependencies' outputs in the cache) */
	char **names;            /* for messages: "app" or "app layer 2" */
	bool *whiteouts;         /* per path: a container image's layer */
	const struct build_input **inputs; /* per path: a plain layer's input, NULL for a
				    container image's layer */
	size_t n;
	struct buf config;       /* the oci-config output; empty when no layer is an image */
	struct buf init;         /* the `init: oci` shim (image_oci_init.h) when the image
				    has oci_init, else empty */
};

/* the layers of b's image from its dependencies' outputs; 0, or -1 with err */
int image_oci_layers(const struct build_ctx *b, const struct image *img,
		     struct image_oci_layers *out, struct error *err);
/* free what image_oci_layers() filled */
void image_oci_layers_release(struct image_oci_layers *l);

#endif
