/*
 * curl_lazy: libcurl, loaded with dlopen on first use instead of at
 * process start.  libcurl drags in some thirty shared libraries (TLS,
 * Kerberos, LDAP, SSH, HTTP/2, ...) whose loading costs about 5 ms, more
 * than half of a no-op build, which never downloads anything.
 *
 * Include this instead of <curl/curl.h>: it keeps curl's types and
 * constants and maps the libcurl functions mvbuild uses onto wrappers that
 * load the library when first called.  libcurl is not linked, so a call
 * that bypasses this header fails at link time.
 */
#ifndef MVBUILD_CURL_LAZY_H
#define MVBUILD_CURL_LAZY_H

#include <curl/curl.h>

#include "base/error.h"

/* load libcurl now; 0, or -1 with err saying why it cannot be loaded */
int curl_lazy_load(struct error *err);

CURLcode curl_lazy_global_init(long flags);
CURL *curl_lazy_easy_init(void);
void curl_lazy_easy_cleanup(CURL *h);
void curl_lazy_easy_reset(CURL *h);
CURLcode curl_lazy_easy_perform(CURL *h);
CURLcode curl_lazy_easy_setopt(CURL *h, CURLoption option, ...);
CURLcode curl_lazy_easy_getinfo(CURL *h, CURLINFO info, ...);
const char *curl_lazy_easy_strerror(CURLcode code);
struct curl_slist *curl_lazy_slist_append(struct curl_slist *list, const char *s);
void curl_lazy_slist_free_all(struct curl_slist *list);
char *curl_lazy_version(void);

/* curl.h makes setopt/getinfo type-checking macros under gcc: replace them */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init curl_lazy_global_init
#define curl_easy_init curl_lazy_easy_init
#define curl_easy_cleanup curl_lazy_easy_cleanup
#define curl_easy_reset curl_lazy_easy_reset
#define curl_easy_perform curl_lazy_easy_perform
#define curl_easy_setopt curl_lazy_easy_setopt
#define curl_easy_getinfo curl_lazy_easy_getinfo
#define curl_easy_strerror curl_lazy_easy_strerror
#define curl_slist_append curl_lazy_slist_append
#define curl_slist_free_all curl_lazy_slist_free_all
#define curl_version curl_lazy_version

#endif
