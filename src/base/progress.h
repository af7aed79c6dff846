/*
 * progress: everything mvbuild tells the user while it works, on standard
 * error.  On a terminal, one live status line that is rewritten in place;
 * otherwise plain lines, throttled; with --json, one JSON object per line.
 * Thread-safe: builders running in parallel report through one reporter.
 */
#ifndef MVBUILD_PROGRESS_H
#define MVBUILD_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"

struct progress;

/* create a reporter writing to out; live is true for a terminal */
struct progress *progress_new(FILE *out, bool live, bool json, int verbose);
/* clear any live line and free the reporter */
void progress_free(struct progress *p);

/*
 * A node event: "started", "cached", "built", "failed", "skipped".
 * seconds is the duration (negative: none).  detail may be NULL.
 * Printed as a line ("built kernel:microvm (175.2 s)") or a JSON event.
 */
void progress_event(struct progress *p, const char *node_id, const char *event,
		    double seconds, const char *detail);
/*
 * A "failed" event with its message.  When returned is true the caller
 * hands the error up to be printed once by the command, so the plain line
 * leaves the message out; a JSON event always carries it.
 */
void progress_failed(struct progress *p, const char *node_id, double seconds,
		     const char *message, bool returned);
/*
 * Live status for a node, e.g. "412 objects, 31 s" or "12.0 MiB of
 * 131.0 MiB, 24.5 MiB/s, ETA 5 s".  On a terminal it rewrites the status
 * line; otherwise it prints at most one line per node every few seconds;
 * with --json it emits a "progress" event at the same rate.
 */
void progress_status(struct progress *p, const char *node_id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * The numbers behind a status line, which --json events carry as fields
 * (docs/json.md): what is counted, how far, out of how many, how fast and
 * how long is left.  Unknown values are 0 (total) or negative (the rest).
 */
struct progress_counts {
	const char *unit;     /* "bytes" or "objects" */
	uint64_t done;        /* units done so far */
	uint64_t total;       /* units in all; 0 when unknown */
	bool estimated;       /* total is an estimate, not a known size */
	double rate;          /* units per second; negative when unknown */
	double eta;           /* seconds left; negative when unknown */
	double elapsed;       /* seconds since the work started; negative when unknown */
};
#define PROGRESS_COUNTS_INIT(unit) { (unit), 0, 0, false, -1, -1, -1 }

/*
 * progress_status() with its numbers: the human line is fmt, exactly as
 * progress_status() prints it; a JSON "progress" event also carries c's
 * fields (unit, done, total, estimated, rate, eta_seconds, elapsed_seconds).
 */
void progress_counts(struct progress *p, const char *node_id, const struct progress_counts *c,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*
 * The error a command failed with (and the exit status it gives), printed
 * once after clearing the status line: "mvbuild: MESSAGE", or with --json an
 * "error" event with its kind, message, exit status and, when the error has
 * one, its file, line and column.
 */
void progress_error(struct progress *p, const struct error *err, int exit_status);
/* take any live status line off the terminal (before the command prints an error) */
void progress_clear(struct progress *p);
/* a message that is always shown (a warning, a fallback taken) */
void progress_note(struct progress *p, const char *node_id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* a message shown only with -v */
void progress_debug(struct progress *p, const char *node_id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
