/*
 * image_io: the io_manager of the image writer: libext2fs' unix_io with
 * consecutive block writes combined into one system call.
 */
#ifndef MVBUILD_IMAGE_IO_H
#define MVBUILD_IMAGE_IO_H

#include <ext2fs/ext2fs.h>

/* unix_io_manager behind a write-combining buffer; pass to ext2fs_initialize() */
extern io_manager image_io_manager;

#endif
