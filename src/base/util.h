/*
 * util: allocation helpers that die on out-of-memory, a growable byte
 * buffer, and small path and string helpers shared by every module.
 */
#ifndef MVBUILD_UTIL_H
#define MVBUILD_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* malloc that aborts the process with a message on out-of-memory; never NULL */
void *xmalloc(size_t size);
/* calloc that aborts on out-of-memory; never NULL */
void *xcalloc(size_t count, size_t size);
/* realloc that aborts on out-of-memory; never NULL for size > 0 */
void *xrealloc(void *ptr, size_t size);
/* strdup that aborts on out-of-memory; xstrdup(NULL) returns NULL */
char *xstrdup(const char *s);
/* strndup that aborts on out-of-memory */
char *xstrndup(const char *s, size_t n);
/* printf into a newly allocated string */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* vprintf into a newly allocated string */
char *xvasprintf(const char *fmt, va_list ap);

/*
 * A growable byte buffer.  Invariants: data is NULL only while cap == 0;
 * otherwise data[len] == '\0', so data is always usable as a C string
 * when the content has no NUL bytes.  The buffer owns data.
 */
struct buf {
	char *data;   /* content, NUL-terminated when cap > 0 */
	size_t len;   /* bytes of content, excluding the terminator */
	size_t cap;   /* bytes allocated for data */
};

#define BUF_INIT { NULL, 0, 0 }

/* ensure room for extra more bytes plus the terminator */
void buf_grow(struct buf *b, size_t extra);
/* append n bytes */
void buf_add(struct buf *b, const void *data, size_t n);
/* append a C string */
void buf_adds(struct buf *b, const char *s);
/* append one byte */
void buf_addc(struct buf *b, char c);
/* append printf-formatted text */
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* append vprintf-formatted text */
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* drop the content, keep the allocation */
void buf_reset(struct buf *b);
/* hand the content to the caller (never NULL) and leave b empty */
char *buf_detach(struct buf *b);
/* free the content and leave b empty */
void buf_release(struct buf *b);

/* join two path components with exactly one '/' between them */
char *path_join(const char *a, const char *b);
/* the directory part of path ("." when there is none), newly allocated */
char *path_dirname(const char *path);
/* true when s starts with prefix */
bool str_startswith(const char *s, const char *prefix);
/* true when s ends with suffix */
bool str_endswith(const char *s, const char *suffix);
/* the value of hex digit c, or -1; upper_only refuses a-f (for canonical %XX encodings) */
int hex_digit_value(char c, bool upper_only);

/*
 * Parse a size: decimal digits, then optionally one of K, M, G, T (powers
 * of 1024): "4096", "512M", "2G".  Nothing else is a size ("1.5G", "64m",
 * "64MB", "64MiB", "0x10", "1e7", " 16M").  Returns 0 and sets *out, or -1
 * when s is not a size or does not fit 64 bits.
 */
int parse_size(const char *s, uint64_t *out);
/* format a byte count for humans ("1.5 GiB"), into out of outlen bytes */
void format_size(uint64_t bytes, char *out, size_t outlen);

/* monotonic clock in seconds */
double now_monotonic(void);

#endif
