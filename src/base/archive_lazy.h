/*
 * archive_lazy: libarchive, loaded with dlopen on first use instead of at
 * process start.  libarchive drags in libxml2, ICU, libstdc++, nettle and
 * its compressors; loading them costs about 10 ms of CPU here, more than
 * a whole no-op build spends otherwise, which never reads an archive.
 *
 * Include this instead of <archive.h> and <archive_entry.h>: it keeps
 * libarchive's types and constants and maps the functions mvbuild uses
 * onto wrappers that load the library when first called.  libarchive is
 * not linked, so a call that bypasses this header fails at link time; a
 * function not listed here is added to ARCHIVE_LAZY_FNS.
 *
 * When the library cannot be loaded, every wrapper answers the way
 * libarchive answers a failure (NULL, ARCHIVE_FATAL) and
 * archive_error_string() says why, naming the library, so the callers'
 * own error paths report it.
 */
#ifndef MVBUILD_ARCHIVE_LAZY_H
#define MVBUILD_ARCHIVE_LAZY_H

#include <archive.h>
#include <archive_entry.h>

#include "base/error.h"

/* load libarchive now; 0, or -1 with err saying why it cannot be loaded */
int archive_lazy_load(struct error *err);

/*
 * The functions wrapped: F(return type, name after "archive_", parameters,
 * arguments, what to return when the library cannot be loaded); V for those
 * returning void.  archive_set_error (variadic) is written out by hand.
 */
#define ARCHIVE_LAZY_FNS(F, V)                                                                   \
	F(const char *, version_string, (void), (), archive_lazy_error())                         \
	F(const char *, error_string, (struct archive *a), (a), archive_lazy_error())              \
	F(struct archive *, read_new, (void), (), NULL)                                           \
	F(int, read_free, (struct archive *a), (a), ARCHIVE_FATAL)                                \
	F(int, read_support_filter_all, (struct archive *a), (a), ARCHIVE_FATAL)                  \
	F(int, read_support_filter_xz, (struct archive *a), (a), ARCHIVE_FATAL)                   \
	F(int, read_support_filter_zstd, (struct archive *a), (a), ARCHIVE_FATAL)                 \
	F(int, read_support_format_all, (struct archive *a), (a), ARCHIVE_FATAL)                  \
	F(int, read_support_format_raw, (struct archive *a), (a), ARCHIVE_FATAL)                  \
	F(int, read_support_format_tar, (struct archive *a), (a), ARCHIVE_FATAL)                  \
	F(int, read_open_fd, (struct archive *a, int fd, size_t block), (a, fd, block),           \
	  ARCHIVE_FATAL)                                                                          \
	F(int, read_open_filename, (struct archive *a, const char *path, size_t block),           \
	  (a, path, block), ARCHIVE_FATAL)                                                        \
	F(int, read_open,                                                                         \
	  (struct archive *a, void *data, archive_open_callback *open,                            \
	   archive_read_callback *read, archive_close_callback *close),                           \
	  (a, data, open, read, close), ARCHIVE_FATAL)                                            \
	F(int, read_next_header, (struct archive *a, struct archive_entry **e), (a, e),           \
	  ARCHIVE_FATAL)                                                                          \
	F(int, read_data_block,                                                                   \
	  (struct archive *a, const void **buf, size_t *size, la_int64_t *offset),                \
	  (a, buf, size, offset), ARCHIVE_FATAL)                                                  \
	F(struct archive *, write_new, (void), (), NULL)                                          \
	F(struct archive *, write_disk_new, (void), (), NULL)                                     \
	F(int, write_disk_set_options, (struct archive *a, int flags), (a, flags), ARCHIVE_FATAL) \
	F(int, write_free, (struct archive *a), (a), ARCHIVE_FATAL)                               \
	F(int, write_close, (struct archive *a), (a), ARCHIVE_FATAL)                              \
	F(int, write_add_filter_gzip, (struct archive *a), (a), ARCHIVE_FATAL)                    \
	F(int, write_add_filter_zstd, (struct archive *a), (a), ARCHIVE_FATAL)                    \
	F(int, write_set_format_raw, (struct archive *a), (a), ARCHIVE_FATAL)                     \
	F(int, write_set_format_cpio_newc, (struct archive *a), (a), ARCHIVE_FATAL)               \
	F(int, write_add_filter_none, (struct archive *a), (a), ARCHIVE_FATAL)                    \
	F(int, write_set_filter_option,                                                           \
	  (struct archive *a, const char *m, const char *o, const char *v), (a, m, o, v),         \
	  ARCHIVE_FATAL)                                                                          \
	F(int, write_open_fd, (struct archive *a, int fd), (a, fd), ARCHIVE_FATAL)                \
	F(int, write_set_bytes_in_last_block, (struct archive *a, int n), (a, n), ARCHIVE_FATAL)  \
	F(int, write_open2,                                                                       \
	  (struct archive *a, void *data, archive_open_callback *open,                            \
	   archive_write_callback *write, archive_close_callback *close,                          \
	   archive_free_callback *free_cb),                                                       \
	  (a, data, open, write, close, free_cb), ARCHIVE_FATAL)                                  \
	F(int, write_header, (struct archive *a, struct archive_entry *e), (a, e), ARCHIVE_FATAL) \
	F(la_ssize_t, write_data, (struct archive *a, const void *buf, size_t n), (a, buf, n),    \
	  ARCHIVE_FATAL)                                                                          \
	F(la_ssize_t, write_data_block,                                                           \
	  (struct archive *a, const void *buf, size_t n, la_int64_t offset),                      \
	  (a, buf, n, offset), ARCHIVE_FATAL)                                                     \
	F(int, write_finish_entry, (struct archive *a), (a), ARCHIVE_FATAL)                       \
	F(struct archive_entry *, entry_new, (void), (), NULL)                                    \
	V(entry_free, (struct archive_entry *e), (e))                                             \
	F(const char *, entry_pathname, (struct archive_entry *e), (e), NULL)                     \
	F(const char *, entry_hardlink, (struct archive_entry *e), (e), NULL)                     \
	F(const char *, entry_symlink, (struct archive_entry *e), (e), NULL)                      \
	F(__LA_MODE_T, entry_filetype, (struct archive_entry *e), (e), 0)                         \
	F(__LA_MODE_T, entry_perm, (struct archive_entry *e), (e), 0)                             \
	F(la_int64_t, entry_size, (struct archive_entry *e), (e), 0)                              \
	F(int, entry_size_is_set, (struct archive_entry *e), (e), 0)                              \
	F(la_int64_t, entry_uid, (struct archive_entry *e), (e), 0)                               \
	F(la_int64_t, entry_gid, (struct archive_entry *e), (e), 0)                               \
	F(time_t, entry_mtime, (struct archive_entry *e), (e), 0)                                 \
	F(int, entry_mtime_is_set, (struct archive_entry *e), (e), 0)                             \
	F(dev_t, entry_rdev, (struct archive_entry *e), (e), 0)                                   \
	F(int, entry_xattr_reset, (struct archive_entry *e), (e), 0)                              \
	F(int, entry_xattr_next,                                                                  \
	  (struct archive_entry *e, const char **name, const void **value, size_t *size),         \
	  (e, name, value, size), ARCHIVE_WARN)                                                   \
	V(entry_set_pathname, (struct archive_entry *e, const char *path), (e, path))             \
	V(entry_set_hardlink, (struct archive_entry *e, const char *path), (e, path))             \
	V(entry_set_filetype, (struct archive_entry *e, unsigned int type), (e, type))            \
	V(entry_set_size, (struct archive_entry *e, la_int64_t size), (e, size))                  \
	F(struct archive_entry *, entry_clear, (struct archive_entry *e), (e), NULL)              \
	V(entry_set_mode, (struct archive_entry *e, __LA_MODE_T m), (e, m))                       \
	V(entry_set_uid, (struct archive_entry *e, la_int64_t id), (e, id))                       \
	V(entry_set_gid, (struct archive_entry *e, la_int64_t id), (e, id))                       \
	V(entry_set_mtime, (struct archive_entry *e, time_t t, long ns), (e, t, ns))              \
	V(entry_set_nlink, (struct archive_entry *e, unsigned int n), (e, n))                     \
	V(entry_set_ino64, (struct archive_entry *e, la_int64_t ino), (e, ino))                   \
	V(entry_set_rdevmajor, (struct archive_entry *e, dev_t m), (e, m))                        \
	V(entry_set_rdevminor, (struct archive_entry *e, dev_t m), (e, m))                        \
	V(entry_set_symlink, (struct archive_entry *e, const char *target), (e, target))

#define ARCHIVE_LAZY_DECL(type, name, params, args, fail) type archive_lazy_##name params;
#define ARCHIVE_LAZY_DECL_VOID(name, params, args) void archive_lazy_##name params;
ARCHIVE_LAZY_FNS(ARCHIVE_LAZY_DECL, ARCHIVE_LAZY_DECL_VOID)
#undef ARCHIVE_LAZY_DECL
#undef ARCHIVE_LAZY_DECL_VOID
void archive_lazy_set_error(struct archive *a, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* why the library could not be loaded ("" while it has not failed) */
const char *archive_lazy_error(void);

#define archive_version_string archive_lazy_version_string
#define archive_error_string archive_lazy_error_string
#define archive_set_error archive_lazy_set_error
#define archive_read_new archive_lazy_read_new
#define archive_read_free archive_lazy_read_free
#define archive_read_support_filter_all archive_lazy_read_support_filter_all
#define archive_read_support_filter_xz archive_lazy_read_support_filter_xz
#define archive_read_support_filter_zstd archive_lazy_read_support_filter_zstd
#define archive_read_support_format_all archive_lazy_read_support_format_all
#define archive_read_support_format_raw archive_lazy_read_support_format_raw
#define archive_read_support_format_tar archive_lazy_read_support_format_tar
#define archive_read_open_fd archive_lazy_read_open_fd
#define archive_read_open_filename archive_lazy_read_open_filename
#define archive_read_open archive_lazy_read_open
#define archive_read_next_header archive_lazy_read_next_header
#define archive_read_data_block archive_lazy_read_data_block
#define archive_write_new archive_lazy_write_new
#define archive_write_disk_new archive_lazy_write_disk_new
#define archive_write_disk_set_options archive_lazy_write_disk_set_options
#define archive_write_free archive_lazy_write_free
#define archive_write_close archive_lazy_write_close
#define archive_write_add_filter_gzip archive_lazy_write_add_filter_gzip
#define archive_write_add_filter_zstd archive_lazy_write_add_filter_zstd
#define archive_write_set_format_raw archive_lazy_write_set_format_raw
#define archive_write_set_format_cpio_newc archive_lazy_write_set_format_cpio_newc
#define archive_write_add_filter_none archive_lazy_write_add_filter_none
#define archive_write_set_filter_option archive_lazy_write_set_filter_option
#define archive_write_open_fd archive_lazy_write_open_fd
#define archive_write_set_bytes_in_last_block archive_lazy_write_set_bytes_in_last_block
#define archive_write_open2 archive_lazy_write_open2
#define archive_write_header archive_lazy_write_header
#define archive_write_data archive_lazy_write_data
#define archive_write_data_block archive_lazy_write_data_block
#define archive_write_finish_entry archive_lazy_write_finish_entry
#define archive_entry_new archive_lazy_entry_new
#define archive_entry_free archive_lazy_entry_free
#define archive_entry_pathname archive_lazy_entry_pathname
#define archive_entry_hardlink archive_lazy_entry_hardlink
#define archive_entry_symlink archive_lazy_entry_symlink
#define archive_entry_filetype archive_lazy_entry_filetype
#define archive_entry_perm archive_lazy_entry_perm
#define archive_entry_size archive_lazy_entry_size
#define archive_entry_size_is_set archive_lazy_entry_size_is_set
#define archive_entry_uid archive_lazy_entry_uid
#define archive_entry_gid archive_lazy_entry_gid
#define archive_entry_mtime archive_lazy_entry_mtime
#define archive_entry_mtime_is_set archive_lazy_entry_mtime_is_set
#define archive_entry_rdev archive_lazy_entry_rdev
#define archive_entry_xattr_reset archive_lazy_entry_xattr_reset
#define archive_entry_xattr_next archive_lazy_entry_xattr_next
#define archive_entry_set_pathname archive_lazy_entry_set_pathname
#define archive_entry_set_hardlink archive_lazy_entry_set_hardlink
#define archive_entry_set_filetype archive_lazy_entry_set_filetype
#define archive_entry_set_size archive_lazy_entry_set_size
#define archive_entry_clear archive_lazy_entry_clear
#define archive_entry_set_mode archive_lazy_entry_set_mode
#define archive_entry_set_uid archive_lazy_entry_set_uid
#define archive_entry_set_gid archive_lazy_entry_set_gid
#define archive_entry_set_mtime archive_lazy_entry_set_mtime
#define archive_entry_set_nlink archive_lazy_entry_set_nlink
#define archive_entry_set_ino64 archive_lazy_entry_set_ino64
#define archive_entry_set_rdevmajor archive_lazy_entry_set_rdevmajor
#define archive_entry_set_rdevminor archive_lazy_entry_set_rdevminor
#define archive_entry_set_symlink archive_lazy_entry_set_symlink

#endif
