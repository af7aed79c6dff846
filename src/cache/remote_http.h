/*
 * remote_http: GET, HEAD and PUT against one base URL with libcurl, each
 * with a deadline inside the run's time budget, and credentials (bearer token or basic auth) that are
 * sent but never put into a message; or an s3:// URL (remote_s3.h), the
 * same requests signed for object storage.  Thread-safe: connections are pooled.
 */
#ifndef MVBUILD_REMOTE_HTTP_H
#define MVBUILD_REMOTE_HTTP_H

#include <stdint.h>

#include "recipe/config.h"
#include "base/error.h"
#include "base/hash.h"
#include "base/util.h"

struct remote_http;

/* a client for URL (http, https or s3) with cfg's credentials, timeouts and budget; -1 with err */
int remote_http_open(struct remote_http **out, const char *url, const struct config *cfg,
		     struct error *err);
/* the base URL with any user:password removed, for messages */
const char *remote_http_url(const struct remote_http *h);
/* HEAD base/path: the HTTP status, or -1 with err when no answer came */
long remote_http_head(struct remote_http *h, const char *path, struct error *err);
/* GET base/path into out (at most max bytes): the HTTP status, or -1 with err */
long remote_http_get_buf(struct remote_http *h, const char *path, size_t max, struct buf *out,
			 struct error *err);
/*
 * GET base/path, announced as expected bytes (more is refused, and the
 * deadline grows with it), into the new file dst, hashing it into digest
 * (sha256 hex) and counting *size: the HTTP status, or -1 with err.
 */
long remote_http_get_file(struct remote_http *h, const char *path, const char *dst,
			  uint64_t expected, char digest[SHA256_HEX], uint64_t *size,
			  struct error *err);
/* PUT data to base/path: the HTTP status, or -1 with err */
long remote_http_put_buf(struct remote_http *h, const char *path, const char *data, size_t len,
			 struct error *err);
/* PUT the file src to base/path: the HTTP status, or -1 with err */
long remote_http_put_file(struct remote_http *h, const char *path, const char *src,
			  struct error *err);
/* free the client (NULL is fine) */
void remote_http_close(struct remote_http *h);

#endif
