/*
 * Unit tests for the content digest (hash.h's HASH_CONTENT): a hole and
 * zeros written as data are the same content; any non-zero byte and the size
 * change it; chunk boundaries and streaming in odd pieces give the same
 * digest as the file; the digest matches the definition in hash.h,
 * recomputed here from plain SHA-256, also when several threads hash a large
 * file in slices; the hashing copy gives the bytes and their digests.  Real sparse files in a temp directory.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hash.h"
#include "base/util.h"
#include "tap.h"

#define MiB (1u << 20)
#define C HASH_CONTENT_CHUNK

static char dir[] = "/tmp/mvbuild-test-hash.XXXXXX";

/* the definition, from plain SHA-256: tag, (index, sha256) of non-zero chunks, size */
static void reference(const unsigned char *data, size_t n, char hex[SHA256_HEX])
{
	struct buf msg = BUF_INIT;
	buf_adds(&msg, "mvbuild content digest 1\n");
	for (size_t i = 0; i * C < n; i++) {
		size_t len = n - i * C < C ? n - i * C : C;
		size_t k = 0;
		while (k < len && data[i * C + k] == 0)
			k++;
		if (k == len)
			continue;
		unsigned char rec[40];
		char h[SHA256_HEX];
		for (int b = 0; b < 8; b++)
			rec[b] = (unsigned char)((uint64_t)i >> (56 - 8 * b));
		hash_buffer_hex(HASH_SHA256, data + i * C, len, h);
		for (int b = 0; b < 32; b++)
			rec[8 + b] = (unsigned char)(hex_digit_value(h[2 * b], false) * 16 +
						     hex_digit_value(h[2 * b + 1], false));
		buf_add(&msg, rec, sizeof(rec));
	}
	unsigned char size[8];
	for (int b = 0; b < 8; b++)
		size[b] = (unsigned char)((uint64_t)n >> (56 - 8 * b));
	buf_add(&msg, size, sizeof(size));
	hash_buffer_hex(HASH_SHA256, msg.data, msg.len, hex);
	buf_release(&msg);
}

/* write data to a new file; with sparse, zero runs of 4 KiB blocks stay holes */
static char *put(const char *name, const unsigned char *data, size_t n, bool sparse)
{
	char *p = path_join(dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	for (size_t off = 0; off < n; off += 4096) {
		size_t len = n - off < 4096 ? n - off : 4096;
		size_t k = 0;
		while (sparse && k < len && data[off + k] == 0)
			k++;
		if (!sparse || k < len)
			(void)!pwrite(fd, data + off, len, (off_t)off);
	}
	(void)!ftruncate(fd, (off_t)n);
	close(fd);
	return p;
}

static void file_digest(const char *path, char hex[SHA256_HEX])
{
	struct error err = ERROR_INIT;
	if (hash_file_hex(HASH_CONTENT, path, hex, &err) < 0) {
		printf("# %s\n", err.msg);
		hex[0] = '\0';
	}
	error_release(&err);
}

/* the digest of data fed in pieces of step bytes, zero runs through hash_update_zeros */
static void stream_digest(const unsigned char *data, size_t n, size_t step, char hex[SHA256_HEX])
{
	struct hash h;
	struct error err = ERROR_INIT;
	hash_init(&h, HASH_CONTENT, &err);
	for (size_t off = 0; off < n; off += step) {
		size_t len = n - off < step ? n - off : step;
		size_t k = 0;
		while (k < len && data[off + k] == 0)
			k++;
		if (k == len)
			hash_update_zeros(&h, len);
		else
			hash_update(&h, data + off, len);
	}
	hash_final_hex(&h, hex);
}

/* file (sparse and dense), stream and reference agree on data; returns the digest */
static char *agree(const char *what, const unsigned char *data, size_t n)
{
	char ref[SHA256_HEX], sparse[SHA256_HEX], dense[SHA256_HEX], s1[SHA256_HEX], s2[SHA256_HEX];
	reference(data, n, ref);
	char *ps = put("sparse", data, n, true), *pd = put("dense", data, n, false);
	file_digest(ps, sparse);
	file_digest(pd, dense);
	stream_digest(data, n, 4099, s1);
	stream_digest(data, n, 3 * C + 5, s2);
	is_str(sparse, ref, "%s: a sparse file's digest is the definition's", what);
	is_str(dense, ref, "%s: zeros written as data give the same digest as holes", what);
	is_str(s1, ref, "%s: streamed in odd pieces, the same digest", what);
	is_str(s2, ref, "%s: streamed across chunks with zero runs skipped, the same digest", what);
	free(ps);
	free(pd);
	return xstrdup(ref);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	size_t n = 5 * MiB + 123;
	unsigned char *data = xcalloc(1, n + MiB);

	char *empty = agree("empty file", data, 0);
	char *zeros = agree("all zeros", data, n);
	char *zeros_more = agree("all zeros, one byte longer", data, n + 1);
	ok(strcmp(zeros, zeros_more) != 0, "the size matters: more trailing zeros, another digest");
	ok(strcmp(empty, zeros) != 0, "an empty file and a file of zeros differ");

	const size_t where[] = { 0, C - 1, C, 2 * MiB + 7, n - 1 };
	char *seen[5];
	for (size_t i = 0; i < 5; i++) {
		data[where[i]] = 1;
		char what[64];
		snprintf(what, sizeof(what), "one byte at %zu", where[i]);
		seen[i] = agree(what, data, n);
		ok(strcmp(seen[i], zeros) != 0, "a non-zero byte at %zu changes the digest", where[i]);
		data[where[i]] = 0;
	}
	ok(strcmp(seen[1], seen[2]) != 0, "the last byte of a chunk and the first of the next differ");

	memset(data, 'x', 3);
	char *abc = agree("three bytes", data, 3);
	char *abc_zeros = agree("three bytes and zeros", data, C + 3);
	ok(strcmp(abc, abc_zeros) != 0, "a file and the same file plus trailing zeros differ");
	memset(data, 'y', 2 * C);
	char *exact = agree("exactly two full chunks", data, 2 * C);
	char *past = agree("two full chunks and a zero byte", data, 2 * C + 1);
	ok(strcmp(exact, past) != 0, "a zero byte past a chunk boundary changes the size, and the digest");

	char sha[SHA256_HEX];
	hash_buffer_hex(HASH_SHA256, data, 2 * C, sha);
	ok(strcmp(sha, exact) != 0, "the content digest is not the plain sha256");
	char buf_digest[SHA256_HEX];
	hash_buffer_hex(HASH_CONTENT, data, 2 * C, buf_digest);
	is_str(buf_digest, exact, "hash_buffer_hex(HASH_CONTENT) is the same digest");

	/* a 64 GiB sparse file with one byte of data: only that chunk is read and hashed */
	uint64_t big = 64ull << 30, at = (40ull << 30) + 12345;
	char *pbig = path_join(dir, "big");
	int fd = open(pbig, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	(void)!pwrite(fd, "z", 1, (off_t)at);
	(void)!ftruncate(fd, (off_t)big);
	close(fd);
	char fbig[SHA256_HEX], sbig[SHA256_HEX];
	double t0 = now_monotonic();
	file_digest(pbig, fbig);
	double took = now_monotonic() - t0;
	struct hash h;
	struct error herr = ERROR_INIT;
	hash_init(&h, HASH_CONTENT, &herr);
	hash_update_zeros(&h, at);
	hash_update(&h, "z", 1);
	hash_update_zeros(&h, big - at - 1);
	hash_final_hex(&h, sbig);
	is_str(fbig, sbig, "a 64 GiB sparse file: the file and the stream of its holes agree");
	/* a figure, not a budget: bench/image-sparse.sh measures speed */
	printf("# a 64 GiB sparse file with one data byte: %.3f s\n", took);

	/* several digests from one read equal each digest alone */
	char sha256[SHA256_HEX], sha512[HASH_MAX_HEX], content[SHA256_HEX];
	char one256[SHA256_HEX], one512[HASH_MAX_HEX], one_content[SHA256_HEX];
	const enum hash_algo algos[] = { HASH_SHA256, HASH_SHA512, HASH_CONTENT };
	char *const hexes[] = { sha256, sha512, content };
	char *pmix = put("mixed", data, n, true);
	struct error merr = ERROR_INIT;
	int mret = hash_file_hexes(pmix, 3, algos, hexes, &merr);
	ok(mret == 0, "three digests from one read of a sparse file");
	hash_file_hex(HASH_SHA256, pmix, one256, &merr);
	hash_file_hex(HASH_SHA512, pmix, one512, &merr);
	hash_file_hex(HASH_CONTENT, pmix, one_content, &merr);
	is_str(sha256, one256, "one read: its sha256 is the sha256 alone");
	is_str(sha512, one512, "one read: its sha512 is the sha512 alone");
	is_str(content, one_content, "one read: its content digest is the content digest alone");
	error_release(&merr);
	ok(hash_file_hexes(pmix, HASH_MAX_AT_ONCE + 1, algos, hexes, &merr) < 0,
	   "more digests than one read feeds is an error, not an overrun");
	error_release(&merr);
	unlink(pmix);
	free(pmix);

	/*
	 * Past 8 MiB of data the content digest of a file is computed by several
	 * threads over 4 MiB slices: with data at slice edges, holes across slices
	 * and a short last chunk it is still the definition.  agree() hashes the
	 * file dense (13 MiB of data: the threads) and sparse (under 8 MiB
	 * allocated: one thread).
	 */
	size_t nl = 13 * MiB + 777;
	unsigned char *large = xcalloc(1, nl);
	srand(16);
	for (size_t off = 0; off < nl; off += 4096) {
		size_t blk = off / 4096;
		if (blk % 7 == 3 || blk % 1024 == 1023 || blk % 1024 == 0 || off + 4096 >= nl)
			for (size_t k = 0; k < 4096 && off + k < nl; k++)
				large[off + k] = (unsigned char)rand();
	}
	memset(large + 5 * MiB, 0, 2 * MiB); /* a hole of whole slices' chunks */
	memset(large + 8 * MiB - 3 * C, 0, 6 * C); /* zeros across the slice edge at 8 MiB */
	free(agree("13 MiB of scattered data, hashed in slices", large, nl));

	/* the hashing copy: one read gives the copy and the digests of its bytes */
	char *plarge = put("large", large, nl, true), *pcopy = path_join(dir, "copy");
	char c_content[SHA256_HEX], c_sha[SHA256_HEX], want_sha[SHA256_HEX], got[SHA256_HEX];
	const enum hash_algo calgos[] = { HASH_CONTENT, HASH_SHA256 };
	char *const chexes[] = { c_content, c_sha };
	struct error cerr = ERROR_INIT;
	ok(hash_copy_file_hexes(plarge, pcopy, 0444, 2, calgos, chexes, &cerr) == 0,
	   "a hashing copy of a sparse file");
	file_digest(pcopy, got);
	is_str(c_content, got, "the hashing copy's content digest is the copy's");
	hash_buffer_hex(HASH_SHA256, large, nl, want_sha);
	is_str(c_sha, want_sha, "the hashing copy's sha256 is the source's bytes'");
	struct stat cst, lst;
	stat(pcopy, &cst);
	stat(plarge, &lst);
	ok(cst.st_size == (off_t)nl && (cst.st_mode & 0777) == 0444, "the copy has the size and the mode");
	/* the source's holes stay holes (within an extent block or two of the source's allocation) */
	ok(cst.st_blocks < lst.st_blocks + 64 && (uint64_t)cst.st_blocks * 512 < nl,
	   "the copy keeps the holes (%lld blocks, source %lld)", (long long)cst.st_blocks,
	   (long long)lst.st_blocks);
	int r = hash_copy_file_hexes(plarge, pcopy, 0444, 1, calgos, chexes, &cerr);
	ok(r < 0 && cerr.msg && strstr(cerr.msg, pcopy), "a hashing copy never replaces an existing file: %s",
	   cerr.msg ? cerr.msg : "");
	error_release(&cerr);
	char *pnone = path_join(dir, "none"), *pcopy2 = path_join(dir, "copy2");
	r = hash_copy_file_hexes(pnone, pcopy2, 0444, 1, calgos, chexes, &cerr);
	ok(r < 0 && access(pcopy2, F_OK) != 0, "a missing source leaves no copy: %s", cerr.msg ? cerr.msg : "");
	error_release(&cerr);
	free(pnone), free(pcopy2), free(plarge), free(pcopy), free(large);
	unlink(pbig);
	free(pbig);

	free(empty), free(zeros), free(zeros_more), free(abc), free(abc_zeros), free(exact), free(past);
	for (size_t i = 0; i < 5; i++)
		free(seen[i]);
	free(data);
	char *cmd = xasprintf("rm -rf %s", dir);
	(void)!system(cmd);
	free(cmd);
	return tap_done();
}
