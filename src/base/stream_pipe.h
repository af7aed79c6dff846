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
#include "base/stream_decode.h"

struct stream_pipe;

/*
 * Open path (a regular file only, without blocking on a FIFO) and detect
 * its compression.  *fd is what the reader reads: the decompressed bytes,
 * or for an uncompressed file the file itself.  With tap (NULL: none),
 * every byte of the file, to its end, goes to tap(tap_arg, ...) in the read
 * that decodes it, so a digest of the file names exactly what the reader was
 * fed: the thread taps a compressed file (a failing tap stops it with its
 * error); an uncompressed one (stream_pipe_plain()) has no thread, so the
 * reader passes what it reads from *fd to the tap itself, in order, and
 * stream_pipe_close() the rest of the file.  NULL with err.
 */
struct stream_pipe *stream_pipe_open(const char *path, int *fd, stream_sink_fn tap, void *tap_arg,
				     struct error *err);
/* true when the file is uncompressed: no thread, *fd is the file itself */
bool stream_pipe_plain(const struct stream_pipe *p);
/*
 * Close the reader's end and finish: with check, let the thread decode the
 * rest of the file; without (the reader failed), stop it early.  Returns
 * the thread's verdict: 0, or -1 with err when decoding had failed (an
 * integrity check, trailing bytes), which explains a reader's error better
 * than the reader can.  After a checked success the tap has seen the whole
 * file.  Frees p (NULL is fine).
 */
int stream_pipe_close(struct stream_pipe *p, bool check, struct error *err);

#endif
