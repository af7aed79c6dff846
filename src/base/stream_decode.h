/*
 * stream_decode: a compressed file read to the end of its stream with the
 * format's own integrity checks (gzip CRC32 and ISIZE, bzip2 block and
 * stream CRCs, the xz check, the zstd frame checksum), and nothing accepted
 * after the last stream, so no output is ever derived from a damaged or
 * extended file.  Concatenated gzip members, bzip2 streams, xz streams and
 * zstd frames are one stream, as their own tools read them.
 */
#ifndef MVBUILD_STREAM_DECODE_H
#define MVBUILD_STREAM_DECODE_H

#include <stddef.h>

#include "base/error.h"

enum stream_format { STREAM_NONE, STREAM_GZIP, STREAM_BZIP2, STREAM_XZ, STREAM_ZSTD };

/* takes n decompressed bytes; 0, or -1 with err to stop decoding */
typedef int (*stream_sink_fn)(void *arg, const void *data, size_t n, struct error *err);

/* the compression of the file open at fd, from its magic number (pread at offset 0); 0 or -1 */
int stream_decode_detect(int fd, enum stream_format *fmt, struct error *err);
/* "gzip", "bzip2", "xz", "zstd" or "none" */
const char *stream_decode_format_name(enum stream_format fmt);
/*
 * Decompress the file open at fd (fmt as detected; read from its current
 * offset, which must be 0) to the end, passing every block to sink.
 * STREAM_NONE passes the bytes through.  0, or -1 with err: an integrity
 * check failed, the stream is truncated, bytes follow it, or sink failed.
 */
int stream_decode(int fd, enum stream_format fmt, stream_sink_fn sink, void *arg,
		  struct error *err);
/*
 * The same, passing every byte read from fd, to the end of the file (also
 * past the end of the stream, which a decoder may not need to read), to
 * tap first: a digest of the file computed in the read that decodes it.
 */
int stream_decode_tapped(int fd, enum stream_format fmt, stream_sink_fn tap, void *tap_arg,
			 stream_sink_fn sink, void *arg, struct error *err);
/* pass the rest of the file open at fd, from its current offset to its end, to tap; 0 or -1 */
int stream_decode_rest(int fd, stream_sink_fn tap, void *tap_arg, struct error *err);

#endif
