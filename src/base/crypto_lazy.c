/*
 * crypto_lazy: the wrappers behind crypto_lazy.h, generated from its
 * CRYPTO_LAZY_FNS list.  The library is opened once and every listed
 * function resolved, by lazy_lib.
 */
#define CRYPTO_LAZY_IMPLEMENTATION
#include "base/crypto_lazy.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/lazy_lib.h"

/* the soname of OpenSSL 3's libcrypto; Debian's libssl3 package provides it */
#define CRYPTO_SONAME "libcrypto.so.3"

/* the list's entries as lazy_lib's generators take them (no failure value: see ready()) */
#define SLOT(type, name, params, args) LAZY_LIB_SLOT(type, name, params, args, )
#define RESOLVE(type, name, params, args) LAZY_LIB_RESOLVE(type, name, params, args, )
#define WRAP(type, name, params, args)                                                           \
	type crypto_lazy_##name params                                                            \
	{                                                                                         \
		ready();                                                                          \
		return api.name args;                                                             \
	}
#define WRAP_VOID(name, params, args)                                                             \
	void crypto_lazy_##name params                                                            \
	{                                                                                         \
		ready();                                                                          \
		api.name args;                                                                    \
	}

static struct {
	CRYPTO_LAZY_FNS(SLOT, LAZY_LIB_SLOT_VOID)
} api;

static struct lazy_lib lib = { .soname = CRYPTO_SONAME };
#define LAZY_API api
#define LAZY_LIB lib
#define LAZY_PREFIX ""

static int resolve(struct lazy_lib *l)
{
	CRYPTO_LAZY_FNS(RESOLVE, LAZY_LIB_RESOLVE_VOID)
	return 1;
}

/* load the library once; a process that cannot load it ends here (crypto_lazy.h says why) */
static void ready(void)
{
	if (!lazy_lib_ready(&lib, resolve)) {
		fprintf(stderr, "mvbuild: %s (Debian's package libssl3 provides it)\n", lib.error);
		exit(1);
	}
}

CRYPTO_LAZY_FNS(WRAP, WRAP_VOID)
