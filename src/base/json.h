/*
 * json: the little JSON mvbuild needs: a string escaper for the writers
 * (progress events, launch configs) and a small strict reader for the
 * launch configs that `run` reads back from the cache.  The reader
 * accepts RFC 8259 JSON (UTF-8, nesting at most JSON_MAX_DEPTH deep).
 */
#ifndef MVBUILD_JSON_H
#define MVBUILD_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/util.h"

#define JSON_MAX_DEPTH 64

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

/* a parsed value; arrays and objects own their items (objects also their keys) */
struct json {
	enum json_type type;
	bool boolean;          /* JSON_BOOL */
	double number;         /* JSON_NUMBER */
	char *string;          /* JSON_STRING, NUL-terminated (may hold \u0000 only as "\\u0000") */
	struct json *items;    /* JSON_ARRAY elements, JSON_OBJECT values */
	char **keys;           /* JSON_OBJECT keys, parallel to items */
	size_t n;              /* count of items */
};

/* append s as a JSON string literal (quotes included) */
void json_add_string(struct buf *b, const char *s);
/*
 * Members of an object being written into b (which ends in '{' or a
 * previous member): each appends ["," ]"KEY":VALUE.  A NULL string value
 * is left out, so optional members need no test at the caller.
 */
void json_add_key(struct buf *b, const char *key);
/* a string member, left out when value is NULL */
void json_add_member_string(struct buf *b, const char *key, const char *value);
/* an integer member */
void json_add_member_int(struct buf *b, const char *key, long long value);
/* a number member with three decimals (seconds, rates) */
void json_add_member_number(struct buf *b, const char *key, double value);
/* a boolean member */
void json_add_member_bool(struct buf *b, const char *key, bool value);

/* parse text (len bytes) into out; 0, or -1 with err naming the byte offset */
int json_parse(struct json *out, const char *text, size_t len, struct error *err);
/* the member key of an object, or NULL (also when obj is not an object) */
const struct json *json_get(const struct json *obj, const char *key);
/* the string member key of an object, or NULL when absent or not a string */
const char *json_get_string(const struct json *obj, const char *key);
/* free everything a parsed value owns */
void json_release(struct json *j);

#endif
