/*
 * hash: streaming SHA-256 / SHA-512 digests with libcrypto, hex
 * encoding, and whole-file hashing that skips holes of sparse files.
 */
#ifndef MVBUILD_HASH_H
#define MVBUILD_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

enum hash_algo { HASH_SHA256, HASH_SHA512 };

#define HASH_MAX_HEX 129 /* sha512 hex digest plus NUL */
#define SHA256_HEX 65    /* sha256 hex digest plus NUL */

struct hash {
	enum hash_algo algo; /* which digest */
	void *md_ctx;        /* the algorithm's state (hash.c), owned */
};

/* start a digest; returns 0, or -1 with err set */
int hash_init(struct hash *h, enum hash_algo algo, struct error *err);
/* feed n bytes */
void hash_update(struct hash *h, const void *data, size_t n);
/* finish and write the lowercase hex digest into hex (HASH_MAX_HEX bytes) */
void hash_final_hex(struct hash *h, char *hex);
/* free the context (safe after hash_final_hex, and twice) */
void hash_release(struct hash *h);

/* hex length of an algorithm's digest (64 or 128) */
size_t hash_hex_len(enum hash_algo algo);
/* "sha256" or "sha512" */
const char *hash_algo_name(enum hash_algo algo);
/* digest of a memory buffer as hex */
void hash_buffer_hex(enum hash_algo algo, const void *data, size_t n, char *hex);

/*
 * Digest a whole file.  Holes (found with SEEK_DATA/SEEK_HOLE) are fed as
 * zeros without being read, so a sparse 2 GiB image costs only its data.
 * Returns 0, or -1 with err naming the path.
 */
int hash_file_hex(enum hash_algo algo, const char *path, char *hex, struct error *err);
/* same, on an open descriptor (read from offset 0; the offset is changed) */
int hash_fd_hex(enum hash_algo algo, int fd, const char *path, char *hex, struct error *err);

/* true when s is exactly len lowercase hex digits */
int hash_hex_is_valid(const char *s, size_t len);

#endif
