/*
 * lazy_lib: what the lazily loaded libraries (curl_lazy, archive_lazy)
 * share: open a library by its runtime soname once, resolve its entry
 * points, and keep a message naming the library when either fails.
 *
 * The soname (libcurl.so.4, libarchive.so.13) is the name the runtime
 * package installs, so the binary runs where no -dev package is.
 */
#ifndef MVBUILD_LAZY_LIB_H
#define MVBUILD_LAZY_LIB_H

struct lazy_lib {
	const char *soname; /* e.g. "libarchive.so.13" */
	void *handle;       /* from dlopen, or NULL */
	char error[512];    /* why loading failed, naming the library */
	int state;          /* 0: not tried yet, 1: loaded, -1: failed (atomic; lazy_lib_ready) */
};

/*
 * The generators of a wrapped library's code (archive_lazy.c, squashfs_lazy.c),
 * applied to its list of F(type, name, params, args, fail) and V(name,
 * params, args) entries.  The file defines LAZY_API (its struct of function
 * pointers), LAZY_LIB (its struct lazy_lib), LAZY_PREFIX (the library's
 * symbol prefix, "archive_"), LAZY_NAME(name) (the wrapper's name) and a
 * ready() that says whether the library is loaded: lazy_lib_ready() with a
 * resolve function made of LAZY_LIB_RESOLVE lines that ends in "return 1".
 */
#define LAZY_LIB_SLOT(type, name, params, args, fail) type(*name) params;
#define LAZY_LIB_SLOT_VOID(name, params, args) void(*name) params;
#define LAZY_LIB_RESOLVE(type, name, params, args, fail)                                         \
	if (!lazy_lib_resolve(&LAZY_LIB, LAZY_PREFIX #name, &LAZY_API.name))                      \
		return 0;
#define LAZY_LIB_RESOLVE_VOID(name, params, args) LAZY_LIB_RESOLVE(void, name, params, args, )
/* a wrapper answers as the library answers a failure when it cannot be loaded */
#define LAZY_LIB_WRAP(type, name, params, args, fail)                                            \
	type LAZY_NAME(name) params                                                               \
	{                                                                                         \
		return ready() ? LAZY_API.name args : fail;                                       \
	}
#define LAZY_LIB_WRAP_VOID(name, params, args)                                                    \
	void LAZY_NAME(name) params                                                               \
	{                                                                                         \
		if (ready())                                                                      \
			LAZY_API.name args;                                                       \
	}

/*
 * Load lib once, whichever thread asks first: dlopen its soname, then
 * resolve(lib) fills the wrapper's table (1, or 0 with lib->error set by
 * lazy_lib_resolve).  1 when the library is loaded, 0 when it could not be
 * (lib->error says why, and every later call answers the same at once).
 */
int lazy_lib_ready(struct lazy_lib *lib, int (*resolve)(struct lazy_lib *lib));
/* dlopen lib->soname; its handle, or NULL with lib->error set */
void *lazy_lib_open(struct lazy_lib *lib);
/* look name up in the opened lib into the function pointer at slot; 1, or 0 with lib->error set */
int lazy_lib_resolve(struct lazy_lib *lib, const char *name, void *slot);

#endif
