/*
 * lazy_lib: the shared part of loading a library with dlopen on first use
 * (see lazy_lib.h).  Each user calls these from its own pthread_once
 * function, so a library is opened once however many threads ask.
 */
#include "base/lazy_lib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

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
