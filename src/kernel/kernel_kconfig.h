/*
 * kernel_kconfig: a small reader of the kernel's Kconfig files, used only
 * to explain why a requested value did not take: does the symbol exist,
 * what is its full `depends on` expression (its own lines plus enclosing
 * `if` blocks, menus and choices), and which symbols `select` it.
 * It walks every file named Kconfig* under the source tree (skipping other
 * architectures' arch/ directories) instead of following `source` lines,
 * because those use variables ($(SRCARCH)) only Kconfig itself expands.
 */
#ifndef MVBUILD_KERNEL_KCONFIG_H
#define MVBUILD_KERNEL_KCONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* what the Kconfig files say about one symbol */
struct kconfig_symbol {
	char *name;           /* without CONFIG_: "VIRTIO_BLK" */
	bool found;           /* some Kconfig file defines it */
	char *depends;        /* combined dependency expression, NULL when none */
	char *defined_at;     /* "drivers/block/Kconfig:378" (relative to the tree) */
	char **selected_by;   /* symbols that `select` it */
	size_t n_selected_by;
};

/*
 * Look up every symbol in syms[0..n) (names without CONFIG_, filled by the
 * caller; the rest is filled here) in the tree at srcdir for srcarch
 * ("x86").  Returns 0, or -1 with err when the tree cannot be read.
 */
int kernel_kconfig_lookup(const char *srcdir, const char *srcarch, struct kconfig_symbol *syms, size_t n,
		   struct error *err);
/* free what kernel_kconfig_lookup filled (and name) */
void kernel_kconfig_symbol_release(struct kconfig_symbol *s);

#endif
