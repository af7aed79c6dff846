/*
 * record: the canonical action record behind every action key.
 *
 * A record is an ordered list of entries (label, value, where).  The action
 * key is the SHA-256 of its encoding (below) without the wheres, so `where`
 * (a human pointer such as "fragment kernel/net.config:3") never changes a
 * key.  Labels are unique within a record; `explain` compares two
 * records label by label and prints one line per difference:
 *
 *   added:    "WHERE added LABEL=VALUE"  or "LABEL added (VALUE)"
 *   removed:  "WHERE removed LABEL=VALUE" or "LABEL removed (was VALUE)"
 *   changed:  "WHERE changed LABEL from OLD to NEW" or "LABEL changed"
 *             (plus " from OLD to NEW" when neither value is a digest)
 *
 * Encoding (version 2; one encoder, record_encode(), writes every form):
 *
 *   mvbuild-record 2\n
 *   LEN:LABEL LEN:VALUE[ LEN:WHERE]\n      one line per entry, in order
 *
 * LEN is the byte length of the field in decimal, without leading zeros,
 * and the field's bytes follow verbatim, so a field may hold spaces,
 * colons, tabs, newlines or nothing at all.  The action key is the sha256
 * of the encoding without the WHERE fields; the on-disk form keeps them
 * (an absent where is no third field, an empty one is "0:").  Each field is
 * read back by its length alone, so the bytes determine the entries:
 * record_decode() inverts record_encode() exactly, which is why two
 * different records can never share a key.  Builders keep the other half of
 * the promise: each describe() field is an entry of its own, or a list of
 * words joined by record_add_words(), never an ad-hoc join.
 */
#ifndef MVBUILD_RECORD_H
#define MVBUILD_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/hash.h"
#include "base/util.h"

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
/*
 * Add an entry whose value is a list of words (each may be empty or hold
 * any byte but NUL), joined by spaces with every space, percent sign and
 * control byte inside a word written as %XX and an empty word as "%": a
 * list of words gets one value and one value one list, yet stays readable
 * in explain ("file 3f2a... 0644").
 */
void record_add_words(struct record *rec, const char *label, const char *where,
		      const char *const *words, size_t n);
/* split a value written by record_add_words() into new words; 0, or -1 when malformed */
int record_split_words(const char *value, char ***words, size_t *n);
/* the action key: sha256 hex of the encoding without the wheres */
void record_key(const struct record *rec, char key[SHA256_HEX]);
/* append the encoding to out, with each entry's where when with_where is true */
void record_encode(const struct record *rec, bool with_where, struct buf *out);
/*
 * Decode exactly what record_encode() writes (either form) into the empty
 * rec; anything else (a bad length, a duplicate label, a NUL byte, trailing
 * bytes) is -1 with err, so decoding then encoding gives the same bytes
 */
int record_decode(struct record *rec, const char *text, size_t len, struct error *err);
/* one difference between two records; the strings are the records' own */
struct record_change {
	const char *label;     /* the entry's label */
	const char *change;    /* "added", "removed" or "changed" */
	const char *old_value; /* the old value, NULL when added */
	const char *new_value; /* the new value, NULL when removed */
	const char *where;     /* the new entry's where (the old one's when removed), or NULL */
};

/* the differences between old and new, new's order then old's removals; *out allocated; count */
size_t record_changes(const struct record *old, const struct record *new,
		      struct record_change **out);
/* append one explain line per difference between old and new to out; returns the count */
size_t record_diff(const struct record *old, const struct record *new, struct buf *out);
/* free all entries */
void record_release(struct record *rec);

#endif
