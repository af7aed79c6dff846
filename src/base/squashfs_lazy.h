/*
 * squashfs_lazy: libsquashfs (squashfs-tools-ng), loaded with dlopen on
 * first use, as archive_lazy does for libarchive: only an image of format
 * squashfs needs it, so every other command (a no-op build above all) does
 * not pay at start-up for it and its compressors (liblzma, libzstd, liblz4,
 * liblzo2).
 *
 * Include this instead of <sqfs/...>: it keeps libsquashfs's types and
 * constants and maps the functions mvbuild calls onto wrappers that load
 * the library when first called.  The objects' own methods (file->get_size,
 * cmp->write_options, sqfs_destroy) are function pointers inside objects
 * the library made, so they need no wrapper.  libsquashfs is not linked: a
 * call that bypasses this header fails at link time; a function not listed
 * here is added to SQUASHFS_LAZY_FNS.
 *
 * When the library cannot be loaded every wrapper fails as libsquashfs
 * fails (NULL, SQFS_ERROR_INTERNAL) and squashfs_lazy_load() says why,
 * naming the library; callers load it first and report that.
 */
#ifndef MVBUILD_SQUASHFS_LAZY_H
#define MVBUILD_SQUASHFS_LAZY_H

#include <sqfs/block.h>
#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/compressor.h>
#include <sqfs/dir_writer.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_writer.h>
#include <sqfs/super.h>
#include <sqfs/xattr_writer.h>

#include "base/error.h"

/* load libsquashfs now; 0, or -1 with err saying why it cannot be loaded */
int squashfs_lazy_load(struct error *err);
/* a libsquashfs error code (SQFS_ERROR_*) as words ("input/output error") */
const char *squashfs_lazy_strerror(int code);

/*
 * The functions wrapped: F(return type, name after "sqfs_", parameters,
 * arguments, what to return when the library cannot be loaded); V for
 * those returning void.
 */
#define SQUASHFS_LAZY_FNS(F, V)                                                                  \
	F(sqfs_file_t *, open_file, (const char *name, sqfs_u32 flags), (name, flags), NULL)     \
	F(int, compressor_config_init,                                                           \
	  (sqfs_compressor_config_t *cfg, SQFS_COMPRESSOR id, size_t block, sqfs_u16 flags),    \
	  (cfg, id, block, flags), SQFS_ERROR_INTERNAL)                                          \
	F(int, compressor_create, (const sqfs_compressor_config_t *cfg, sqfs_compressor_t **out),\
	  (cfg, out), SQFS_ERROR_INTERNAL)                                                       \
	F(int, super_init, (sqfs_super_t *s, size_t block, sqfs_u32 mtime, SQFS_COMPRESSOR id),  \
	  (s, block, mtime, id), SQFS_ERROR_INTERNAL)                                            \
	F(int, super_write, (const sqfs_super_t *s, sqfs_file_t *f), (s, f), SQFS_ERROR_INTERNAL)\
	F(sqfs_block_writer_t *, block_writer_create,                                            \
	  (sqfs_file_t *f, size_t devblk, sqfs_u32 flags), (f, devblk, flags), NULL)             \
	F(sqfs_frag_table_t *, frag_table_create, (sqfs_u32 flags), (flags), NULL)               \
	F(int, frag_table_write,                                                                 \
	  (sqfs_frag_table_t *t, sqfs_file_t *f, sqfs_super_t *s, sqfs_compressor_t *c),         \
	  (t, f, s, c), SQFS_ERROR_INTERNAL)                                                     \
	F(int, block_processor_create_ex,                                                        \
	  (const sqfs_block_processor_desc_t *d, sqfs_block_processor_t **out), (d, out),        \
	  SQFS_ERROR_INTERNAL)                                                                   \
	F(int, block_processor_begin_file,                                                       \
	  (sqfs_block_processor_t *p, sqfs_inode_generic_t **ino, void *user, sqfs_u32 flags),   \
	  (p, ino, user, flags), SQFS_ERROR_INTERNAL)                                            \
	F(int, block_processor_append, (sqfs_block_processor_t *p, const void *d, size_t n),     \
	  (p, d, n), SQFS_ERROR_INTERNAL)                                                        \
	F(int, block_processor_end_file, (sqfs_block_processor_t *p), (p), SQFS_ERROR_INTERNAL)  \
	F(int, block_processor_finish, (sqfs_block_processor_t *p), (p), SQFS_ERROR_INTERNAL)    \
	F(sqfs_id_table_t *, id_table_create, (sqfs_u32 flags), (flags), NULL)                   \
	F(int, id_table_id_to_index, (sqfs_id_table_t *t, sqfs_u32 id, sqfs_u16 *out),           \
	  (t, id, out), SQFS_ERROR_INTERNAL)                                                     \
	F(int, id_table_write,                                                                   \
	  (sqfs_id_table_t *t, sqfs_file_t *f, sqfs_super_t *s, sqfs_compressor_t *c),           \
	  (t, f, s, c), SQFS_ERROR_INTERNAL)                                                     \
	F(sqfs_meta_writer_t *, meta_writer_create,                                              \
	  (sqfs_file_t *f, sqfs_compressor_t *c, sqfs_u32 flags), (f, c, flags), NULL)           \
	F(int, meta_writer_flush, (sqfs_meta_writer_t *m), (m), SQFS_ERROR_INTERNAL)             \
	V(meta_writer_get_position,                                                              \
	  (const sqfs_meta_writer_t *m, sqfs_u64 *block, sqfs_u32 *offset), (m, block, offset))  \
	F(int, meta_writer_write_inode, (sqfs_meta_writer_t *m, const sqfs_inode_generic_t *i),  \
	  (m, i), SQFS_ERROR_INTERNAL)                                                           \
	F(int, meta_write_write_to_file, (sqfs_meta_writer_t *m), (m), SQFS_ERROR_INTERNAL)      \
	F(sqfs_dir_writer_t *, dir_writer_create, (sqfs_meta_writer_t *m, sqfs_u32 flags),       \
	  (m, flags), NULL)                                                                      \
	F(int, dir_writer_begin, (sqfs_dir_writer_t *w, sqfs_u32 flags), (w, flags),             \
	  SQFS_ERROR_INTERNAL)                                                                   \
	F(int, dir_writer_add_entry,                                                             \
	  (sqfs_dir_writer_t *w, const char *name, sqfs_u32 num, sqfs_u64 ref, sqfs_u16 mode),   \
	  (w, name, num, ref, mode), SQFS_ERROR_INTERNAL)                                        \
	F(int, dir_writer_end, (sqfs_dir_writer_t *w), (w), SQFS_ERROR_INTERNAL)                 \
	F(sqfs_inode_generic_t *, dir_writer_create_inode,                                       \
	  (const sqfs_dir_writer_t *w, size_t hlinks, sqfs_u32 xattr, sqfs_u32 parent),          \
	  (w, hlinks, xattr, parent), NULL)                                                      \
	F(int, inode_make_extended, (sqfs_inode_generic_t *i), (i), SQFS_ERROR_INTERNAL)         \
	F(int, inode_set_xattr_index, (sqfs_inode_generic_t *i, sqfs_u32 index), (i, index),     \
	  SQFS_ERROR_INTERNAL)                                                                   \
	F(sqfs_xattr_writer_t *, xattr_writer_create, (sqfs_u32 flags), (flags), NULL)           \
	F(int, xattr_writer_begin, (sqfs_xattr_writer_t *x, sqfs_u32 flags), (x, flags),         \
	  SQFS_ERROR_INTERNAL)                                                                   \
	F(int, xattr_writer_add,                                                                 \
	  (sqfs_xattr_writer_t *x, const char *key, const void *value, size_t size),             \
	  (x, key, value, size), SQFS_ERROR_INTERNAL)                                            \
	F(int, xattr_writer_end, (sqfs_xattr_writer_t *x, sqfs_u32 *out), (x, out),              \
	  SQFS_ERROR_INTERNAL)                                                                   \
	F(int, xattr_writer_flush,                                                               \
	  (const sqfs_xattr_writer_t *x, sqfs_file_t *f, sqfs_super_t *s, sqfs_compressor_t *c), \
	  (x, f, s, c), SQFS_ERROR_INTERNAL)                                                     \
	V(free, (void *ptr), (ptr))

#define SQUASHFS_LAZY_DECL(type, name, params, args, fail) type squashfs_lazy_##name params;
#define SQUASHFS_LAZY_DECL_VOID(name, params, args) void squashfs_lazy_##name params;
SQUASHFS_LAZY_FNS(SQUASHFS_LAZY_DECL, SQUASHFS_LAZY_DECL_VOID)
#undef SQUASHFS_LAZY_DECL
#undef SQUASHFS_LAZY_DECL_VOID

#define sqfs_open_file squashfs_lazy_open_file
#define sqfs_compressor_config_init squashfs_lazy_compressor_config_init
#define sqfs_compressor_create squashfs_lazy_compressor_create
#define sqfs_super_init squashfs_lazy_super_init
#define sqfs_super_write squashfs_lazy_super_write
#define sqfs_block_writer_create squashfs_lazy_block_writer_create
#define sqfs_frag_table_create squashfs_lazy_frag_table_create
#define sqfs_frag_table_write squashfs_lazy_frag_table_write
#define sqfs_block_processor_create_ex squashfs_lazy_block_processor_create_ex
#define sqfs_block_processor_begin_file squashfs_lazy_block_processor_begin_file
#define sqfs_block_processor_append squashfs_lazy_block_processor_append
#define sqfs_block_processor_end_file squashfs_lazy_block_processor_end_file
#define sqfs_block_processor_finish squashfs_lazy_block_processor_finish
#define sqfs_id_table_create squashfs_lazy_id_table_create
#define sqfs_id_table_id_to_index squashfs_lazy_id_table_id_to_index
#define sqfs_id_table_write squashfs_lazy_id_table_write
#define sqfs_meta_writer_create squashfs_lazy_meta_writer_create
#define sqfs_meta_writer_flush squashfs_lazy_meta_writer_flush
#define sqfs_meta_writer_get_position squashfs_lazy_meta_writer_get_position
#define sqfs_meta_writer_write_inode squashfs_lazy_meta_writer_write_inode
#define sqfs_meta_write_write_to_file squashfs_lazy_meta_write_write_to_file
#define sqfs_dir_writer_create squashfs_lazy_dir_writer_create
#define sqfs_dir_writer_begin squashfs_lazy_dir_writer_begin
#define sqfs_dir_writer_add_entry squashfs_lazy_dir_writer_add_entry
#define sqfs_dir_writer_end squashfs_lazy_dir_writer_end
#define sqfs_dir_writer_create_inode squashfs_lazy_dir_writer_create_inode
#define sqfs_inode_make_extended squashfs_lazy_inode_make_extended
#define sqfs_inode_set_xattr_index squashfs_lazy_inode_set_xattr_index
#define sqfs_xattr_writer_create squashfs_lazy_xattr_writer_create
#define sqfs_xattr_writer_begin squashfs_lazy_xattr_writer_begin
#define sqfs_xattr_writer_add squashfs_lazy_xattr_writer_add
#define sqfs_xattr_writer_end squashfs_lazy_xattr_writer_end
#define sqfs_xattr_writer_flush squashfs_lazy_xattr_writer_flush
#define sqfs_free squashfs_lazy_free

#endif
