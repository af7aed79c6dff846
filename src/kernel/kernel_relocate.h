/*
 * kernel_relocate: an object directory that moved with its cache (`cp -a`,
 * `mv`) keeps its incremental state.
 *
 * kbuild records the absolute real paths of the source tree and the object
 * directory (O= is not a child of the tree, so srctree is absolute): in
 * every command line and dependency list of the .*.cmd files (tools/
 * included), in the tools' .d files, in include/config/auto.conf.cmd, in
 * the top Makefile and in the `source` link.  At a new place every command
 * line differs, so make would rebuild everything.  kernel_relocate rewrites
 * those records to the new paths, keeping each file's mode and mtime, so
 * they equal what a build at the new place writes and make recompiles only
 * what changed.  A record it misses costs a rebuild of its target, never a
 * wrong output: make still compares every command line.
 *
 * File format (OBJDIR/mvbuild-paths, two lines): "src PATH\nobj PATH\n",
 * the real paths of the source tree and object directory the records name.
 * It is written after a relocation (last, so an interrupted one resumes)
 * and whenever it is missing, before any make runs.  Without it (an object
 * directory of an older mvbuild) the old source tree is where the `source`
 * link points, and the old object directory at the same place under that
 * link's cache root.
 */
#ifndef MVBUILD_KERNEL_RELOCATE_H
#define MVBUILD_KERNEL_RELOCATE_H

#include <stdbool.h>

#include "base/error.h"

/* the marker's name in the object directory */
#define KERNEL_RELOCATE_MARKER "mvbuild-paths"

/* what kernel_relocate found and did */
struct kernel_relocation {
	char *from;        /* the object directory's old place when it moved, else NULL */
	unsigned records;  /* record files rewritten, the `source` link included */
	bool refused;      /* the new place is inside the old one: records left for make to rebuild */
};

/*
 * Rewrite the path records of objdir, last built at another place, to name
 * srcdir and objdir (both real paths); a read of the marker and nothing else
 * when it names them already.  A new place inside an old one is
 * refused (r->refused: a resumed rewrite would apply twice) and make then
 * rebuilds everything.  0, or -1 with err.
 */
int kernel_relocate(const char *srcdir, const char *objdir, struct kernel_relocation *r,
		    struct error *err);
/* free what r holds */
void kernel_relocate_release(struct kernel_relocation *r);

#endif
