/*
 * squashfs_lazy: the wrappers behind squashfs_lazy.h, generated from its
 * SQUASHFS_LAZY_FNS list.  The library is opened once and every listed
 * function resolved, by lazy_lib.
 */
#include "base/squashfs_lazy.h"

#include "base/lazy_lib.h"

/* the soname of libsquashfs 1.x; Debian's libsquashfs1 package provides it */
#define SQUASHFS_SONAME "libsquashfs.so.1"

static struct {
	SQUASHFS_LAZY_FNS(LAZY_LIB_SLOT, LAZY_LIB_SLOT_VOID)
} api;

static struct lazy_lib lib = { .soname = SQUASHFS_SONAME };
#define LAZY_API api
#define LAZY_LIB lib
#define LAZY_PREFIX "sqfs_"
#define LAZY_NAME(name) squashfs_lazy_##name

static int resolve(struct lazy_lib *l)
{
	SQUASHFS_LAZY_FNS(LAZY_LIB_RESOLVE, LAZY_LIB_RESOLVE_VOID)
	return 1;
}

static int ready(void)
{
	return lazy_lib_ready(&lib, resolve);
}

int squashfs_lazy_load(struct error *err)
{
	return ready() ? 0 : error_set(err, "%s", lib.error);
}

/* libsquashfs 1.2 has no message function of its own: its error.h in words */
const char *squashfs_lazy_strerror(int code)
{
	switch (code) {
	case SQFS_ERROR_ALLOC: return "out of memory";
	case SQFS_ERROR_IO: return "input/output error";
	case SQFS_ERROR_COMPRESSOR: return "compressor error";
	case SQFS_ERROR_INTERNAL: return "internal error";
	case SQFS_ERROR_CORRUPTED: return "corrupted data";
	case SQFS_ERROR_UNSUPPORTED: return "unsupported";
	case SQFS_ERROR_OVERFLOW: return "numeric overflow";
	case SQFS_ERROR_OUT_OF_BOUNDS: return "location out of bounds";
	case SQFS_ERROR_SUPER_BLOCK_SIZE: return "wrong super block size";
	case SQFS_ERROR_ARG_INVALID: return "invalid argument";
	case SQFS_ERROR_SEQUENCE: return "calls in the wrong sequence";
	default: return "unknown libsquashfs error";
	}
}

SQUASHFS_LAZY_FNS(LAZY_LIB_WRAP, LAZY_LIB_WRAP_VOID)
