/*
 * oci_ref: container image references taken apart and checked (see
 * oci_ref.h).
 */
#include "base/oci_ref.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool oci_ref_host_valid(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && (lower_alnum(s[i]) || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '.' ||
			   s[i] == '-'))
		i++;
	if (i == 0 || len > 255)
		return false;
	if (i == len)
		return true;
	if (s[i] != ':' || len - i - 1 < 1 || len - i - 1 > 5)
		return false;
	unsigned long port = 0;
	for (size_t j = i + 1; j < len; j++) {
		if (s[j] < '0' || s[j] > '9')
			return false;
		port = port * 10 + (unsigned long)(s[j] - '0');
	}
	return port >= 1 && port <= 65535;
}

bool oci_ref_repo_valid(const char *s, size_t len)
{
	if (len == 0 || len > 255)
		return false;
	size_t start = 0; /* of the current component */
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '/') {
			if (!lower_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
				return false;
			continue;
		}
		/* a component [start, i): begins and ends with a letter or digit */
		if (i == start || !lower_alnum(s[start]) || !lower_alnum(s[i - 1]))
			return false;
		start = i + 1;
	}
	return true;
}

bool oci_ref_tag_valid(const char *s, size_t len)
{
	if (len == 0 || len > 128 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!lower_alnum(s[i]) && !(s[i] >= 'A' && s[i] <= 'Z') && s[i] != '_' &&
		    s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

bool oci_ref_digest_valid(const char *s, size_t len)
{
	size_t n = strlen(OCI_REF_SHA256);
	if (len != n + 64 || strncmp(s, OCI_REF_SHA256, n) != 0)
		return false;
	for (size_t i = n; i < len; i++) /* s need not end at len */
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int oci_ref_parse(const char *text, struct oci_ref *ref, const char **why)
{
	const char *slash = strchr(text, '/'), *at = strchr(text, '@');
	const char *name_end = at ? at : text + strlen(text);
	if (!slash || slash > name_end || !oci_ref_host_valid(text, (size_t)(slash - text))) {
		*why = "the registry";
		return -1;
	}
	const char *repo = slash + 1, *colon = memchr(repo, ':', (size_t)(name_end - repo));
	const char *repo_end = colon ? colon : name_end;
	if (!oci_ref_repo_valid(repo, (size_t)(repo_end - repo))) {
		*why = "the repository";
		return -1;
	}
	if (colon && !oci_ref_tag_valid(colon + 1, (size_t)(name_end - colon - 1))) {
		*why = "the tag";
		return -1;
	}
	if (at && !oci_ref_digest_valid(at + 1, strlen(at + 1))) {
		*why = "the digest";
		return -1;
	}
	*ref = (struct oci_ref){
		.host = xstrndup(text, (size_t)(slash - text)),
		.repo = xstrndup(repo, (size_t)(repo_end - repo)),
		.tag = colon ? xstrndup(colon + 1, (size_t)(name_end - colon - 1)) : NULL,
		.digest = at ? xstrdup(at + 1) : NULL,
	};
	return 0;
}

void oci_ref_release(struct oci_ref *ref)
{
	free(ref->host);
	free(ref->repo);
	free(ref->tag);
	free(ref->digest);
	*ref = (struct oci_ref){ 0 };
}
