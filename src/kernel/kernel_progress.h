/*
 * kernel_progress: how far a kernel build is.  A cold build (no objects
 * yet) of an object directory records how many objects it compiled in
 * OBJDIR/mvbuild-objects; the next cold build of that directory, or of a
 * sibling with the same source, architecture and base, shows a total and an
 * ETA: "412/~780 objects, ETA 3 min".  An incremental build cannot know its
 * total up front and says "37 objects recompiled".
 *
 * File format (OBJDIR/mvbuild-objects, one line): "COUNT BASE\n", e.g.
 * "2431 allnoconfig".
 */
#ifndef MVBUILD_KERNEL_PROGRESS_H
#define MVBUILD_KERNEL_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

/* true when objdir holds no compiled objects yet (a cold build) */
bool kernel_progress_cold(const char *objdir);
/*
 * The expected object count of a cold build of objdir with base: its own
 * record, else a sibling's (same "-HASH" suffix: same source and arch) with
 * the same base; 0 when unknown.
 */
unsigned kernel_progress_estimate(const char *objdir, const char *base);
/* record objects as objdir's cold-build count for base; best effort (an estimate only) */
void kernel_progress_record(const char *objdir, const char *base, unsigned objects);
/*
 * The status text into buf: "412/~780 objects, ETA 3 min" (total known),
 * "412 objects compiled, 31 s" (cold, no total), "37 objects recompiled,
 * 4 s" (incremental).  The ETA is elapsed / done * (total - done), in
 * seconds under a minute, else in minutes.
 */
void kernel_progress_format(char *buf, size_t size, unsigned done, unsigned total, bool incremental,
		      double elapsed);
/* that ETA in seconds, or -1 when there is none (no total, incremental, too early) */
double kernel_progress_eta(unsigned done, unsigned total, bool incremental, double elapsed);

#endif
