/*
 * oci_auth: registry challenges and the token request (see oci_auth.h).
 *
 * A challenge is "SCHEME param=value, param="quoted value", ..." (RFC 7235);
 * only the parameters the distribution token protocol uses are kept.  The
 * token answer is JSON: {"token": "..."} or {"access_token": "..."} (both
 * are issued by real services; "token" wins when both are present).
 */
#include "fetch/oci_auth.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "base/util.h"
#include "fetch/fetch.h"

void oci_auth_challenge_release(struct oci_auth_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	*c = (struct oci_auth_challenge)OCI_AUTH_CHALLENGE_INIT;
}

/* a token or a quoted string at *p, advancing *p past it; caller frees */
static char *param_value(const char **p)
{
	struct buf b = BUF_INIT;
	const char *s = *p;
	if (*s == '"') {
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			buf_addc(&b, *s);
		}
		if (*s == '"')
			s++;
	} else {
		while (*s && *s != ',' && !isspace((unsigned char)*s))
			buf_addc(&b, *s++);
	}
	*p = s;
	buf_grow(&b, 0);
	return buf_detach(&b);
}

/* the parameter name at *p (letters, digits, '_', '-'), advancing *p; 0 when none */
static size_t param_name(const char **p, char *out, size_t outlen)
{
	size_t n = 0;
	const char *s = *p;
	while (isalnum((unsigned char)*s) || *s == '_' || *s == '-') {
		if (n + 1 < outlen)
			out[n++] = *s;
		s++;
	}
	out[n] = '\0';
	*p = s;
	return n;
}

static void keep_param(struct oci_auth_challenge *c, const char *name, char *value)
{
	char **slot = strcasecmp(name, "realm") == 0 ? &c->realm
		    : strcasecmp(name, "service") == 0 ? &c->service
		    : strcasecmp(name, "scope") == 0 ? &c->scope : NULL;
	if (slot) {
		free(*slot);
		*slot = value;
	} else {
		free(value);
	}
}

void oci_auth_parse_challenge(struct oci_auth_challenge *c, const char *value)
{
	oci_auth_challenge_release(c);
	const char *p = value;
	while (isspace((unsigned char)*p))
		p++;
	size_t len = strcspn(p, " \t");
	if (len == 5 && strncasecmp(p, "Basic", 5) == 0)
		c->scheme = OCI_AUTH_BASIC;
	else if (len == 6 && strncasecmp(p, "Bearer", 6) == 0)
		c->scheme = OCI_AUTH_BEARER;
	else
		return;
	p += len;
	for (;;) {
		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		char name[32];
		if (!param_name(&p, name, sizeof(name)) || *p != '=')
			break;
		p++;
		keep_param(c, name, param_value(&p));
	}
	if (c->scheme == OCI_AUTH_BEARER && (!c->realm || !*c->realm)) {
		oci_auth_challenge_release(c);
		c->scheme = OCI_AUTH_NONE;
	}
}

bool oci_auth_host_is_loopback(const char *hostport)
{
	size_t len;
	if (hostport[0] == '[') {
		const char *end = strchr(hostport, ']');
		if (!end)
			return false;
		return (size_t)(end - hostport) == 4 && strncmp(hostport, "[::1", 4) == 0 &&
		       (end[1] == '\0' || end[1] == ':');
	}
	len = strcspn(hostport, ":");
	if (strcmp(hostport, "::1") == 0)
		return true;
	return (len == 9 && strncmp(hostport, "127.0.0.1", 9) == 0) ||
	       (len == 9 && strncasecmp(hostport, "localhost", 9) == 0);
}

bool oci_auth_url_safe(const char *url, bool allow_http)
{
	if (str_startswith(url, "https://"))
		return true;
	if (!str_startswith(url, "http://"))
		return false;
	const char *host = url + strlen("http://");
	char *authority = xstrndup(host, strcspn(host, "/?#"));
	/* "user@" in a realm would let a registry choose where our password goes */
	bool ok = !strchr(authority, '@') && (allow_http || oci_auth_host_is_loopback(authority));
	free(authority);
	return ok;
}

static void add_query(struct buf *b, const char *name, const char *value, bool *first)
{
	buf_addf(b, "%c%s=", *first ? '?' : '&', name);
	*first = false;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p))
			buf_addc(b, (char)*p);
		else
			buf_addf(b, "%%%02X", *p);
	}
}

/* a token is one header-safe word: no space, control byte or non-ASCII byte */
static bool token_valid(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > OCI_AUTH_MAX_TOKEN)
		return false;
	for (const unsigned char *p = (const unsigned char *)t; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}

/* the token out of the realm's JSON answer; -1 with err */
static int token_from_answer(const char *realm, const struct buf *body, char **header,
			     struct error *err)
{
	struct json j;
	if (json_parse(&j, body->data, body->len, err) < 0)
		return error_prefix(err, "token service '%s' answered with invalid JSON", realm);
	const char *t = json_get_string(&j, "token");
	if (!t || !*t)
		t = json_get_string(&j, "access_token");
	int ret = 0;
	if (!t || !*t)
		ret = error_set(err, "token service '%s' answered without a token", realm);
	else if (!token_valid(t))
		ret = error_set(err, "token service '%s' answered with an invalid token "
				"(empty, over %u bytes, or not one printable word)", realm,
				OCI_AUTH_MAX_TOKEN);
	else
		*header = xasprintf("Authorization: Bearer %s", t);
	if (t)
		explicit_bzero((char *)t, strlen(t));
	json_release(&j);
	return ret;
}

int oci_auth_token(const struct oci_auth_token_request *req, char **header, long *http_code,
		   struct error *err)
{
	*http_code = 0;
	const struct oci_auth_challenge *c = req->challenge;
	if (!oci_auth_url_safe(c->realm, req->allow_http))
		return error_set(err, "refusing token service '%s': only https, or http to a loopback "
				 "address (or with insecure_http in the machine config)", c->realm);
	struct buf url = BUF_INIT, body = BUF_INIT;
	bool first = !strchr(c->realm, '?');
	buf_adds(&url, c->realm);
	if (c->service)
		add_query(&url, "service", c->service, &first);
	add_query(&url, "scope", c->scope ? c->scope : req->default_scope, &first);
	struct fetch_request fr = {
		.url = url.data,
		.fd = -1,
		.algo = HASH_SHA256,
		.limits = req->limits,
		.progress = req->progress,
		.node_id = req->node_id,
		.userpwd = req->userpwd,
		.body_limit = OCI_AUTH_MAX_ANSWER,
		.body_limit_name = "the limit for a token answer",
	};
	struct fetch_result res;
	int ret = fetch_url_buf(&fr, &body, &res, err);
	*http_code = res.http_code;
	if (ret == 0)
		ret = token_from_answer(c->realm, &body, header, err);
	if (body.data)
		explicit_bzero(body.data, body.len);
	buf_release(&body);
	buf_release(&url);
	return ret;
}
