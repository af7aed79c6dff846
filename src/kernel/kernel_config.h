/*
 * kernel_config: Kconfig fragments and the merged request.
 *
 * A fragment file holds one assignment per line, as a .config does:
 *   CONFIG_X=value          (y, m, n, a number, 0x..., or "a string")
 *   # CONFIG_X is not set   (the same as CONFIG_X=n)
 * Blank lines and other comments are ignored; anything else is an error
 * naming FILE:LINE.  The base, then the fragments in order, then the inline
 * `config:` map are merged into one struct kconf; the last assignment of a
 * symbol wins and every redefinition is noted with both locations.  The
 * same struct holds a final .config read back for verification.
 */
#ifndef MVBUILD_KERNEL_CONFIG_H
#define MVBUILD_KERNEL_CONFIG_H

#include <stddef.h>

#include "base/error.h"
#include "base/util.h"

/* one requested (or final) assignment */
struct kconf_entry {
	char *symbol;   /* "CONFIG_X" */
	char *value;    /* "y", "m", "n", a number or a quoted string */
	char *where;    /* "fragment recipes/kernel/net.config:3", "config mvbuild.yaml:12"; may be NULL */
};

/* an ordered set of assignments, unique by symbol */
struct kconf {
	struct kconf_entry *entries; /* in order of first assignment */
	size_t n;                    /* count of entries */
	size_t alloc;                /* allocated entries */
	char **notes;                /* redefinition reports, one line each */
	size_t n_notes;
};

#define KCONF_INIT { NULL, 0, 0, NULL, 0 }

/* the largest fragment or .config read (a full .config is about 300 KiB) */
#define KCONF_MAX_FILE ((size_t)16 << 20)

/* assign symbol=value from where; a reassignment wins and adds a note when where is set */
void kernel_config_set(struct kconf *c, const char *symbol, const char *value, const char *where);
/* the entry for symbol, or NULL */
const struct kconf_entry *kernel_config_get(const struct kconf *c, const char *symbol);
/*
 * Parse fragment text; display is the path as written, used in every
 * location ("fragment DISPLAY:LINE").  Returns 0, or -1 with a usage error
 * "DISPLAY:LINE: ..." on a line that is not an assignment or comment.
 */
int kernel_config_parse_fragment(struct kconf *c, const char *text, size_t len, const char *display,
			 struct error *err);
/* read and parse the fragment file at path (shown as display); 0, or -1 with err */
int kernel_config_load_fragment(struct kconf *c, const char *path, const char *display, struct error *err);
/* read a final .config (no notes, no locations); 0, or -1 with err */
int kernel_config_load_dotconfig(struct kconf *c, const char *path, struct error *err);
/* the value a .config-style set gives symbol: its value, or "n" when absent */
const char *kernel_config_value(const struct kconf *c, const char *symbol);
/* append the assignments as fragment text (KCONFIG_ALLCONFIG form) */
void kernel_config_write(const struct kconf *c, struct buf *out);
/*
 * Append to out, as fragment lines in after's order, every symbol whose
 * value in after differs from before (absent reads as n), then every symbol
 * set in before that after lacks.  Returns the count of lines written.
 */
size_t kernel_config_diff(const struct kconf *before, const struct kconf *after, struct buf *out);
/* sort the entries by symbol, so order of writing no longer matters (for keys) */
void kernel_config_sort(struct kconf *c);
/* free everything */
void kernel_config_release(struct kconf *c);

#endif
