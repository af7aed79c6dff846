/*
 * remote_codec: the transit encoding of a blob.
 *
 * An encoded blob is one compressed stream (zstd, else gzip; libarchive's
 * "raw" format, so any zstd or gzip tool can open it) whose content is:
 *   mvbuild-blob 1
 *   size <apparent size of the file>
 *   extent <offset> <length>     (one per data extent, ascending, disjoint)
 *   data
 *   <the bytes of every extent, in order>
 * Everything outside the extents is a hole (zeros), so a sparse 2 GiB image
 * with 40 MiB of data travels as 40 MiB before compression.  The decoder
 * rebuilds the holes and hashes the content as it writes it, reading the
 * compressed stream to its end with stream_decode (gzip CRC32 and ISIZE, the
 * zstd frame checksum when present, no trailing bytes).
 */
#include "cache/remote_codec.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/archive_lazy.h"

#include "base/fileutil.h"
#include "base/stream_decode.h"
#include "base/util.h"

#define BLOB_MAGIC "mvbuild-blob 1\n"
#define CHUNK (1u << 20)
#define HEADER_MAX (16u << 20)

struct extent {
	uint64_t off;  /* start of a data extent */
	uint64_t len;  /* its length */
};

/* ---- encoding ---------------------------------------------------------- */

/* the data extents of fd (size bytes) via SEEK_DATA/SEEK_HOLE; *n set */
static struct extent *find_extents(int fd, uint64_t size, size_t *n)
{
	struct extent *ext = NULL;
	size_t alloc = 0;
	*n = 0;
	off_t pos = 0;
	while ((uint64_t)pos < size) {
		off_t data = lseek(fd, pos, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0)
			data = pos; /* no SEEK_DATA: everything is data */
		off_t hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || (uint64_t)hole > size)
			hole = (off_t)size;
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			ext = xrealloc(ext, alloc * sizeof(*ext));
		}
		ext[(*n)++] = (struct extent){ (uint64_t)data, (uint64_t)(hole - data) };
		pos = hole;
	}
	return ext;
}

struct sink {
	int fd;            /* the encoded file */
	struct hash hash;  /* sha256 of the encoded bytes */
	uint64_t size;     /* encoded bytes written */
	int error;         /* errno of a failed write, 0 while fine */
};

static la_ssize_t sink_write(struct archive *a, void *opaque, const void *data, size_t n)
{
	struct sink *s = opaque;
	const char *p = data;
	for (size_t left = n; left > 0;) {
		ssize_t w = write(s->fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			s->error = errno;
			archive_set_error(a, errno, "cannot write the encoded blob");
			return -1;
		}
		p += w;
		left -= (size_t)w;
	}
	hash_update(&s->hash, data, n);
	s->size += n;
	return (la_ssize_t)n;
}

static int write_all(struct archive *a, const void *data, size_t n, struct error *err)
{
	const char *p = data;
	while (n > 0) {
		la_ssize_t w = archive_write_data(a, p, n);
		if (w <= 0)
			return error_set(err, "cannot compress: %s", archive_error_string(a));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_extents(struct archive *a, int fd, const char *src, const struct extent *ext,
			 size_t n, struct error *err)
{
	char *chunk = xmalloc(CHUNK);
	int ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++) {
		for (uint64_t done = 0; done < ext[i].len && ret == 0;) {
			size_t want = ext[i].len - done < CHUNK ? (size_t)(ext[i].len - done) : CHUNK;
			ssize_t got = pread(fd, chunk, want, (off_t)(ext[i].off + done));
			if (got <= 0)
				ret = got < 0 ? error_errno(err, errno, "cannot read '%s'", src)
					      : error_set(err, "cannot read '%s': file shrank", src);
			else
				ret = write_all(a, chunk, (size_t)got, err);
			done += got > 0 ? (uint64_t)got : 0;
		}
	}
	free(chunk);
	return ret;
}

static struct archive *encoder_new(struct sink *s)
{
	struct archive *a = archive_write_new();
	if (archive_write_add_filter_zstd(a) != ARCHIVE_OK)
		archive_write_add_filter_gzip(a);
	archive_write_set_format_raw(a);
	/* no padding to a tape block: the stream ends where the data does */
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open2(a, s, NULL, sink_write, NULL, NULL) != ARCHIVE_OK) {
		archive_write_free(a);
		return NULL;
	}
	return a;
}

int remote_codec_encode(const char *src, const char *dst, char digest[SHA256_HEX], uint64_t *size,
		  struct error *err)
{
	struct sink s = { .fd = -1 };
	struct archive *a = NULL;
	struct extent *ext = NULL;
	struct buf header = BUF_INIT;
	size_t n = 0;
	int ret = -1;
	struct stat st;
	int fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		error_errno(err, errno, "cannot open '%s'", src);
		goto out;
	}
	ext = find_extents(fd, (uint64_t)st.st_size, &n);
	buf_addf(&header, "%ssize %" PRIu64 "\n", BLOB_MAGIC, (uint64_t)st.st_size);
	uint64_t data = 0;
	for (size_t i = 0; i < n; i++) {
		buf_addf(&header, "extent %" PRIu64 " %" PRIu64 "\n", ext[i].off, ext[i].len);
		data += ext[i].len;
	}
	buf_adds(&header, "data\n");
	if ((s.fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		error_errno(err, errno, "cannot create '%s'", dst);
		goto out;
	}
	if (hash_init(&s.hash, HASH_SHA256, err) < 0)
		goto out;
	if (!(a = encoder_new(&s))) {
		error_set(err, "cannot start compressing '%s'", src);
		goto out;
	}
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "blob");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)(header.len + data));
	int hr = archive_write_header(a, e);
	archive_entry_free(e);
	if (hr != ARCHIVE_OK) {
		error_set(err, "cannot compress '%s': %s", src, archive_error_string(a));
		goto out;
	}
	if (write_all(a, header.data, header.len, err) < 0 ||
	    write_extents(a, fd, src, ext, n, err) < 0)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		error_set(err, "cannot compress '%s': %s", src, archive_error_string(a));
		goto out;
	}
	if (fsync(s.fd) < 0) {
		error_errno(err, errno, "cannot write '%s'", dst);
		goto out;
	}
	hash_final_hex(&s.hash, digest);
	*size = s.size;
	ret = 0;
out:
	if (a)
		archive_write_free(a);
	hash_release(&s.hash);
	if (s.fd >= 0)
		close(s.fd);
	if (fd >= 0)
		close(fd);
	free(ext);
	buf_release(&header);
	return ret;
}

/* ---- decoding ---------------------------------------------------------- */

struct decoder {
	uint64_t size;        /* apparent size from the header */
	struct extent *ext;   /* extents from the header */
	size_t n;             /* their count */
	size_t cur;           /* extent being filled */
	uint64_t done;        /* bytes of it written */
	uint64_t hashed_to;   /* content hashed up to this offset */
	struct hash hash;     /* content digest (HASH_CONTENT), holes as zeros */
	int fd;               /* the decoded file */
};

static int parse_header(struct decoder *d, const char *text, struct error *err)
{
	if (!str_startswith(text, BLOB_MAGIC))
		return error_set(err, "not an encoded blob");
	const char *p = text + strlen(BLOB_MAGIC);
	int used;
	if (sscanf(p, "size %" SCNu64 "\n%n", &d->size, &used) != 1)
		return error_set(err, "encoded blob has no size");
	p += used;
	uint64_t end = 0;
	size_t alloc = 0;
	struct extent x;
	while (sscanf(p, "extent %" SCNu64 " %" SCNu64 "\n%n", &x.off, &x.len, &used) == 2) {
		if (x.off < end || x.len == 0 || x.len > d->size || x.off > d->size - x.len)
			return error_set(err, "encoded blob has a bad extent");
		if (d->n == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			d->ext = xrealloc(d->ext, alloc * sizeof(*d->ext));
		}
		d->ext[d->n++] = x;
		end = x.off + x.len;
		p += used;
	}
	if (strcmp(p, "data\n") != 0)
		return error_set(err, "encoded blob has a malformed header");
	return 0;
}

/* hash zeros from hashed_to up to off (the content digest skips whole zero chunks) */
static void hash_hole(struct decoder *d, uint64_t off)
{
	if (d->hashed_to < off) {
		hash_update_zeros(&d->hash, off - d->hashed_to);
		d->hashed_to = off;
	}
}

static int feed_data(struct decoder *d, const char *p, size_t n, const char *dst, struct error *err)
{
	while (n > 0) {
		if (d->cur >= d->n)
			return error_set(err, "encoded blob has data past its extents");
		struct extent *x = &d->ext[d->cur];
		size_t take = x->len - d->done < n ? (size_t)(x->len - d->done) : n;
		hash_hole(d, x->off + d->done);
		for (size_t w = 0; w < take;) {
			ssize_t r = pwrite(d->fd, p + w, take - w, (off_t)(x->off + d->done + w));
			if (r < 0 && errno != EINTR)
				return error_errno(err, errno, "cannot write '%s'", dst);
			w += r > 0 ? (size_t)r : 0;
		}
		hash_update(&d->hash, p, take);
		d->hashed_to += take;
		d->done += take;
		p += take;
		n -= take;
		if (d->done == x->len) {
			d->cur++;
			d->done = 0;
		}
	}
	return 0;
}

/* take bytes into the header until "data\n" ends it, then feed the rest as data */
static int feed(struct decoder *d, struct buf *header, bool *in_header, const char *p, size_t n,
		const char *dst, struct error *err)
{
	if (!*in_header)
		return feed_data(d, p, n, dst, err);
	size_t old = header->len;
	buf_add(header, p, n);
	char *end = strstr(header->data, "\ndata\n");
	if (!end) {
		if (header->len > HEADER_MAX || memchr(header->data, '\0', header->len))
			return error_set(err, "encoded blob has a malformed header");
		return 0;
	}
	size_t hlen = (size_t)(end - header->data) + strlen("\ndata\n");
	char saved = header->data[hlen];
	header->data[hlen] = '\0';
	int r = parse_header(d, header->data, err);
	header->data[hlen] = saved;
	*in_header = false;
	if (r < 0)
		return -1;
	return feed_data(d, p + (hlen - old), n - (hlen - old), dst, err);
}

/* what stream_decode() feeds: the header, then the extents' data */
struct feed_state {
	struct decoder *d;   /* the blob being rebuilt */
	struct buf header;   /* header bytes so far */
	bool in_header;      /* "data\n" not seen yet */
	const char *dst;     /* the file being written, for messages */
};

static int feed_sink(void *arg, const void *data, size_t n, struct error *err)
{
	struct feed_state *f = arg;
	return feed(f->d, &f->header, &f->in_header, data, n, f->dst, err);
}

/* decode src (zstd or gzip, read to the end of its stream with its checks) into d */
static int read_stream(const char *src, struct decoder *d, const char *dst, struct error *err)
{
	struct feed_state f = { d, BUF_INIT, true, dst };
	enum stream_format fmt;
	int ret = -1;
	int fd = open_regular(src, err);
	if (fd < 0)
		return -1;
	if (stream_decode_detect(fd, &fmt, err) < 0)
		goto out;
	if (fmt != STREAM_ZSTD && fmt != STREAM_GZIP) {
		error_set(err, "encoded blob '%s' is neither zstd nor gzip", src);
		goto out;
	}
	if (stream_decode(fd, fmt, feed_sink, &f, err) < 0) {
		error_prefix(err, "cannot decompress '%s'", src);
		goto out;
	}
	if (f.in_header || d->cur != d->n) {
		error_set(err, "encoded blob '%s' is truncated", src);
		goto out;
	}
	ret = 0;
out:
	close(fd);
	buf_release(&f.header);
	return ret;
}

int remote_codec_decode(const char *src, const char *dst, char digest[SHA256_HEX], uint64_t *size,
		  struct error *err)
{
	struct decoder d = { .fd = -1 };
	int ret = -1;
	if (hash_init(&d.hash, HASH_CONTENT, err) < 0)
		goto out;
	if ((d.fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		error_errno(err, errno, "cannot create '%s'", dst);
		goto out;
	}
	if (read_stream(src, &d, dst, err) < 0)
		goto out;
	hash_hole(&d, d.size);
	if (ftruncate(d.fd, (off_t)d.size) < 0 || fsync(d.fd) < 0) {
		error_errno(err, errno, "cannot write '%s'", dst);
		goto out;
	}
	hash_final_hex(&d.hash, digest);
	*size = d.size;
	ret = 0;
out:
	hash_release(&d.hash);
	if (d.fd >= 0)
		close(d.fd);
	free(d.ext);
	return ret;
}
