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

#include "base/error.h"
#include "base/hash.h"

struct digest_memo;

/* load the memo of the cache at cache_dir (a missing file is an empty memo) */
struct digest_memo *digest_memo_open(const char *cache_dir);
/* the content digest hex of the file at path (memoized); -1 with err when unreadable */
int digest_memo_file(struct digest_memo *m, const char *path, char hex[SHA256_HEX], struct error *err);
/* write the memo back if it changed, then free it (NULL is fine) */
void digest_memo_close(struct digest_memo *m);

#endif
