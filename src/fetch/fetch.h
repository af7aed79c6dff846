/*
 * fetch: one URL downloaded into one file descriptor with libcurl, hashed
 * with libcrypto while it streams.  This file owns the transfer policy:
 * which schemes are allowed (http, https, file; redirects only to http and
 * https, at most 5), timeouts, the size cap, retries with backoff for
 * transient failures, and resuming an interrupted transfer with a Range
 * request (restarting from zero when the server ignores it).  Which URLs to
 * try and how to verify the result is fetch_source.h's concern.
 */
#ifndef MVBUILD_FETCH_H
#define MVBUILD_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/hash.h"

struct buf;
struct progress;

/* limits of every transfer; fetch_limits_from_env() fills the defaults */
struct fetch_limits {
	long connect_timeout;   /* seconds to connect ($MVBUILD_FETCH_TIMEOUT, default 30) */
	long low_speed_time;    /* abort after this many seconds below low_speed_limit
				   ($MVBUILD_FETCH_LOW_SPEED_TIME, default 30) */
	long low_speed_limit;   /* bytes per second (default 1024) */
	uint64_t max_size;      /* bytes; a larger body is refused ($MVBUILD_FETCH_MAX_SIZE, default 8G) */
	int retries;            /* further attempts after a transient failure ($MVBUILD_FETCH_RETRIES, default 3) */
	double backoff;         /* seconds before the first retry, doubled after each
				   ($MVBUILD_FETCH_BACKOFF, default 1) */
	const char *ca_bundle;  /* CA certificates for https ($MVBUILD_FETCH_CA_BUNDLE);
				   NULL: the system's */
};

/* how a download failed, which decides what the caller does next */
enum fetch_status {
	FETCH_OK = 0,
	FETCH_REFUSED,   /* the scheme or a redirect is not allowed: no I/O was done for it */
	FETCH_FAILED,    /* a permanent failure of this URL (404, redirect loop, too large) */
	FETCH_TRANSIENT, /* timeouts, 5xx, dropped connections, still failing after the retries */
	FETCH_LOCAL,     /* writing the local file failed: no other URL will do better */
};

/* what to download, where to, and what to compute on the way */
struct fetch_request {
	const char *url;              /* http://, https:// or file:// URL */
	int fd;                       /* output; truncated and written from offset 0 */
	enum hash_algo algo;          /* digest computed while streaming */
	bool want_sha256;             /* also compute sha256 (when algo is sha512) */
	bool want_content;            /* also compute the content digest (hash.h's HASH_CONTENT) */
	bool write_behind;            /* start writeback as data arrives: the file will be fsynced */
	const struct fetch_limits *limits;
	struct progress *progress;    /* may be NULL */
	const char *node_id;          /* id for progress lines ("source:linux"), may be NULL */
	/* for registries (oci_registry.h); all optional */
	const char *const *headers;   /* extra request headers ("Accept: ..."), NULL-terminated;
					 curl drops an Authorization header on a redirect to
					 another host */
	const char *userpwd;          /* "user:password" for HTTP basic auth (never in messages;
					 not sent to another host after a redirect) */
	uint64_t body_limit;          /* nonzero: a body larger than this is refused, as
					 "larger than BODY_LIMIT_NAME of N bytes" */
	const char *body_limit_name;  /* what body_limit is ("its declared size") */
	void (*on_header)(void *arg, const char *line); /* each response header line, without
							   CRLF, also of error responses */
	void *header_arg;             /* on_header's argument */
};

/* what a download produced */
struct fetch_result {
	enum fetch_status status;     /* FETCH_OK, or why it failed */
	uint64_t size;                /* bytes written to fd */
	char digest[HASH_MAX_HEX];    /* hex digest in the request's algo */
	char sha256[SHA256_HEX];      /* sha256 hex (when algo is sha256 or want_sha256) */
	char content[SHA256_HEX];     /* content digest hex (when want_content) */
	int attempts;                 /* transfers started, including resumes */
	int resumes;                  /* transfers continued with a Range request (206) */
	int restarts;                 /* times the server ignored Range and we started over */
	long http_code;               /* the last transfer's HTTP status (0: none, or file://) */
};

/* initialize libcurl once per process (thread-safe; call before threads start); -1 with err */
int fetch_global_init(struct error *err);
/* fill limits from the defaults and the MVBUILD_FETCH_* environment; -1 with a usage error */
int fetch_limits_from_env(struct fetch_limits *limits, struct error *err);
/* true when url is a plain local path rather than scheme://... */
bool fetch_is_local_path(const char *url);
/* a file:// URL for an absolute path, percent-encoding what needs it; caller frees */
char *fetch_file_url(const char *abs_path);

/*
 * Download req->url into req->fd, following the scheme and redirect policy,
 * retrying transient failures with backoff and resuming interrupted
 * transfers.  Returns 0 with res filled, or -1 with err set (naming the URL)
 * and res->status saying which kind of failure it was.
 */
int fetch_url(const struct fetch_request *req, struct fetch_result *res, struct error *err);
/*
 * fetch_url() for a small body (a manifest, a token) kept in memory: req->fd
 * is ignored and the body, at most req->body_limit bytes (which must be
 * set), is appended to out.  0 or -1 with err, like fetch_url().
 */
int fetch_url_buf(const struct fetch_request *req, struct buf *out, struct fetch_result *res,
		  struct error *err);

#endif
