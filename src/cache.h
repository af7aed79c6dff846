/*
 * cache: the content-addressed store (CAS) and action cache (AC) on disk,
 * with atomic publishing, locking, gc, verify and import.  The on-disk
 * layout is described at the top of cache.c and in docs/cache.md.
 */
#ifndef MVBUILD_CACHE_H
#define MVBUILD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "hash.h"
#include "record.h"

struct cache;

/* one output of an action: name, content digest, size */
struct cache_output {
	char *name;                 /* output name */
	char digest[SHA256_HEX];    /* sha256 hex of the content */
	uint64_t size;              /* apparent size in bytes */
};

/* open (creating the layout when missing) the cache at dir; -1 with err */
int cache_open(struct cache **out, const char *dir, struct error *err);
/* close and free (NULL is fine) */
void cache_close(struct cache *c);
/* absolute path of the cache root */
const char *cache_root(const struct cache *c);

/* path where the blob with this sha256 lives (whether or not it exists); caller frees */
char *cache_blob_path(const struct cache *c, const char *digest);
/* true when the blob exists (not rehashed) */
bool cache_has_blob(const struct cache *c, const char *digest);
/*
 * Store the file at path into the CAS, keeping holes; publishes atomically
 * (temp file, fsync, link, fsync dir); the published blob is read-only.
 * Fills digest.  When move is true the source file may be renamed into place.
 */
int cache_put_file(struct cache *c, const char *path, bool move, char digest[SHA256_HEX],
		   struct error *err);
/* rehash the blob; true when its content matches its name */
bool cache_blob_intact(const struct cache *c, const char *digest);

/*
 * Look up an action key.  On a hit returns 1 and fills the record and the
 * outputs (caller releases with cache_outputs_free); 0 on a miss.
 */
int cache_get_action(struct cache *c, const char *key, struct record *rec,
		     struct cache_output **outs, size_t *n_outs, struct error *err);
/* publish an action record plus manifest atomically; every output blob must be stored first */
int cache_put_action(struct cache *c, const char *key, const struct record *rec,
		     const struct cache_output *outs, size_t n_outs, struct error *err);
/* free an outputs array */
void cache_outputs_free(struct cache_output *outs, size_t n);

/* a new empty scratch directory under tmp/; caller frees the path */
int cache_mkscratch(struct cache *c, const char *prefix, char **path, struct error *err);
/* remove a directory tree (scratch directories); errors are ignored */
void remove_tree(const char *path);

#endif
