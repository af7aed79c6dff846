/*
 * image_manifest: the list of what an image holds, written next to it
 * (format in image.h).
 */
#ifndef MVBUILD_IMAGE_MANIFEST_H
#define MVBUILD_IMAGE_MANIFEST_H

#include "base/error.h"
#include "image/image_tree.h"
#include "base/util.h"

/* append the manifest of t (after image_tree_finish) to out; 0 or -1 */
int image_manifest(struct tree *t, struct buf *out, struct error *err);

#endif
