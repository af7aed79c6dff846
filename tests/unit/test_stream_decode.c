/*
 * Unit tests for stream_decode and its use by kernel_tree: every format is
 * decoded to the end with its own integrity check.  Fixtures are made at
 * test time with the format's own tool, then damaged: the integrity field
 * flipped (gzip CRC32 and ISIZE, the xz block check, the zstd frame
 * checksum, the bzip2 stream CRC), bytes appended, or the end cut off.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/hash.h"
#include "kernel/kernel_tree.h"
#include "cache/remote_codec.h"
#include "base/stream_decode.h"
#include "base/stream_pipe.h"
#include "tap.h"

struct fixture {
	const char *ext;          /* file name extension */
	const char *compress;     /* shell command: stdin to stdout */
	enum stream_format fmt;   /* what stream_decode_detect must say */
};

static const struct fixture fixtures[] = {
	{ "gz", "gzip -n -c", STREAM_GZIP },
	{ "xz", "xz --check=crc64 -c", STREAM_XZ },
	{ "zst", "zstd -q --check -c", STREAM_ZSTD },
	{ "bz2", "bzip2 -c", STREAM_BZIP2 },
};

static char *root;

static void load(const char *path, struct buf *b)
{
	struct error err = ERROR_INIT;
	b->len = 0;
	if (read_file(path, 64u << 20, b, &err) < 0)
		fprintf(stderr, "# %s\n", err.msg);
	error_release(&err);
}

static void save(const char *path, const struct buf *b)
{
	struct error err = ERROR_INIT;
	if (write_file_atomic(path, b->data, b->len, 0644, &err) < 0)
		fprintf(stderr, "# %s\n", err.msg);
	error_release(&err);
}

/* the offset of the integrity field of a single-stream file of format fmt */
static size_t check_offset(const struct buf *b, enum stream_format fmt)
{
	switch (fmt) {
	case STREAM_GZIP:
		return b->len - 8; /* CRC32, then ISIZE */
	case STREAM_ZSTD:
		return b->len - 4; /* the frame's content checksum */
	case STREAM_BZIP2:
		return b->len - 5; /* inside the stream CRC that follows the end magic */
	case STREAM_XZ: {
		/* the block check is the last field before the index; the footer gives its size */
		const unsigned char *f = (const unsigned char *)b->data + b->len - 8;
		uint32_t backward = (uint32_t)f[0] | (uint32_t)f[1] << 8 | (uint32_t)f[2] << 16 |
				    (uint32_t)f[3] << 24;
		return b->len - 12 - ((size_t)backward + 1) * 4 - 8;
	}
	default:
		return 0;
	}
}

struct sink {
	struct hash h;
	size_t bytes;
};

static int hash_sink(void *arg, const void *data, size_t n, struct error *err)
{
	struct sink *s = arg;
	hash_update(&s->h, data, n);
	s->bytes += n;
	return 0;
}

/* decode path; 0 with hex set to the sha256 of the output, or -1 with err */
static int decode(const char *path, char hex[SHA256_HEX], size_t *bytes, struct error *err)
{
	struct sink s = { .bytes = 0 };
	enum stream_format fmt;
	int ret = -1;
	int fd = open_regular(path, err);
	if (fd < 0)
		return -1;
	if (hash_init(&s.h, HASH_SHA256, err) == 0 && stream_decode_detect(fd, &fmt, err) == 0 &&
	    stream_decode(fd, fmt, hash_sink, &s, err) == 0) {
		hash_final_hex(&s.h, hex);
		ret = 0;
	}
	hash_release(&s.h);
	close(fd);
	if (bytes)
		*bytes = s.bytes;
	return ret;
}

static void test_format(const struct fixture *fx, const char *tar, const char *tar_hex)
{
	struct error err = ERROR_INIT;
	char hex[SHA256_HEX];
	struct buf good = BUF_INIT, bad = BUF_INIT;
	char *path = xasprintf("%s/good.%s", root, fx->ext);
	char *damaged = xasprintf("%s/bad.%s", root, fx->ext);
	char *cmd = xasprintf("%s <%s >%s", fx->compress, tar, path);
	ok(system(cmd) == 0, "%s: made a fixture", fx->ext);
	free(cmd);

	int fd = open_regular(path, &err);
	enum stream_format fmt = STREAM_NONE;
	ok(fd >= 0 && stream_decode_detect(fd, &fmt, &err) == 0 && fmt == fx->fmt, "%s: detected as %s",
	   fx->ext, stream_decode_format_name(fx->fmt));
	if (fd >= 0)
		close(fd);
	int r = decode(path, hex, NULL, &err);
	ok(r == 0 && strcmp(hex, tar_hex) == 0,
	   "%s: decodes to the original bytes %s", fx->ext, err.msg ? err.msg : "");
	error_release(&err);

	load(path, &good);
	buf_release(&bad);
	buf_add(&bad, good.data, good.len);
	bad.data[check_offset(&good, fx->fmt)] ^= 0x5a;
	save(damaged, &bad);
	r = decode(damaged, hex, NULL, &err);
	ok(r < 0 && err.msg && strstr(err.msg, stream_decode_format_name(fx->fmt)),
	   "%s: a flipped integrity field is refused: %s", fx->ext, err.msg ? err.msg : "accepted");
	error_release(&err);

	bad.len = 0;
	buf_add(&bad, good.data, good.len);
	buf_adds(&bad, "trailing garbage\n");
	save(damaged, &bad);
	r = decode(damaged, hex, NULL, &err);
	ok(r < 0, "%s: trailing garbage is refused: %s", fx->ext,
	   err.msg ? err.msg : "accepted");
	error_release(&err);

	bad.len = 0;
	buf_add(&bad, good.data, good.len - 6);
	save(damaged, &bad);
	r = decode(damaged, hex, NULL, &err);
	ok(r < 0, "%s: a truncated stream is refused: %s", fx->ext,
	   err.msg ? err.msg : "accepted");
	error_release(&err);

	/* concatenated streams are one stream, as gzip -d, xz -d, zstd -d and bzip2 -d read them */
	size_t bytes = 0, one = 0;
	struct stat st;
	if (stat(tar, &st) == 0)
		one = (size_t)st.st_size;
	bad.len = 0;
	buf_add(&bad, good.data, good.len);
	buf_add(&bad, good.data, good.len);
	save(damaged, &bad);
	r = decode(damaged, hex, &bytes, &err);
	ok(r == 0 && bytes == 2 * one,
	   "%s: two concatenated streams decode to both contents %s", fx->ext,
	   err.msg ? err.msg : "");
	error_release(&err);

	buf_release(&good);
	buf_release(&bad);
	free(path);
	free(damaged);
}

/* the gzip trailer has two fields: the length is checked as well as the CRC */
static void test_gzip_isize(void)
{
	struct error err = ERROR_INIT;
	struct buf b = BUF_INIT;
	char hex[SHA256_HEX];
	char *path = xasprintf("%s/good.gz", root);
	char *damaged = xasprintf("%s/isize.gz", root);
	load(path, &b);
	b.data[b.len - 2] ^= 0x01;
	save(damaged, &b);
	int r = decode(damaged, hex, NULL, &err);
	ok(r < 0 && err.msg && strstr(err.msg, "length"),
	   "gz: a wrong ISIZE is refused: %s", err.msg ? err.msg : "accepted");
	error_release(&err);
	buf_release(&b);
	free(path);
	free(damaged);
}

/* a kernel tarball whose stream is damaged after the tar end marker leaves no tree */
static void test_kernel_tarball(void)
{
	struct error err = ERROR_INIT;
	char *cmd = xasprintf("mkdir -p %s/k/linux-9.9 && echo 'obj-y += fork.o' > %s/k/linux-9.9/Makefile"
			      " && tar -C %s/k -czf %s/linux.tar.gz linux-9.9", root, root, root, root);
	ok(system(cmd) == 0, "made a small kernel tarball");
	free(cmd);
	char *cache = path_join(root, "kcache");
	char *tarball = path_join(root, "linux.tar.gz");
	struct buf b = BUF_INIT;
	load(tarball, &b);
	b.data[b.len - 8] ^= 0xff;
	save(tarball, &b);
	char *srcdir = NULL;
	const char *digest = "1111111111111111111111111111111111111111111111111111111111111111";
	int r = kernel_tree_get(cache, tarball, digest, &srcdir, &err);
	ok(r < 0 && err.msg &&
	   strstr(err.msg, "incorrect data check"),
	   "kernel tarball with a wrong gzip CRC is refused: %s", err.msg ? err.msg : "accepted");
	error_release(&err);
	ok(!kernel_tree_present(cache, digest), "and no source tree is left under src/");

	b.data[b.len - 8] ^= 0xff;
	buf_adds(&b, "garbage");
	save(tarball, &b);
	r = kernel_tree_get(cache, tarball, digest, &srcdir, &err);
	ok(r < 0 && err.msg &&
	   strstr(err.msg, "trailing garbage"),
	   "kernel tarball with trailing garbage is refused: %s", err.msg ? err.msg : "accepted");
	error_release(&err);
	ok(!kernel_tree_present(cache, digest), "and no source tree is left under src/");

	b.len -= strlen("garbage");
	save(tarball, &b);
	r = kernel_tree_get(cache, tarball, digest, &srcdir, &err);
	ok(r == 0,
	   "the intact tarball unpacks %s", err.msg ? err.msg : "");
	error_release(&err);
	free(srcdir);
	buf_release(&b);
	free(tarball);
	free(cache);
}

/* a remote blob is decoded to the end of its stream: bytes after it are refused */
static void test_remote_blob(const char *tar)
{
	struct error err = ERROR_INIT;
	char want[SHA256_HEX], got[SHA256_HEX];
	uint64_t size;
	struct buf b = BUF_INIT;
	char *enc = path_join(root, "blob.enc");
	char *dec = path_join(root, "blob.dec");
	int r = remote_codec_encode(tar, enc, want, &size, &err);
	ok(r == 0, "encoded a remote blob %s", err.msg ? err.msg : "");
	error_release(&err);
	r = remote_codec_decode(enc, dec, got, &size, &err);
	ok(r == 0, "the intact blob decodes %s", err.msg ? err.msg : "");
	error_release(&err);
	unlink(dec);
	load(enc, &b);
	buf_adds(&b, "trailing garbage");
	save(enc, &b);
	r = remote_codec_decode(enc, dec, got, &size, &err);
	ok(r < 0 && err.msg && strstr(err.msg, "cannot decompress"),
	   "a blob with trailing bytes is refused: %s", err.msg ? err.msg : "accepted");
	error_release(&err);
	buf_release(&b);
	free(enc);
	free(dec);
}

/* the first line of a command's output (a tool's digest), into out */
static void first_word(const char *cmd, char out[SHA256_HEX])
{
	out[0] = '\0';
	FILE *f = popen(cmd, "r");
	char line[256];
	if (!f)
		return;
	/* read it all: the tool must not see a closed pipe */
	for (bool first = true; fgets(line, sizeof(line), f); first = false)
		if (first && sscanf(line, "%64s", out) != 1)
			out[0] = '\0';
	pclose(f);
}

static int count_sink(void *arg, const void *data, size_t n, struct error *err)
{
	*(size_t *)arg += n;
	return 0;
}

/* a tap into a struct hash */
static int hash_tap(void *arg, const void *data, size_t n, struct error *err)
{
	hash_update(arg, data, n);
	return 0;
}

/*
 * A tap sees every byte of the file, whatever its compression, to the end:
 * the tapped sha256 equals sha256sum's and the tapped content digest the
 * one tests/content_digest.py computes from its definition.
 */
static void test_tap(const char *path, const char *label)
{
	struct error err = ERROR_INIT;
	char want_sha[SHA256_HEX], want_content[SHA256_HEX], sha[SHA256_HEX] = "",
	     content[SHA256_HEX] = "";
	char *cmd = xasprintf("sha256sum %s", path);
	first_word(cmd, want_sha);
	free(cmd);
	cmd = xasprintf("python3 %s/tests/content_digest.py %s", getenv("REPO_DIR") ?
			getenv("REPO_DIR") : ".", path);
	first_word(cmd, want_content);
	free(cmd);
	enum hash_algo algos[] = { HASH_SHA256, HASH_CONTENT };
	char *hexes[] = { sha, content };
	for (size_t i = 0; i < 2; i++) {
		struct hash tap;
		size_t bytes = 0;
		enum stream_format fmt;
		int fd = open_regular(path, &err);
		int r = fd >= 0 && hash_init(&tap, algos[i], &err) == 0 &&
			stream_decode_detect(fd, &fmt, &err) == 0 &&
			stream_decode_tapped(fd, fmt, hash_tap, &tap, count_sink, &bytes, &err) == 0;
		if (r)
			hash_final_hex(&tap, hexes[i]);
		hash_release(&tap);
		if (fd >= 0)
			close(fd);
	}
	is_str(sha, want_sha, "%s: the tapped sha256 is sha256sum's %s", label,
	       err.msg ? err.msg : "");
	is_str(content, want_content, "%s: the tapped content digest is content_digest.py's",
	       label);
	error_release(&err);

	/* through stream_pipe, with a reader that stops after its first block */
	int fd;
	char piped[SHA256_HEX] = "";
	struct hash tap;
	hash_init(&tap, HASH_CONTENT, &err);
	struct stream_pipe *p = stream_pipe_open(path, &fd, hash_tap, &tap, &err);
	char block[4096];
	ssize_t got = p ? read(fd, block, sizeof(block)) : -1;
	ok(got > 0, "%s: a tapped pipe opens and reads %s", label, err.msg ? err.msg : "");
	/* an uncompressed file has no thread: its reader taps what it reads */
	ok(p && stream_pipe_plain(p) == (strcmp(label, "none") == 0),
	   "%s: the pipe is plain only for an uncompressed file", label);
	if (p && stream_pipe_plain(p) && got > 0)
		hash_tap(&tap, block, (size_t)got, &err);
	int r = stream_pipe_close(p, true, &err);
	hash_final_hex(&tap, piped);
	hash_release(&tap);
	ok(r == 0 && strcmp(piped, want_content) == 0,
	   "%s: its tap saw the whole file though the reader stopped early %s", label,
	   err.msg ? err.msg : "");
	error_release(&err);
}

/* a FIFO where a file is expected is refused at once instead of blocking the reader */
static void test_fifo(void)
{
	struct error err = ERROR_INIT;
	char *fifo = path_join(root, "fifo");
	ok(mkfifo(fifo, 0644) == 0, "made a FIFO");
	int fd = open_regular(fifo, &err);
	ok(fd < 0 && err.msg && strstr(err.msg, "is a FIFO, not a regular file"),
	   "open_regular refuses a FIFO: %s", err.msg ? err.msg : "opened");
	if (fd >= 0)
		close(fd);
	error_release(&err);
	fd = open_regular(root, &err);
	ok(fd < 0 && err.msg && strstr(err.msg, "is a directory"),
	   "open_regular refuses a directory: %s", err.msg ? err.msg : "opened");
	error_release(&err);
	free(fifo);
}

int main(void)
{
	char tmpl[] = "/tmp/mvbuild-stream.XXXXXX";
	if (!mkdtemp(tmpl))
		return 1;
	root = tmpl;
	struct error err = ERROR_INIT;
	char *tar = path_join(root, "payload.tar");
	char tar_hex[SHA256_HEX] = "";
	char *cmd = xasprintf("mkdir -p %s/in && head -c 300000 /dev/urandom | od -An -x > %s/in/data"
			      " && tar -C %s/in -cf %s data", root, root, root, tar);
	ok(system(cmd) == 0 && hash_file_hex(HASH_SHA256, tar, tar_hex, &err) == 0,
	   "made a payload tar");
	free(cmd);
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		test_format(&fixtures[i], tar, tar_hex);
	/* the tar with bytes after its end marker, as a raw layer may have */
	char *padded = path_join(root, "padded.tar");
	cmd = xasprintf("cat %s > %s && printf 'after the end\\n' >> %s", tar, padded, padded);
	ok(system(cmd) == 0, "made a tar with bytes after its end");
	free(cmd);
	test_tap(padded, "none");
	free(padded);
	for (size_t i = 0; i < 3; i++) {
		char *path = xasprintf("%s/good.%s", root, fixtures[i].ext);
		test_tap(path, fixtures[i].ext);
		free(path);
	}
	test_gzip_isize();
	test_kernel_tarball();
	test_remote_blob(tar);
	test_fifo();
	error_release(&err);
	free(tar);
	remove_tree(root);
	return tap_done();
}
