/*
 * kernel_tree: the unpacked kernel source, once per source digest.
 *
 * On disk: CACHE/src/<sha256>/ holds the tarball's content with its single
 * top directory (linux-6.1/, linux-source-6.1/) stripped, read-only, so
 * every build of every kernel definition from that tarball shares it and
 * builds out of tree.  It is unpacked into CACHE/tmp/src-<sha256>.XXXXXX
 * and renamed into place, so a crash never leaves a half tree under src/.
 *
 * CACHE/kbuild/<kernel name>-<12 hex digits>/ is the persistent object
 * directory of one kernel definition (the digits hash its source digest and
 * architecture), so a one-option change recompiles a few files; the lock
 * file next to it (…/<same name>.lock, flock) keeps two builds out of it.
 */
#ifndef MVBUILD_KERNEL_TREE_H
#define MVBUILD_KERNEL_TREE_H

#include <stdbool.h>

#include "base/error.h"

/* true when the tree of this digest is already unpacked */
bool kernel_tree_present(const char *cache_dir, const char *digest);
/*
 * The source tree of tarball (whose sha256 is digest) under cache_dir,
 * unpacking it first when absent.  *srcdir is allocated.  Returns 0, or -1
 * with err (archive errors in libarchive's words).
 */
int kernel_tree_get(const char *cache_dir, const char *tarball, const char *digest,
		    char **srcdir, struct error *err);

/*
 * Create (when missing) and lock the object directory for kernel name built
 * from source digest for arch; waits while another build holds it.  *objdir
 * is allocated, *lock_fd must be given to kernel_tree_objdir_unlock.  0, or -1.
 */
int kernel_tree_objdir_lock(const char *cache_dir, const char *name, const char *digest,
		       const char *arch, char **objdir, int *lock_fd, struct error *err);
/* release the lock taken by kernel_tree_objdir_lock (-1 is fine) */
void kernel_tree_objdir_unlock(int lock_fd);

#endif
