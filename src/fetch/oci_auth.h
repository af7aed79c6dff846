/*
 * oci_auth: how a container registry asks for credentials, and the token
 * it wants.  A registry answers 401 with a challenge:
 *
 *   WWW-Authenticate: Bearer realm="https://auth.example/token",service="reg",scope="repository:team/img:pull"
 *   WWW-Authenticate: Basic realm="Registry"
 *
 * For Bearer, a token is asked of the realm (GET REALM?service=S&scope=S,
 * with the configured user and password as basic auth, else anonymously)
 * and sent back as "Authorization: Bearer TOKEN" (the distribution token
 * protocol).  The realm and its answer come from the registry, which may be
 * hostile: the answer is size-limited, the token must be one header-safe
 * word, and credentials go to a realm only over https (or plain http to a
 * loopback address, or when the registry is configured insecure_http).
 */
#ifndef MVBUILD_OCI_AUTH_H
#define MVBUILD_OCI_AUTH_H

#include <stdbool.h>

#include "base/error.h"

struct fetch_limits;
struct progress;

/* the body of a token answer may hold at most this many bytes */
#define OCI_AUTH_MAX_ANSWER (256u << 10)
/* a token may hold at most this many bytes */
#define OCI_AUTH_MAX_TOKEN (16u << 10)

enum oci_auth_scheme {
	OCI_AUTH_NONE,    /* no challenge, or one not understood */
	OCI_AUTH_BASIC,   /* WWW-Authenticate: Basic */
	OCI_AUTH_BEARER,  /* WWW-Authenticate: Bearer realm=...,service=...,scope=... */
};

/* one WWW-Authenticate challenge */
struct oci_auth_challenge {
	enum oci_auth_scheme scheme;
	char *realm;     /* Bearer: the token service's URL; NULL otherwise */
	char *service;   /* Bearer: service=, or NULL */
	char *scope;     /* Bearer: scope=, or NULL */
};

#define OCI_AUTH_CHALLENGE_INIT { OCI_AUTH_NONE, NULL, NULL, NULL }

/*
 * Parse the value of a WWW-Authenticate header into c (released first).
 * Schemes other than Basic and Bearer, and a Bearer without a realm, give
 * OCI_AUTH_NONE.
 */
void oci_auth_parse_challenge(struct oci_auth_challenge *c, const char *value);
/* free what c holds and reset it */
void oci_auth_challenge_release(struct oci_auth_challenge *c);
/* true when HOST[:PORT] (or [V6]:PORT) is a loopback name: 127.0.0.1, localhost, ::1 */
bool oci_auth_host_is_loopback(const char *hostport);
/* true when url's scheme is https, or http to a loopback host or with allow_http */
bool oci_auth_url_safe(const char *url, bool allow_http);

/* what a token request needs */
struct oci_auth_token_request {
	const struct oci_auth_challenge *challenge;  /* a Bearer challenge */
	const char *default_scope;   /* used when the challenge names none */
	const char *userpwd;         /* "user:password", or NULL: anonymous */
	bool allow_http;             /* the registry is configured insecure_http */
	const struct fetch_limits *limits;
	struct progress *progress;   /* may be NULL */
	const char *node_id;         /* for progress lines, may be NULL */
};

/*
 * Ask the challenge's realm for a token.  0 with *header set to
 * "Authorization: Bearer TOKEN" (caller clears and frees it), or -1 with
 * err naming the realm and the HTTP status (never the credentials), which
 * *http_code holds too (0: no HTTP answer).
 */
int oci_auth_token(const struct oci_auth_token_request *req, char **header, long *http_code,
		   struct error *err);

#endif
