/*
 * crypto_lazy: OpenSSL's libcrypto, loaded with dlopen on first use instead
 * of at process start.  Loading it costs about 2.3 ms per process (21,000
 * relocations, 90% of the dynamic loader's work for mvbuild), a fifth of a
 * no-op build, which hashes only short texts (base/sha256_builtin.h) and
 * never a file, a stream or a signature.
 *
 * Include this instead of the <openssl/...> headers: it keeps their types
 * and constants and maps the libcrypto functions mvbuild uses onto wrappers
 * that load the library when first called.  libcrypto is not linked, so a
 * call that bypasses this header fails at link time; a function not listed
 * here is added to CRYPTO_LAZY_FNS.
 *
 * libcrypto is a dependency of every installation (Debian's libssl3), as it
 * was when it was linked and the process could not even start without it.
 * If it cannot be loaded, the first wrapper called ends the process with a
 * message naming the library, as running out of memory does (util.h): no
 * caller gets a digest that was not computed.
 */
#ifndef MVBUILD_CRYPTO_LAZY_H
#define MVBUILD_CRYPTO_LAZY_H

/*
 * SHA256_* / SHA512_*, not EVP, for digests (base/hash.c says why); OpenSSL 3
 * marks them deprecated, and OPENSSL_API_COMPAT keeps its headers quiet
 */
#define OPENSSL_API_COMPAT 10101
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

/*
 * The functions wrapped: F(return type, name, parameters, arguments) with
 * the library's own names; V for those returning void.
 */
#define CRYPTO_LAZY_FNS(F, V)                                                                    \
	F(int, SHA256_Init, (SHA256_CTX * c), (c))                                                \
	F(int, SHA256_Update, (SHA256_CTX * c, const void *data, size_t n), (c, data, n))         \
	F(int, SHA256_Final, (unsigned char *md, SHA256_CTX *c), (md, c))                         \
	F(int, SHA512_Init, (SHA512_CTX * c), (c))                                                \
	F(int, SHA512_Update, (SHA512_CTX * c, const void *data, size_t n), (c, data, n))         \
	F(int, SHA512_Final, (unsigned char *md, SHA512_CTX *c), (md, c))                         \
	F(const char *, OpenSSL_version, (int type), (type))                                      \
	F(unsigned long, ERR_get_error, (void), ())                                               \
	V(ERR_error_string_n, (unsigned long e, char *buf, size_t len), (e, buf, len))            \
	V(ERR_clear_error, (void), ())                                                            \
	F(EVP_PKEY_CTX *, EVP_PKEY_CTX_new_from_name,                                             \
	  (OSSL_LIB_CTX * libctx, const char *name, const char *propq), (libctx, name, propq))    \
	F(int, EVP_PKEY_keygen_init, (EVP_PKEY_CTX * ctx), (ctx))                                 \
	F(int, EVP_PKEY_generate, (EVP_PKEY_CTX * ctx, EVP_PKEY **pkey), (ctx, pkey))             \
	V(EVP_PKEY_CTX_free, (EVP_PKEY_CTX * ctx), (ctx))                                         \
	V(EVP_PKEY_free, (EVP_PKEY * pkey), (pkey))                                               \
	F(int, EVP_PKEY_get_id, (const EVP_PKEY *pkey), (pkey))                                   \
	F(int, EVP_PKEY_get_raw_public_key, (const EVP_PKEY *pkey, unsigned char *pub,            \
					     size_t *len),                                            \
	  (pkey, pub, len))                                                                       \
	F(EVP_PKEY *, PEM_read_PrivateKey,                                                        \
	  (FILE * f, EVP_PKEY **x, pem_password_cb *cb, void *u), (f, x, cb, u))                  \
	F(EVP_PKEY *, PEM_read_PUBKEY, (FILE * f, EVP_PKEY **x, pem_password_cb *cb, void *u),    \
	  (f, x, cb, u))                                                                          \
	F(int, PEM_write_PrivateKey,                                                              \
	  (FILE * f, const EVP_PKEY *x, const EVP_CIPHER *enc, const unsigned char *kstr,         \
	   int klen, pem_password_cb *cb, void *u),                                               \
	  (f, x, enc, kstr, klen, cb, u))                                                         \
	F(int, PEM_write_PUBKEY, (FILE * f, const EVP_PKEY *x), (f, x))                           \
	F(EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())                                               \
	V(EVP_MD_CTX_free, (EVP_MD_CTX * ctx), (ctx))                                             \
	F(int, EVP_DigestSignInit,                                                                \
	  (EVP_MD_CTX * ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type, ENGINE *e, EVP_PKEY *pkey), \
	  (ctx, pctx, type, e, pkey))                                                             \
	F(int, EVP_DigestSign,                                                                    \
	  (EVP_MD_CTX * ctx, unsigned char *sig, size_t *siglen, const unsigned char *tbs,        \
	   size_t tbslen),                                                                        \
	  (ctx, sig, siglen, tbs, tbslen))                                                        \
	F(int, EVP_DigestVerifyInit,                                                              \
	  (EVP_MD_CTX * ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type, ENGINE *e, EVP_PKEY *pkey), \
	  (ctx, pctx, type, e, pkey))                                                             \
	F(int, EVP_DigestVerify,                                                                  \
	  (EVP_MD_CTX * ctx, const unsigned char *sig, size_t siglen, const unsigned char *tbs,   \
	   size_t tbslen),                                                                        \
	  (ctx, sig, siglen, tbs, tbslen))

#define CRYPTO_LAZY_DECL(type, name, params, args) type crypto_lazy_##name params;
#define CRYPTO_LAZY_DECL_VOID(name, params, args) void crypto_lazy_##name params;
CRYPTO_LAZY_FNS(CRYPTO_LAZY_DECL, CRYPTO_LAZY_DECL_VOID)
#undef CRYPTO_LAZY_DECL
#undef CRYPTO_LAZY_DECL_VOID

/* crypto_lazy.c itself calls the library's names through its table */
#ifndef CRYPTO_LAZY_IMPLEMENTATION
#define SHA256_Init crypto_lazy_SHA256_Init
#define SHA256_Update crypto_lazy_SHA256_Update
#define SHA256_Final crypto_lazy_SHA256_Final
#define SHA512_Init crypto_lazy_SHA512_Init
#define SHA512_Update crypto_lazy_SHA512_Update
#define SHA512_Final crypto_lazy_SHA512_Final
#define OpenSSL_version crypto_lazy_OpenSSL_version
#define ERR_get_error crypto_lazy_ERR_get_error
#define ERR_error_string_n crypto_lazy_ERR_error_string_n
#define ERR_clear_error crypto_lazy_ERR_clear_error
#define EVP_PKEY_CTX_new_from_name crypto_lazy_EVP_PKEY_CTX_new_from_name
#define EVP_PKEY_keygen_init crypto_lazy_EVP_PKEY_keygen_init
#define EVP_PKEY_generate crypto_lazy_EVP_PKEY_generate
#define EVP_PKEY_CTX_free crypto_lazy_EVP_PKEY_CTX_free
#define EVP_PKEY_free crypto_lazy_EVP_PKEY_free
#define EVP_PKEY_get_id crypto_lazy_EVP_PKEY_get_id
#define EVP_PKEY_get_raw_public_key crypto_lazy_EVP_PKEY_get_raw_public_key
#define PEM_read_PrivateKey crypto_lazy_PEM_read_PrivateKey
#define PEM_read_PUBKEY crypto_lazy_PEM_read_PUBKEY
#define PEM_write_PrivateKey crypto_lazy_PEM_write_PrivateKey
#define PEM_write_PUBKEY crypto_lazy_PEM_write_PUBKEY
#define EVP_MD_CTX_new crypto_lazy_EVP_MD_CTX_new
#define EVP_MD_CTX_free crypto_lazy_EVP_MD_CTX_free
#define EVP_DigestSignInit crypto_lazy_EVP_DigestSignInit
#define EVP_DigestSign crypto_lazy_EVP_DigestSign
#define EVP_DigestVerifyInit crypto_lazy_EVP_DigestVerifyInit
#define EVP_DigestVerify crypto_lazy_EVP_DigestVerify
#endif

#endif
