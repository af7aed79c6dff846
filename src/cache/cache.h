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

#include "base/error.h"
#include "base/hash.h"
#include "cache/record.h"

struct cache;

/* one output of an action: name, content digest, size */
struct cache_output {
	char *name;                 /* output name */
	char digest[SHA256_HEX];    /* content digest (hash.h's HASH_CONTENT) hex */
	uint64_t size;              /* apparent size in bytes */
};

/*
 * Open the cache at dir: one whose VERSION marker is right, or a new one
 * made in an absent or empty dir.  Anything else is never adopted: -1 with
 * a usage-kind err ("'DIR' is not an mvbuild cache"); other failures -1.
 */
int cache_open(struct cache **out, const char *dir, struct error *err);
/* close and free (NULL is fine) */
void cache_close(struct cache *c);
/* absolute path of the cache root */
const char *cache_root(const struct cache *c);

/* where a blob lives relative to the cache root ("cas/sha256/ab/cdef..."); caller frees */
char *cache_blob_relpath(const char *digest);
/* path where the blob with this content digest lives (whether or not it exists); caller frees */
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
/* the same for a file whose content digest the caller computed while writing it (not rehashed) */
int cache_put_file_hashed(struct cache *c, const char *path, bool move,
			  const char digest[SHA256_HEX], struct error *err);
/* rehash the blob; true when its content matches its name */
bool cache_blob_intact(const struct cache *c, const char *digest);

/*
 * Look up an action key.  On a hit returns 1 and fills the record and the
 * outputs (caller releases with cache_outputs_free); 0 on a miss.  An entry
 * that fails its seal or whose record is not the key's is removed and is a
 * miss too, with err set to say which and why (err stays empty otherwise).
 */
int cache_get_action(struct cache *c, const char *key, struct record *rec,
		     struct cache_output **outs, size_t *n_outs, struct error *err);
/* publish an action record plus manifest atomically; every output blob must be stored first */
int cache_put_action(struct cache *c, const char *key, const struct record *rec,
		     const struct cache_output *outs, size_t n_outs, struct error *err);
/* append the on-disk text of an action entry (format in cache.c) to out */
void cache_format_action(const struct record *rec, const struct cache_output *outs,
			 size_t n_outs, struct buf *out);
/*
 * Parse action entry text into the empty rec and outs (appended; the caller
 * releases both, also on failure); 0, or -1 with err when malformed or when
 * its seal does not match its bytes.
 */
int cache_parse_action(const char *text, size_t len, struct record *rec,
		       struct cache_output **outs, size_t *n_outs, struct error *err);
/* free an outputs array */
void cache_outputs_free(struct cache_output *outs, size_t n);

/* a new empty scratch directory under tmp/; caller frees the path */
int cache_mkscratch(struct cache *c, const char *prefix, char **path, struct error *err);

/* take the cache-wide shared lock that keeps gc out while a build runs */
int cache_lock_shared(struct cache *c, struct error *err);
/* take the exclusive lock (gc), waiting for running builds; -1 with err */
int cache_lock_exclusive(struct cache *c, struct error *err);
/* lock one action key for building (blocks while another process builds it); returns an fd */
int cache_lock_key(struct cache *c, const char *key, struct error *err);
/* release a key lock */
void cache_unlock_key(int fd);
/* remove a blob (a corrupt one, before it is replaced) */
void cache_remove_blob(struct cache *c, const char *digest);
/* refresh an action entry's use time (for LRU gc); cheap, at most once an hour */
void cache_touch_action(struct cache *c, const char *key);

#endif
