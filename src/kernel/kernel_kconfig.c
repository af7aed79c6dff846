/*
 * kernel_kconfig: find symbols, their dependencies and selectors in a
 * kernel's Kconfig files (see kernel_kconfig.h).  The reader is line based
 * and knows only what it needs: config/menuconfig blocks with their
 * `depends on` and `select` lines, the if/endif, menu/endmenu and
 * choice/endchoice nesting that adds dependencies, and help texts, which
 * it skips by indentation so prose never looks like a keyword.
 */
#include "kernel/kernel_kconfig.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fileutil.h"
#include "kernel/kernel_config.h"
#include "base/util.h"

enum nest_kind { NEST_IF, NEST_MENU, NEST_CHOICE };

/* one enclosing if, menu or choice and the condition it adds ("" for none) */
struct nest {
	enum nest_kind kind;
	struct buf cond;
};

/* the reader's state within one file */
struct scan {
	struct kconfig_symbol *syms;   /* the symbols asked about */
	size_t n_syms;
	const char *relpath;           /* the file being read, relative to the tree */
	struct nest *nests;            /* enclosing blocks, innermost last */
	size_t n_nests;
	bool in_header;                /* after menu/choice, before its first entry */
	char *block;                   /* name of the config block being read, or NULL */
	int block_line;                /* where it started */
	struct buf block_deps;         /* its own `depends on` expressions */
	bool in_help;                  /* inside a help text */
	int help_indent;               /* its indentation, -1 until its first line */
};

static struct kconfig_symbol *wanted(struct scan *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n_syms; i++)
		if (strlen(s->syms[i].name) == len && memcmp(s->syms[i].name, name, len) == 0)
			return &s->syms[i];
	return NULL;
}

/*
 * Append expr to the conjunction in b, with its blanks collapsed and in
 * parentheses when it has an ||, so every stored condition is a
 * conjunction that can be joined to another with a plain " && ".
 */
static void and_expr(struct buf *b, const char *expr)
{
	while (isspace((unsigned char)*expr))
		expr++;
	if (!*expr)
		return;
	if (b->len)
		buf_adds(b, " && ");
	bool paren = strstr(expr, "||") != NULL;
	if (paren)
		buf_addc(b, '(');
	for (const char *p = expr; *p && *p != '#'; p++) {
		if (!isspace((unsigned char)*p))
			buf_addc(b, *p);
		else if (p[1] && p[1] != '#' && !isspace((unsigned char)p[1]))
			buf_addc(b, ' ');
	}
	if (paren)
		buf_addc(b, ')');
}

/* join two conjunctions */
static void and_conj(struct buf *b, const struct buf *conj)
{
	if (!conj->len)
		return;
	if (b->len)
		buf_adds(b, " && ");
	buf_add(b, conj->data, conj->len);
}

/* finish the config block being read: record its dependencies if it was asked about */
static void end_block(struct scan *s)
{
	if (!s->block)
		return;
	struct kconfig_symbol *sym = wanted(s, s->block, strlen(s->block));
	if (sym && !sym->found) {
		struct buf deps = BUF_INIT;
		for (size_t i = 0; i < s->n_nests; i++)
			and_conj(&deps, &s->nests[i].cond);
		and_conj(&deps, &s->block_deps);
		sym->found = true;
		sym->depends = deps.len ? buf_detach(&deps) : NULL;
		sym->defined_at = xasprintf("%s:%d", s->relpath, s->block_line);
		buf_release(&deps);
	}
	free(s->block);
	s->block = NULL;
	buf_reset(&s->block_deps);
}

static void add_selector(struct kconfig_symbol *sym, const char *by)
{
	for (size_t i = 0; i < sym->n_selected_by; i++)
		if (strcmp(sym->selected_by[i], by) == 0)
			return;
	sym->selected_by = xrealloc(sym->selected_by, (sym->n_selected_by + 1) * sizeof(char *));
	sym->selected_by[sym->n_selected_by++] = xstrdup(by);
}

static void push_nest(struct scan *s, enum nest_kind kind, const char *cond)
{
	s->nests = xrealloc(s->nests, (s->n_nests + 1) * sizeof(*s->nests));
	struct nest *n = &s->nests[s->n_nests++];
	n->kind = kind;
	n->cond = (struct buf)BUF_INIT;
	and_expr(&n->cond, cond);
}

static void pop_nest(struct scan *s, enum nest_kind kind)
{
	/* pop to the innermost block of this kind; unbalanced files are tolerated */
	while (s->n_nests) {
		struct nest *n = &s->nests[--s->n_nests];
		enum nest_kind k = n->kind;
		buf_release(&n->cond);
		if (k == kind)
			return;
	}
}

/* the word at p (letters, digits, _ and -) */
static size_t word_len(const char *p)
{
	size_t n = 0;
	while (isalnum((unsigned char)p[n]) || p[n] == '_' || p[n] == '-')
		n++;
	return n;
}

/* true when line (indentation stripped) starts with keyword kw followed by a blank or end */
static bool keyword(const char *line, const char *kw, const char **rest)
{
	size_t n = strlen(kw);
	if (strncmp(line, kw, n) != 0 || (line[n] && !isspace((unsigned char)line[n])))
		return false;
	*rest = line + n;
	while (isspace((unsigned char)**rest))
		(*rest)++;
	return true;
}

static int indentation(const char *line)
{
	int col = 0;
	for (; *line == ' ' || *line == '\t'; line++)
		col = *line == '\t' ? (col / 8 + 1) * 8 : col + 1;
	return col;
}

/* handle a line inside a config block or menu header; true when it was one of those */
static bool block_line(struct scan *s, const char *t)
{
	const char *rest;
	if (keyword(t, "depends", &rest) && keyword(rest, "on", &rest)) {
		if (s->block)
			and_expr(&s->block_deps, rest);
		else if (s->in_header && s->n_nests)
			and_expr(&s->nests[s->n_nests - 1].cond, rest);
		return true;
	}
	if (s->block && keyword(t, "select", &rest)) {
		struct kconfig_symbol *sym = wanted(s, rest, word_len(rest));
		if (sym)
			add_selector(sym, s->block);
		return true;
	}
	if (keyword(t, "help", &rest) || keyword(t, "---help---", &rest)) {
		s->in_help = true;
		s->help_indent = -1;
		return true;
	}
	return false;
}

/* one logical line (continuations joined), trailing blanks trimmed */
static void scan_line(struct scan *s, char *line, int lineno)
{
	const char *t = line, *rest;
	while (isspace((unsigned char)*t))
		t++;
	if (s->in_help) {
		if (!*t)
			return;
		int ind = indentation(line);
		if (s->help_indent < 0 && ind > 0)
			s->help_indent = ind;
		if (s->help_indent >= 0 && ind >= s->help_indent)
			return;
		s->in_help = false;
	}
	if (!*t || *t == '#')
		return;
	if (keyword(t, "config", &rest) || keyword(t, "menuconfig", &rest)) {
		end_block(s);
		s->in_header = false;
		s->block = xstrndup(rest, word_len(rest));
		s->block_line = lineno;
		return;
	}
	if (block_line(s, t))
		return;
	if (keyword(t, "if", &rest)) {
		end_block(s);
		push_nest(s, NEST_IF, rest);
	} else if (keyword(t, "endif", &rest)) {
		end_block(s);
		pop_nest(s, NEST_IF);
	} else if (keyword(t, "menu", &rest) || keyword(t, "choice", &rest)) {
		end_block(s);
		push_nest(s, t[0] == 'm' ? NEST_MENU : NEST_CHOICE, "");
		s->in_header = true;
	} else if (keyword(t, "endmenu", &rest) || keyword(t, "endchoice", &rest)) {
		end_block(s);
		pop_nest(s, t[3] == 'm' ? NEST_MENU : NEST_CHOICE);
		s->in_header = false;
	} else if (keyword(t, "source", &rest) || keyword(t, "comment", &rest) ||
		   keyword(t, "mainmenu", &rest)) {
		end_block(s);
		s->in_header = false;
	}
}

static void scan_text(struct scan *s, char *text)
{
	struct buf logical = BUF_INIT;
	int lineno = 0, start = 1;
	for (char *p = text; *p;) {
		char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (!logical.len)
			start = lineno;
		bool cont = n && p[n - 1] == '\\';
		buf_add(&logical, p, cont ? n - 1 : n);
		if (!cont) {
			while (logical.len && isspace((unsigned char)logical.data[logical.len - 1]))
				logical.data[--logical.len] = '\0';
			scan_line(s, logical.len ? logical.data : (char *)"", start);
			buf_reset(&logical);
		}
		p = nl ? nl + 1 : p + n;
	}
	end_block(s);
	while (s->n_nests)
		pop_nest(s, NEST_IF);
	s->in_help = s->in_header = false;
	buf_release(&logical);
}

static int scan_file(struct scan *s, const char *path, const char *relpath, struct error *err)
{
	struct buf text = BUF_INIT;
	if (read_file(path, KCONF_MAX_FILE, &text, err) < 0)
		return -1;
	s->relpath = relpath;
	if (text.data)
		scan_text(s, text.data);
	buf_release(&text);
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* directories never sourced by Kconfig, or of another architecture */
static bool skip_dir(const char *rel, const char *name, const char *srcarch)
{
	if (name[0] == '.')
		return true;
	if (!*rel)
		return strcmp(name, "Documentation") == 0 || strcmp(name, "tools") == 0;
	return strcmp(rel, "arch") == 0 && strcmp(name, srcarch) != 0;
}

/* walk dir (rel relative to the tree root) in name order, reading every Kconfig* file */
static int walk(struct scan *s, const char *root, const char *rel, const char *srcarch,
		struct error *err)
{
	char *dir = *rel ? path_join(root, rel) : xstrdup(root);
	DIR *d = opendir(dir);
	if (!d) {
		error_errno(err, errno, "cannot read directory '%s'", dir);
		free(dir);
		return -1;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR && de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (de->d_type == DT_DIR && skip_dir(rel, de->d_name, srcarch))
			continue;
		if (de->d_type != DT_DIR && !str_startswith(de->d_name, "Kconfig"))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), compare_names);
	int ret = 0;
	for (size_t i = 0; i < n; i++) {
		char *sub = *rel ? path_join(rel, names[i]) : xstrdup(names[i]);
		char *full = path_join(root, sub);
		struct stat st;
		if (ret == 0 && stat(full, &st) == 0) {
			if (S_ISDIR(st.st_mode) && !skip_dir(rel, names[i], srcarch))
				ret = walk(s, root, sub, srcarch, err);
			else if (S_ISREG(st.st_mode) && str_startswith(names[i], "Kconfig"))
				ret = scan_file(s, full, sub, err);
		}
		free(sub);
		free(full);
		free(names[i]);
	}
	free(names);
	free(dir);
	return ret;
}

int kernel_kconfig_lookup(const char *srcdir, const char *srcarch, struct kconfig_symbol *syms, size_t n,
		   struct error *err)
{
	struct scan s = { .syms = syms, .n_syms = n, .block_deps = BUF_INIT };
	int ret = walk(&s, srcdir, "", srcarch, err);
	free(s.block);
	buf_release(&s.block_deps);
	while (s.n_nests)
		pop_nest(&s, NEST_IF);
	free(s.nests);
	return ret;
}

void kernel_kconfig_symbol_release(struct kconfig_symbol *s)
{
	free(s->name);
	free(s->depends);
	free(s->defined_at);
	for (size_t i = 0; i < s->n_selected_by; i++)
		free(s->selected_by[i]);
	free(s->selected_by);
	memset(s, 0, sizeof(*s));
}
