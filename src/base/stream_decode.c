/*
 * stream_decode: decompression checked to the end (see stream_decode.h).
 *
 * gzip and bzip2 are decoded here with zlib and libbz2 because libarchive
 * (3.6) never compares the gzip trailer's CRC32 and ISIZE with the data and
 * silently stops at bytes that do not start another gzip member or bzip2
 * stream.  xz and zstd go through libarchive's "raw" format: liblzma checks
 * each block's check and libzstd each frame's checksum, and both refuse
 * bytes after the last stream, provided the stream is read to its end,
 * which this file always does.
 */
#include "base/stream_decode.h"

#include <bzlib.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "base/archive_lazy.h"

#include "base/util.h"

#define CHUNK (256u * 1024)

int stream_decode_detect(int fd, enum stream_format *fmt, struct error *err)
{
	unsigned char m[6] = { 0 };
	ssize_t n;
	while ((n = pread(fd, m, sizeof(m), 0)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return error_errno(err, errno, "cannot read");
	*fmt = STREAM_NONE;
	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		*fmt = STREAM_GZIP;
	else if (n >= 3 && memcmp(m, "BZh", 3) == 0)
		*fmt = STREAM_BZIP2;
	else if (n >= 6 && memcmp(m, "\xfd" "7zXZ\0", 6) == 0)
		*fmt = STREAM_XZ;
	else if (n >= 4 && memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0)
		*fmt = STREAM_ZSTD;
	return 0;
}

const char *stream_decode_format_name(enum stream_format fmt)
{
	static const char *const names[] = { "none", "gzip", "bzip2", "xz", "zstd" };
	return names[fmt];
}

/* the compressed file as it is read: every byte read goes through tap too */
struct raw_in {
	int fd;
	stream_sink_fn tap;         /* NULL: none */
	void *tap_arg;
};

/* read up to n bytes; the count (0 at the end), or -1 with err */
static ssize_t read_some(const struct raw_in *fd, void *buf, size_t n, struct error *err)
{
	ssize_t got;
	while ((got = read(fd->fd, buf, n)) < 0 && errno == EINTR)
		;
	if (got < 0)
		error_errno(err, errno, "cannot read");
	else if (got > 0 && fd->tap && fd->tap(fd->tap_arg, buf, (size_t)got, err) < 0)
		return -1;
	return got;
}

static int decode_plain(const struct raw_in *fd, stream_sink_fn sink, void *arg, char *buf, struct error *err)
{
	for (;;) {
		ssize_t n = read_some(fd, buf, CHUNK, err);
		if (n <= 0)
			return (int)n;
		if (sink(arg, buf, (size_t)n, err) < 0)
			return -1;
	}
}

/* one gzip member after another until the input ends; anything else after a member is refused */
static int decode_gzip(const struct raw_in *fd, stream_sink_fn sink, void *arg, char *in, char *out,
		       struct error *err)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return error_set(err, "gzip: cannot start zlib");
	bool ended = false;   /* the last member is complete: the input may end here */
	int ret = -1;
	for (;;) {
		ssize_t n = read_some(fd, in, CHUNK, err);
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		z.next_in = (Bytef *)in;
		z.avail_in = (uInt)n;
		do {
			if (ended)
				inflateReset(&z);
			z.next_out = (Bytef *)out;
			z.avail_out = CHUNK;
			int r = inflate(&z, Z_NO_FLUSH);
			if (r == Z_DATA_ERROR && ended) {
				error_set(err, "gzip: trailing garbage after the compressed stream");
				goto out;
			}
			if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) {
				error_set(err, "gzip: %s", z.msg ? z.msg : "corrupt data");
				goto out;
			}
			ended = r == Z_STREAM_END;
			size_t got = CHUNK - z.avail_out;
			if (got && sink(arg, out, got, err) < 0)
				goto out;
		} while (ended ? z.avail_in > 0 : z.avail_out == 0);
	}
	if (!ended) {
		error_set(err, "gzip: stream is truncated");
		goto out;
	}
	ret = 0;
out:
	inflateEnd(&z);
	return ret;
}

static const char *bzip2_message(int r)
{
	switch (r) {
	case BZ_DATA_ERROR: return "data integrity (CRC) error";
	case BZ_DATA_ERROR_MAGIC: return "bad magic number";
	case BZ_MEM_ERROR: return "out of memory";
	default: return "corrupt data";
	}
}

/* one bzip2 stream after another until the input ends; anything else after a stream is refused */
static int decode_bzip2(const struct raw_in *fd, stream_sink_fn sink, void *arg, char *in, char *out,
			struct error *err)
{
	bz_stream s;
	memset(&s, 0, sizeof(s));
	if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK)
		return error_set(err, "bzip2: cannot start libbz2");
	bool ended = false;   /* the last stream is complete: the input may end here */
	int ret = -1;
	for (;;) {
		ssize_t n = read_some(fd, in, CHUNK, err);
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		s.next_in = in;
		s.avail_in = (unsigned)n;
		do {
			/* libbz2 decodes one stream per init; the allocators it set stay valid */
			if (ended && (BZ2_bzDecompressEnd(&s), BZ2_bzDecompressInit(&s, 0, 0)) != BZ_OK) {
				error_set(err, "bzip2: cannot start libbz2");
				goto out;
			}
			s.next_out = out;
			s.avail_out = CHUNK;
			int r = BZ2_bzDecompress(&s);
			if (r == BZ_DATA_ERROR_MAGIC && ended) {
				error_set(err, "bzip2: trailing garbage after the compressed stream");
				goto out;
			}
			if (r != BZ_OK && r != BZ_STREAM_END) {
				error_set(err, "bzip2: %s", bzip2_message(r));
				goto out;
			}
			ended = r == BZ_STREAM_END;
			size_t got = CHUNK - s.avail_out;
			if (got && sink(arg, out, got, err) < 0)
				goto out;
		} while (ended ? s.avail_in > 0 : s.avail_out == 0);
	}
	if (!ended) {
		error_set(err, "bzip2: stream is truncated");
		goto out;
	}
	ret = 0;
out:
	BZ2_bzDecompressEnd(&s);
	return ret;
}

/* what libarchive reads the compressed file through, so the tap sees every byte */
struct archive_in {
	const struct raw_in *in;
	char *buf;
	struct error err;           /* a read error, said instead of libarchive's */
};

static la_ssize_t archive_in_read(struct archive *a, void *arg, const void **block)
{
	(void)a;
	struct archive_in *r = arg;
	*block = r->buf;
	return read_some(r->in, r->buf, CHUNK, &r->err);
}

/* xz and zstd: libarchive's raw format over that one filter, read to ARCHIVE_EOF */
static int decode_archive(const struct raw_in *fd, enum stream_format fmt, stream_sink_fn sink, void *arg,
			  struct error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int ret = -1;
	if (fmt == STREAM_XZ)
		archive_read_support_filter_xz(a);
	else
		archive_read_support_filter_zstd(a);
	archive_read_support_format_raw(a);
	/* no skip callback: libarchive must read, never seek past, what the tap is to see */
	struct archive_in raw = { fd, xmalloc(CHUNK), ERROR_INIT };
	if (archive_read_open(a, &raw, NULL, archive_in_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK)
		goto fail;
	for (;;) {
		const void *block;
		size_t len;
		la_int64_t offset;
		int r = archive_read_data_block(a, &block, &len, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK)
			goto fail;
		if (len && sink(arg, block, len, err) < 0)
			goto out;
	}
	ret = 0;
	goto out;
fail:
	if (error_is_set(&raw.err)) {
		error_move(err, &raw.err);
	} else {
		const char *msg = archive_error_string(a);
		error_set(err, "%s: %s", stream_decode_format_name(fmt), msg ? msg : "corrupt data");
	}
out:
	archive_read_free(a);
	error_release(&raw.err);
	free(raw.buf);
	return ret;
}

/* the bytes after what the decoder needed (none when it read to the end): into the tap */
static int drain(const struct raw_in *fd, struct error *err)
{
	char *buf = xmalloc(CHUNK);
	ssize_t n;
	while ((n = read_some(fd, buf, CHUNK, err)) > 0)
		;
	free(buf);
	return n < 0 ? -1 : 0;
}

int stream_decode_rest(int fd, stream_sink_fn tap, void *tap_arg, struct error *err)
{
	const struct raw_in in_fd = { fd, tap, tap_arg };
	return drain(&in_fd, err);
}

int stream_decode_tapped(int fd, enum stream_format fmt, stream_sink_fn tap, void *tap_arg,
			 stream_sink_fn sink, void *arg, struct error *err)
{
	const struct raw_in in_fd = { fd, tap, tap_arg };
	int ret;
	if (fmt == STREAM_XZ || fmt == STREAM_ZSTD) {
		ret = decode_archive(&in_fd, fmt, sink, arg, err);
	} else {
		char *in = xmalloc(CHUNK), *out = xmalloc(CHUNK);
		ret = fmt == STREAM_GZIP ? decode_gzip(&in_fd, sink, arg, in, out, err)
			: fmt == STREAM_BZIP2 ? decode_bzip2(&in_fd, sink, arg, in, out, err)
			: decode_plain(&in_fd, sink, arg, in, err);
		free(in);
		free(out);
	}
	/* libarchive may stop reading at the stream's end marker: the tap digests the whole file */
	if (ret == 0 && tap)
		ret = drain(&in_fd, err);
	return ret;
}

int stream_decode(int fd, enum stream_format fmt, stream_sink_fn sink, void *arg,
		  struct error *err)
{
	return stream_decode_tapped(fd, fmt, NULL, NULL, sink, arg, err);
}
