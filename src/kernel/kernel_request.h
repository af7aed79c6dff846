/*
 * kernel_request: what a recipe's kernel asks Kconfig for: its fragment
 * files in order, then its inline `config:` map, merged into one struct
 * kconf with a location on every value ("fragment kernel/net.config:3",
 * "config mvbuild.yaml:14").
 */
#ifndef MVBUILD_KERNEL_REQUEST_H
#define MVBUILD_KERNEL_REQUEST_H

#include "base/error.h"
#include "kernel/kernel_config.h"
#include "kernel/kernel_make.h"
#include "recipe/recipe.h"

/* merge k's fragments and inline config into req; 0, or -1 with err naming the file */
int kernel_request_load(const struct kernel *k, struct kconf *req, struct error *err);
/* load every kernel's request as build would (fragments parsed, modules refused); 0 or -1 */
int kernel_request_check(const struct recipe *r, struct error *err);
/*
 * Resolve k's config in m's object directory: open the log, merge the
 * request into req (which the caller releases) and run Kconfig over the
 * base.  0, or -1 with err.
 */
int kernel_request_configure(const struct kernel *k, struct kmake *m, struct kconf *req,
			     struct error *err);
/* the name of a base ("allnoconfig", ...; "file" for a config file) */
const char *kernel_request_base_name(enum kernel_base_kind base);

#endif
