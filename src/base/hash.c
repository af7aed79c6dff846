#include "base/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/util.h"

static const EVP_MD *hash_md(enum hash_algo algo)
{
	return algo == HASH_SHA512 ? EVP_sha512() : EVP_sha256();
}

int hash_init(struct hash *h, enum hash_algo algo, struct error *err)
{
	h->algo = algo;
	h->md_ctx = EVP_MD_CTX_new();
	if (!h->md_ctx || !EVP_DigestInit_ex(h->md_ctx, hash_md(algo), NULL)) {
		char msg[256];
		ERR_error_string_n(ERR_get_error(), msg, sizeof(msg));
		hash_release(h);
		return error_set(err, "cannot start %s digest: %s", hash_algo_name(algo), msg);
	}
	return 0;
}

void hash_update(struct hash *h, const void *data, size_t n)
{
	EVP_DigestUpdate(h->md_ctx, data, n);
}

void hash_final_hex(struct hash *h, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	static const char digits[] = "0123456789abcdef";
	EVP_DigestFinal_ex(h->md_ctx, md, &len);
	for (unsigned int i = 0; i < len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * len] = '\0';
	hash_release(h);
}

void hash_release(struct hash *h)
{
	EVP_MD_CTX_free(h->md_ctx);
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
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	static const char digits[] = "0123456789abcdef";
	EVP_Digest(data, n, md, &len, hash_md(algo), NULL);
	for (unsigned int i = 0; i < len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * len] = '\0';
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
