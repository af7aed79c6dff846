/*
 * cache_layout: the one place that names the areas under a cache root and
 * says what gc may do with each.  Every other file asks for a path here
 * instead of spelling "tmp/" or "kbuild/" itself, so moving an area is a
 * one-line change and gc cannot forget one.  The layout is drawn at the
 * top of cache.c and in docs/cache.md.
 */
#ifndef MVBUILD_CACHE_LAYOUT_H
#define MVBUILD_CACHE_LAYOUT_H

#include <stdbool.h>

/* the areas under the cache root, in the order gc visits them */
enum cache_area {
	CACHE_AREA_TMP,     /* temp files and builders' scratch directories */
	CACHE_AREA_LOCKS,   /* gc.lock and one lock per action key being built */
	CACHE_AREA_RUN,     /* VMs' writable image copies (run_dir.c) */
	CACHE_AREA_CAS,     /* content blobs, fanned out by the first two hex digits */
	CACHE_AREA_AC,      /* action entries, fanned out the same way */
	CACHE_AREA_MEMO,    /* memoized digests and the toolchain memo */
	CACHE_AREA_LAST,    /* the key of each node's last build, for explain */
	CACHE_AREA_SRC,     /* unpacked kernel source trees, read-only */
	CACHE_AREA_KBUILD,  /* persistent kernel object directories */
	CACHE_AREA_COUNT
};

/* what gc may remove from an area, and when */
enum cache_gc_rule {
	CACHE_GC_NEVER,       /* never: cheap to keep, costly to lose */
	CACHE_GC_ALL,         /* everything (nothing in it is in use under gc's lock) */
	CACHE_GC_GONE_RUNS,   /* one-run directories whose run is gone; persistent ones stay */
	CACHE_GC_ENTRIES,     /* action entries by age, then least recently used, down to the size bound */
	CACHE_GC_UNNAMED,     /* blobs that no remaining action entry names */
	CACHE_GC_BY_AGE,      /* entries older than the age bound, and only with one */
};

/* the lock gc holds in CACHE_AREA_LOCKS: gc empties the area around it */
#define CACHE_LAYOUT_GC_LOCK "gc.lock"
/*
 * What marks a run directory in CACHE_AREA_RUN for gc: a one-run directory
 * holds the pid file (a persistent one has none), and its run holds the
 * lock file while it lives.
 */
#define CACHE_LAYOUT_RUN_PID "pid"
#define CACHE_LAYOUT_RUN_LOCK "lock"

/* the area's path relative to the cache root ("cas/sha256", "kbuild") */
const char *cache_layout_name(enum cache_area area);
/* what gc may remove from the area */
enum cache_gc_rule cache_layout_gc_rule(enum cache_area area);
/* a name in the area that gc never removes (its own lock), or NULL */
const char *cache_layout_gc_keep(enum cache_area area);
/* true when cache_open makes the area; the others appear when first used */
bool cache_layout_made_at_open(enum cache_area area);
/* ROOT/AREA; caller frees */
char *cache_layout_dir(const char *root, enum cache_area area);
/* ROOT/AREA/SUB with SUB printf-formatted; caller frees */
char *cache_layout_path(const char *root, enum cache_area area, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * The cache root relative to the directory holding one of the area's files
 * ("../../.." for a blob in cas/sha256/ab/): how a stored script finds its
 * cache without an absolute path; caller frees.
 */
char *cache_layout_root_from(enum cache_area area);
/*
 * Where the file named digest lives in a fanned-out area, relative to the
 * root ("cas/sha256/ab/cdef...", "ac/ab/abcdef..."); caller frees.
 */
char *cache_layout_relpath(enum cache_area area, const char *digest);
/* true when the area's files drop the fan-out digits from their names (cas) */
bool cache_layout_short_names(enum cache_area area);

#endif
