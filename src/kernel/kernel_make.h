/*
 * kernel_make: Kconfig resolution and kbuild runs in a persistent object
 * directory (make -C SRC O=OBJ), reproducibly: the build timestamp, user,
 * host and version number are fixed, and source paths are mapped away, so
 * two builds of the same inputs in two caches give identical images.
 *
 * Files it keeps in the object directory besides kbuild's own:
 *   mvbuild.allconfig  the merged request handed to Kconfig
 *   build.log          output of the last configure and make, appended
 *   mvbuild-objects    the object count of its cold build (kernel_progress.h)
 *   mvbuild-paths      where its path records point (kernel_relocate.h)
 */
#ifndef MVBUILD_KERNEL_MAKE_H
#define MVBUILD_KERNEL_MAKE_H

#include <stddef.h>

#include "base/error.h"
#include "kernel/kernel_config.h"
#include "recipe/recipe.h"

struct progress;
struct kernel_cc;

struct kmake {
	const char *srcdir;          /* the unpacked, read-only source tree */
	const char *objdir;          /* the persistent object directory */
	const char *arch;            /* ARCH= ("x86_64") */
	int jobs;                    /* -j */
	const struct kernel_cc *cc;  /* ccache/distcc (CC, maps, environment), or NULL: plain gcc */
	char *lto_plugin;            /* NM=nm --plugin this (kernel_toolchain_lto_plugin), or NULL */
	struct progress *progress;   /* where status lines go (may be NULL) */
	const char *node_id;         /* who they are about */
	const char *base;            /* the base's name, set by kernel_make_configure (kernel_progress) */
	char *log_path;              /* OBJDIR/build.log, set by kernel_make_open_log */
	int log_fd;                  /* open on log_path, or -1 */
};

/* the kernel's source architecture for ARCH ("x86_64" -> "x86") */
const char *kernel_make_srcarch(const char *arch);
/* the name of a base ("allnoconfig", ...; "file" for a config file) */
const char *kernel_make_base_name(enum kernel_base_kind base);
/* truncate and open OBJDIR/build.log; 0, or -1 with err */
int kernel_make_open_log(struct kmake *m, struct error *err);
/*
 * Write .config from the base (base_file for KBASE_FILE) plus the merged
 * request through Kconfig: KCONFIG_ALLCONFIG with allnoconfig/alldefconfig
 * (tinyconfig and defconfig put their own files first), or olddefconfig
 * over a full base file.  0, or -1 with err.
 */
int kernel_make_configure(struct kmake *m, enum kernel_base_kind base, const char *base_file,
		    const struct kconf *request, struct error *err);
/*
 * Run make for targets, reporting "412/~780 objects, ETA 3 min" (a cold
 * build with a known count), "N objects compiled" or "N objects
 * recompiled"; a cold build records its count.  0, or -1 with the log's tail.
 */
int kernel_make_build(struct kmake *m, char *const targets[], size_t n_targets, struct error *err);
/* run make target (menuconfig, nconfig) on the terminal, in the same environment; 0, or -1 */
int kernel_make_interactive(struct kmake *m, const char *target, struct error *err);
/* close the log */
void kernel_make_release(struct kmake *m);

#endif
