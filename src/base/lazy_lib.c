/*
 * lazy_lib: the shared part of loading a library with dlopen on first use
 * (see lazy_lib.h): a library is opened once however many threads ask.
 */
#include "base/lazy_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* one lock for every library: each is loaded at most once per process */
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

int lazy_lib_ready(struct lazy_lib *lib, int (*resolve)(struct lazy_lib *lib))
{
	/* the acquire pairs with the release below: a thread that sees 1 sees the table */
	int state = __atomic_load_n(&lib->state, __ATOMIC_ACQUIRE);
	if (state)
		return state > 0;
	pthread_mutex_lock(&load_lock);
	if (!lib->state) {
		int loaded = lazy_lib_open(lib) && resolve(lib);
		__atomic_store_n(&lib->state, loaded ? 1 : -1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&load_lock);
	return lib->state > 0;
}

void *lazy_lib_open(struct lazy_lib *lib)
{
	/* RTLD_LOCAL: its symbols stay out of the global scope, so nothing
	 * else binds to them by accident */
	lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib->handle)
		snprintf(lib->error, sizeof(lib->error), "cannot load '%s': %s", lib->soname,
			 dlerror());
	return lib->handle;
}

int lazy_lib_resolve(struct lazy_lib *lib, const char *name, void *slot)
{
	void *sym = dlsym(lib->handle, name);
	if (!sym) {
		snprintf(lib->error, sizeof(lib->error), "'%s' has no symbol '%s'", lib->soname, name);
		return 0;
	}
	memcpy(slot, &sym, sizeof(sym)); /* object to function pointer, as POSIX allows */
	return 1;
}
