#include "base/hash.h"

#include <errno.h>
#include <fcntl.h>
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

int hash_init(struct hash *h, enum hash_algo algo, struct error *err)
{
	h->algo = algo;
	h->md_ctx = xmalloc(sizeof(union hash_state));
	if (!state_init(h->md_ctx, algo)) {
		hash_release(h);
		return error_set(err, "cannot start %s digest", hash_algo_name(algo));
	}
	return 0;
}

void hash_update(struct hash *h, const void *data, size_t n)
{
	state_update(h->md_ctx, h->algo, data, n);
}

void hash_final_hex(struct hash *h, char *hex)
{
	state_final_hex(h->md_ctx, h->algo, hex);
	hash_release(h);
}

void hash_release(struct hash *h)
{
	free(h->md_ctx);
	h->md_ctx = NULL;
}

size_t hash_hex_len(enum hash_algo algo)
{
	return algo == HASH_SHA512 ? 128 : 64;
}

const char *hash_algo_name(enum hash_algo algo)
{
	return algo == HASH_SHA512 ? "sha512" : "sha256";
}

void hash_buffer_hex(enum hash_algo algo, const void *data, size_t n, char *hex)
{
	union hash_state st;
	state_init(&st, algo); /* cannot fail: it only sets the initial values */
	state_update(&st, algo, data, n);
	state_final_hex(&st, algo, hex);
}

static int hash_range(struct hash *h, int fd, off_t start, off_t end, char *block,
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
		hash_update(h, block, (size_t)got);
		start += got;
	}
	return 0;
}

static void hash_zeros(struct hash *h, off_t count, const char *zeros, size_t zsize)
{
	while (count > 0) {
		size_t n = (size_t)count < zsize ? (size_t)count : zsize;
		hash_update(h, zeros, n);
		count -= (off_t)n;
	}
}

int hash_fd_hex(enum hash_algo algo, int fd, const char *path, char *hex, struct error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return error_errno(err, errno, "cannot stat '%s'", path);
	struct hash h;
	if (hash_init(&h, algo, err) < 0)
		return -1;
	const size_t blocksize = 1 << 20;
	char *block = xmalloc(blocksize);
	char *zeros = xcalloc(1, blocksize);
	int ret = -1;
	off_t pos = 0, size = st.st_size;
	while (pos < size) {
		off_t data = lseek(fd, pos, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			data = size; /* only a hole remains */
		else if (data < 0)
			data = pos;  /* no SEEK_DATA support: read everything */
		hash_zeros(&h, data - pos, zeros, blocksize);
		if (data >= size)
			break;
		off_t hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || hole > size)
			hole = size;
		if (hash_range(&h, fd, data, hole, block, blocksize, path, err) < 0)
			goto out;
		pos = hole;
	}
	hash_final_hex(&h, hex);
	ret = 0;
out:
	hash_release(&h);
	free(block);
	free(zeros);
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
