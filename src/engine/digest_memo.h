/*
 * digest_memo: memoized content digests (hash.h's HASH_CONTENT) of local files, keyed by
 * (path, size, mtime, ctime, inode) as git's index does, so a no-op build
 * never rereads a large input.  A file whose mtime or ctime is not older
 * than the moment the memo was last written is "racily clean": it could
 * change again within the same timestamp granularity, so it is rehashed and
 * not trusted from the memo.
 *
 * Stored in CACHE/memo/digests (see docs/cache.md), rewritten through a
 * temp file and rename when it changed.
 */
#ifndef MVBUILD_DIGEST_MEMO_H
#define MVBUILD_DIGEST_MEMO_H

#include <stdint.h>
#include <sys/stat.h>

#include "base/error.h"
#include "base/hash.h"

struct digest_memo;

/* load the memo of the cache at cache_dir (a missing file is an empty memo) */
struct digest_memo *digest_memo_open(const char *cache_dir);
/* the content digest hex of the file at path (memoized); -1 with err when unreadable */
int digest_memo_file(struct digest_memo *m, const char *path, char hex[SHA256_HEX], struct error *err);
/*
 * Whether the digest of the file at path is known without reading it: 1
 * with hex (a trusted entry), 0 when it is not (reading it would be
 * needed), -1 with err when the file cannot be stat'ed.  *st gets the
 * file's stat either way.  Never reads the file (m may be NULL: 0).
 */
int digest_memo_peek(struct digest_memo *m, const char *path, char hex[SHA256_HEX],
		     struct stat *st, struct error *err);
/*
 * Memoize hex, the digest of the file at path computed by a read that
 * started at hashed_at_ns (digest_memo_now_ns()), between whose start and
 * end the file's stat was before and after.  -1 (nothing noted) when the
 * two differ: the file changed during the read.  The entry is trusted in
 * this process at once, by other processes only by the racy rule above.
 */
int digest_memo_note(struct digest_memo *m, const char *path, const struct stat *before,
		     const struct stat *after, int64_t hashed_at_ns, const char hex[SHA256_HEX]);
/* the clock the memo's hashed_at is on, for digest_memo_note() */
int64_t digest_memo_now_ns(void);
/* write the memo back if it changed, then free it (NULL is fine) */
void digest_memo_close(struct digest_memo *m);

#endif
