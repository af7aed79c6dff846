/*
 * image_oci_init: the shim that `init: oci` boots (docs/run.md): a shell
 * script at RECIPE_OCI_INIT that does what a container runtime would
 * before the entrypoint (proc, sys and dev mounted; the config's Env
 * exported; its WorkingDir made and entered), runs Entrypoint + Cmd, says
 * how it exited, and powers the guest off.
 */
#ifndef MVBUILD_IMAGE_OCI_INIT_H
#define MVBUILD_IMAGE_OCI_INIT_H

#include "base/util.h"

struct oci_config;

/* the shim's text version, in the key of every image holding it: bump on any change */
#define IMAGE_OCI_INIT_VERSION 2

/* the shim for config c into out; -1 (out untouched) when it has no Entrypoint and no Cmd */
int image_oci_init_script(const struct oci_config *c, struct buf *out);

#endif
