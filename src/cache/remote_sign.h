/*
 * remote_sign: ed25519 keys (OpenSSL) and the signed envelope that wraps
 * every action record stored on a remote cache, so readers accept only
 * records written by a key they trust.  Format at the top of remote_sign.c.
 */
#ifndef MVBUILD_REMOTE_SIGN_H
#define MVBUILD_REMOTE_SIGN_H

#include <stddef.h>

#include "base/error.h"
#include "base/hash.h"
#include "base/util.h"

struct remote_key;

/* load an ed25519 private key (PEM); -1 with err */
int remote_sign_key_load_private(struct remote_key **out, const char *path, struct error *err);
/* load an ed25519 public key (PEM); -1 with err */
int remote_sign_key_load_public(struct remote_key **out, const char *path, struct error *err);
/* the key id: sha256 hex of the raw 32-byte public key */
const char *remote_sign_key_id(const struct remote_key *k);
/* free a key (NULL is fine) */
void remote_sign_key_free(struct remote_key *k);
/*
 * Generate a key pair: PREFIX.key (PEM private, mode 0600) and PREFIX.pub
 * (PEM public); neither may exist.  Fills id (SHA256_HEX).  -1 with err.
 */
int remote_sign_key_generate(const char *prefix, char id[SHA256_HEX], struct error *err);

/* append the signed envelope of payload, signed with the private key k, to out; -1 with err */
int remote_sign(const struct remote_key *k, const char *payload, size_t len, struct buf *out,
		struct error *err);
/*
 * Check an envelope against the trusted keys.  On success returns 0 and
 * points *payload (len *plen) into text; -1 with err saying why not
 * (unsigned, unknown key, bad signature).
 */
int remote_sign_verify(struct remote_key *const *trusted, size_t n_trusted, const char *text,
		  size_t len, const char **payload, size_t *plen, struct error *err);

#endif
