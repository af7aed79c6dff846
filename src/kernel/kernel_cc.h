/*
 * kernel_cc: how kbuild's compiles run when the machine config asks for
 * ccache and/or distcc (config.h: kernel: {ccache:, distcc:}).  Neither
 * changes a kernel's bytes, so neither enters the action key: ccache is
 * set up so that a hit returns what the local gcc would have written in
 * this cache (paths relative to the cache root, its whole configuration
 * fixed by mvbuild), and a distcc host is used only when a probe compile
 * on it gives the local compiler's object byte for byte.  The reasoning is
 * in docs/kernel.md ("Compiler cache and distcc").
 *
 * File it keeps in the object directory:
 *   mvbuild-ccache.conf   ccache's whole configuration (CCACHE_CONFIGPATH),
 *                         rewritten before every configure
 *   mvbuild-distcc/       the probe's source and objects
 */
#ifndef MVBUILD_KERNEL_CC_H
#define MVBUILD_KERNEL_CC_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct config;
struct progress;

struct kernel_cc {
	bool ccache;          /* compiles go through ccache */
	size_t distcc_hosts;  /* distcc hosts kept after the probe; 0 = no distcc */
	int distcc_slots;     /* their job slots: make's -j when more than the local one */
	char *cc;             /* make's CC ("ccache gcc", "distcc gcc"), or NULL for kbuild's gcc */
	char *kcflags;        /* added to KCFLAGS (debug prefix map of the relative source path) */
	char *kcppflags;      /* KCPPFLAGS (macro prefix map of the relative source path) */
	char **env;           /* added to make's environment ("NAME=value", or "NAME" to remove) */
	size_t n_env;
};

#define KERNEL_CC_INIT { 0 }

/*
 * Set cc up from cfg for a build of srcdir in objdir (real paths) with the
 * toolchain identity toolchain (kernel_toolchain.h, one line): write
 * ccache's configuration, probe each distcc host and keep those whose
 * object equals the local one.  What cannot be used (ccache or distcc not
 * installed, a host refused) is a warning through progress naming what
 * and why, and the build goes on without it; a note says through what the
 * compiles go.  With neither configured cc stays empty.  0, or -1 with
 * err when a file cannot be written.
 */
int kernel_cc_setup(struct kernel_cc *cc, const struct config *cfg, const char *srcdir,
		    const char *objdir, const char *toolchain, struct progress *progress,
		    const char *node_id, struct error *err);
/* free what cc holds */
void kernel_cc_release(struct kernel_cc *cc);

#endif
