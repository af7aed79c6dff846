/*
 * json: string escaping for writers and a strict recursive-descent reader.
 * The reader never trusts its input: depth is bounded, every escape and
 * number is checked, and trailing bytes after the value are an error.
 */
#include "base/json.h"

#include <stdlib.h>
#include <string.h>

void json_add_string(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			buf_addf(b, "\\%c", c);
		else if (c == '\n')
			buf_adds(b, "\\n");
		else if (c == '\t')
			buf_adds(b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_addf(b, "\\u%04x", c);
		else
			buf_addc(b, (char)c);
	}
	buf_addc(b, '"');
}

void json_add_key(struct buf *b, const char *key)
{
	if (b->len && b->data[b->len - 1] != '{' && b->data[b->len - 1] != '[')
		buf_addc(b, ',');
	json_add_string(b, key);
	buf_addc(b, ':');
}

void json_add_member_string(struct buf *b, const char *key, const char *value)
{
	if (!value)
		return;
	json_add_key(b, key);
	json_add_string(b, value);
}

void json_add_member_int(struct buf *b, const char *key, long long value)
{
	json_add_key(b, key);
	buf_addf(b, "%lld", value);
}

void json_add_member_number(struct buf *b, const char *key, double value)
{
	json_add_key(b, key);
	buf_addf(b, "%.3f", value);
}

void json_add_member_bool(struct buf *b, const char *key, bool value)
{
	json_add_key(b, key);
	buf_adds(b, value ? "true" : "false");
}

struct reader {
	const char *p;      /* next byte */
	const char *start;  /* for offsets in messages */
	const char *end;    /* one past the last byte */
	struct error *err;
};

static int fail(struct reader *r, const char *what)
{
	return error_usage(r->err, "invalid JSON at byte %td: %s", r->p - r->start, what);
}

static void skip_space(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static bool take(struct reader *r, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return false;
	r->p += n;
	return true;
}

static int hex4(struct reader *r, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++, r->p++) {
		if (r->p >= r->end)
			return fail(r, "truncated \\u escape");
		char c = *r->p;
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
		if (d == 16)
			return fail(r, "bad \\u escape");
		*out = *out * 16 + d;
	}
	return 0;
}

static void add_utf8(struct buf *b, unsigned cp)
{
	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_addc(b, (char)(0xc0 | cp >> 6));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(b, (char)(0xe0 | cp >> 12));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(b, (char)(0xf0 | cp >> 18));
		buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

static int read_unicode_escape(struct reader *r, struct buf *b)
{
	unsigned cp, low;
	if (hex4(r, &cp) < 0)
		return -1;
	if (cp >= 0xd800 && cp < 0xdc00) {
		if (!take(r, "\\u") || hex4(r, &low) < 0 || low < 0xdc00 || low >= 0xe000)
			return fail(r, "unpaired surrogate");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
	} else if (cp >= 0xdc00 && cp < 0xe000) {
		return fail(r, "unpaired surrogate");
	}
	if (cp == 0)
		return fail(r, "NUL in string");
	add_utf8(b, cp);
	return 0;
}

static int read_escape(struct reader *r, struct buf *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	if (r->p >= r->end)
		return fail(r, "truncated escape");
	char c = *r->p++;
	if (c == 'u')
		return read_unicode_escape(r, b);
	const char *at = strchr(from, c);
	if (!at || !c)
		return fail(r, "bad escape");
	buf_addc(b, to[at - from]);
	return 0;
}

static int read_string(struct reader *r, char **out)
{
	struct buf b = BUF_INIT;
	r->p++; /* the opening quote */
	buf_grow(&b, 16);
	while (r->p < r->end && *r->p != '"') {
		unsigned char c = (unsigned char)*r->p;
		if (c < 0x20) {
			buf_release(&b);
			return fail(r, "control character in string");
		}
		r->p++;
		if (c == '\\') {
			if (read_escape(r, &b) < 0) {
				buf_release(&b);
				return -1;
			}
		} else {
			buf_addc(&b, (char)c);
		}
	}
	if (r->p >= r->end) {
		buf_release(&b);
		return fail(r, "unterminated string");
	}
	r->p++;
	*out = buf_detach(&b);
	return 0;
}

static int read_number(struct reader *r, struct json *out)
{
	const char *s = r->p;
	if (s < r->end && *s == '-')
		s++;
	if (s >= r->end || *s < '0' || *s > '9')
		return fail(r, "bad number");
	while (s < r->end && strchr("0123456789+-.eE", *s))
		s++;
	char *text = xstrndup(r->p, (size_t)(s - r->p));
	char *endp;
	out->type = JSON_NUMBER;
	out->number = strtod(text, &endp);
	bool bad = *endp != '\0';
	free(text);
	if (bad)
		return fail(r, "bad number");
	r->p = s;
	return 0;
}

static int read_value(struct reader *r, struct json *out, int depth);

static int read_array(struct reader *r, struct json *out, int depth)
{
	out->type = JSON_ARRAY;
	r->p++;
	skip_space(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		return 0;
	}
	for (;;) {
		out->items = xrealloc(out->items, (out->n + 1) * sizeof(*out->items));
		memset(&out->items[out->n], 0, sizeof(*out->items));
		if (read_value(r, &out->items[out->n++], depth + 1) < 0)
			return -1;
		skip_space(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == ']') {
			r->p++;
			return 0;
		}
		return fail(r, "expected ',' or ']'");
	}
}

static int read_member(struct reader *r, struct json *out, int depth)
{
	skip_space(r);
	if (r->p >= r->end || *r->p != '"')
		return fail(r, "expected a string key");
	out->items = xrealloc(out->items, (out->n + 1) * sizeof(*out->items));
	out->keys = xrealloc(out->keys, (out->n + 1) * sizeof(*out->keys));
	memset(&out->items[out->n], 0, sizeof(*out->items));
	out->keys[out->n] = NULL;
	size_t i = out->n++;
	if (read_string(r, &out->keys[i]) < 0)
		return -1;
	skip_space(r);
	if (r->p >= r->end || *r->p != ':')
		return fail(r, "expected ':'");
	r->p++;
	return read_value(r, &out->items[i], depth + 1);
}

static int read_object(struct reader *r, struct json *out, int depth)
{
	out->type = JSON_OBJECT;
	r->p++;
	skip_space(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return 0;
	}
	for (;;) {
		if (read_member(r, out, depth) < 0)
			return -1;
		skip_space(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == '}') {
			r->p++;
			return 0;
		}
		return fail(r, "expected ',' or '}'");
	}
}

static int read_value(struct reader *r, struct json *out, int depth)
{
	if (depth > JSON_MAX_DEPTH)
		return fail(r, "nested too deeply");
	skip_space(r);
	if (r->p >= r->end)
		return fail(r, "unexpected end");
	switch (*r->p) {
	case '{': return read_object(r, out, depth);
	case '[': return read_array(r, out, depth);
	case '"': out->type = JSON_STRING; return read_string(r, &out->string);
	}
	if (take(r, "null")) {
		out->type = JSON_NULL;
		return 0;
	}
	if (take(r, "true") || take(r, "false")) {
		out->type = JSON_BOOL;
		out->boolean = r->p[-1] == 'e' && r->p[-2] == 'u';
		return 0;
	}
	return read_number(r, out);
}

int json_parse(struct json *out, const char *text, size_t len, struct error *err)
{
	struct reader r = { text, text, text + len, err };
	memset(out, 0, sizeof(*out));
	if (read_value(&r, out, 0) < 0)
		goto fail;
	skip_space(&r);
	if (r.p != r.end) {
		fail(&r, "trailing bytes after the value");
		goto fail;
	}
	return 0;
fail:
	json_release(out);
	return -1;
}

const struct json *json_get(const struct json *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (obj->keys[i] && strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	return NULL;
}

const char *json_get_string(const struct json *obj, const char *key)
{
	const struct json *v = json_get(obj, key);
	return v && v->type == JSON_STRING ? v->string : NULL;
}

void json_release(struct json *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++) {
		json_release(&j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->string);
	memset(j, 0, sizeof(*j));
}
