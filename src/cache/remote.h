/*
 * remote: the shared cache (bazel-remote / nginx WebDAV layout, or the same
 * objects in S3 object storage): GET/HEAD/PUT of URL/ac/<key> (a REAPI
 * ActionResult naming a signed action entry) and URL/cas/<sha256>
 * (content, compressed and sparse-aware in transit).  A remote never fails
 * a build: on the first error it warns once and is disabled for the run.
 * Thread-safe: the engine's workers call it in parallel.
 */
#ifndef MVBUILD_REMOTE_H
#define MVBUILD_REMOTE_H

#include "cache/cache.h"
#include "recipe/config.h"
#include "base/error.h"

struct remote;
struct progress;

/* a remote for cfg, or *out = NULL when cfg has no remote URL; -1 with err on bad settings */
int remote_open(struct remote **out, const struct config *cfg, struct progress *p, struct error *err);
/*
 * What remote_fetch installed: the entry's outputs, and which blobs it
 * downloaded (and so verified against their digests while decoding); the
 * others were already in the local cache and were not read.
 */
struct remote_fetched {
	struct cache_output *outs;  /* the entry's outputs */
	size_t n_outs;
	bool *downloaded;           /* per output: fetched and verified now */
};
#define REMOTE_FETCHED_INIT { NULL, 0, NULL }

/*
 * Fetch action key from the remote into the local cache: the signed entry
 * (checked against the trusted keys), then each output blob (verified
 * against its digest), each installed atomically.  Returns 1 when the
 * entry is now in the local cache, with *got filled (release it with
 * remote_fetched_release), 0 otherwise (a miss, a bad signature, a bad
 * blob, or the remote being down: each warned about).
 */
int remote_fetch(struct remote *r, struct cache *c, const char *key, const char *node_id,
		 struct remote_fetched *got);
/* free what remote_fetch filled in; the struct is empty again */
void remote_fetched_release(struct remote_fetched *got);
/* true while fetching is worth trying: a remote is set and has not failed this run */
bool remote_reads(struct remote *r);
/* true while remote_upload would upload: enabled, a signing key, the remote up */
bool remote_writes(struct remote *r);
/*
 * Upload the local entry for key when uploading is enabled and the remote
 * lacks it: blobs first, then the signed action entry.  Never fails.
 */
void remote_upload(struct remote *r, struct cache *c, const char *key, const char *node_id);
/* free the remote (NULL is fine) */
void remote_close(struct remote *r);

#endif
