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
#include "recipe/recipe.h"

/* merge k's fragments and inline config into req; 0, or -1 with err naming the file */
int kernel_request_load(const struct kernel *k, struct kconf *req, struct error *err);
/* load every kernel's request as build would (fragments parsed, modules refused); 0 or -1 */
int kernel_request_check(const struct recipe *r, struct error *err);

#endif
