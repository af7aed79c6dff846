/*
 * image_layer: applying one layer archive (tar, tar.gz, tar.xz, tar.zst,
 * tar.bz2, detected by content) to an image tree as a stream, entry by
 * entry, without extracting anything onto the host.
 */
#ifndef MVBUILD_IMAGE_LAYER_H
#define MVBUILD_IMAGE_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/hash.h"
#include "image/image_tree.h"

/*
 * Apply the archive at path, called name in messages, to t (devices only
 * when allowed).  whiteouts: it is a container image's layer, whose
 * whiteout entries remove what lower layers placed (see image_layer.c);
 * otherwise it is a plain tarball, and an archive that holds a whole
 * container image is refused.  With digest (SHA256_HEX bytes) non-NULL,
 * the file's content digest (hash.h's HASH_CONTENT) is computed in the same
 * read that feeds the tree, on the decoding thread, and written there: it
 * names exactly the bytes applied.  0 or -1.
 */
int image_layer_apply(struct tree *t, const char *path, const char *name, bool allow_devices,
		      bool whiteouts, char *digest, struct error *err);
/* what size: auto counts of its inputs (an overestimate is cheap: images are sparse) */
struct image_measure {
	uint64_t data_bytes;  /* regular file data, each file rounded up to 4 KiB */
	uint64_t entries;     /* entries of every kind (a rewritten path counts each time) */
	uint64_t dirs;        /* directories, explicit or implied by a path: each takes a block */
	uint64_t name_bytes;  /* directory entry records (8 + the name rounded up to 4) */
	char *last_parent;    /* the previous entry's directory, to count implied ones */
};

/* count an entry of type mode (S_IF*), size bytes, at the cleaned or raw path into m */
void image_layer_measure_add(struct image_measure *m, const char *path, uint32_t mode, uint64_t size);
/* add what the archive at path holds to m; 0 or -1 */
int image_layer_measure(const char *path, struct image_measure *m, struct error *err);

#endif
