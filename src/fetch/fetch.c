/*
 * fetch: one URL into one file descriptor with libcurl (see fetch.h).
 *
 * A download is a series of transfers.  Bytes are written with pwrite at
 * the running offset and fed to the digests as they arrive, so a resumed
 * transfer continues the same digest state.  When a transfer breaks after
 * making progress, the next asks for "Range: bytes=OFFSET-"; a 206 whose
 * Content-Range starts at OFFSET continues, anything else (200, 416, a
 * different start) truncates the file, resets the digests and starts over,
 * so the whole body is always what was hashed.
 */
#include "fetch/fetch.h"

#include "base/curl_lazy.h"
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fetch/fetch_digest.h"
#include "base/fileutil.h"
#include "base/interrupt.h"
#include "base/progress.h"
#include "base/url.h"
#include "recipe/recipe_tree.h"
#include "base/util.h"

#define FETCH_MAX_REDIRS 5
/* transfers that made progress may be resumed this often without counting as retries */
#define FETCH_MAX_RESUMES 50
/* seconds between progress updates */
#define FETCH_PROGRESS_INTERVAL 0.25

/* the state of one download across its transfers */
struct transfer {
	const struct fetch_request *req;
	struct fetch_result *res;
	struct fetch_digest *digest; /* req->algo (and sha256), hashed on a second thread */
	uint64_t offset;             /* bytes written and hashed */
	uint64_t range_from;         /* this transfer asked for bytes from here (0: all) */
	uint64_t attempt_start;      /* offset when this transfer began */
	bool body_started;           /* the first body byte of this transfer arrived */
	bool too_large;              /* the size cap was hit */
	int write_errno;             /* a local write failed (0: none) */
	long content_range_start;    /* start of the Content-Range header, -1: none */
	char location[1024];         /* the last Location header, for redirect messages */
	double started;              /* when this transfer began */
	double last_progress;        /* when progress was last reported */
	char errbuf[CURL_ERROR_SIZE];/* libcurl's detail for the last failure */
};

/* the most a body may hold: the declared size when there is one, else the limit */
static uint64_t body_limit(const struct fetch_request *req)
{
	uint64_t max = req->limits->max_size;
	return req->body_limit && req->body_limit < max ? req->body_limit : max;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;

static void curl_init_once(void)
{
	curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int fetch_global_init(struct error *err)
{
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_code != CURLE_OK)
		return error_set(err, "cannot initialize libcurl: %s", curl_easy_strerror(curl_init_code));
	return 0;
}

static int env_long(const char *name, long min, long *out, struct error *err)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return 0;
	char *end;
	long n = strtol(v, &end, 10);
	if (*end || n < min)
		return error_usage(err, "invalid %s '%s' (want a whole number of at least %ld)", name, v, min);
	*out = n;
	return 0;
}

static int env_size(const char *name, uint64_t *out, struct error *err)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return 0;
	if (parse_size(v, out) < 0)
		return error_usage(err, "invalid %s '%s' (want a size such as 512M)", name, v);
	return 0;
}

int fetch_limits_from_env(struct fetch_limits *l, struct error *err)
{
	l->connect_timeout = 30;
	l->low_speed_time = 30;
	l->low_speed_limit = 1024;
	l->max_size = (uint64_t)8 << 30;
	l->retries = 3;
	l->backoff = 1.0;
	long retries = l->retries;
	uint64_t limit = (uint64_t)l->low_speed_limit;
	if (env_long("MVBUILD_FETCH_TIMEOUT", 1, &l->connect_timeout, err) < 0 ||
	    env_long("MVBUILD_FETCH_LOW_SPEED_TIME", 1, &l->low_speed_time, err) < 0 ||
	    env_size("MVBUILD_FETCH_LOW_SPEED_LIMIT", &limit, err) < 0 ||
	    env_size("MVBUILD_FETCH_MAX_SIZE", &l->max_size, err) < 0 ||
	    env_long("MVBUILD_FETCH_RETRIES", 0, &retries, err) < 0)
		return -1;
	l->retries = (int)retries;
	l->low_speed_limit = (long)limit;
	const char *ca = getenv("MVBUILD_FETCH_CA_BUNDLE");
	l->ca_bundle = ca && *ca ? ca : NULL;
	const char *b = getenv("MVBUILD_FETCH_BACKOFF");
	if (b && *b) {
		char *end;
		double d = strtod(b, &end);
		if (*end || d < 0 || d > 3600)
			return error_usage(err, "invalid MVBUILD_FETCH_BACKOFF '%s' (want seconds)", b);
		l->backoff = d;
	}
	return 0;
}

bool fetch_is_local_path(const char *url)
{
	char scheme[16];
	return *url_scheme(url, scheme, sizeof(scheme)) == '\0';
}

char *fetch_file_url(const char *abs_path)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "file://");
	for (const unsigned char *p = (const unsigned char *)abs_path; *p; p++) {
		if (isalnum(*p) || strchr("/-._~+,=@", *p))
			buf_addc(&b, (char)*p);
		else
			buf_addf(&b, "%%%02X", *p);
	}
	return buf_detach(&b);
}

/* a file:// URL must name a regular file: libcurl would block on a FIFO forever */
static int file_url_check(const char *url, struct error *err)
{
	char *path = recipe_tree_file_url_path(url);
	if (!path || path[0] != '/') {
		free(path);
		return 0; /* libcurl refuses other hosts itself */
	}
	int fd = open_regular(path, err);
	free(path);
	if (fd < 0)
		return error_prefix(err, "cannot download '%s'", url);
	close(fd);
	return 0;
}

/* the server ignored our Range: throw away what we have and take the body from zero */
static int transfer_start_over(struct transfer *t)
{
	struct error err = ERROR_INIT;
	if (ftruncate(t->req->fd, 0) < 0) {
		t->write_errno = errno;
		return -1;
	}
	if (fetch_digest_reset(t->digest, &err) < 0) {
		error_release(&err);
		t->write_errno = ENOMEM;
		return -1;
	}
	t->offset = 0;
	t->attempt_start = 0;
	t->res->restarts++;
	progress_note(t->req->progress, t->req->node_id,
		      "'%s' ignored the range request; downloading from the start", t->req->url);
	return 0;
}

/* first body bytes of a transfer: decide whether a Range request was honoured */
static int transfer_begin_body(struct transfer *t, CURL *curl)
{
	t->body_started = true;
	if (t->range_from == 0)
		return 0;
	long code = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	bool honoured = (code == 206 && t->content_range_start == (long)t->range_from) ||
			(code == 0 && t->content_range_start < 0); /* file:// seeks itself */
	if (honoured) {
		t->res->resumes++;
		return 0;
	}
	return transfer_start_over(t);
}

static int write_all_at(int fd, const char *data, size_t n, uint64_t offset)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, data, n, (off_t)offset);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		data += w;
		n -= (size_t)w;
		offset += (uint64_t)w;
	}
	return 0;
}

struct write_ctx {
	struct transfer *t;
	CURL *curl;
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct write_ctx *w = arg;
	struct transfer *t = w->t;
	size_t n = size * nmemb;
	if (!t->body_started && transfer_begin_body(t, w->curl) < 0)
		return 0;
	if (t->offset + n > body_limit(t->req)) {
		t->too_large = true;
		return 0;
	}
	if (write_all_at(t->req->fd, data, n, t->offset) < 0) {
		t->write_errno = errno;
		return 0;
	}
	fetch_digest_update(t->digest, data, n);
	t->offset += n;
	return n;
}

/* remember Content-Range and Location; status lines of redirects reset them */
static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	size_t n = size * nmemb;
	char line[4096];
	size_t len = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
	memcpy(line, data, len);
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (t->req->on_header)
		t->req->on_header(t->req->header_arg, line);
	if (strncasecmp(line, "HTTP/", 5) == 0) {
		t->content_range_start = -1;
	} else if (strncasecmp(line, "Content-Range:", 14) == 0) {
		const char *p = line + 14;
		while (*p == ' ')
			p++;
		if (strncasecmp(p, "bytes ", 6) == 0)
			t->content_range_start = strtol(p + 6, NULL, 10);
	} else if (strncasecmp(line, "Location:", 9) == 0) {
		const char *p = line + 9;
		while (*p == ' ')
			p++;
		snprintf(t->location, sizeof(t->location), "%.1000s", p);
	}
	return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct transfer *t = arg;
	(void)dlnow; (void)ultotal; (void)ulnow;
	if (interrupt_pending())
		return 1; /* abort the transfer: the run is being stopped */
	double now = now_monotonic();
	if (!t->req->progress || now - t->last_progress < FETCH_PROGRESS_INTERVAL)
		return 0;
	t->last_progress = now;
	char have[32], total[32], rate[32];
	double elapsed = now - t->started;
	double bps = elapsed > 0 ? (double)(t->offset - t->attempt_start) / elapsed : 0;
	struct progress_counts c = PROGRESS_COUNTS_INIT("bytes");
	c.done = t->offset;
	c.rate = bps;
	c.elapsed = elapsed;
	format_size(t->offset, have, sizeof(have));
	format_size((uint64_t)bps, rate, sizeof(rate));
	if (dltotal > 0) {
		uint64_t all = t->range_from + (uint64_t)dltotal;
		format_size(all, total, sizeof(total));
		double eta = bps > 0 && all > t->offset ? (double)(all - t->offset) / bps : 0;
		c.total = all;
		c.eta = eta;
		progress_counts(t->req->progress, t->req->node_id, &c, "%s of %s, %s/s, ETA %.0f s",
				have, total, rate, eta);
	} else {
		progress_counts(t->req->progress, t->req->node_id, &c, "%s, %s/s", have, rate);
	}
	return 0;
}

static void transfer_setopts(struct transfer *t, CURL *curl, struct write_ctx *w)
{
	const struct fetch_limits *l = t->req->limits;
	curl_easy_setopt(curl, CURLOPT_URL, t->req->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(curl, CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRS);
	curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, l->connect_timeout);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, l->low_speed_limit);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, l->low_speed_time);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)body_limit(t->req));
	curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "mvbuild/" MVBUILD_VERSION);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, t->errbuf);
	if (l->ca_bundle)
		curl_easy_setopt(curl, CURLOPT_CAINFO, l->ca_bundle);
	if (t->req->userpwd) {
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERPWD, t->req->userpwd);
	}
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, t);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
}

/* the request's extra headers as libcurl's list (NULL: none) */
static struct curl_slist *request_headers(const struct fetch_request *req)
{
	struct curl_slist *list = NULL;
	for (const char *const *h = req->headers; h && *h; h++) {
		struct curl_slist *next = curl_slist_append(list, *h);
		if (!next) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = next;
	}
	return list;
}

/* one transfer from t->offset on; returns libcurl's result */
static CURLcode transfer_once(struct transfer *t, CURL *curl, long *http_code)
{
	struct write_ctx w = { t, curl };
	char range[48];
	curl_easy_reset(curl);
	transfer_setopts(t, curl, &w);
	struct curl_slist *headers = request_headers(t->req);
	if (t->req->headers && t->req->headers[0] && !headers)
		return CURLE_OUT_OF_MEMORY;
	if (headers)
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	t->range_from = t->offset;
	t->attempt_start = t->offset;
	t->body_started = false;
	t->content_range_start = -1;
	t->location[0] = '\0';
	t->errbuf[0] = '\0';
	t->started = now_monotonic();
	t->last_progress = t->started; /* the first status once there is something to say */
	if (t->range_from > 0) {
		snprintf(range, sizeof(range), "%" PRIu64 "-", t->range_from);
		curl_easy_setopt(curl, CURLOPT_RANGE, range);
	}
	t->res->attempts++;
	CURLcode rc = curl_easy_perform(curl);
	*http_code = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, http_code);
	t->res->http_code = *http_code;
	/* the list may hold a token: gone before the next transfer's reset */
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	/* an empty body never reaches on_write: a Range on it was not honoured either */
	if (rc == CURLE_OK && !t->body_started && t->range_from > 0 && *http_code != 206)
		rc = CURLE_RANGE_ERROR;
	return rc;
}

static bool http_code_transient(long code)
{
	return code >= 500 || code == 408 || code == 429;
}

/* classify a failed transfer and set err; returns the status */
static enum fetch_status transfer_failure(struct transfer *t, CURLcode rc, long code,
					  struct error *err)
{
	const char *url = t->req->url;
	const char *detail = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
	if (t->write_errno) {
		error_errno(err, t->write_errno, "cannot write the download of '%s'", url);
		return FETCH_LOCAL;
	}
	if ((t->too_large || rc == CURLE_FILESIZE_EXCEEDED) &&
	    body_limit(t->req) < t->req->limits->max_size) {
		error_set(err, "cannot download '%s': larger than %s of %" PRIu64 " bytes", url,
			  t->req->body_limit_name ? t->req->body_limit_name : "the limit",
			  t->req->body_limit);
		return FETCH_FAILED;
	}
	if (t->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		char lim[32];
		format_size(t->req->limits->max_size, lim, sizeof(lim));
		error_set(err, "cannot download '%s': larger than the limit of %s "
			  "(MVBUILD_FETCH_MAX_SIZE)", url, lim);
		return FETCH_FAILED;
	}
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
		if (t->location[0]) {
			error_set(err, "refusing redirect from '%s' to '%s': only http and https "
				  "redirects are followed", url, t->location);
		} else {
			error_set(err, "cannot download '%s': %s", url, detail);
		}
		return FETCH_REFUSED;
	case CURLE_TOO_MANY_REDIRECTS:
		error_set(err, "cannot download '%s': more than %d redirects", url, FETCH_MAX_REDIRS);
		return FETCH_FAILED;
	case CURLE_HTTP_RETURNED_ERROR:
		error_set(err, "cannot download '%s': HTTP %ld", url, code);
		return http_code_transient(code) ? FETCH_TRANSIENT : FETCH_FAILED;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		error_set(err, "cannot download '%s': %s", url, detail);
		return FETCH_TRANSIENT;
	default:
		error_set(err, "cannot download '%s': %s", url, detail);
		return FETCH_FAILED;
	}
}

static void sleep_seconds(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* run transfers until one completes or the failure is final; 0 or -1 with err */
static int transfer_run(struct transfer *t, CURL *curl, struct error *err)
{
	const struct fetch_limits *l = t->req->limits;
	double backoff = l->backoff;
	int retries = 0, resumes = 0;
	for (;;) {
		long code;
		uint64_t before = t->offset;
		CURLcode rc = transfer_once(t, curl, &code);
		if (rc == CURLE_OK)
			return 0;
		if (t->range_from > 0 && (rc == CURLE_RANGE_ERROR ||
					  (rc == CURLE_HTTP_RETURNED_ERROR && code == 416))) {
			/* the server cannot serve a range: start over from zero */
			if (t->res->restarts >= FETCH_MAX_RESUMES || transfer_start_over(t) < 0) {
				t->res->status = transfer_failure(t, rc, code, err);
				return -1;
			}
			continue;
		}
		enum fetch_status st = transfer_failure(t, rc, code, err);
		t->res->status = st;
		if (st != FETCH_TRANSIENT)
			return -1;
		bool progressed = t->offset > before && t->body_started;
		if (progressed && resumes < FETCH_MAX_RESUMES) {
			resumes++;
			progress_note(t->req->progress, t->req->node_id, "%s; resuming at byte %" PRIu64,
				      err->msg, t->offset);
			error_release(err);
			continue;
		}
		if (retries >= l->retries)
			return -1;
		retries++;
		progress_note(t->req->progress, t->req->node_id, "%s; retry %d of %d in %.1f s",
			      err->msg, retries, l->retries, backoff);
		error_release(err);
		sleep_seconds(backoff);
		backoff *= 2;
	}
}

int fetch_url(const struct fetch_request *req, struct fetch_result *res, struct error *err)
{
	char scheme[16];
	memset(res, 0, sizeof(*res));
	res->status = FETCH_REFUSED;
	url_scheme(req->url, scheme, sizeof(scheme));
	if (!url_scheme_allowed(scheme))
		return error_set(err, "refusing '%s': %s (only http, https and file are allowed)",
				 req->url, *scheme ? "unsupported scheme" : "not a URL");
	res->status = FETCH_FAILED;
	if (strcmp(scheme, "file") == 0 && file_url_check(req->url, err) < 0)
		return -1;
	res->status = FETCH_LOCAL;
	if (fetch_global_init(err) < 0)
		return -1;
	if (ftruncate(req->fd, 0) < 0)
		return error_errno(err, errno, "cannot truncate the download file for '%s'", req->url);
	struct transfer t = { .req = req, .res = res };
	t.digest = fetch_digest_new(req->algo, req->want_sha256, req->want_content,
				    req->write_behind ? req->fd : -1, err);
	if (!t.digest)
		return -1;
	CURL *curl = curl_easy_init();
	int ret = -1;
	if (!curl) {
		error_set(err, "cannot download '%s': cannot create a libcurl handle", req->url);
		goto out;
	}
	ret = transfer_run(&t, curl, err);
	curl_easy_cleanup(curl);
	if (ret < 0)
		goto out;
	res->status = FETCH_OK;
	res->size = t.offset;
	fetch_digest_final(t.digest, res->digest, res->sha256, res->content);
out:
	fetch_digest_free(t.digest);
	return ret;
}

int fetch_url_buf(const struct fetch_request *req, struct buf *out, struct fetch_result *res,
		  struct error *err)
{
	memset(res, 0, sizeof(*res));
	res->status = FETCH_LOCAL;
	/* a memory file: fetch_url's retries and resumes write at offsets */
	int fd = memfd_create("mvbuild-fetch", MFD_CLOEXEC);
	if (fd < 0)
		return error_errno(err, errno, "cannot download '%s': cannot create a memory file",
				   req->url);
	struct fetch_request r = *req;
	r.fd = fd;
	r.write_behind = false;
	int ret = fetch_url(&r, res, err);
	if (ret == 0) {
		size_t start = out->len;
		buf_grow(out, (size_t)res->size);
		ssize_t got = pread(fd, out->data + start, (size_t)res->size, 0);
		if (got != (ssize_t)res->size) {
			ret = error_errno(err, got < 0 ? errno : EIO, "cannot read the download of '%s'",
					  req->url);
			res->status = FETCH_LOCAL;
		} else {
			out->len = start + (size_t)got;
			out->data[out->len] = '\0';
		}
	}
	close(fd);
	return ret;
}
