/*
 * kernel_config: parse Kconfig fragments and .config files, merge
 * assignments with their locations, and report redefinitions (see
 * kernel_config.h for the line format).
 */
#include "kernel/kernel_config.h"

#include "base/fileutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct kconf_entry *find_entry(const struct kconf *c, const char *symbol)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->entries[i].symbol, symbol) == 0)
			return &c->entries[i];
	return NULL;
}

static void add_note(struct kconf *c, char *note)
{
	c->notes = xrealloc(c->notes, (c->n_notes + 1) * sizeof(*c->notes));
	c->notes[c->n_notes++] = note;
}

void kernel_config_set(struct kconf *c, const char *symbol, const char *value, const char *where)
{
	struct kconf_entry *e = find_entry(c, symbol);
	if (e) {
		if (where && e->where)
			add_note(c, xasprintf("%s: %s=%s redefines %s=%s from %s%s", where, symbol,
					      value, symbol, e->value, e->where,
					      strcmp(value, e->value) == 0 ? " (same value)" : ""));
		free(e->value);
		free(e->where);
		e->value = xstrdup(value);
		e->where = xstrdup(where);
		return;
	}
	if (c->n == c->alloc) {
		c->alloc = c->alloc ? 2 * c->alloc : 64;
		c->entries = xrealloc(c->entries, c->alloc * sizeof(*c->entries));
	}
	e = &c->entries[c->n++];
	e->symbol = xstrdup(symbol);
	e->value = xstrdup(value);
	e->where = xstrdup(where);
}

const struct kconf_entry *kernel_config_get(const struct kconf *c, const char *symbol)
{
	return find_entry(c, symbol);
}

const char *kernel_config_value(const struct kconf *c, const char *symbol)
{
	const struct kconf_entry *e = find_entry(c, symbol);
	return e ? e->value : "n";
}

/* length of a CONFIG_ symbol name at s, or 0 when s does not start with one */
static size_t symbol_len(const char *s, size_t n)
{
	if (n < 8 || strncmp(s, "CONFIG_", 7) != 0)
		return 0;
	size_t i = 7;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '_'))
		i++;
	return i > 7 ? i : 0;
}

/*
 * Parse one line (without its newline, trailing blanks trimmed).  Sets
 * *sym and *val (allocated) for an assignment; leaves them NULL for a blank
 * line or comment.  Returns -1 when the line is neither.
 */
static int parse_line(const char *s, size_t n, char **sym, char **val)
{
	static const char not_set[] = " is not set";
	*sym = *val = NULL;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	while (n && isspace((unsigned char)*s))
		s++, n--;
	if (n == 0)
		return 0;
	if (s[0] == '#') {
		const char *p = s + 1;
		size_t m = n - 1;
		if (m && *p == ' ')
			p++, m--;
		size_t sl = symbol_len(p, m);
		if (sl && m == sl + strlen(not_set) && memcmp(p + sl, not_set, strlen(not_set)) == 0) {
			*sym = xstrndup(p, sl);
			*val = xstrdup("n");
		}
		return 0;
	}
	size_t sl = symbol_len(s, n);
	if (!sl || sl + 1 >= n || s[sl] != '=')
		return -1;
	*sym = xstrndup(s, sl);
	*val = xstrndup(s + sl + 1, n - sl - 1);
	return 0;
}

/* parse assignments; record "fragment DISPLAY:LINE" locations when located */
static int parse_text(struct kconf *c, const char *text, size_t len, const char *display,
		      bool located, struct error *err)
{
	const char *p = text, *end = text + len;
	for (int line = 1; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *sym, *val;
		if (parse_line(p, n, &sym, &val) < 0) {
			error_usage(err, "%s:%d: not a config line (want CONFIG_X=value or "
				    "'# CONFIG_X is not set'): '%.*s'", display, line,
				    (int)(n > 60 ? 60 : n), p);
			return error_locate(err, display, line, 0);
		}
		if (sym) {
			char *where = located ? xasprintf("fragment %s:%d", display, line) : NULL;
			kernel_config_set(c, sym, val, where);
			free(where);
		}
		free(sym);
		free(val);
		p += n + 1;
	}
	return 0;
}

int kernel_config_parse_fragment(struct kconf *c, const char *text, size_t len, const char *display,
			 struct error *err)
{
	return parse_text(c, text, len, display, true, err);
}

int kernel_config_load_fragment(struct kconf *c, const char *path, const char *display, struct error *err)
{
	struct buf text = BUF_INIT;
	int ret = read_file(path, KCONF_MAX_FILE, &text, err);
	if (ret == 0)
		ret = kernel_config_parse_fragment(c, text.data ? text.data : "", text.len, display, err);
	buf_release(&text);
	return ret;
}

int kernel_config_load_dotconfig(struct kconf *c, const char *path, struct error *err)
{
	struct buf text = BUF_INIT;
	int ret = read_file(path, KCONF_MAX_FILE, &text, err);
	if (ret == 0)
		ret = parse_text(c, text.data ? text.data : "", text.len, path, false, err);
	buf_release(&text);
	return ret;
}

static void write_entry(struct buf *out, const char *symbol, const char *value)
{
	if (strcmp(value, "n") == 0)
		buf_addf(out, "# %s is not set\n", symbol);
	else
		buf_addf(out, "%s=%s\n", symbol, value);
}

void kernel_config_write(const struct kconf *c, struct buf *out)
{
	for (size_t i = 0; i < c->n; i++)
		write_entry(out, c->entries[i].symbol, c->entries[i].value);
}

size_t kernel_config_diff(const struct kconf *before, const struct kconf *after, struct buf *out)
{
	size_t n = 0;
	for (size_t i = 0; i < after->n; i++) {
		const struct kconf_entry *e = &after->entries[i];
		if (strcmp(e->value, kernel_config_value(before, e->symbol)) != 0) {
			write_entry(out, e->symbol, e->value);
			n++;
		}
	}
	for (size_t i = 0; i < before->n; i++) {
		const struct kconf_entry *e = &before->entries[i];
		if (!find_entry(after, e->symbol) && strcmp(e->value, "n") != 0) {
			write_entry(out, e->symbol, "n");
			n++;
		}
	}
	return n;
}

static int compare_entries(const void *a, const void *b)
{
	return strcmp(((const struct kconf_entry *)a)->symbol, ((const struct kconf_entry *)b)->symbol);
}

void kernel_config_sort(struct kconf *c)
{
	if (c->n > 1)
		qsort(c->entries, c->n, sizeof(*c->entries), compare_entries);
}

void kernel_config_release(struct kconf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->entries[i].symbol);
		free(c->entries[i].value);
		free(c->entries[i].where);
	}
	free(c->entries);
	for (size_t i = 0; i < c->n_notes; i++)
		free(c->notes[i]);
	free(c->notes);
	*c = (struct kconf)KCONF_INIT;
}
