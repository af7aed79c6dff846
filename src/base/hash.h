/*
 * hash: streaming SHA-256 / SHA-512 digests with libcrypto, hex
 * encoding, whole-file hashing that skips holes of sparse files, and the
 * content digest (HASH_CONTENT) that names every blob in the cache.
 *
 * The content digest of a file of SIZE bytes, cut into 64 KiB chunks (the
 * last one may be shorter), is
 *   SHA-256( "mvbuild content digest 1\n"
 *            || for each chunk i holding a non-zero byte, ascending:
 *                 u64be(i) || SHA-256(bytes of chunk i)
 *            || u64be(SIZE) )
 * An all-zero chunk contributes nothing, so a hole and zeros written as data
 * are the same content, and a sparse 64 GiB image costs only its data (holes
 * are skipped with SEEK_DATA/SEEK_HOLE, zero data chunks by a scan).  Why it
 * is collision-safe: see docs/cache.md.
 */
#ifndef MVBUILD_HASH_H
#define MVBUILD_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct buf;

/* HASH_CONTENT: the content digest above (64 hex digits, like sha256) */
enum hash_algo { HASH_SHA256, HASH_SHA512, HASH_CONTENT };

/*
 * the content digest's chunk size: small enough that the scattered metadata
 * blocks of a huge sparse image cost little more than their own bytes, large
 * enough that the 40 bytes per chunk of the outer digest stay below 0.1%
 */
#define HASH_CONTENT_CHUNK (64u << 10)

#define HASH_MAX_HEX 129 /* sha512 hex digest plus NUL */
#define SHA256_HEX 65    /* sha256 hex digest plus NUL */

struct hash {
	enum hash_algo algo; /* which digest */
	void *md_ctx;        /* the algorithm's state (hash.c), owned (HASH_CONTENT: the outer digest) */
	void *chunk_ctx;     /* HASH_CONTENT: the SHA-256 state of the current chunk, owned */
	uint64_t size;       /* HASH_CONTENT: bytes fed so far */
	uint64_t zero_run;   /* HASH_CONTENT: leading zero bytes of the chunk not yet in chunk_ctx */
	int chunk_data;      /* HASH_CONTENT: the current chunk has a non-zero byte */
	struct buf *records; /* HASH_CONTENT, hash.c's parallel pass: chunk records go here, not to md_ctx */
};

/* start a digest; returns 0 (it cannot fail; err is kept for the callers' sake) */
int hash_init(struct hash *h, enum hash_algo algo, struct error *err);
/* feed n bytes */
void hash_update(struct hash *h, const void *data, size_t n);
/* feed n zero bytes (a hole); for HASH_CONTENT this costs nothing per whole zero chunk */
void hash_update_zeros(struct hash *h, uint64_t n);
/* finish and write the lowercase hex digest into hex (HASH_MAX_HEX bytes) */
void hash_final_hex(struct hash *h, char *hex);
/* free the context (safe after hash_final_hex, and twice) */
void hash_release(struct hash *h);

/* hex length of an algorithm's digest (64 or 128) */
size_t hash_hex_len(enum hash_algo algo);
/* "sha256", "sha512" or "content" */
const char *hash_algo_name(enum hash_algo algo);
/*
 * digest of a memory buffer as hex.  A SHA-256 of at most HASH_BUILTIN_MAX
 * bytes (records, seals, names: all a no-op build hashes) is computed by
 * base/sha256_builtin.c, so it does not load libcrypto; longer ones by
 * libcrypto's faster code.  Both give the same digest.
 */
#define HASH_BUILTIN_MAX (64u << 10)
void hash_buffer_hex(enum hash_algo algo, const void *data, size_t n, char *hex);
/* n bytes as 2n lowercase hex digits and a NUL */
void hash_hex_encode(const unsigned char *bytes, size_t n, char *hex);

/*
 * Digest a whole file.  Holes (found with SEEK_DATA/SEEK_HOLE) are fed as
 * zeros without being read (hash_update_zeros), so with HASH_CONTENT a
 * sparse 64 GiB image costs only its data.
 * Returns 0, or -1 with err naming the path.
 */
int hash_file_hex(enum hash_algo algo, const char *path, char *hex, struct error *err);
/*
 * same, on an open descriptor (read from offset 0; the offset is changed).
 * A content digest of a file holding more than 8 MiB of data (st_blocks;
 * holes do not count) is computed by up to 4 threads (as many as there are
 * cores), each hashing 4 MiB slices: the chunks are independent and only
 * their records are ordered.
 */
int hash_fd_hex(enum hash_algo algo, int fd, const char *path, char *hex, struct error *err);

/* how many digests one read of a file can feed */
#define HASH_MAX_AT_ONCE 3
/* n (1..HASH_MAX_AT_ONCE) digests of one file in one read: hexes[i] gets algos[i]'s */
int hash_file_hexes(const char *path, size_t n, const enum hash_algo *algos, char *const *hexes,
		    struct error *err);
int hash_fd_hexes(int fd, const char *path, size_t n, const enum hash_algo *algos,
		  char *const *hexes, struct error *err);
/*
 * Copy src to a new file dst (which must not exist; mode is its final mode)
 * and compute n digests of the copy in the same read: a reflink (FICLONE)
 * when the filesystem can, then the copy is hashed; else each data extent
 * of src is read once, hashed and written (holes kept, writeback started
 * every 16 MiB).  The digests are of the bytes written, so a file changing
 * under the copy cannot give a copy that differs from its digests.  The copy
 * is fsynced.  0, or -1 with err (dst removed).
 */
int hash_copy_file_hexes(const char *src, const char *dst, unsigned mode, size_t n,
			 const enum hash_algo *algos, char *const *hexes, struct error *err);

/* true when s is exactly len lowercase hex digits */
int hash_hex_is_valid(const char *s, size_t len);

#endif
