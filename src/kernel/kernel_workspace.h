/*
 * kernel_workspace: where one kernel definition is configured and built:
 * the unpacked source tree of its tarball (kernel_tree.h), its persistent
 * object directory, locked while the workspace is open, and make set up
 * over both (kernel_make.h).  The kernel builder and `mvbuild kernel
 * menuconfig` both open one, so the menu edits exactly the .config a build
 * would resolve, in the directory the build uses.
 */
#ifndef MVBUILD_KERNEL_WORKSPACE_H
#define MVBUILD_KERNEL_WORKSPACE_H

#include "base/error.h"
#include "kernel/kernel_config.h"
#include "kernel/kernel_make.h"
#include "recipe/recipe.h"

struct progress;

struct kernel_workspace {
	const struct kernel *kernel;  /* the recipe's definition */
	struct kmake make;            /* make over srcdir and objdir: arch, jobs, progress, log */
	char *srcdir;                 /* CACHE/src/<digest>, shared and read-only; a real path */
	char *objdir;                 /* CACHE/kbuild/<name>-<hex>, locked while open; a real path */
	int lock_fd;                  /* the object directory's lock, or -1 */
	struct kconf request;         /* the merged request, filled by kernel_workspace_configure */
};

/* set w up for k, with nothing open; node_id (kept, not copied) names it in progress lines */
void kernel_workspace_init(struct kernel_workspace *w, const struct kernel *k, int jobs,
			   struct progress *progress, const char *node_id);
/*
 * Unpack tarball (whose sha256 is digest) under cache_dir unless already
 * there, with a status line when it is not, then lock the kernel's object
 * directory, waiting while another build holds it, and bring its path
 * records to where it is now when the cache moved (kernel_relocate.h, a
 * note says so).  srcdir and objdir are real paths.  0, or -1 with err.
 */
int kernel_workspace_open(struct kernel_workspace *w, const char *cache_dir, const char *tarball,
			  const char *digest, struct error *err);
/*
 * Truncate the build log, merge the kernel's fragments and inline config
 * into w->request and resolve OBJDIR/.config through Kconfig over the base.
 * 0, or -1 with err.
 */
int kernel_workspace_configure(struct kernel_workspace *w, struct error *err);
/* read OBJDIR/.config into c; 0, or -1 with err */
int kernel_workspace_load_config(const struct kernel_workspace *w, struct kconf *c, struct error *err);
/* close the log, unlock the object directory and free what w holds */
void kernel_workspace_release(struct kernel_workspace *w);

#endif
