/*
 * record: the canonical action record behind every action key.
 *
 * A record is an ordered list of entries (label, value, where).  The action
 * key is the SHA-256 of the text "label\tvalue\n" of every entry in order,
 * so `where` (a human pointer such as "fragment kernel/net.config:3") never
 * changes a key.  Labels are unique within a record; `explain` compares two
 * records label by label and prints one line per difference:
 *
 *   added:    "WHERE added LABEL=VALUE"  or "LABEL added (VALUE)"
 *   removed:  "WHERE removed LABEL=VALUE" or "LABEL removed (was VALUE)"
 *   changed:  "WHERE changed LABEL from OLD to NEW" or "LABEL changed"
 *             (plus " from OLD to NEW" when neither value is a digest)
 *
 * On-disk form (stored in the cache next to the output manifest): one entry
 * per line, "label\tvalue\twhere\n", with tab, newline and backslash in any
 * field escaped as \t, \n and \\.
 */
#ifndef MVBUILD_RECORD_H
#define MVBUILD_RECORD_H

#include <stddef.h>

#include "error.h"
#include "hash.h"
#include "util.h"

struct record_entry {
	char *label;  /* what this is: "param size", "overlay file overlay/etc/motd" */
	char *value;  /* what it is: a parameter value or a digest */
	char *where;  /* optional human location; NULL when none; not part of the key */
};

struct record {
	struct record_entry *entries; /* in insertion order */
	size_t n;                     /* count of entries */
	size_t alloc;                 /* allocated entries */
};

#define RECORD_INIT { NULL, 0, 0 }

/* add an entry; a second entry with the same label replaces the first */
void record_add(struct record *rec, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* add an entry with a human location that does not enter the key */
void record_add_at(struct record *rec, const char *label, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* the value for label, or NULL */
const char *record_get(const struct record *rec, const char *label);
/* the action key: sha256 hex of the canonical text */
void record_key(const struct record *rec, char key[SHA256_HEX]);
/* append the on-disk form to out */
void record_serialize(const struct record *rec, struct buf *out);
/* parse the on-disk form; returns 0, or -1 with err on malformed text */
int record_parse(struct record *rec, const char *text, size_t len, struct error *err);
/* append one explain line per difference between old and new to out; returns the count */
size_t record_diff(const struct record *old, const struct record *new, struct buf *out);
/* free all entries */
void record_release(struct record *rec);

#endif
