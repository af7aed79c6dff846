/*
 * remote_s3: S3-compatible object storage as a remote cache.
 *
 * URL: s3://BUCKET/PREFIX; objects are the same as on an HTTP remote,
 * PREFIX/ac/<key> and PREFIX/cas/<sha256>, reached path-style at the
 * endpoint: ENDPOINT/BUCKET/PREFIX/ac/<key> (config remote: { s3: {
 * endpoint: URL, region: NAME } }; the endpoint defaults to
 * https://s3.REGION.amazonaws.com, the region to $AWS_REGION, else
 * $AWS_DEFAULT_REGION, else us-east-1).
 *
 * Credentials, first found wins (the project's precedence: environment,
 * then file): AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with
 * AWS_SESSION_TOKEN when set); else remote: { s3: { credentials_file: F } },
 * F in the AWS CLI's ini format, whose [default] section is read:
 *   [default]
 *   aws_access_key_id = AKIA...
 *   aws_secret_access_key = ...
 *   aws_session_token = ...          (optional)
 * With neither, requests are not signed (a public bucket).  Credentials
 * live in memory only, are handed to libcurl and wiped on close; no
 * message quotes them or the file's content.
 *
 * Signing: libcurl's CURLOPT_AWS_SIGV4 ("aws:amz:REGION:s3").  S3 wants
 * x-amz-content-sha256, the body's sha256, and checks it against the
 * payload hash in the signature.  libcurl 7.88 hashes only a body given as
 * POSTFIELDS (and an empty one otherwise), while newer versions take the
 * header's value, so remote_http sends every S3 body as POSTFIELDS (a file
 * mapped into memory) and this file sets the header to that body's real
 * sha256: both curl versions then sign what S3 verifies.
 */
#include "cache/remote_s3.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileutil.h"
#include "base/util.h"

#define CREDENTIALS_MAX (64u << 10)

struct remote_s3 {
	char *base;      /* ENDPOINT/BUCKET[/PREFIX] */
	char *shown;     /* s3://BUCKET[/PREFIX] */
	char *endpoint;  /* the server, for messages */
	char *sigv4;     /* "aws:amz:REGION:s3" */
	char *key_id;    /* access key id, or NULL: unsigned requests */
	char *secret;    /* secret access key */
	char *token;     /* "x-amz-security-token: ..." header, or NULL */
	char *bucket;    /* for messages about a missing bucket */
	char *source;    /* where the credentials came from, for messages, or NULL */
};

/* true when every byte of s is in the allowed set (and s is not empty) */
static bool only(const char *s, size_t n, const char *extra)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		      strchr(extra, s[i])))
			return false;
	return true;
}

static char *wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
	return NULL;
}

/* s3://BUCKET[/PREFIX] into s; -1 with err */
static int parse_url(struct remote_s3 *s, const char *url, const char *endpoint, struct error *err)
{
	const char *b = url + strlen("s3://"), *slash = strchr(b, '/');
	size_t blen = slash ? (size_t)(slash - b) : strlen(b);
	char *prefix = xstrdup(slash ? slash + 1 : "");
	while (*prefix && prefix[strlen(prefix) - 1] == '/')
		prefix[strlen(prefix) - 1] = '\0';
	int ret = 0;
	if (blen < 3 || blen > 63 || !only(b, blen, ".-"))
		ret = error_usage(err, "remote '%s': the bucket name must be 3 to 63 lowercase "
				  "letters, digits, '.' or '-'", url);
	else if (*prefix && !only(prefix, strlen(prefix), "ABCDEFGHIJKLMNOPQRSTUVWXYZ._-/~"))
		ret = error_usage(err, "remote '%s': the prefix may hold only letters, digits and "
				  "'.', '_', '-', '/', '~'", url);
	if (ret == 0) {
		s->bucket = xstrndup(b, blen);
		s->base = xasprintf("%s/%s%s%s", endpoint, s->bucket, *prefix ? "/" : "", prefix);
		s->shown = xasprintf("s3://%s%s%s", s->bucket, *prefix ? "/" : "", prefix);
		s->endpoint = xstrdup(endpoint);
	}
	free(prefix);
	return ret;
}

/* the value of "key = value" on a trimmed line, or NULL */
static const char *ini_value(char *line, const char *key)
{
	size_t n = strlen(key);
	if (strncmp(line, key, n) != 0)
		return NULL;
	char *p = line + n;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '=')
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* aws_access_key_id, aws_secret_access_key, aws_session_token of [default]; -1 with err */
static int read_credentials_file(struct remote_s3 *s, const char *path, char **token,
				 struct error *err)
{
	struct buf b = BUF_INIT;
	if (read_file(path, CREDENTIALS_MAX, &b, err) < 0)
		return error_prefix(err, "cannot read the s3 credentials_file");
	bool in_default = false;
	for (char *save = NULL, *line = strtok_r(b.data, "\r\n", &save); line;
	     line = strtok_r(NULL, "\r\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		char *end = line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		const char *v;
		if (*line == '[')
			in_default = strcmp(line, "[default]") == 0;
		else if (!in_default)
			continue;
		else if ((v = ini_value(line, "aws_access_key_id")))
			s->key_id = (wipe_free(s->key_id), xstrdup(v));
		else if ((v = ini_value(line, "aws_secret_access_key")))
			s->secret = (wipe_free(s->secret), xstrdup(v));
		else if ((v = ini_value(line, "aws_session_token")))
			*token = (wipe_free(*token), xstrdup(v));
	}
	explicit_bzero(b.data, b.len);
	buf_release(&b);
	if (!s->key_id || !*s->key_id || !s->secret || !*s->secret)
		return error_usage(err, "s3 credentials_file '%s' has no aws_access_key_id and "
				   "aws_secret_access_key in its [default] section", path);
	return 0;
}

static int load_credentials(struct remote_s3 *s, const struct config *cfg, struct error *err)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *env_token = getenv("AWS_SESSION_TOKEN");
	char *token = NULL;
	if ((id && *id) != (secret && *secret))
		return error_usage(err, "%s is set but %s is not", id && *id ? "AWS_ACCESS_KEY_ID" :
				   "AWS_SECRET_ACCESS_KEY", id && *id ? "AWS_SECRET_ACCESS_KEY" :
				   "AWS_ACCESS_KEY_ID");
	if (id && *id) {
		s->key_id = xstrdup(id);
		s->secret = xstrdup(secret);
		s->source = xstrdup("from AWS_ACCESS_KEY_ID");
		token = env_token && *env_token ? xstrdup(env_token) : NULL;
	} else if (cfg->s3_credentials_file &&
		   read_credentials_file(s, cfg->s3_credentials_file, &token, err) < 0) {
		wipe_free(token);
		return -1;
	} else if (cfg->s3_credentials_file) {
		s->source = xasprintf("from the s3 credentials_file '%s'", cfg->s3_credentials_file);
	}
	if (token) {
		s->token = xasprintf("x-amz-security-token: %s", token);
		wipe_free(token);
	}
	return 0;
}

int remote_s3_open(struct remote_s3 **out, const char *url, const struct config *cfg,
		   struct error *err)
{
	*out = NULL;
	const char *region = cfg->s3_region;
	if (!region || !*region)
		region = getenv("AWS_REGION");
	if (!region || !*region)
		region = getenv("AWS_DEFAULT_REGION");
	if (!region || !*region)
		region = "us-east-1";
	if (!only(region, strlen(region), "-"))
		return error_usage(err, "remote s3 region '%s' is not a region name", region);
	char *endpoint = cfg->s3_endpoint && *cfg->s3_endpoint
				 ? xstrdup(cfg->s3_endpoint)
				 : xasprintf("https://s3.%s.amazonaws.com", region);
	while (str_endswith(endpoint, "/"))
		endpoint[strlen(endpoint) - 1] = '\0';
	struct remote_s3 *s = xcalloc(1, sizeof(*s));
	s->sigv4 = xasprintf("aws:amz:%s:s3", region);
	int ret = 0;
	if (!str_startswith(endpoint, "http://") && !str_startswith(endpoint, "https://"))
		ret = error_usage(err, "remote s3 endpoint '%s' is not an http:// or https:// URL",
				  endpoint);
	else if (parse_url(s, url, endpoint, err) < 0 || load_credentials(s, cfg, err) < 0)
		ret = -1;
	free(endpoint);
	if (ret < 0) {
		remote_s3_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

const char *remote_s3_base(const struct remote_s3 *s)
{
	return s->base;
}

const char *remote_s3_shown(const struct remote_s3 *s)
{
	return s->shown;
}

struct curl_slist *remote_s3_setup(const struct remote_s3 *s, CURL *c, const char *payload_sha256)
{
	/*
	 * Every header given here is signed, so nothing that is not sent may
	 * be given (libcurl 7.88 signs even "Expect:", the way to drop it).
	 */
	char *sha = xasprintf("x-amz-content-sha256: %s", payload_sha256);
	struct curl_slist *headers = curl_slist_append(NULL, sha);
	free(sha);
	if (s->token)
		headers = curl_slist_append(headers, s->token);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	if (s->key_id) {
		curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4);
		curl_easy_setopt(c, CURLOPT_USERNAME, s->key_id);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->secret);
	}
	return headers;
}

/* the <Code> of an S3 error body when it is a plain word, else "" */
static void error_code(const char *body, size_t len, char code[64])
{
	code[0] = '\0';
	const char *open = memmem(body, len, "<Code>", 6);
	if (!open)
		return;
	open += 6;
	const char *close = memmem(open, len - (size_t)(open - body), "</Code>", 7);
	size_t n = close ? (size_t)(close - open) : 0;
	if (n == 0 || n >= 64)
		return;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)open[i]))
			return;
	memcpy(code, open, n);
	code[n] = '\0';
}

long remote_s3_status(const struct remote_s3 *s, long status, const char *body, size_t len,
		      const char *method, const char *path, struct error *err)
{
	char code[64];
	error_code(body ? body : "", body ? len : 0, code);
	if (strcmp(code, "NoSuchBucket") == 0)
		return error_set(err, "%s %s: the bucket '%s' does not exist at %s", method, path,
				 s->bucket, s->endpoint);
	if (status == 404 && (!*code || strcmp(code, "NoSuchKey") == 0))
		return 404; /* a HEAD's 404 has no body to tell a bucket from an object */
	if (status == 401 || status == 403)
		return error_set(err, "%s %s answered HTTP %ld%s%s: the credentials %s were "
				 "refused", method, path, status, *code ? " " : "", code,
				 s->source ? s->source : "(none: requests are unsigned)");
	return error_set(err, "%s %s answered HTTP %ld%s%s", method, path, status,
			 *code ? " " : "", code);
}

void remote_s3_close(struct remote_s3 *s)
{
	if (!s)
		return;
	wipe_free(s->key_id);
	wipe_free(s->secret);
	wipe_free(s->token);
	free(s->base);
	free(s->shown);
	free(s->endpoint);
	free(s->sigv4);
	free(s->bucket);
	free(s->source);
	free(s);
}
