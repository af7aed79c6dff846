/*
 * image_cpio: an image tree written as a newc ("070701") cpio archive, the
 * format the kernel unpacks into its root tmpfs as an initramfs.
 *
 * The archive is a function of the tree alone, so two builds give the same
 * bytes: entries sorted by path (bytewise, the root "." first; a directory
 * always precedes what it holds), names relative ("bin/sh"), owners,
 * modes and (clamped) mtimes as the tree's inodes hold them (from the tar
 * or the overlays, never the host's), inode numbers 1, 2, ... in archive
 * order, device (st_dev) numbers 0, no padding after the trailer, and a
 * compressed stream with no timestamp or name in it.  A hardlinked file
 * is one inode number on every link; as newc wants, only its last link in
 * the archive carries the data, the others have size 0.
 */
#ifndef MVBUILD_IMAGE_CPIO_H
#define MVBUILD_IMAGE_CPIO_H

#include "base/error.h"
#include "image/image_tree.h"
#include "recipe/recipe.h"

/* write every entry of t to a new file at path, compressed with c; 0, or -1 with err */
int image_cpio_write(struct tree *t, const char *path, enum image_compression c,
		     struct error *err);

#endif
