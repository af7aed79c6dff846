/*
 * oci_registry: manifests and blobs of one repository over the OCI
 * distribution API (see oci_registry.h).
 *
 * Authentication follows the registry's lead: a request goes out
 * anonymously (or with the token already issued); a 401 carries a
 * challenge, which is answered once (a token from the Bearer realm, or the
 * configured user and password for Basic) before the request is retried.
 * A second 401 is final.  The token is kept for the later requests of the
 * same pull, so a pull asks for one token, not one per blob.
 */
#include "fetch/oci_registry.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "base/fileutil.h"
#include "base/oci_ref.h"
#include "fetch/fetch.h"
#include "fetch/oci_auth.h"
#include "fetch/oci_manifest.h"
#include "recipe/config.h"

/* header values kept from a response, at most this long */
#define HEADER_MAX 1024

struct oci_registry {
	char *host;               /* HOST[:PORT] */
	char *repo;               /* the repository, "team/img" */
	char *name;               /* "HOST/REPO", for messages */
	char *base;               /* "SCHEME://HOST/v2/REPO" */
	char *userpwd;            /* "user:password" from the config, or NULL (cleared on free) */
	char *auth_header;        /* "Authorization: Bearer TOKEN" once issued, or NULL */
	bool basic;               /* the registry asked for Basic: userpwd goes with requests */
	bool insecure_http;       /* the config allows plain http to this host and its realm */
	struct fetch_limits limits;
	struct progress *progress;
	const char *node_id;
};

/* what a response said besides its body (reset by each status line) */
struct response {
	char challenge[HEADER_MAX];    /* WWW-Authenticate (a Bearer one preferred), or "" */
	char content_type[HEADER_MAX]; /* Content-Type, or "" */
};

static int load_credentials(struct oci_registry *r, const struct config_registry *reg,
			    struct error *err)
{
	if (!reg || !reg->username)
		return 0;
	char *password = NULL;
	if (reg->password_file && read_secret_file(reg->password_file, &password, err) < 0)
		return error_prefix(err, "registry '%s'", r->host);
	const char *pw = password ? password : reg->password ? reg->password : "";
	r->userpwd = xasprintf("%s:%s", reg->username, pw);
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return 0;
}

int oci_registry_open(struct oci_registry **out, const char *host, const char *repo,
		      const struct config *cfg, struct progress *progress, const char *node_id,
		      struct error *err)
{
	*out = NULL;
	if (!oci_ref_host_valid(host, strlen(host)))
		return error_usage(err, "invalid registry '%s' (want HOST or HOST:PORT)", host);
	if (!oci_ref_repo_valid(repo, strlen(repo)))
		return error_usage(err, "invalid repository '%s' on registry '%s' (want lowercase "
				   "path components such as team/img)", repo, host);
	struct oci_registry *r = xcalloc(1, sizeof(*r));
	const struct config_registry *reg = cfg ? config_registry_find(cfg, host) : NULL;
	r->host = xstrdup(host);
	r->repo = xstrdup(repo);
	r->name = xasprintf("%s/%s", host, repo);
	r->insecure_http = reg && reg->insecure_http;
	bool http = r->insecure_http || oci_auth_host_is_loopback(host);
	r->base = xasprintf("%s://%s/v2/%s", http ? "http" : "https", host, repo);
	r->progress = progress;
	r->node_id = node_id;
	if (fetch_limits_from_env(&r->limits, err) < 0 || load_credentials(r, reg, err) < 0) {
		oci_registry_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

static void free_secret(char **s)
{
	if (*s) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

void oci_registry_free(struct oci_registry *r)
{
	if (!r)
		return;
	free_secret(&r->userpwd);
	free_secret(&r->auth_header);
	free(r->host);
	free(r->repo);
	free(r->name);
	free(r->base);
	free(r);
}

const char *oci_registry_name(const struct oci_registry *r)
{
	return r->name;
}

/* the value of "Name: value" when line is that header, else NULL */
static const char *header_value(const char *line, const char *name)
{
	size_t n = strlen(name);
	if (strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	const char *v = line + n + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	return v;
}

static void on_header(void *arg, const char *line)
{
	struct response *resp = arg;
	const char *v;
	if (strncasecmp(line, "HTTP/", 5) == 0) {
		*resp = (struct response){ "", "" };
	} else if ((v = header_value(line, "WWW-Authenticate"))) {
		/* several challenges: the Bearer one, which needs no password, wins */
		if (!resp->challenge[0] || strncasecmp(v, "Bearer", 6) == 0)
			snprintf(resp->challenge, sizeof(resp->challenge), "%s", v);
	} else if ((v = header_value(line, "Content-Type"))) {
		snprintf(resp->content_type, sizeof(resp->content_type), "%s", v);
	}
}

/* the error for a 401 from the registry or its token service after the challenge; -1 */
static int refused(struct oci_registry *r, bool token_service, struct error *err)
{
	const char *who = token_service ? "the token service of registry" : "registry";
	error_release(err);
	if (r->userpwd)
		return error_set(err, "%s '%s' refused the credentials for '%s' in the machine "
				 "config (HTTP 401)", who, r->host, r->host);
	return error_set(err, "%s '%s' refused anonymous access (HTTP 401): add credentials "
			 "under registries: '%s' in the machine config", who, r->host, r->host);
}

/* answer a 401's challenge: a token, or basic credentials; -1 with err when we cannot */
static int answer_challenge(struct oci_registry *r, const struct response *resp,
			    struct error *err)
{
	struct oci_auth_challenge c = OCI_AUTH_CHALLENGE_INIT;
	oci_auth_parse_challenge(&c, resp->challenge);
	int ret = 0;
	if (c.scheme == OCI_AUTH_NONE) {
		ret = error_set(err, "registry '%s' answered HTTP 401 without a challenge mvbuild "
				"understands (WWW-Authenticate: '%.200s')", r->host, resp->challenge);
	} else if (c.scheme == OCI_AUTH_BASIC && !r->userpwd) {
		ret = error_set(err, "registry '%s' asks for a user and password (HTTP 401): add "
				"them under registries: '%s' in the machine config", r->host, r->host);
	} else if (c.scheme == OCI_AUTH_BASIC) {
		r->basic = true;
	} else {
		char *scope = xasprintf("repository:%s:pull", r->repo);
		struct oci_auth_token_request tr = {
			.challenge = &c, .default_scope = scope, .userpwd = r->userpwd,
			.allow_http = r->insecure_http, .limits = &r->limits,
			.progress = r->progress, .node_id = r->node_id,
		};
		free_secret(&r->auth_header);
		long code;
		ret = oci_auth_token(&tr, &r->auth_header, &code, err);
		if (ret < 0 && code == 401)
			ret = refused(r, true, err);
		else if (ret < 0)
			error_prefix(err, "registry '%s' wants a token", r->host);
		free(scope);
	}
	oci_auth_challenge_release(&c);
	return ret;
}

/*
 * GET path below base into body (when not NULL) or fr->fd, answering one
 * authentication challenge; resp gets the final response's headers.
 */
static int registry_get(struct oci_registry *r, const char *path, bool accept_manifests,
			struct fetch_request *fr, struct buf *body, struct fetch_result *res,
			struct response *resp, struct error *err)
{
	char *url = xasprintf("%s/%s", r->base, path);
	int ret = -1;
	fr->url = url;
	fr->limits = &r->limits;
	fr->progress = r->progress;
	fr->node_id = r->node_id;
	fr->on_header = on_header;
	fr->header_arg = resp;
	for (int round = 0;; round++) {
		const char *headers[3];
		size_t n = 0;
		if (accept_manifests)
			headers[n++] = OCI_REGISTRY_ACCEPT;
		if (r->auth_header)
			headers[n++] = r->auth_header;
		headers[n] = NULL;
		fr->headers = headers;
		fr->userpwd = r->basic ? r->userpwd : NULL;
		*resp = (struct response){ "", "" };
		if (body)
			body->len = 0;
		ret = body ? fetch_url_buf(fr, body, res, err) : fetch_url(fr, res, err);
		if (ret == 0 || res->http_code != 401)
			break;
		if (round > 0) {
			ret = refused(r, false, err);
			break;
		}
		error_release(err);
		if ((ret = answer_challenge(r, resp, err)) < 0)
			break;
	}
	free(url);
	return ret;
}

int oci_registry_manifest(struct oci_registry *r, const char *ref, struct buf *body,
			  char digest[OCI_REGISTRY_DIGEST_MAX], char **media_type, struct error *err)
{
	bool by_digest = oci_manifest_digest_valid(ref);
	*media_type = NULL;
	if (!by_digest && !oci_ref_tag_valid(ref, strlen(ref)))
		return error_usage(err, "invalid reference '%s' for '%s' (want a tag or "
				   "sha256:<64 hex digits>)", ref, r->name);
	char *path = xasprintf("manifests/%s", ref);
	struct fetch_request fr = {
		.fd = -1,
		.algo = HASH_SHA256,
		.body_limit = OCI_MANIFEST_MAX,
		.body_limit_name = "the manifest limit",
	};
	struct fetch_result res;
	struct response resp;
	struct buf got = BUF_INIT;
	int ret = registry_get(r, path, true, &fr, &got, &res, &resp, err);
	if (ret == 0) {
		snprintf(digest, OCI_REGISTRY_DIGEST_MAX, "sha256:%.64s", res.digest);
		if (by_digest && strcmp(digest, ref) != 0)
			ret = error_set(err, "registry answered with a manifest of digest %s", digest);
	}
	if (ret < 0) {
		buf_release(&got);
		free(path);
		return error_prefix(err, "cannot get manifest '%s' of '%s'", ref, r->name);
	}
	buf_add(body, got.data, got.len);
	*media_type = xstrdup(resp.content_type);
	buf_release(&got);
	free(path);
	return 0;
}

int oci_registry_blob(struct oci_registry *r, const char *digest, uint64_t size, int fd,
		      char content[SHA256_HEX], struct error *err)
{
	if (!oci_manifest_digest_valid(digest))
		return error_set(err, "cannot get blob '%s' of '%s': only sha256 digests are "
				 "supported", digest, r->name);
	char *path = xasprintf("blobs/%s", digest);
	struct fetch_request fr = {
		.fd = fd,
		.algo = HASH_SHA256,
		.want_content = true, /* names the blob in the cache */
		.write_behind = true,
		.body_limit = size ? size : 1, /* an empty blob must stay empty */
		.body_limit_name = "its declared size",
	};
	struct fetch_result res;
	struct response resp;
	int ret = registry_get(r, path, false, &fr, NULL, &res, &resp, err);
	if (ret == 0 && res.size != size)
		ret = error_set(err, "it has %" PRIu64 " bytes, the manifest says %" PRIu64,
				res.size, size);
	else if (ret == 0 && strcmp(res.digest, digest + 7) != 0)
		ret = error_set(err, "its content has digest sha256:%s", res.digest);
	if (ret == 0)
		memcpy(content, res.content, SHA256_HEX);
	else
		error_prefix(err, "cannot get blob '%s' of '%s'", digest, r->name);
	free(path);
	return ret;
}

int oci_registry_resolve(const char *reference, const struct config *cfg,
			 struct progress *progress, char digest[OCI_REGISTRY_DIGEST_MAX],
			 struct error *err)
{
	struct oci_ref parsed;
	const char *why = NULL;
	if (oci_ref_parse(reference, &parsed, &why) < 0)
		return error_usage(err, "invalid image reference '%s': %s is not valid (want "
				   "HOST[:PORT]/REPO:TAG or HOST[:PORT]/REPO@sha256:HEX)", reference, why);
	/* a digest wins over a tag written beside it; neither means "latest" */
	const char *ref = parsed.digest ? parsed.digest : parsed.tag ? parsed.tag : "latest";
	struct oci_registry *r = NULL;
	struct buf body = BUF_INIT;
	char *type = NULL;
	int ret = oci_registry_open(&r, parsed.host, parsed.repo, cfg, progress, reference, err);
	if (ret == 0)
		ret = oci_registry_manifest(r, ref, &body, digest, &type, err);
	free(type);
	buf_release(&body);
	oci_registry_free(r);
	oci_ref_release(&parsed);
	return ret;
}
