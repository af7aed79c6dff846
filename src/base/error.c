#include "base/error.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static int error_vsetk(struct error *err, enum error_kind kind, const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap);
	error_release(err);
	err->msg = msg;
	err->kind = kind;
	return -1;
}

int error_setk(struct error *err, enum error_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vsetk(err, kind, fmt, ap);
	va_end(ap);
	return -1;
}

int error_set(struct error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vsetk(err, ERROR_BUILD, fmt, ap);
	va_end(ap);
	return -1;
}

int error_usage(struct error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vsetk(err, ERROR_USAGE, fmt, ap);
	va_end(ap);
	return -1;
}

int error_errno(struct error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	error_set(err, "%s: %s", what, strerror(errnum));
	free(what);
	return -1;
}

int error_prefix(struct error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *ctx = xvasprintf(fmt, ap);
	va_end(ap);
	char *msg = xasprintf("%s: %s", ctx, err->msg ? err->msg : "unknown error");
	free(ctx);
	free(err->msg);
	err->msg = msg;
	if (err->kind == ERROR_NONE)
		err->kind = ERROR_BUILD;
	return -1;
}

int error_locate(struct error *err, const char *file, int line, int column)
{
	if (err->file || !file)
		return -1;
	err->file = xstrdup(file);
	err->line = line;
	err->column = column;
	return -1;
}

int error_is_set(const struct error *err)
{
	return err->kind != ERROR_NONE;
}

void error_release(struct error *err)
{
	free(err->msg);
	free(err->file);
	*err = (struct error)ERROR_INIT;
}

void error_move(struct error *dst, struct error *src)
{
	error_release(dst);
	*dst = *src;
	*src = (struct error)ERROR_INIT;
}
