/*
 * archive_lazy: the wrappers behind archive_lazy.h, generated from its
 * ARCHIVE_LAZY_FNS list.  The library is opened once and every listed
 * function resolved, by lazy_lib.
 */
#include "base/archive_lazy.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/lazy_lib.h"

/* the soname of libarchive 3.x; Debian's libarchive13 package provides it */
#define ARCHIVE_SONAME "libarchive.so.13"

static struct {
	ARCHIVE_LAZY_FNS(LAZY_LIB_SLOT, LAZY_LIB_SLOT_VOID)
	void (*set_error)(struct archive *, int, const char *, ...);
} api;

static struct lazy_lib lib = { .soname = ARCHIVE_SONAME };
#define LAZY_API api
#define LAZY_LIB lib
#define LAZY_PREFIX "archive_"
#define LAZY_NAME(name) archive_lazy_##name

static int resolve(struct lazy_lib *l)
{
	ARCHIVE_LAZY_FNS(LAZY_LIB_RESOLVE, LAZY_LIB_RESOLVE_VOID)
	return lazy_lib_resolve(l, "archive_set_error", &api.set_error);
}

static int ready(void)
{
	return lazy_lib_ready(&lib, resolve);
}

int archive_lazy_load(struct error *err)
{
	return ready() ? 0 : error_set(err, "%s", lib.error);
}

const char *archive_lazy_error(void)
{
	return lib.error;
}

ARCHIVE_LAZY_FNS(LAZY_LIB_WRAP, LAZY_LIB_WRAP_VOID)

/* the message is formatted here, so the library gets no varargs to forward */
void archive_lazy_set_error(struct archive *a, int errnum, const char *fmt, ...)
{
	if (!ready())
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api.set_error(a, errnum, "%s", msg);
}
