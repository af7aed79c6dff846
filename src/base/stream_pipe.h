/*
 * stream_pipe: a file decompressed on a second thread into a socket that a
 * reader (libarchive's tar format) consumes, so decompression overlaps with
 * what the reader does with the entries.  The thread always decodes the
 * file to the end of its stream with stream_decode()'s integrity checks,
 * even after the reader has stopped at the tar end marker: only then is
 * the file known to be intact.
 */
#ifndef MVBUILD_STREAM_PIPE_H
#define MVBUILD_STREAM_PIPE_H

#include <stdbool.h>

#include "base/error.h"

struct stream_pipe;

/*
 * Open path (a regular file only, without blocking on a FIFO) and detect
 * its compression.  *fd is what the reader reads: the decompressed bytes,
 * or for an uncompressed file the file itself.  With hash, the thread also
 * computes the content digest (hash.h's HASH_CONTENT) of the file's own
 * bytes, all of them, in the same read (for an uncompressed file too: the
 * thread then passes the bytes through), for stream_pipe_close().  NULL
 * with err.
 */
struct stream_pipe *stream_pipe_open(const char *path, int *fd, bool hash, struct error *err);
/*
 * Close the reader's end and finish: with check, let the thread decode the
 * rest of the file; without (the reader failed), stop it early.  Returns
 * the thread's verdict: 0, or -1 with err when decoding had failed (an
 * integrity check, trailing bytes), which explains a reader's error better
 * than the reader can.  With digest (SHA256_HEX bytes) and hash given to
 * stream_pipe_open(), a checked success writes the file's content digest
 * there (else ""), which then names exactly the bytes the reader was fed.
 * Frees p (NULL is fine).
 */
int stream_pipe_close(struct stream_pipe *p, bool check, char *digest, struct error *err);

#endif
