/*
 * kernel_verify: compare every requested Kconfig value with the final
 * .config Kconfig produced, and say for each one that did not take where
 * it was requested, what was requested, what came out, and why.
 */
#ifndef MVBUILD_KERNEL_VERIFY_H
#define MVBUILD_KERNEL_VERIFY_H

#include "base/error.h"
#include "kernel/kernel_config.h"
#include "base/util.h"

/*
 * Append one line per mismatch between requested and final to report:
 *   "fragment kernel/x.config:3: CONFIG_X: requested y, got n: REASON"
 * where REASON is that the symbol does not exist in this kernel, that its
 * dependencies are not met (with the `depends on` expression read from the
 * Kconfig files under srcdir for srcarch), that other options select it,
 * or that modules are disabled.  Returns the mismatch count, or -1 with err
 * when the Kconfig files cannot be read.
 */
int kernel_verify(const struct kconf *requested, const struct kconf *final, const char *srcdir,
		  const char *srcarch, struct buf *report, struct error *err);

#endif
