/*
 * kernel_tree: the unpacked kernel source, once per source digest.
 *
 * On disk: CACHE/src/<sha256>/ holds the tarball's content with its single
 * top directory (linux-6.1/, linux-source-6.1/) stripped, read-only, so
 * every build of every kernel definition from that tarball shares it and
 * builds out of tree.  It is unpacked into CACHE/tmp/src-<sha256>.XXXXXX
 * and renamed into place, so a crash never leaves a half tree under src/.
 */
#ifndef MVBUILD_KERNEL_TREE_H
#define MVBUILD_KERNEL_TREE_H

#include "error.h"

/*
 * The source tree of tarball (whose sha256 is digest) under cache_dir,
 * unpacking it first when absent.  *srcdir is allocated.  Returns 0, or -1
 * with err (archive errors in libarchive's words).
 */
int kernel_tree_get(const char *cache_dir, const char *tarball, const char *digest,
		    char **srcdir, struct error *err);
/* remove a tree made read-only by kernel_tree_get (errors are ignored) */
void kernel_tree_remove(const char *path);

#endif
