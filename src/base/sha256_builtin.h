/*
 * sha256_builtin: SHA-256 (FIPS 180-4) of a buffer in memory, in plain C,
 * for the short texts a build hashes on every run: action records and their
 * seals, recipe ids, MAC addresses, file system UUIDs.
 *
 * Why a second SHA-256 beside libcrypto's: a no-op build hashes only such
 * texts (a few KiB in all), and loading libcrypto costs about 2.3 ms per
 * process (its 21,000 relocations, 90% of the dynamic loader's work), a
 * fifth of the no-op.  libcrypto is now loaded on first use
 * (base/crypto_lazy.h) and still hashes every file and stream, where its
 * SHA-NI code is ten times faster.  The two give the same digests
 * (tests/unit/test_hash.c compares them on every length up to 4 KiB and
 * on the standard's test vectors).
 */
#ifndef MVBUILD_SHA256_BUILTIN_H
#define MVBUILD_SHA256_BUILTIN_H

#include <stddef.h>

#define SHA256_BUILTIN_LEN 32

/* the 32-byte SHA-256 of n bytes at data */
void sha256_builtin(const void *data, size_t n, unsigned char md[SHA256_BUILTIN_LEN]);

#endif
