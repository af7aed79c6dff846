/*
 * fetch_digest: the digests of a download, computed on a second thread so
 * hashing overlaps receiving and writing instead of following them.  Bytes
 * are copied into a small ring of chunks; the thread hashes full chunks in
 * order.  Not thread-safe on the producer side: one download feeds it.
 */
#ifndef MVBUILD_FETCH_DIGEST_H
#define MVBUILD_FETCH_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/hash.h"

struct fetch_digest;

/*
 * Start the digests (algo, plus sha256 when want_sha256, plus the content
 * digest (hash.h's HASH_CONTENT) when want_content), one thread each.
 * With writeback_fd >= 0 (the file the same bytes were written to, from
 * offset 0) the thread also starts writeback of each hashed range, so a
 * later fsync finds little left to do, without ever stalling the download.
 * NULL with err.
 */
struct fetch_digest *fetch_digest_new(enum hash_algo algo, bool want_sha256, bool want_content,
				      int writeback_fd, struct error *err);
/* feed n bytes already written to the file (copied; blocks only while every chunk waits) */
void fetch_digest_update(struct fetch_digest *d, const void *data, size_t n);
/* forget everything fed so far and start the digests again; -1 with err */
int fetch_digest_reset(struct fetch_digest *d, struct error *err);
/*
 * finish: digest gets algo's hex, sha256 the sha256 hex (when algo is sha256
 * or it was wanted, else ""), content the content digest (when wanted, else "")
 */
void fetch_digest_final(struct fetch_digest *d, char digest[HASH_MAX_HEX], char sha256[SHA256_HEX],
			char content[SHA256_HEX]);
/* stop the thread and free everything (NULL is fine) */
void fetch_digest_free(struct fetch_digest *d);

#endif
