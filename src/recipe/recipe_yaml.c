/*
 * recipe_yaml: libyaml's event stream turned into a node tree with marks
 * (see recipe_yaml.h for what is refused and why), plus the located error
 * and "did you mean" helpers every reader of such a tree shares.  The tree is built
 * with an explicit stack of at most YNODE_MAX_DEPTH frames, so neither
 * building nor freeing can recurse without bound.
 */
#include "recipe/recipe_yaml.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "base/suggest.h"
#include "base/util.h"

struct frame {
	struct ynode *node;   /* the open map or sequence */
	size_t cap;           /* allocated items or pairs */
	struct ynode *key;    /* map: a key waiting for its value */
};

struct builder {
	const char *file;                        /* for marks */
	struct frame stack[YNODE_MAX_DEPTH];     /* open collections */
	int depth;                               /* frames in use */
	struct ynode *root;                      /* the document's node */
	int documents;                           /* documents started */
	struct error *err;
};

int recipe_yaml_fail(struct error *err, const struct mark *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	error_usage(err, "%s:%d:%d: %s", at->file ? at->file : "recipe", at->line, at->column, msg);
	error_locate(err, at->file, at->line, at->column);
	free(msg);
	return -1;
}

static struct mark mark_of(const struct builder *b, yaml_mark_t m)
{
	struct mark mk = { b->file, (int)m.line + 1, (int)m.column + 1 };
	return mk;
}

void recipe_yaml_free(struct ynode *n)
{
	if (!n)
		return;
	free(n->text);
	for (size_t i = 0; n->kind == YNODE_SEQ && i < n->n; i++)
		recipe_yaml_free(n->items[i]);
	for (size_t i = 0; n->kind == YNODE_MAP && i < n->n; i++) {
		recipe_yaml_free(n->pairs[i].key);
		recipe_yaml_free(n->pairs[i].value);
	}
	free(n->items);
	free(n->pairs);
	free(n);
}

static bool is_decimal_int(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* YAML 1.2 core schema for plain scalars; anything quoted is a string */
static enum yscalar_type resolve_plain(const char *s)
{
	if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return YSCALAR_NULL;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE") ||
	    !strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return YSCALAR_BOOL;
	if (is_decimal_int(s))
		return YSCALAR_INT;
	return YSCALAR_STR;
}

static int cmp_pair_keys(const void *a, const void *b)
{
	const struct ypair *pa = *(const struct ypair *const *)a, *pb = *(const struct ypair *const *)b;
	int c = strcmp(pa->key->text, pb->key->text);
	if (c)
		return c;
	return pa < pb ? -1 : pa > pb;
}

/* duplicate keys, found by sorting so a huge hostile map stays O(n log n) */
static int check_duplicate_keys(struct builder *b, const struct ynode *map)
{
	if (map->n < 2)
		return 0;
	const struct ypair **sorted = xmalloc(map->n * sizeof(*sorted));
	for (size_t i = 0; i < map->n; i++)
		sorted[i] = &map->pairs[i];
	qsort(sorted, map->n, sizeof(*sorted), cmp_pair_keys);
	int ret = 0;
	for (size_t i = 1; i < map->n && !ret; i++) {
		if (strcmp(sorted[i - 1]->key->text, sorted[i]->key->text))
			continue;
		const struct mark *first = &sorted[i - 1]->key->mark, *again = &sorted[i]->key->mark;
		ret = recipe_yaml_fail(b->err, again, "duplicate key '%s' (first written at line %d column %d)",
				 sorted[i]->key->text, first->line, first->column);
	}
	free(sorted);
	return ret;
}

/* hand node to the open collection (or make it the root); frees it on failure */
static int attach(struct builder *b, struct ynode *node)
{
	if (b->depth == 0) {
		b->root = node;
		return 0;
	}
	struct frame *f = &b->stack[b->depth - 1];
	struct ynode *parent = f->node;
	if (parent->kind == YNODE_SEQ) {
		if (parent->n == f->cap) {
			f->cap = f->cap ? 2 * f->cap : 4;
			parent->items = xrealloc(parent->items, f->cap * sizeof(*parent->items));
		}
		parent->items[parent->n++] = node;
		return 0;
	}
	if (!f->key) {
		if (node->kind != YNODE_SCALAR) {
			int ret = recipe_yaml_fail(b->err, &node->mark,
					     "map keys must be plain strings, not %s", recipe_yaml_describe(node));
			recipe_yaml_free(node);
			return ret;
		}
		f->key = node;
		return 0;
	}
	if (parent->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 4;
		parent->pairs = xrealloc(parent->pairs, f->cap * sizeof(*parent->pairs));
	}
	parent->pairs[parent->n].key = f->key;
	parent->pairs[parent->n].value = node;
	parent->n++;
	f->key = NULL;
	return 0;
}

static struct ynode *node_new(enum ynode_kind kind, struct mark mark)
{
	struct ynode *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->mark = mark;
	return n;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct mark mk = mark_of(b, ev->start_mark);
	const char *value = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	if (memchr(value, '\0', len))
		return recipe_yaml_fail(b->err, &mk, "NUL characters are not allowed");
	struct ynode *n = node_new(YNODE_SCALAR, mk);
	n->text = xstrndup(value, len);
	n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	n->type = n->quoted ? YSCALAR_STR : resolve_plain(n->text);
	return attach(b, n);
}

static int on_collection_start(struct builder *b, const yaml_event_t *ev, enum ynode_kind kind)
{
	struct mark mk = mark_of(b, ev->start_mark);
	if (b->depth == YNODE_MAX_DEPTH)
		return recipe_yaml_fail(b->err, &mk, "nesting deeper than %d levels", YNODE_MAX_DEPTH);
	struct ynode *n = node_new(kind, mk);
	if (attach(b, n) < 0)
		return -1;
	struct frame *f = &b->stack[b->depth++];
	f->node = n;
	f->cap = 0;
	f->key = NULL;
	return 0;
}

static int on_collection_end(struct builder *b)
{
	struct frame *f = &b->stack[--b->depth];
	if (f->node->kind == YNODE_MAP)
		return check_duplicate_keys(b, f->node);
	return 0;
}

/* anchors, aliases and tags are refused on the event that carries them */
static int refuse_extras(struct builder *b, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		anchor = ev->data.alias.anchor;
		break;
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default:
		return 0;
	}
	struct mark mk = mark_of(b, ev->start_mark);
	if (anchor)
		return recipe_yaml_fail(b->err, &mk, "anchors and aliases are not allowed ('%s')",
				  (const char *)anchor);
	if (tag)
		return recipe_yaml_fail(b->err, &mk, "tags are not allowed ('%s')", (const char *)tag);
	return 0;
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	if (refuse_extras(b, ev) < 0)
		return -1;
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (b->documents++ > 0) {
			struct mark mk = mark_of(b, ev->start_mark);
			return recipe_yaml_fail(b->err, &mk, "more than one YAML document in one file");
		}
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_collection_start(b, ev, YNODE_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_collection_start(b, ev, YNODE_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_collection_end(b);
	default:
		return 0;
	}
}

/* line and column (1-based) of a byte offset, for libyaml's reader errors */
static void offset_mark(const char *text, size_t len, size_t offset, int *line, int *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*column = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*column)++;
		}
	}
}

/* the line that holds byte offset at, as [*start, end) */
static const char *line_at(const char *text, size_t len, size_t at, const char **end)
{
	const char *start = text + (at < len ? at : len);
	while (start > text && start[-1] != '\n')
		start--;
	const char *nl = memchr(start, '\n', (size_t)(text + len - start));
	*end = nl ? nl : text + len;
	return start;
}

/*
 * The two mistakes people make most, in their words rather than libyaml's:
 * a tab in the indentation, and a line indented to a column no enclosing
 * block uses.  NULL when the error is neither.
 */
static char *plain_problem(const yaml_parser_t *p, const char *text, size_t len)
{
	if (p->error != YAML_SCANNER_ERROR && p->error != YAML_PARSER_ERROR)
		return NULL;
	const char *end, *line = line_at(text, len, p->problem_mark.index, &end);
	size_t indent = strspn(line, " \t");
	if (line + indent < end && memchr(line, '\t', indent))
		return xstrdup("tabs cannot indent YAML: indent with spaces");
	if (p->problem && p->context && strstr(p->problem, "did not find expected key") &&
	    strstr(p->context, "block mapping"))
		return xasprintf("line %d is indented to column %zu, which lines up with no block "
				 "above it: indent it exactly as the keys it belongs with (the block "
				 "mapping that starts at line %d column %d, or one inside it)",
				 (int)p->problem_mark.line + 1, indent + 1,
				 (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
	return NULL;
}

/* libyaml's own problem text at its mark */
static int parser_error(struct builder *b, const yaml_parser_t *p, const char *text, size_t len)
{
	struct mark at = { .file = b->file };
	if (p->error == YAML_READER_ERROR)
		offset_mark(text, len, p->problem_offset, &at.line, &at.column);
	else
		at = mark_of(b, p->problem_mark);
	const char *problem = p->problem ? p->problem : "cannot parse";
	char *plain = plain_problem(p, text, len);
	if (plain) {
		int ret = recipe_yaml_fail(b->err, &at, "invalid YAML: %s", plain);
		free(plain);
		return ret;
	}
	/* libyaml's reader reports bad bytes as "invalid leading UTF-8 octet" and the like */
	if (p->error == YAML_READER_ERROR && strstr(problem, "UTF-8"))
		return recipe_yaml_fail(b->err, &at, "invalid UTF-8 (a recipe is UTF-8 text): %s", problem);
	if (p->context)
		return recipe_yaml_fail(b->err, &at, "invalid YAML: %s %s (line %d column %d)", problem,
				  p->context, (int)p->context_mark.line + 1,
				  (int)p->context_mark.column + 1);
	return recipe_yaml_fail(b->err, &at, "invalid YAML: %s", problem);
}

/*
 * libyaml decodes UTF-16 when a file starts with its byte order mark; a
 * recipe is UTF-8 only, so UTF-16 and UTF-32 (with a BOM, or ASCII text
 * with NUL bytes between) are refused here with their name.
 */
static int check_not_utf16(const char *text, size_t len, const char *file, struct error *err)
{
	const unsigned char *t = (const unsigned char *)text;
	const char *enc = NULL;
	if (len >= 4 && (!memcmp(t, "\0\0\xfe\xff", 4) || !memcmp(t, "\xff\xfe\0\0", 4)))
		enc = "UTF-32 (it starts with a UTF-32 byte order mark)";
	else if (len >= 2 && (!memcmp(t, "\xfe\xff", 2) || !memcmp(t, "\xff\xfe", 2)))
		enc = "UTF-16 (it starts with a UTF-16 byte order mark)";
	else if (len >= 2 && (t[0] == 0 || t[1] == 0))
		enc = "UTF-16 or UTF-32 (a NUL byte among its first two bytes)";
	if (!enc)
		return 0;
	struct mark start = { file, 1, 1 };
	return recipe_yaml_fail(err, &start, "the file is %s; a recipe is UTF-8 text", enc);
}

int recipe_yaml_parse_text(const char *text, size_t len, const char *file, struct ynode **root,
		     struct error *err)
{
	struct builder b = { .file = file, .err = err };
	yaml_parser_t parser;
	*root = NULL;
	if (check_not_utf16(text, len, file, err) < 0)
		return -1;
	/* a UTF-8 BOM is UTF-8 too; libyaml keeps it as text once the encoding is forced */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		text += 3;
		len -= 3;
	}
	if (!yaml_parser_initialize(&parser))
		return error_set(err, "cannot start the YAML parser: out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	int ret = 0;
	for (bool done = false; !done && ret == 0;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			ret = parser_error(&b, &parser, text, len);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		ret = on_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (ret < 0) {
		/* a key still waiting for its value is not in the tree yet */
		for (int i = 0; i < b.depth; i++)
			recipe_yaml_free(b.stack[i].key);
		recipe_yaml_free(b.root);
		return -1;
	}
	*root = b.root;
	return 0;
}

/* read a whole regular file of at most YNODE_MAX_FILE bytes from fd */
static int read_small_fd(int fd, const char *file, struct buf *out, struct error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return error_usage(err, "cannot stat '%s': %s", file, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return error_usage(err, "'%s' is not a regular file", file);
	for (;;) {
		buf_grow(out, 65536);
		size_t room = out->cap - out->len - 1;
		ssize_t n = read(fd, out->data + out->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_usage(err, "cannot read '%s': %s", file, strerror(errno));
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
		if (out->len > YNODE_MAX_FILE) {
			struct mark start = { file, 1, 1 };
			return recipe_yaml_fail(err, &start, "file is larger than 1 MiB");
		}
	}
	return 0;
}

int recipe_yaml_parse_fd(int fd, const char *file, struct ynode **root, struct error *err)
{
	struct buf text = BUF_INIT;
	*root = NULL;
	int ret = read_small_fd(fd, file, &text, err);
	if (ret == 0)
		ret = recipe_yaml_parse_text(text.data ? text.data : "", text.len, file, root, err);
	buf_release(&text);
	return ret;
}

int recipe_yaml_parse_file(const char *path, const char *file, struct ynode **root, struct error *err)
{
	*root = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return error_usage(err, "cannot open '%s': %s", file, strerror(errno));
	int ret = recipe_yaml_parse_fd(fd, file, root, err);
	close(fd);
	return ret;
}

struct ynode *recipe_yaml_get(const struct ynode *map, const char *key)
{
	for (size_t i = 0; map && map->kind == YNODE_MAP && i < map->n; i++)
		if (strcmp(map->pairs[i].key->text, key) == 0)
			return map->pairs[i].value;
	return NULL;
}

const char *recipe_yaml_describe(const struct ynode *n)
{
	if (n->kind == YNODE_SEQ)
		return "a list";
	if (n->kind == YNODE_MAP)
		return "a map";
	switch (n->type) {
	case YSCALAR_NULL: return "empty";
	case YSCALAR_BOOL: return "a boolean";
	case YSCALAR_INT: return "an integer";
	case YSCALAR_STR: break;
	}
	return "a string";
}

const struct ynode *recipe_yaml_unknown_key(const struct ynode *map, const char *const *keys, size_t n)
{
	for (size_t i = 0; map->kind == YNODE_MAP && i < map->n; i++) {
		const struct ynode *k = map->pairs[i].key;
		bool known = false;
		for (size_t j = 0; j < n && !known; j++)
			known = strcmp(k->text, keys[j]) == 0;
		if (!known)
			return k;
	}
	return NULL;
}

/* ---- suggestions ----------------------------------------------------- */

const char *recipe_yaml_suggest(const char *word, const char *const *candidates, size_t n)
{
	return suggest_closest(word, candidates, n);
}

char *recipe_yaml_did_you_mean(const char *word, const char *const *candidates, size_t n)
{
	return suggest_did_you_mean(word, candidates, n);
}
