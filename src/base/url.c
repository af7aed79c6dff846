/*
 * url: a URL's scheme, and the schemes mvbuild downloads.  The check is
 * here, below both the recipe checks and the downloader, so the two cannot
 * disagree about what a recipe may name.
 */
#include "base/url.h"

#include <ctype.h>
#include <string.h>

const char *url_scheme(const char *url, char *out, size_t outlen)
{
	const char *sep = strstr(url, "://");
	size_t n = 0;
	if (sep && outlen > 0) {
		const char *p = url;
		for (; p < sep && n + 1 < outlen; p++) {
			if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.')
				break;
			out[n++] = (char)tolower((unsigned char)*p);
		}
		if (p != sep)
			n = 0; /* not a scheme: "a/b://c" is a path */
	}
	if (outlen > 0)
		out[n] = '\0';
	return out;
}

bool url_scheme_allowed(const char *scheme)
{
	return strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ||
	       strcmp(scheme, "file") == 0;
}

bool url_allowed(const char *url)
{
	char scheme[16];
	return url_scheme_allowed(url_scheme(url, scheme, sizeof(scheme)));
}
