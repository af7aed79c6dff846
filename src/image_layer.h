/*
 * image_layer: applying one layer archive (tar, tar.gz, tar.xz, tar.zst,
 * tar.bz2, detected by content) to an image tree as a stream, entry by
 * entry, without extracting anything onto the host.
 */
#ifndef MVBUILD_IMAGE_LAYER_H
#define MVBUILD_IMAGE_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "image_tree.h"

/* apply the archive at path, called name in messages, to t (devices only when allowed); 0 or -1 */
int image_layer_apply(struct tree *t, const char *path, const char *name, bool allow_devices,
		      struct error *err);
/* add the data bytes (rounded up to 4 KiB per entry) and entry count of an archive */
int image_layer_measure(const char *path, uint64_t *bytes, uint64_t *entries, struct error *err);

#endif
