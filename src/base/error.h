/*
 * error: the error object that library code fills and returns upward.
 * Library code never prints; each layer adds context with error_prefix()
 * ("image 'rootfs': cannot read 'overlay/etc': ...") and only the cli
 * prints the final message, once.
 *
 * Convention: a function that can fail takes `struct error *err` last and
 * returns 0 on success, -1 on failure (with err set).
 */
#ifndef MVBUILD_ERROR_H
#define MVBUILD_ERROR_H

/* what kind of failure, which decides the exit status */
enum error_kind {
	ERROR_NONE = 0,
	ERROR_BUILD = 1,   /* a build or run failed: exit 1 */
	ERROR_USAGE = 2,   /* bad flags or a bad recipe: exit 2 */
	ERROR_INTERRUPTED = 3, /* stopped by SIGINT/SIGTERM: exit 128 + the signal */
};

struct error {
	enum error_kind kind; /* ERROR_NONE while no error is set */
	char *msg;            /* the message, lowercase, no full stop; owned */
	char *file;           /* the recipe (or other input) file it is about, or NULL; owned */
	int line, column;     /* 1-based location in file; 0 when unknown */
};

#define ERROR_INIT { ERROR_NONE, NULL, NULL, 0, 0 }

/* set a build-kind error (replacing any previous one); returns -1 */
int error_set(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* set a usage/recipe-kind error; returns -1 */
int error_usage(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* set an error of the given kind; returns -1 */
int error_setk(struct error *err, enum error_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* set an error ending in ": strerror(errnum)"; returns -1 */
int error_errno(struct error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* prepend "context: " to the current message; returns -1 */
int error_prefix(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Record where the error is (for --json's file/line/column), unless a more
 * precise (inner) location is recorded already; the message is unchanged,
 * as it names the location itself.  Returns -1.
 */
int error_locate(struct error *err, const char *file, int line, int column);
/* true when an error is set */
int error_is_set(const struct error *err);
/* free the message and reset to no error */
void error_release(struct error *err);
/* move src's error into dst (dst released first); src is left empty */
void error_move(struct error *dst, struct error *src);

#endif
