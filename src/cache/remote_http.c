/*
 * remote_http: the HTTP side of the remote cache, with libcurl.
 *
 * Time: every request has a deadline.  Small ones (HEAD, action records)
 * get the configured timeout; a blob transfer gets the timeout plus its
 * size at the floor speed (min_speed), so a server trickling bytes just
 * fast enough to dodge curl's low-speed limit still costs a bounded time.
 * On top, the run has a budget: the wall time during which at least one
 * request was in flight.  Each deadline is capped by what is left of it,
 * and once it is spent no request starts, so however many nodes ask, the
 * remote slows a build by at most the budget.  Credentials come from files named
 * by the config, are held only in memory, and only curl ever sees them:
 * messages use the URL without any user:password part.  An s3:// remote
 * (remote_s3.c) is the same requests, path-style to its endpoint, signed
 * with SigV4, each body sent from memory so its sha256 is signed, and
 * S3's error answers (a missing bucket, refused credentials) become errors.
 */
#include "cache/remote_http.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/curl_lazy.h"

#include "base/fileutil.h"
#include "cache/remote_s3.h"

#define POOL_MAX 16
#define ERROR_BODY_MAX 4096
/* sha256 of no bytes: the payload hash of an S3 GET or HEAD */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct remote_http {
	char *base;                 /* base URL without a trailing '/' */
	char *shown;                /* base without credentials, for messages */
	struct curl_slist *headers; /* "Authorization: Bearer ..." or NULL */
	char *userpwd;              /* "user:password" for basic auth, or NULL */
	long timeout_ms;            /* bound for connecting, stalls and small requests */
	double min_speed;           /* bytes/s: a blob's deadline is timeout + size / this */
	double budget;              /* seconds of requests in flight the whole run may spend */
	pthread_mutex_t lock;       /* guards pool and the clock below */
	int inflight;               /* requests running now */
	double busy_since;          /* when inflight last became nonzero (now_monotonic) */
	double busy_total;          /* seconds with requests in flight, before busy_since */
	CURL *pool[POOL_MAX];       /* idle handles, keeping connections alive */
	size_t n_pool;
	struct remote_s3 *s3;       /* an s3:// remote's signing, or NULL */
};

/* one request: its handle, what it owns, and the body of an error answer */
struct reply {
	CURL *c;                     /* the handle (from the pool) */
	struct curl_slist *headers;  /* this request's own headers (S3), or NULL */
	struct buf error_body;       /* the start of a non-2xx answer's body */
};

/* the URL without "user:password@" */
static char *url_without_userinfo(const char *url)
{
	const char *scheme = strstr(url, "://");
	if (!scheme)
		return xstrdup(url);
	const char *host = scheme + 3, *end = host + strcspn(host, "/?#");
	const char *at = memrchr(host, '@', (size_t)(end - host));
	if (!at)
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(host - url), url, at + 1);
}

static int load_credentials(struct remote_http *h, const struct config *cfg, struct error *err)
{
	if (cfg->token_file) {
		char *token;
		if (read_secret_file(cfg->token_file, &token, err) < 0)
			return -1;
		char *header = xasprintf("Authorization: Bearer %s", token);
		h->headers = curl_slist_append(NULL, header);
		explicit_bzero(token, strlen(token));
		explicit_bzero(header, strlen(header));
		free(token);
		free(header);
	}
	if (cfg->basic_auth_file) {
		if (read_secret_file(cfg->basic_auth_file, &h->userpwd, err) < 0)
			return -1;
		if (!strchr(h->userpwd, ':'))
			return error_usage(err, "credentials file '%s' must hold user:password",
					   cfg->basic_auth_file);
	}
	return 0;
}

int remote_http_open(struct remote_http **out, const char *url, const struct config *cfg,
		     struct error *err)
{
	*out = NULL;
	struct remote_s3 *s3 = NULL;
	if (str_startswith(url, "s3://")) {
		if (remote_s3_open(&s3, url, cfg, err) < 0)
			return -1;
	} else if (!str_startswith(url, "http://") && !str_startswith(url, "https://")) {
		return error_usage(err, "remote '%s' is not an http://, https:// or s3:// URL", url);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		remote_s3_close(s3);
		return error_set(err, "cannot initialize libcurl");
	}
	struct remote_http *h = xcalloc(1, sizeof(*h));
	h->s3 = s3;
	h->base = xstrdup(s3 ? remote_s3_base(s3) : url);
	while (str_endswith(h->base, "/"))
		h->base[strlen(h->base) - 1] = '\0';
	h->shown = s3 ? xstrdup(remote_s3_shown(s3)) : url_without_userinfo(h->base);
	h->timeout_ms = cfg->timeout > 0 ? (long)(cfg->timeout * 1000) : 30000;
	h->min_speed = cfg->min_speed ? (double)cfg->min_speed : 1 << 20;
	h->budget = cfg->budget > 0 ? cfg->budget : 300;
	pthread_mutex_init(&h->lock, NULL);
	/* an S3 remote's credentials are its own (remote_s3.c) */
	if (!s3 && load_credentials(h, cfg, err) < 0) {
		remote_http_close(h);
		return -1;
	}
	*out = h;
	return 0;
}

const char *remote_http_url(const struct remote_http *h)
{
	return h->shown;
}

void remote_http_close(struct remote_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_pool; i++)
		curl_easy_cleanup(h->pool[i]);
	pthread_mutex_destroy(&h->lock);
	curl_slist_free_all(h->headers);
	remote_s3_close(h->s3);
	if (h->userpwd) {
		explicit_bzero(h->userpwd, strlen(h->userpwd));
		free(h->userpwd);
	}
	free(h->base);
	free(h->shown);
	free(h);
}

static CURL *handle_take(struct remote_http *h)
{
	pthread_mutex_lock(&h->lock);
	CURL *c = h->n_pool ? h->pool[--h->n_pool] : NULL;
	pthread_mutex_unlock(&h->lock);
	if (!c && !(c = curl_easy_init()))
		return NULL;
	curl_easy_reset(c);
	return c;
}

static void handle_give(struct remote_http *h, CURL *c)
{
	pthread_mutex_lock(&h->lock);
	if (h->n_pool < POOL_MAX) {
		h->pool[h->n_pool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	if (c)
		curl_easy_cleanup(c);
}

/* true when the answer is not a 2xx: its body is kept (the start) in rp, not delivered */
static bool diverted(struct reply *rp, const char *data, size_t n)
{
	long code = 0;
	curl_easy_getinfo(rp->c, CURLINFO_RESPONSE_CODE, &code);
	if (code < 300)
		return false;
	if (rp->error_body.len < ERROR_BODY_MAX)
		buf_add(&rp->error_body, data,
			n < ERROR_BODY_MAX - rp->error_body.len ? n : ERROR_BODY_MAX - rp->error_body.len);
	return true;
}

/* response bodies of HEAD and PUT are not wanted (curl would print them), but errors' are */
static size_t discard(char *data, size_t size, size_t n, void *opaque)
{
	diverted(opaque, data, n);
	return n;
}

/* seconds left of the run's budget (h->lock held) */
static double budget_left_locked(const struct remote_http *h, double now)
{
	return h->budget - h->busy_total - (h->inflight ? now - h->busy_since : 0);
}

/*
 * Start the clock for a request expected to carry about expected bytes:
 * its deadline in ms (capped by the budget left), or 0 when the budget is
 * spent and no request may start.
 */
static long clock_start(struct remote_http *h, uint64_t expected)
{
	double now = now_monotonic();
	long ms = 0;
	pthread_mutex_lock(&h->lock);
	double left = budget_left_locked(h, now);
	if (left > 0) {
		double want = (double)h->timeout_ms / 1000 + (double)expected / h->min_speed;
		ms = (long)(1000 * (want < left ? want : left)) + 1;
		if (h->inflight++ == 0)
			h->busy_since = now;
	}
	pthread_mutex_unlock(&h->lock);
	return ms;
}

/* stop the clock of one request; true when the budget is now spent */
static bool clock_stop(struct remote_http *h)
{
	double now = now_monotonic();
	pthread_mutex_lock(&h->lock);
	if (--h->inflight == 0)
		h->busy_total += now - h->busy_since;
	bool spent = budget_left_locked(h, now) <= 0;
	pthread_mutex_unlock(&h->lock);
	return spent;
}

/* a request that may not start: the budget is spent */
static long budget_spent(struct remote_http *h, const char *method, const char *path,
			 struct error *err)
{
	return error_set(err, "%s %s/%s not sent: the remote's time budget of %g s for this run "
			 "is spent", method, h->shown, path, h->budget);
}

/*
 * The options every request shares; deadline_ms bounds the whole request;
 * payload_sha256 is the sha256 hex of the body an S3 request will send.
 */
static void setup(struct remote_http *h, struct reply *rp, const char *url, long deadline_ms,
		  const char *payload_sha256)
{
	CURL *c = rp->c;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (h->timeout_ms + 999) / 1000);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, deadline_ms);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mvbuild/" MVBUILD_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rp);
	if (h->s3)
		rp->headers = remote_s3_setup(h->s3, c, payload_sha256);
	if (h->headers)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
	if (h->userpwd) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, h->userpwd);
	}
}

/*
 * Perform (the clock was started with deadline_ms); the status, or -1 with
 * err naming method and path (never credentials), and the deadline or the
 * spent budget when time ran out.  An S3 error answer is judged by its
 * body: 404 for an absent object, else -1 with err.
 */
static long perform(struct remote_http *h, struct reply *rp, const char *method, const char *path,
		    long deadline_ms, struct error *err)
{
	CURLcode rc = curl_easy_perform(rp->c);
	bool spent = clock_stop(h);
	long status = -1;
	if (rc == CURLE_OK)
		curl_easy_getinfo(rp->c, CURLINFO_RESPONSE_CODE, &status);
	else if (rc == CURLE_OPERATION_TIMEDOUT && spent)
		error_set(err, "%s %s/%s: %s: the remote's time budget of %g s for this run is spent",
			  method, h->shown, path, curl_easy_strerror(rc), h->budget);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		error_set(err, "%s %s/%s: %s (its deadline was %.1f s)", method, h->shown, path,
			  curl_easy_strerror(rc), (double)deadline_ms / 1000);
	else
		error_set(err, "%s %s/%s: %s", method, h->shown, path, curl_easy_strerror(rc));
	if (h->s3 && status >= 300)
		status = remote_s3_status(h->s3, status, rp->error_body.data, rp->error_body.len,
					  method, path, err);
	handle_give(h, rp->c);
	curl_slist_free_all(rp->headers);
	buf_release(&rp->error_body);
	*rp = (struct reply){ 0 };
	return status;
}

/*
 * A handle for method base/path in rp with its clock started, for a
 * request expected to carry about expected bytes whose body has the sha256
 * payload_sha256; -1 with err when there is no handle or the budget is
 * spent.
 */
static int request_start(struct remote_http *h, struct reply *rp, const char *method,
			 const char *path, uint64_t expected, const char *payload_sha256,
			 long *deadline_ms, struct error *err)
{
	*rp = (struct reply){ .c = handle_take(h) };
	if (!rp->c)
		return error_set(err, "cannot create a libcurl handle");
	if (!(*deadline_ms = clock_start(h, expected))) {
		handle_give(h, rp->c);
		rp->c = NULL;
		return budget_spent(h, method, path, err);
	}
	char *url = xasprintf("%s/%s", h->base, path);
	setup(h, rp, url, *deadline_ms, payload_sha256); /* curl copies the URL */
	free(url);
	return 0;
}

long remote_http_head(struct remote_http *h, const char *path, struct error *err)
{
	long deadline;
	struct reply rp;
	if (request_start(h, &rp, "HEAD", path, 0, EMPTY_SHA256, &deadline, err) < 0)
		return -1;
	curl_easy_setopt(rp.c, CURLOPT_NOBODY, 1L);
	return perform(h, &rp, "HEAD", path, deadline, err);
}

struct buf_sink {
	struct buf *out;   /* where the body goes */
	size_t max;        /* bound on its size */
	struct reply *rp;  /* where an error answer's body goes */
};

static size_t buf_write(char *data, size_t size, size_t n, void *opaque)
{
	struct buf_sink *s = opaque;
	if (diverted(s->rp, data, n))
		return n;
	if (s->out->len + n > s->max)
		return 0; /* too large: abort the transfer */
	buf_add(s->out, data, n);
	return n;
}

long remote_http_get_buf(struct remote_http *h, const char *path, size_t max, struct buf *out,
			 struct error *err)
{
	long deadline;
	struct reply rp;
	if (request_start(h, &rp, "GET", path, 0, EMPTY_SHA256, &deadline, err) < 0)
		return -1;
	struct buf_sink s = { out, max, &rp };
	curl_easy_setopt(rp.c, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(rp.c, CURLOPT_WRITEDATA, &s);
	return perform(h, &rp, "GET", path, deadline, err);
}

struct file_sink {
	int fd;            /* destination */
	struct hash hash;  /* sha256 of what arrived */
	uint64_t size;     /* bytes arrived */
	uint64_t max;      /* bytes announced: more is refused */
	int error;         /* errno of a failed write */
	struct reply *rp;  /* where an error answer's body goes */
};

static size_t file_write(char *data, size_t size, size_t n, void *opaque)
{
	struct file_sink *s = opaque;
	if (diverted(s->rp, data, n))
		return n;
	if (s->size + n > s->max)
		return 0; /* more than announced: abort the transfer */
	for (size_t done = 0; done < n;) {
		ssize_t w = write(s->fd, data + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			s->error = errno;
			return 0;
		}
		done += (size_t)w;
	}
	hash_update(&s->hash, data, n);
	s->size += n;
	return n;
}

long remote_http_get_file(struct remote_http *h, const char *path, const char *dst,
			  uint64_t expected, char digest[SHA256_HEX], uint64_t *size,
			  struct error *err)
{
	struct reply rp;
	struct file_sink s = { .fd = -1, .max = expected, .rp = &rp };
	long status = -1, deadline;
	if (hash_init(&s.hash, HASH_SHA256, err) < 0)
		return -1;
	if ((s.fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		error_errno(err, errno, "cannot create '%s'", dst);
		goto out;
	}
	if (request_start(h, &rp, "GET", path, expected, EMPTY_SHA256, &deadline, err) < 0)
		goto out;
	curl_easy_setopt(rp.c, CURLOPT_WRITEFUNCTION, file_write);
	curl_easy_setopt(rp.c, CURLOPT_WRITEDATA, &s);
	status = perform(h, &rp, "GET", path, deadline, err);
	if (s.error) { /* the disk failed, not the remote */
		error_errno(err, s.error, "cannot write '%s'", dst);
		status = -1;
	}
	hash_final_hex(&s.hash, digest);
	*size = s.size;
out:
	hash_release(&s.hash);
	if (s.fd >= 0)
		close(s.fd);
	return status;
}

struct mem_source {
	const char *data;  /* what to send */
	size_t left;       /* bytes not yet sent */
};

static size_t mem_read(char *dst, size_t size, size_t n, void *opaque)
{
	struct mem_source *m = opaque;
	size_t take = m->left < size * n ? m->left : size * n;
	memcpy(dst, m->data, take);
	m->data += take;
	m->left -= take;
	return take;
}

/*
 * PUT len bytes: from data when it is not NULL (always, for S3: its body
 * is given whole, so libcurl signs its sha256), else through read(src).
 */
static long put(struct remote_http *h, const char *path, const char *data,
		curl_read_callback read, void *src, uint64_t len, struct error *err)
{
	long deadline;
	struct reply rp;
	char sha[SHA256_HEX] = EMPTY_SHA256;
	if (h->s3)
		hash_buffer_hex(HASH_SHA256, data, len, sha);
	if (request_start(h, &rp, "PUT", path, len, sha, &deadline, err) < 0)
		return -1;
	if (h->s3) {
		curl_easy_setopt(rp.c, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(rp.c, CURLOPT_POSTFIELDS, data);
		curl_easy_setopt(rp.c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else {
		curl_easy_setopt(rp.c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(rp.c, CURLOPT_READFUNCTION, read);
		curl_easy_setopt(rp.c, CURLOPT_READDATA, src);
		curl_easy_setopt(rp.c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	}
	return perform(h, &rp, "PUT", path, deadline, err);
}

long remote_http_put_buf(struct remote_http *h, const char *path, const char *data, size_t len,
			 struct error *err)
{
	struct mem_source m = { data, len };
	return put(h, path, data, mem_read, &m, len, err);
}

long remote_http_put_file(struct remote_http *h, const char *path, const char *src,
			  struct error *err)
{
	FILE *f = fopen(src, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) < 0) {
		if (f)
			fclose(f);
		return error_errno(err, errno, "cannot open '%s'", src);
	}
	long status;
	if (h->s3 && st.st_size > 0) {
		/* mapped, not read: an encoded blob is sent from the page cache */
		void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fileno(f), 0);
		if (map == MAP_FAILED) {
			fclose(f);
			return error_errno(err, errno, "cannot map '%s'", src);
		}
		status = put(h, path, map, NULL, NULL, (uint64_t)st.st_size, err);
		munmap(map, (size_t)st.st_size);
	} else {
		status = put(h, path, h->s3 ? "" : NULL, (curl_read_callback)fread, f,
			     (uint64_t)st.st_size, err);
	}
	fclose(f);
	return status;
}
