#include "cache/record.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct record_entry *record_find(const struct record *rec, const char *label)
{
	for (size_t i = 0; i < rec->n; i++)
		if (strcmp(rec->entries[i].label, label) == 0)
			return &rec->entries[i];
	return NULL;
}

/* append a new entry taking ownership of the three strings (where may be NULL) */
static void record_append(struct record *rec, char *label, char *value, char *where)
{
	if (rec->n == rec->alloc) {
		rec->alloc = rec->alloc ? rec->alloc * 2 : 16;
		rec->entries = xrealloc(rec->entries, rec->alloc * sizeof(*rec->entries));
	}
	rec->entries[rec->n++] = (struct record_entry){ label, value, where };
}

static void record_vadd(struct record *rec, const char *label, const char *where,
			const char *fmt, va_list ap)
{
	char *value = xvasprintf(fmt, ap);
	struct record_entry *e = record_find(rec, label);
	if (!e) {
		record_append(rec, xstrdup(label), value, xstrdup(where));
		return;
	}
	free(e->value);
	free(e->where);
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

/* 3: digests in records are content digests (hash.h), so every key changed */
#define RECORD_MAGIC "mvbuild-record 3\n"

/* write s as "LEN:BYTES": its length says where it ends, whatever it holds */
static void put_field(struct buf *out, const char *s)
{
	size_t len = strlen(s);
	buf_addf(out, "%zu:", len);
	buf_add(out, s, len);
}

void record_encode(const struct record *rec, bool with_where, struct buf *out)
{
	buf_adds(out, RECORD_MAGIC);
	for (size_t i = 0; i < rec->n; i++) {
		put_field(out, rec->entries[i].label);
		buf_addc(out, ' ');
		put_field(out, rec->entries[i].value);
		if (with_where && rec->entries[i].where) {
			buf_addc(out, ' ');
			put_field(out, rec->entries[i].where);
		}
		buf_addc(out, '\n');
	}
}

void record_key(const struct record *rec, char key[SHA256_HEX])
{
	struct buf text = BUF_INIT;
	record_encode(rec, false, &text);
	hash_buffer_hex(HASH_SHA256, text.data, text.len, key);
	buf_release(&text);
}

/*
 * Read "LEN:BYTES" at *p into a new string and advance *p; NULL when the
 * length is malformed (empty, a leading zero, too long), runs past end, or
 * the bytes hold a NUL (a C string could not carry it back).
 */
static char *take_field(const char **p, const char *end)
{
	const char *q = *p;
	size_t len = 0, digits = 0;
	for (; q < end && *q >= '0' && *q <= '9'; q++, digits++) {
		if ((digits == 1 && len == 0) || len > (SIZE_MAX - 9) / 10)
			return NULL;
		len = len * 10 + (size_t)(*q - '0');
	}
	if (digits == 0 || q == end || *q != ':' || len > (size_t)(end - q - 1))
		return NULL;
	q++;
	if (memchr(q, '\0', len))
		return NULL;
	*p = q + len;
	return xstrndup(q, len);
}

/* decode one entry line at *p into rec; 0, or -1 when malformed */
static int take_entry(struct record *rec, const char **p, const char *end)
{
	char *label = take_field(p, end), *value = NULL, *where = NULL;
	int ret = -1;
	if (!label || *p == end || **p != ' ')
		goto out;
	(*p)++;
	if (!(value = take_field(p, end)) || *p == end)
		goto out;
	if (**p == ' ') {
		(*p)++;
		if (!(where = take_field(p, end)) || *p == end)
			goto out;
	}
	if (**p != '\n' || record_find(rec, label))
		goto out;
	(*p)++;
	record_append(rec, label, value, where);
	label = value = where = NULL; /* rec owns them now */
	ret = 0;
out:
	free(label);
	free(value);
	free(where);
	return ret;
}

int record_decode(struct record *rec, const char *text, size_t len, struct error *err)
{
	const char *p = text, *end = text + len;
	size_t magic = strlen(RECORD_MAGIC);
	if (len < magic || memcmp(text, RECORD_MAGIC, magic) != 0)
		return error_set(err, "not an action record of this mvbuild (want '%.*s')",
				 (int)magic - 1, RECORD_MAGIC);
	p += magic;
	for (size_t n = 1; p < end; n++)
		if (take_entry(rec, &p, end) < 0)
			return error_set(err, "action record entry %zu is malformed", n);
	return 0;
}

static bool word_byte_escaped(unsigned char c)
{
	return c <= ' ' || c == '%' || c == 0x7f;
}

void record_add_words(struct record *rec, const char *label, const char *where,
		      const char *const *words, size_t n)
{
	struct buf v = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(&v, ' ');
		if (!*words[i])
			buf_addc(&v, '%');
		for (const unsigned char *c = (const unsigned char *)words[i]; *c; c++) {
			if (word_byte_escaped(*c))
				buf_addf(&v, "%%%02X", *c);
			else
				buf_addc(&v, (char)*c);
		}
	}
	record_add_at(rec, label, where, "%s", v.data ? v.data : "");
	buf_release(&v);
}

/* the byte "%XX" at s (3 bytes available) stands for, or -1 unless add_words writes it so */
static int unescape_byte(const char *s)
{
	int hi = hex_digit_value(s[1], true), lo = hex_digit_value(s[2], true);
	if (hi < 0 || lo < 0 || hi * 16 + lo == 0 || !word_byte_escaped((unsigned char)(hi * 16 + lo)))
		return -1;
	return hi * 16 + lo;
}

/* decode one word of len bytes at s; NULL unless record_add_words() writes it so */
static char *split_word(const char *s, size_t len)
{
	if (len == 1 && s[0] == '%')
		return xstrdup("");
	struct buf w = BUF_INIT;
	char *word = NULL;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len || (c = unescape_byte(s + i)) < 0)
				goto out;
			i += 2;
		} else if (word_byte_escaped((unsigned char)c)) {
			goto out;
		}
		buf_addc(&w, (char)c);
	}
	if (w.len)
		word = buf_detach(&w);
out:
	buf_release(&w);
	return word;
}

int record_split_words(const char *value, char ***words, size_t *n)
{
	*words = NULL;
	*n = 0;
	if (!*value)
		return 0;
	for (const char *p = value;; ) {
		size_t len = strcspn(p, " ");
		char *w = split_word(p, len);
		if (!w) {
			for (size_t i = 0; i < *n; i++)
				free((*words)[i]);
			free(*words);
			*words = NULL;
			*n = 0;
			return -1;
		}
		*words = xrealloc(*words, (*n + 1) * sizeof(**words));
		(*words)[(*n)++] = w;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

static int looks_like_digest(const char *s)
{
	return hash_hex_is_valid(s, 64) || hash_hex_is_valid(s, 128);
}

static void add_change(struct record_change **out, size_t *n, const char *label,
		       const char *change, const struct record_entry *o,
		       const struct record_entry *nw)
{
	*out = xrealloc(*out, (*n + 1) * sizeof(**out));
	(*out)[(*n)++] = (struct record_change){
		label, change, o ? o->value : NULL, nw ? nw->value : NULL,
		nw ? nw->where : o->where,
	};
}

size_t record_changes(const struct record *old, const struct record *new,
		      struct record_change **out)
{
	size_t count = 0;
	*out = NULL;
	for (size_t i = 0; i < new->n; i++) {
		const struct record_entry *n = &new->entries[i];
		const struct record_entry *o = record_find(old, n->label);
		if (!o)
			add_change(out, &count, n->label, "added", NULL, n);
		else if (strcmp(o->value, n->value) != 0)
			add_change(out, &count, n->label, "changed", o, n);
	}
	for (size_t i = 0; i < old->n; i++) {
		const struct record_entry *o = &old->entries[i];
		if (!record_find(new, o->label))
			add_change(out, &count, o->label, "removed", o, NULL);
	}
	return count;
}

/* one explain line for c (the format is in record.h) */
static void diff_line(const struct record_change *c, struct buf *out)
{
	const char *label = c->label, *o = c->old_value, *n = c->new_value;
	if (!o) {
		if (c->where)
			buf_addf(out, "%s added %s=%s\n", c->where, label, n);
		else
			buf_addf(out, "%s added (%s)\n", label, n);
	} else if (!n) {
		if (c->where)
			buf_addf(out, "%s removed %s=%s\n", c->where, label, o);
		else
			buf_addf(out, "%s removed (was %s)\n", label, o);
	} else if (c->where) {
		buf_addf(out, "%s changed %s from %s to %s\n", c->where, label, o, n);
	} else {
		buf_addf(out, "%s changed", label);
		if (!looks_like_digest(o) && !looks_like_digest(n))
			buf_addf(out, " from %s to %s", o, n);
		buf_addc(out, '\n');
	}
}

size_t record_diff(const struct record *old, const struct record *new, struct buf *out)
{
	struct record_change *changes;
	size_t count = record_changes(old, new, &changes);
	for (size_t i = 0; i < count; i++)
		diff_line(&changes[i], out);
	free(changes);
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
