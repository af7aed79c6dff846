/*
 * remote_http: the HTTP side of the remote cache, with libcurl.
 *
 * Timeouts: connecting is bounded by the configured timeout; a transfer
 * slower than 1 KiB/s for that long is abandoned (so a server that accepts
 * and never answers costs one timeout); small requests (HEAD, action
 * records) are also bounded in total.  Credentials come from files named
 * by the config, are held only in memory, and only curl ever sees them:
 * messages use the URL without any user:password part.
 */
#include "remote_http.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "curl_lazy.h"

#include "fileutil.h"

#define POOL_MAX 16
#define SECRET_MAX 4096

struct remote_http {
	char *base;                 /* base URL without a trailing '/' */
	char *shown;                /* base without credentials, for messages */
	struct curl_slist *headers; /* "Authorization: Bearer ..." or NULL */
	char *userpwd;              /* "user:password" for basic auth, or NULL */
	long timeout_ms;            /* bound for connecting and for stalls */
	pthread_mutex_t lock;       /* guards pool */
	CURL *pool[POOL_MAX];       /* idle handles, keeping connections alive */
	size_t n_pool;
};

/* read a secret file, dropping trailing whitespace; -1 with err (never quoting the content) */
static int read_secret(const char *path, char **out, struct error *err)
{
	struct buf b = BUF_INIT;
	if (read_file(path, SECRET_MAX, &b, err) < 0)
		return error_prefix(err, "cannot read credentials");
	while (b.len && strchr(" \t\r\n", b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	if (!b.len || memchr(b.data, '\n', b.len)) {
		buf_release(&b);
		return error_usage(err, "credentials file '%s' must hold one non-empty line", path);
	}
	*out = buf_detach(&b);
	return 0;
}

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
		if (read_secret(cfg->token_file, &token, err) < 0)
			return -1;
		char *header = xasprintf("Authorization: Bearer %s", token);
		h->headers = curl_slist_append(NULL, header);
		explicit_bzero(token, strlen(token));
		explicit_bzero(header, strlen(header));
		free(token);
		free(header);
	}
	if (cfg->basic_auth_file) {
		if (read_secret(cfg->basic_auth_file, &h->userpwd, err) < 0)
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
	if (!str_startswith(url, "http://") && !str_startswith(url, "https://"))
		return error_usage(err, "remote '%s' is not an http:// or https:// URL", url);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return error_set(err, "cannot initialize libcurl");
	struct remote_http *h = xcalloc(1, sizeof(*h));
	h->base = xstrdup(url);
	while (str_endswith(h->base, "/"))
		h->base[strlen(h->base) - 1] = '\0';
	h->shown = url_without_userinfo(h->base);
	h->timeout_ms = cfg->timeout > 0 ? (long)(cfg->timeout * 1000) : 30000;
	pthread_mutex_init(&h->lock, NULL);
	if (load_credentials(h, cfg, err) < 0) {
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

/* response bodies of HEAD and PUT are not wanted (curl would print them) */
static size_t discard(char *data, size_t size, size_t n, void *opaque)
{
	return n;
}

/* the options every request shares; bounded says whether the whole request is time-bounded */
static void setup(struct remote_http *h, CURL *c, const char *url, bool bounded)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (h->timeout_ms + 999) / 1000);
	if (bounded)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mvbuild/" MVBUILD_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (h->headers)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
	if (h->userpwd) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, h->userpwd);
	}
}

/* perform; the status, or -1 with err naming method and path (never credentials) */
static long perform(struct remote_http *h, CURL *c, const char *method, const char *path,
		    struct error *err)
{
	CURLcode rc = curl_easy_perform(c);
	long status = -1;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		error_set(err, "%s %s/%s: %s", method, h->shown, path, curl_easy_strerror(rc));
	handle_give(h, c);
	return status;
}

long remote_http_head(struct remote_http *h, const char *path, struct error *err)
{
	CURL *c = handle_take(h);
	if (!c)
		return error_set(err, "cannot create a libcurl handle");
	char *url = xasprintf("%s/%s", h->base, path);
	setup(h, c, url, true);
	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	long status = perform(h, c, "HEAD", path, err);
	free(url);
	return status;
}

struct buf_sink {
	struct buf *out;  /* where the body goes */
	size_t max;       /* bound on its size */
};

static size_t buf_write(char *data, size_t size, size_t n, void *opaque)
{
	struct buf_sink *s = opaque;
	if (s->out->len + n > s->max)
		return 0; /* too large: abort the transfer */
	buf_add(s->out, data, n);
	return n;
}

long remote_http_get_buf(struct remote_http *h, const char *path, size_t max, struct buf *out,
			 struct error *err)
{
	CURL *c = handle_take(h);
	if (!c)
		return error_set(err, "cannot create a libcurl handle");
	char *url = xasprintf("%s/%s", h->base, path);
	struct buf_sink s = { out, max };
	setup(h, c, url, true);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	long status = perform(h, c, "GET", path, err);
	free(url);
	return status;
}

struct file_sink {
	int fd;            /* destination */
	struct hash hash;  /* sha256 of what arrived */
	uint64_t size;     /* bytes arrived */
	int error;         /* errno of a failed write */
};

static size_t file_write(char *data, size_t size, size_t n, void *opaque)
{
	struct file_sink *s = opaque;
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
			  char digest[SHA256_HEX], uint64_t *size, struct error *err)
{
	struct file_sink s = { .fd = -1 };
	long status = -1;
	if (hash_init(&s.hash, HASH_SHA256, err) < 0)
		return -1;
	if ((s.fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		error_errno(err, errno, "cannot create '%s'", dst);
		goto out;
	}
	CURL *c = handle_take(h);
	if (!c) {
		error_set(err, "cannot create a libcurl handle");
		goto out;
	}
	char *url = xasprintf("%s/%s", h->base, path);
	setup(h, c, url, false);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, file_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	status = perform(h, c, "GET", path, err);
	free(url);
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

static long put(struct remote_http *h, const char *path, curl_read_callback read, void *src,
		uint64_t len, bool bounded, struct error *err)
{
	CURL *c = handle_take(h);
	if (!c)
		return error_set(err, "cannot create a libcurl handle");
	char *url = xasprintf("%s/%s", h->base, path);
	setup(h, c, url, bounded);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read);
	curl_easy_setopt(c, CURLOPT_READDATA, src);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	long status = perform(h, c, "PUT", path, err);
	free(url);
	return status;
}

long remote_http_put_buf(struct remote_http *h, const char *path, const char *data, size_t len,
			 struct error *err)
{
	struct mem_source m = { data, len };
	return put(h, path, mem_read, &m, len, true, err);
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
	long status = put(h, path, (curl_read_callback)fread, f, (uint64_t)st.st_size, false, err);
	fclose(f);
	return status;
}
