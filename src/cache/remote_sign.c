/*
 * remote_sign: ed25519 keys and signed envelopes for remote action records.
 *
 * Envelope format (what URL/ac/<key> holds):
 *   mvbuild-signed 1
 *   key <sha256 hex of the signer's raw 32-byte ed25519 public key>
 *   sig <hex of the 64-byte ed25519 signature over PAYLOAD>
 *   PAYLOAD                 (every byte after the sig line, exactly)
 *
 * The signature covers the payload only; the key id merely picks which
 * trusted key to verify with, so altering it can only make the check fail.
 * Keys are PEM files as OpenSSL writes them (PKCS#8 private, SPKI public).
 */
#include "cache/remote_sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/crypto_lazy.h"

#define SIGN_MAGIC "mvbuild-signed 1\n"
#define ED25519_SIG 64
#define ED25519_PUB 32

struct remote_key {
	EVP_PKEY *pkey;        /* the ed25519 key, private or public only */
	char id[SHA256_HEX];   /* sha256 hex of the raw public key */
};

/* set err from OpenSSL's error queue, prefixed with what failed */
static int ssl_error(struct error *err, const char *what, const char *subject)
{
	unsigned long e = ERR_get_error();
	char text[256] = "unknown OpenSSL error";
	if (e)
		ERR_error_string_n(e, text, sizeof(text));
	ERR_clear_error();
	return error_set(err, "%s '%s': %s", what, subject, text);
}

static int hex_decode(const char *in, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(in + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

static int key_wrap(struct remote_key **out, EVP_PKEY *pkey, const char *path, struct error *err)
{
	unsigned char raw[ED25519_PUB];
	size_t len = sizeof(raw);
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return error_usage(err, "key '%s' is not an ed25519 key", path);
	}
	if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1) {
		EVP_PKEY_free(pkey);
		return ssl_error(err, "cannot read the public key of", path);
	}
	struct remote_key *k = xcalloc(1, sizeof(*k));
	k->pkey = pkey;
	hash_buffer_hex(HASH_SHA256, raw, len, k->id);
	*out = k;
	return 0;
}

static int key_load(struct remote_key **out, const char *path, int private, struct error *err)
{
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (!f)
		return error_errno(err, errno, "cannot open key '%s'", path);
	EVP_PKEY *pkey = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL)
				 : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!pkey)
		return ssl_error(err, private ? "cannot read private key" : "cannot read public key",
				 path);
	return key_wrap(out, pkey, path, err);
}

int remote_sign_key_load_private(struct remote_key **out, const char *path, struct error *err)
{
	return key_load(out, path, 1, err);
}

int remote_sign_key_load_public(struct remote_key **out, const char *path, struct error *err)
{
	return key_load(out, path, 0, err);
}

const char *remote_sign_key_id(const struct remote_key *k)
{
	return k->id;
}

void remote_sign_key_free(struct remote_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

/* write a PEM file that must not exist yet, with mode */
static int write_pem(const char *path, unsigned mode, EVP_PKEY *pkey, int private,
		     struct error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return error_errno(err, errno, "cannot create '%s'", path);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return error_errno(err, errno, "cannot create '%s'", path);
	}
	int ok = private ? PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL)
			 : PEM_write_PUBKEY(f, pkey);
	int closed = fclose(f);
	if (ok != 1)
		return ssl_error(err, "cannot write key", path);
	if (closed != 0)
		return error_errno(err, errno, "cannot write '%s'", path);
	return 0;
}

int remote_sign_key_generate(const char *prefix, char id[SHA256_HEX], struct error *err)
{
	/* (not EVP_PKEY_Q_keygen: a variadic function crypto_lazy cannot forward) */
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "ED25519", NULL);
	if (ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_generate(ctx, &pkey) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	if (!pkey)
		return ssl_error(err, "cannot generate a key for", prefix);
	char *priv = xasprintf("%s.key", prefix), *pub = xasprintf("%s.pub", prefix);
	int ret = write_pem(priv, 0600, pkey, 1, err);
	if (ret == 0 && (ret = write_pem(pub, 0644, pkey, 0, err)) < 0)
		unlink(priv);
	struct remote_key *k = NULL;
	if (ret < 0)
		EVP_PKEY_free(pkey);
	else if ((ret = key_wrap(&k, pkey, pub, err)) == 0) /* key_wrap owns pkey now */
		memcpy(id, k->id, SHA256_HEX);
	remote_sign_key_free(k);
	free(priv);
	free(pub);
	return ret;
}

int remote_sign(const struct remote_key *k, const char *payload, size_t len, struct buf *out,
		struct error *err)
{
	unsigned char sig[ED25519_SIG];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	/* ed25519 hashes internally: no digest, one-shot signing */
	int ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
		 EVP_DigestSign(md, sig, &siglen, (const unsigned char *)payload, len) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return ssl_error(err, "cannot sign with key", k->id);
	char hex[2 * ED25519_SIG + 1];
	hash_hex_encode(sig, siglen, hex);
	buf_addf(out, "%skey %s\nsig %s\n", SIGN_MAGIC, k->id, hex);
	buf_add(out, payload, len);
	return 0;
}

/* the value of a "NAME VALUE\n" line of exactly vlen hex digits at *p, advancing *p */
static int header_line(const char **p, const char *end, const char *name, size_t vlen,
		       char *value)
{
	size_t nlen = strlen(name);
	if ((size_t)(end - *p) < nlen + 1 + vlen + 1 || memcmp(*p, name, nlen) != 0 ||
	    (*p)[nlen] != ' ' || (*p)[nlen + 1 + vlen] != '\n')
		return -1;
	memcpy(value, *p + nlen + 1, vlen);
	value[vlen] = '\0';
	if (!hash_hex_is_valid(value, vlen))
		return -1;
	*p += nlen + 1 + vlen + 1;
	return 0;
}

int remote_sign_verify(struct remote_key *const *trusted, size_t n_trusted, const char *text,
		  size_t len, const char **payload, size_t *plen, struct error *err)
{
	const char *p = text, *end = text + len;
	char id[SHA256_HEX], sighex[2 * ED25519_SIG + 1];
	if (len < strlen(SIGN_MAGIC) || memcmp(text, SIGN_MAGIC, strlen(SIGN_MAGIC)) != 0)
		return error_set(err, "record is not signed");
	p += strlen(SIGN_MAGIC);
	if (header_line(&p, end, "key", 64, id) < 0 ||
	    header_line(&p, end, "sig", 2 * ED25519_SIG, sighex) < 0)
		return error_set(err, "record has a malformed signature header");
	const struct remote_key *k = NULL;
	for (size_t i = 0; i < n_trusted && !k; i++)
		if (strcmp(trusted[i]->id, id) == 0)
			k = trusted[i];
	if (!k)
		return error_set(err, "record is signed by key %.16s, which is not trusted", id);
	unsigned char sig[ED25519_SIG];
	hex_decode(sighex, ED25519_SIG, sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
		 EVP_DigestVerify(md, sig, sizeof(sig), (const unsigned char *)p,
				  (size_t)(end - p)) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	if (!ok)
		return error_set(err, "record's signature by key %.16s does not verify", id);
	*payload = p;
	*plen = (size_t)(end - p);
	return 0;
}
