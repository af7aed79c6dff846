#include "base/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * libcrypto's SHA256_* / SHA512_* functions, not EVP: the same assembly
 * (SHA-NI, AVX2), but no provider to fetch.  EVP's first digest reads
 * openssl.cnf and builds the provider's name map of every algorithm: 2 to
 * 3 ms of CPU per process here, a fifth of a no-op build
 * (docs/performance.md).  OpenSSL 3 marks these functions deprecated (for
 * the providers' sake, irrelevant to a plain digest); OPENSSL_API_COMPAT
 * keeps its headers from warning about them.
 */
#define OPENSSL_API_COMPAT 10101
#include <openssl/sha.h>

#include "base/fileutil.h"
#include "base/util.h"

/* what md_ctx points to: the state of whichever algorithm was started */
union hash_state {
	SHA256_CTX sha256;
	SHA512_CTX sha512;
};

/* (not SHA256() and SHA512(): in OpenSSL 3 those go through EVP) */
static int state_init(union hash_state *st, enum hash_algo algo)
{
	return algo == HASH_SHA512 ? SHA512_Init(&st->sha512) : SHA256_Init(&st->sha256);
}

static void state_update(union hash_state *st, enum hash_algo algo, const void *data, size_t n)
{
	if (algo == HASH_SHA512)
		SHA512_Update(&st->sha512, data, n);
	else
		SHA256_Update(&st->sha256, data, n);
}

static void state_final_hex(union hash_state *st, enum hash_algo algo, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[SHA512_DIGEST_LENGTH];
	size_t len = algo == HASH_SHA512 ? SHA512_DIGEST_LENGTH : SHA256_DIGEST_LENGTH;
	if (algo == HASH_SHA512)
		SHA512_Final(md, &st->sha512);
	else
		SHA256_Final(md, &st->sha256);
	for (size_t i = 0; i < len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * len] = '\0';
}

/* the raw 32 bytes of a chunk's SHA-256 */
static void chunk_final(union hash_state *st, unsigned char *md)
{
	SHA256_Final(md, &st->sha256);
}

#define CONTENT_TAG "mvbuild content digest 1\n"

/* zeros to feed a chunk's leading zero run once a non-zero byte shows up */
static const char zero_block[64 << 10];

/* HASH_CONTENT's outer digest and its chunks are SHA-256; the state functions
 * above treat every algorithm but HASH_SHA512 as SHA-256 */
int hash_init(struct hash *h, enum hash_algo algo, struct error *err)
{
	(void)err; /* starting a digest only sets its initial values: it cannot fail */
	*h = (struct hash){ .algo = algo };
	h->md_ctx = xmalloc(sizeof(union hash_state));
	state_init(h->md_ctx, algo);
	if (algo == HASH_CONTENT) {
		h->chunk_ctx = xmalloc(sizeof(union hash_state));
		state_init(h->chunk_ctx, HASH_SHA256);
		state_update(h->md_ctx, algo, CONTENT_TAG, strlen(CONTENT_TAG));
	}
	return 0;
}

static void put_u64be(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

/* true when the n bytes at p are all zero */
static bool all_zero(const unsigned char *p, size_t n)
{
	/* memcmp against itself shifted by one: libc's vectorized compare does the scan */
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* the chunk holding byte size - 1 is complete: add it to the outer digest unless all zero */
static void content_end_chunk(struct hash *h)
{
	if (h->chunk_data) {
		unsigned char rec[8 + SHA256_DIGEST_LENGTH];
		put_u64be(rec, (h->size - 1) / HASH_CONTENT_CHUNK);
		chunk_final(h->chunk_ctx, rec + 8);
		state_update(h->md_ctx, h->algo, rec, sizeof(rec));
		state_init(h->chunk_ctx, HASH_SHA256);
	}
	h->chunk_data = 0;
	h->zero_run = 0;
}

/* feed n bytes that all lie in the current chunk; data NULL means zeros */
static void content_piece(struct hash *h, const unsigned char *data, size_t n)
{
	if (!h->chunk_data && (!data || all_zero(data, n))) {
		h->zero_run += n; /* hashed only if the chunk turns out to hold data */
	} else {
		if (!h->chunk_data) {
			h->chunk_data = 1;
			for (uint64_t z = h->zero_run; z > 0;) {
				size_t k = z < sizeof(zero_block) ? (size_t)z : sizeof(zero_block);
				state_update(h->chunk_ctx, HASH_SHA256, zero_block, k);
				z -= k;
			}
		}
		for (size_t done = 0; !data && done < n;) {
			size_t k = n - done < sizeof(zero_block) ? n - done : sizeof(zero_block);
			state_update(h->chunk_ctx, HASH_SHA256, zero_block, k);
			done += k;
		}
		if (data)
			state_update(h->chunk_ctx, HASH_SHA256, data, n);
	}
	h->size += n;
	if (h->size % HASH_CONTENT_CHUNK == 0)
		content_end_chunk(h);
}

/* feed n bytes (data NULL: zeros) to a content digest, chunk by chunk */
static void content_update(struct hash *h, const unsigned char *data, uint64_t n)
{
	while (n > 0) {
		if (!data && !h->chunk_data && h->size % HASH_CONTENT_CHUNK == 0 &&
		    n >= HASH_CONTENT_CHUNK) {
			/* whole zero chunks add nothing: a hole of any length costs O(1) */
			uint64_t whole = n - n % HASH_CONTENT_CHUNK;
			h->size += whole;
			n -= whole;
			continue;
		}
		uint64_t room = HASH_CONTENT_CHUNK - h->size % HASH_CONTENT_CHUNK;
		size_t k = (size_t)(n < room ? n : room);
		content_piece(h, data, k);
		if (data)
			data += k;
		n -= k;
	}
}

void hash_update(struct hash *h, const void *data, size_t n)
{
	if (h->algo == HASH_CONTENT)
		content_update(h, data, n);
	else
		state_update(h->md_ctx, h->algo, data, n);
}

void hash_update_zeros(struct hash *h, uint64_t n)
{
	if (h->algo == HASH_CONTENT) {
		content_update(h, NULL, n);
		return;
	}
	for (; n > 0;) {
		size_t k = n < sizeof(zero_block) ? (size_t)n : sizeof(zero_block);
		state_update(h->md_ctx, h->algo, zero_block, k);
		n -= k;
	}
}

void hash_final_hex(struct hash *h, char *hex)
{
	if (h->algo == HASH_CONTENT) {
		unsigned char size[8];
		if (h->size % HASH_CONTENT_CHUNK != 0)
			content_end_chunk(h); /* the short last chunk */
		put_u64be(size, h->size);
		state_update(h->md_ctx, h->algo, size, sizeof(size));
	}
	state_final_hex(h->md_ctx, h->algo, hex);
	hash_release(h);
}

void hash_release(struct hash *h)
{
	free(h->md_ctx);
	free(h->chunk_ctx);
	h->md_ctx = NULL;
	h->chunk_ctx = NULL;
}
size_t hash_hex_len(enum hash_algo algo)
{
	return algo == HASH_SHA512 ? 128 : 64;
}

const char *hash_algo_name(enum hash_algo algo)
{
	return algo == HASH_SHA512 ? "sha512" : algo == HASH_CONTENT ? "content" : "sha256";
}

void hash_buffer_hex(enum hash_algo algo, const void *data, size_t n, char *hex)
{
	struct hash h;
	hash_init(&h, algo, NULL); /* cannot fail */
	hash_update(&h, data, n);
	hash_final_hex(&h, hex);
}

/* feed bytes start..end of fd to each of the n digests */
static int hash_range(struct hash *h, size_t n, int fd, off_t start, off_t end, char *block,
		      size_t blocksize, const char *path, struct error *err)
{
	while (start < end) {
		size_t want = (size_t)(end - start) < blocksize ? (size_t)(end - start) : blocksize;
		ssize_t got = pread(fd, block, want, start);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return error_errno(err, errno, "cannot read '%s'", path);
		if (got == 0)
			return error_set(err, "cannot read '%s': file shrank while hashing", path);
		for (size_t i = 0; i < n; i++)
			hash_update(&h[i], block, (size_t)got);
		start += got;
	}
	return 0;
}

int hash_fd_hexes(int fd, const char *path, size_t n, const enum hash_algo *algos,
		  char *const *hexes, struct error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return error_errno(err, errno, "cannot stat '%s'", path);
	struct hash h[HASH_MAX_AT_ONCE];
	if (n == 0 || n > HASH_MAX_AT_ONCE)
		return error_set(err, "cannot hash '%s' %zu ways at once", path, n);
	for (size_t i = 0; i < n; i++)
		hash_init(&h[i], algos[i], err); /* cannot fail */
	const size_t blocksize = 1 << 20;
	char *block = xmalloc(blocksize);
	int ret = -1;
	off_t pos = 0, size = st.st_size;
	while (pos < size) {
		off_t data = lseek(fd, pos, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			data = size; /* only a hole remains */
		else if (data < 0)
			data = pos;  /* no SEEK_DATA support: read everything */
		for (size_t i = 0; i < n; i++)
			hash_update_zeros(&h[i], (uint64_t)(data - pos));
		if (data >= size)
			break;
		off_t hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || hole > size)
			hole = size;
		if (hash_range(h, n, fd, data, hole, block, blocksize, path, err) < 0)
			goto out;
		pos = hole;
	}
	for (size_t i = 0; i < n; i++)
		hash_final_hex(&h[i], hexes[i]);
	ret = 0;
out:
	for (size_t i = 0; i < n; i++)
		hash_release(&h[i]);
	free(block);
	return ret;
}

int hash_fd_hex(enum hash_algo algo, int fd, const char *path, char *hex, struct error *err)
{
	return hash_fd_hexes(fd, path, 1, &algo, &hex, err);
}

int hash_file_hexes(const char *path, size_t n, const enum hash_algo *algos, char *const *hexes,
		    struct error *err)
{
	int fd = open_regular(path, err);
	if (fd < 0)
		return -1;
	int ret = hash_fd_hexes(fd, path, n, algos, hexes, err);
	close(fd);
	return ret;
}

int hash_file_hex(enum hash_algo algo, const char *path, char *hex, struct error *err)
{
	int fd = open_regular(path, err);
	if (fd < 0)
		return -1;
	int ret = hash_fd_hex(algo, fd, path, hex, err);
	close(fd);
	return ret;
}

int hash_hex_is_valid(const char *s, size_t len)
{
	if (strlen(s) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}
