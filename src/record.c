#include "record.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static struct record_entry *record_find(const struct record *rec, const char *label)
{
	for (size_t i = 0; i < rec->n; i++)
		if (strcmp(rec->entries[i].label, label) == 0)
			return &rec->entries[i];
	return NULL;
}

static void record_vadd(struct record *rec, const char *label, const char *where,
			const char *fmt, va_list ap)
{
	char *value = xvasprintf(fmt, ap);
	struct record_entry *e = record_find(rec, label);
	if (e) {
		free(e->value);
		free(e->where);
	} else {
		if (rec->n == rec->alloc) {
			rec->alloc = rec->alloc ? rec->alloc * 2 : 16;
			rec->entries = xrealloc(rec->entries, rec->alloc * sizeof(*rec->entries));
		}
		e = &rec->entries[rec->n++];
		e->label = xstrdup(label);
	}
	e->value = value;
	e->where = xstrdup(where);
}

void record_add(struct record *rec, const char *label, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	record_vadd(rec, label, NULL, fmt, ap);
	va_end(ap);
}

void record_add_at(struct record *rec, const char *label, const char *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	record_vadd(rec, label, where, fmt, ap);
	va_end(ap);
}

const char *record_get(const struct record *rec, const char *label)
{
	struct record_entry *e = record_find(rec, label);
	return e ? e->value : NULL;
}

static void escape_field(struct buf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '\t': buf_adds(out, "\\t"); break;
		case '\n': buf_adds(out, "\\n"); break;
		case '\\': buf_adds(out, "\\\\"); break;
		default: buf_addc(out, *s);
		}
	}
}

void record_key(const struct record *rec, char key[SHA256_HEX])
{
	struct buf text = BUF_INIT;
	for (size_t i = 0; i < rec->n; i++) {
		escape_field(&text, rec->entries[i].label);
		buf_addc(&text, '\t');
		escape_field(&text, rec->entries[i].value);
		buf_addc(&text, '\n');
	}
	hash_buffer_hex(HASH_SHA256, text.data ? text.data : "", text.len, key);
	buf_release(&text);
}

void record_serialize(const struct record *rec, struct buf *out)
{
	for (size_t i = 0; i < rec->n; i++) {
		escape_field(out, rec->entries[i].label);
		buf_addc(out, '\t');
		escape_field(out, rec->entries[i].value);
		buf_addc(out, '\t');
		escape_field(out, rec->entries[i].where);
		buf_addc(out, '\n');
	}
}

/* unescape one field of line[0..len) into a new string */
static char *unescape_field(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len) {
			i++;
			buf_addc(&b, s[i] == 't' ? '\t' : s[i] == 'n' ? '\n' : s[i]);
		} else {
			buf_addc(&b, s[i]);
		}
	}
	return buf_detach(&b);
}

int record_parse(struct record *rec, const char *text, size_t len, struct error *err)
{
	const char *p = text, *end = text + len;
	int lineno = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return error_set(err, "action record line %d: missing newline", lineno + 1);
		lineno++;
		const char *t1 = memchr(p, '\t', (size_t)(nl - p));
		const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1)) : NULL;
		if (!t1 || !t2)
			return error_set(err, "action record line %d: expected 3 fields", lineno);
		char *label = unescape_field(p, (size_t)(t1 - p));
		char *value = unescape_field(t1 + 1, (size_t)(t2 - t1 - 1));
		char *where = unescape_field(t2 + 1, (size_t)(nl - t2 - 1));
		record_add_at(rec, label, *where ? where : NULL, "%s", value);
		free(label);
		free(value);
		free(where);
		p = nl + 1;
	}
	return 0;
}

static int looks_like_digest(const char *s)
{
	return hex_is_valid(s, 64) || hex_is_valid(s, 128);
}

static void diff_changed(const struct record_entry *o, const struct record_entry *n, struct buf *out)
{
	if (n->where) {
		buf_addf(out, "%s changed %s from %s to %s\n", n->where, n->label, o->value, n->value);
		return;
	}
	buf_addf(out, "%s changed", n->label);
	if (!looks_like_digest(o->value) && !looks_like_digest(n->value))
		buf_addf(out, " from %s to %s", o->value, n->value);
	buf_addc(out, '\n');
}

size_t record_diff(const struct record *old, const struct record *new, struct buf *out)
{
	size_t count = 0;
	for (size_t i = 0; i < new->n; i++) {
		const struct record_entry *n = &new->entries[i];
		const struct record_entry *o = record_find(old, n->label);
		if (!o) {
			if (n->where)
				buf_addf(out, "%s added %s=%s\n", n->where, n->label, n->value);
			else
				buf_addf(out, "%s added (%s)\n", n->label, n->value);
			count++;
		} else if (strcmp(o->value, n->value) != 0) {
			diff_changed(o, n, out);
			count++;
		}
	}
	for (size_t i = 0; i < old->n; i++) {
		const struct record_entry *o = &old->entries[i];
		if (record_find(new, o->label))
			continue;
		if (o->where)
			buf_addf(out, "%s removed %s=%s\n", o->where, o->label, o->value);
		else
			buf_addf(out, "%s removed (was %s)\n", o->label, o->value);
		count++;
	}
	return count;
}

void record_release(struct record *rec)
{
	for (size_t i = 0; i < rec->n; i++) {
		free(rec->entries[i].label);
		free(rec->entries[i].value);
		free(rec->entries[i].where);
	}
	free(rec->entries);
	rec->entries = NULL;
	rec->n = rec->alloc = 0;
}
