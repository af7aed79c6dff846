/*
 * cache_gc: whole-cache maintenance: gc (age and size bounds, LRU order),
 * verify (rehash everything).  Both run under the exclusive cache lock, so
 * no running build ever loses an entry it holds.
 */
#ifndef MVBUILD_CACHE_GC_H
#define MVBUILD_CACHE_GC_H

#include <stdint.h>

#include "cache/cache.h"
#include "base/util.h"

struct gc_options {
	uint64_t max_size;     /* bytes on disk for CAS blobs; 0 = no bound */
	double max_age_days;   /* entries unused for longer go; 0 = no bound */
};

struct gc_stats {
	unsigned long actions_removed, blobs_removed, temps_removed, trees_removed;
	unsigned long runs_removed;           /* one-run VM directories whose run is gone */
	uint64_t bytes_before, bytes_after;   /* allocated bytes of the CAS */
};

/* collect garbage; -1 with err */
int cache_gc(struct cache *c, const struct gc_options *opt, struct gc_stats *st, struct error *err);

struct verify_stats {
	unsigned long blobs, actions, corrupt, missing;
	uint64_t bytes;
};

/* rehash every blob and check every action entry; problems appended to report */
int cache_gc_verify(struct cache *c, struct verify_stats *st, struct buf *report, struct error *err);

#endif
