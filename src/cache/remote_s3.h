/*
 * remote_s3: a remote cache in S3-compatible object storage, with no
 * server of mvbuild's: s3://BUCKET/PREFIX mapped to path-style URLs of the
 * endpoint (ENDPOINT/BUCKET/PREFIX/ac/<key>, .../cas/<sha256>), requests
 * signed by libcurl's AWS SigV4, credentials from the environment or an
 * AWS-style credentials file (never printed), and S3's error answers
 * turned into messages.  remote_http does the requests.
 */
#ifndef MVBUILD_REMOTE_S3_H
#define MVBUILD_REMOTE_S3_H

#include <stddef.h>

#include "base/curl_lazy.h"
#include "recipe/config.h"
#include "base/error.h"

struct remote_s3;

/* an S3 remote for url (s3://BUCKET/PREFIX) with cfg's s3 settings; -1 with a usage err */
int remote_s3_open(struct remote_s3 **out, const char *url, const struct config *cfg,
		   struct error *err);
/* the HTTP URL every path is appended to: ENDPOINT/BUCKET[/PREFIX] */
const char *remote_s3_base(const struct remote_s3 *s);
/* s3://BUCKET/PREFIX, for messages */
const char *remote_s3_shown(const struct remote_s3 *s);
/*
 * Sign the request on c (when there are credentials) for a body whose
 * sha256 hex is payload_sha256; returns the request's headers, which the
 * caller frees with curl_slist_free_all after the transfer.
 */
struct curl_slist *remote_s3_setup(const struct remote_s3 *s, CURL *c, const char *payload_sha256);
/*
 * Judge a non-2xx answer with S3's error body: 404 for an absent object,
 * or -1 with err naming S3's error code (a missing bucket, refused
 * credentials, ...; never the credentials).
 */
long remote_s3_status(const struct remote_s3 *s, long status, const char *body, size_t len,
		      const char *method, const char *path, struct error *err);
/* free, wiping the credentials (NULL is fine) */
void remote_s3_close(struct remote_s3 *s);

#endif
