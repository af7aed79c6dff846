/*
 * curl_lazy: the wrappers behind curl_lazy.h.  The library is opened once
 * and every entry point resolved; if that fails, each
 * wrapper answers the way libcurl answers a failure (NULL,
 * CURLE_FAILED_INIT), and curl_lazy_load() says why (base/lazy_lib.c
 * opens and resolves).
 */
#include "base/curl_lazy.h"

#include <stdarg.h>

#include "base/lazy_lib.h"

/* the soname of libcurl 7.x/8.x; Debian's libcurl4 package provides it */
#define CURL_SONAME "libcurl.so.4"

static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *);
	void (*easy_reset)(CURL *);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	char *(*version)(void);
} api;
static struct lazy_lib lib = { .soname = CURL_SONAME };

static int resolve(struct lazy_lib *l)
{
	return lazy_lib_resolve(l, "curl_global_init", &api.global_init) &&
	       lazy_lib_resolve(l, "curl_easy_init", &api.easy_init) &&
	       lazy_lib_resolve(l, "curl_easy_cleanup", &api.easy_cleanup) &&
	       lazy_lib_resolve(l, "curl_easy_reset", &api.easy_reset) &&
	       lazy_lib_resolve(l, "curl_easy_perform", &api.easy_perform) &&
	       lazy_lib_resolve(l, "curl_easy_setopt", &api.easy_setopt) &&
	       lazy_lib_resolve(l, "curl_easy_getinfo", &api.easy_getinfo) &&
	       lazy_lib_resolve(l, "curl_easy_strerror", &api.easy_strerror) &&
	       lazy_lib_resolve(l, "curl_slist_append", &api.slist_append) &&
	       lazy_lib_resolve(l, "curl_slist_free_all", &api.slist_free_all) &&
	       lazy_lib_resolve(l, "curl_version", &api.version);
}

static int ready(void)
{
	return lazy_lib_ready(&lib, resolve);
}

int curl_lazy_load(struct error *err)
{
	return ready() ? 0 : error_set(err, "%s", lib.error);
}

CURLcode curl_lazy_global_init(long flags)
{
	return ready() ? api.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *curl_lazy_easy_init(void)
{
	return ready() ? api.easy_init() : NULL;
}

void curl_lazy_easy_cleanup(CURL *h)
{
	if (ready())
		api.easy_cleanup(h);
}

void curl_lazy_easy_reset(CURL *h)
{
	if (ready())
		api.easy_reset(h);
}

CURLcode curl_lazy_easy_perform(CURL *h)
{
	return ready() ? api.easy_perform(h) : CURLE_FAILED_INIT;
}

/*
 * setopt takes exactly one argument after the option, whose type the
 * option number's range gives (CURLOPTTYPE_* in curl.h, part of its ABI).
 */
CURLcode curl_lazy_easy_setopt(CURL *h, CURLoption option, ...)
{
	if (!ready())
		return CURLE_FAILED_INIT;
	va_list ap;
	va_start(ap, option);
	CURLcode rc;
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = api.easy_setopt(h, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_FUNCTIONPOINT || option >= CURLOPTTYPE_BLOB)
		rc = api.easy_setopt(h, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = api.easy_setopt(h, option, va_arg(ap, void (*)(void)));
	else
		rc = api.easy_setopt(h, option, va_arg(ap, curl_off_t));
	va_end(ap);
	return rc;
}

/* every getinfo argument is a pointer to where the answer goes */
CURLcode curl_lazy_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	if (!ready())
		return CURLE_FAILED_INIT;
	va_list ap;
	va_start(ap, info);
	CURLcode rc = api.easy_getinfo(h, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

const char *curl_lazy_easy_strerror(CURLcode code)
{
	return ready() ? api.easy_strerror(code) : lib.error;
}

struct curl_slist *curl_lazy_slist_append(struct curl_slist *list, const char *s)
{
	return ready() ? api.slist_append(list, s) : NULL;
}

void curl_lazy_slist_free_all(struct curl_slist *list)
{
	if (ready())
		api.slist_free_all(list);
}

char *curl_lazy_version(void)
{
	return ready() ? api.version() : lib.error;
}
