/*
 * Unit tests for base/lazy_lib.c, how libcurl, libarchive, libsquashfs and
 * libcrypto are loaded on first use: a library is opened and resolved once
 * however many threads ask at the same moment; a missing library or symbol
 * is named in the error, and every later call answers the same without
 * trying again.  libz.so.1 stands in for a real library (mvbuild links it).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/lazy_lib.h"
#include "tap.h"

static const char *(*zlib_version)(void);
static int resolves; /* how many times a resolve function ran (atomic) */

static int resolve_zlib(struct lazy_lib *lib)
{
	__atomic_fetch_add(&resolves, 1, __ATOMIC_RELAXED);
	return lazy_lib_resolve(lib, "zlibVersion", &zlib_version);
}

static int resolve_missing_symbol(struct lazy_lib *lib)
{
	void (*fn)(void);
	__atomic_fetch_add(&resolves, 1, __ATOMIC_RELAXED);
	return lazy_lib_resolve(lib, "mvbuild_no_such_symbol", &fn);
}

static struct lazy_lib zlib = { .soname = "libz.so.1" };
static int answers[8];

static void *ask(void *arg)
{
	int *answer = arg;
	*answer = lazy_lib_ready(&zlib, resolve_zlib);
	return NULL;
}

int main(void)
{
	pthread_t t[8];
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, ask, &answers[i]);
	int all = 1;
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		all &= answers[i] == 1;
	}
	ok(all, "eight threads asking at once all see the library loaded");
	ok(resolves == 1, "it was resolved once (%d)", resolves);
	ok(zlib_version && strlen(zlib_version()) > 0, "its function is callable: zlib %s",
	   zlib_version ? zlib_version() : "?");

	struct lazy_lib absent = { .soname = "libmvbuild-absent.so.9" };
	resolves = 0;
	ok(lazy_lib_ready(&absent, resolve_zlib) == 0, "a missing library is not loaded");
	ok(resolves == 0, "and nothing is resolved in it");
	ok(strstr(absent.error, "cannot load 'libmvbuild-absent.so.9'") != NULL,
	   "the error names it: %s", absent.error);
	ok(lazy_lib_ready(&absent, resolve_zlib) == 0 && resolves == 0,
	   "asked again, the same answer, without trying again");

	struct lazy_lib partial = { .soname = "libz.so.1" };
	resolves = 0;
	ok(lazy_lib_ready(&partial, resolve_missing_symbol) == 0,
	   "a library without a needed symbol is not loaded");
	is_str(partial.error, "'libz.so.1' has no symbol 'mvbuild_no_such_symbol'",
	       "the error names the library and the symbol");
	ok(lazy_lib_ready(&partial, resolve_missing_symbol) == 0 && resolves == 1,
	   "asked again, the same answer, resolved once");
	return tap_done();
}
