/*
 * Unit tests for base/sha256_builtin.c, the SHA-256 that short buffers use
 * so that a no-op build need not load libcrypto: the test vectors of FIPS
 * 180-4's examples (NIST), and the same digest as libcrypto's (hash_init
 * and friends, which load it) for every length from 0 to 4,160 bytes of
 * pseudo-random data, so every padding case (tail below and above 56
 * bytes, one and two final blocks) is covered; hash_buffer_hex gives
 * libcrypto's digest on both sides of HASH_BUILTIN_MAX.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/sha256_builtin.h"
#include "base/util.h"
#include "tap.h"

static void builtin_hex(const void *data, size_t n, char hex[SHA256_HEX])
{
	unsigned char md[SHA256_BUILTIN_LEN];
	sha256_builtin(data, n, md);
	hash_hex_encode(md, sizeof(md), hex);
}

/* libcrypto's SHA-256, fed in two pieces so its own buffering is exercised too */
static void libcrypto_hex(const unsigned char *data, size_t n, char hex[SHA256_HEX])
{
	struct hash h;
	hash_init(&h, HASH_SHA256, NULL);
	hash_update(&h, data, n / 3);
	hash_update(&h, data + n / 3, n - n / 3);
	hash_final_hex(&h, hex);
	hash_release(&h);
}

int main(void)
{
	char hex[SHA256_HEX];
	builtin_hex("", 0, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty");
	builtin_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "\"abc\"");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	builtin_hex(two, strlen(two), hex);
	is_str(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	       "448 bits (two blocks)");
	const char *four = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
			   "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	builtin_hex(four, strlen(four), hex);
	is_str(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
	       "896 bits");
	size_t million = 1000000;
	char *as = xmalloc(million);
	memset(as, 'a', million);
	builtin_hex(as, million, hex);
	is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	       "one million 'a'");
	free(as);

	size_t max_len = 4160;
	unsigned char *data = xmalloc(HASH_BUILTIN_MAX + 2);
	uint32_t x = 2463534242u; /* xorshift32: the same bytes on every run */
	for (size_t i = 0; i < HASH_BUILTIN_MAX + 2; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (unsigned char)x;
	}
	size_t differ = 0;
	for (size_t n = 0; n <= max_len; n++) {
		char want[SHA256_HEX];
		builtin_hex(data, n, hex);
		libcrypto_hex(data, n, want);
		if (strcmp(hex, want) != 0 && differ++ < 5)
			printf("# length %zu: builtin %s, libcrypto %s\n", n, hex, want);
	}
	ok(differ == 0, "the builtin and libcrypto agree on every length 0..%zu (%zu differ)",
	   max_len, differ);

	for (size_t n = HASH_BUILTIN_MAX; n <= HASH_BUILTIN_MAX + 1; n++) {
		char want[SHA256_HEX];
		libcrypto_hex(data, n, want);
		hash_buffer_hex(HASH_SHA256, data, n, hex);
		is_str(hex, want, "hash_buffer_hex of %zu bytes is libcrypto's digest", n);
	}
	free(data);
	return tap_done();
}
