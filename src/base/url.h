/*
 * url: the one policy for which URLs mvbuild downloads (http, https, file),
 * shared by the recipe checks (so `mvbuild check` refuses a URL with its
 * FILE:LINE:COL) and the downloader (so it never fetches another scheme).
 */
#ifndef MVBUILD_URL_H
#define MVBUILD_URL_H

#include <stdbool.h>
#include <stddef.h>

/* the scheme of url, lowercased into out ("" for a plain path); returns out */
const char *url_scheme(const char *url, char *out, size_t outlen);
/* true when scheme (lowercase, as url_scheme() gives it) is one mvbuild downloads */
bool url_scheme_allowed(const char *scheme);
/* true when url has a scheme mvbuild downloads (http, https, file) */
bool url_allowed(const char *url);

#endif
