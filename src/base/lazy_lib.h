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
};

/* dlopen lib->soname; its handle, or NULL with lib->error set */
void *lazy_lib_open(struct lazy_lib *lib);
/* look name up in the opened lib into the function pointer at slot; 1, or 0 with lib->error set */
int lazy_lib_resolve(struct lazy_lib *lib, const char *name, void *slot);

#endif
