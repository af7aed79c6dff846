/*
 * cli_options: parse one option word against a list of tables, print a
 * table as help (see cli_options.h).
 */
#include "cmd/cli_options.h"

#include <stdlib.h>
#include <string.h>

#include "base/suggest.h"
#include "base/util.h"

#define HELP_COLUMN 24 /* where an option's help text starts */

bool cli_options_word(const char *word)
{
	return word[0] == '-' && word[1] != '\0' && strcmp(word, "--") != 0;
}

static bool visible(const struct cli_option *o)
{
	return o->help != NULL;
}

bool cli_options_takes_value(const struct cli_option *o)
{
	return o->type == CLI_OPTION_STRING || o->type == CLI_OPTION_PARSE;
}

/* the options of a table, up to its end marker */
#define EACH_OPTION(o, table) \
	for (const struct cli_option *o = (table); o && o->type != CLI_OPTION_END; o++)

/* the option named name (len bytes) or with short name c, and the set it is in */
static const struct cli_option *find(const struct cli_option_set *sets, size_t n,
				     const char *name, size_t len, char c, void **base)
{
	for (size_t s = 0; s < n; s++) {
		EACH_OPTION(o, sets[s].options) {
			bool hit = name ? strlen(o->long_name) == len &&
						  strncmp(o->long_name, name, len) == 0
					: c && o->short_name == c;
			if (hit) {
				*base = sets[s].base;
				return o;
			}
		}
	}
	return NULL;
}

static int unknown(const struct cli_option_set *sets, size_t n, const char *word, size_t len,
		   struct error *err)
{
	char **names = NULL;
	size_t count = 0;
	for (size_t s = 0; s < n; s++) {
		EACH_OPTION(o, sets[s].options) {
			if (!visible(o))
				continue;
			names = xrealloc(names, (count + 1) * sizeof(*names));
			names[count++] = xasprintf("--%s", o->long_name);
		}
	}
	char *given = xstrndup(word, len);
	char *hint = suggest_did_you_mean(given, (const char *const *)names, count);
	error_usage(err, "unknown option '%s'%s", given, hint);
	free(hint);
	free(given);
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return -1;
}

/* store value (NULL for a flag) as o says; "given" names the option in errors */
static int apply(const struct cli_option *o, void *base, const char *given, const char *value,
		 struct error *err)
{
	char *slot = (char *)base + o->offset;
	switch (o->type) {
	case CLI_OPTION_FLAG:
		*(bool *)slot = true;
		return 0;
	case CLI_OPTION_COUNT:
		(*(int *)slot)++;
		return 0;
	case CLI_OPTION_STRING:
		*(const char **)slot = value;
		return 0;
	case CLI_OPTION_PARSE:
		if (o->parse(base, value, err) < 0)
			return error_prefix(err, "option '%s'", given);
		return 0;
	case CLI_OPTION_END:
		break;
	}
	return error_usage(err, "option '%s' is not handled", given);
}

static int take_long(const struct cli_option_set *sets, size_t n, int argc, char **argv, int *i,
		     struct error *err)
{
	const char *word = argv[*i], *name = word + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	void *base = NULL;
	const struct cli_option *o = find(sets, n, name, len, 0, &base);
	if (!o)
		return unknown(sets, n, word, len + 2, err);
	char *given = xstrndup(word, len + 2);
	const char *value = NULL;
	int ret = -1;
	if (!cli_options_takes_value(o) && eq)
		error_usage(err, "option '%s' takes no value", given);
	else if (cli_options_takes_value(o) && !eq && *i + 1 >= argc)
		error_usage(err, "option '%s' needs a value", given);
	else {
		if (cli_options_takes_value(o))
			value = eq ? eq + 1 : argv[++*i];
		ret = apply(o, base, given, value, err);
	}
	free(given);
	return ret;
}

static int take_short(const struct cli_option_set *sets, size_t n, int argc, char **argv, int *i,
		      struct error *err)
{
	const char *word = argv[*i];
	for (size_t k = 1; word[k]; k++) {
		char given[3] = { '-', word[k], '\0' };
		void *base = NULL;
		const struct cli_option *o = find(sets, n, NULL, 0, word[k], &base);
		if (!o && k > 1)
			return error_usage(err, "unknown option '%s' in '%s'", given, word);
		if (!o)
			return unknown(sets, n, word, strlen(word), err);
		if (!cli_options_takes_value(o)) {
			if (apply(o, base, given, NULL, err) < 0)
				return -1;
			continue;
		}
		const char *value = word[k + 1] ? word + k + 1 : NULL;
		if (!value && *i + 1 >= argc)
			return error_usage(err, "option '%s' needs a value", given);
		return apply(o, base, given, value ? value : argv[++*i], err);
	}
	return 0;
}

int cli_options_take(const struct cli_option_set *sets, size_t n, int argc, char **argv, int *i,
		     struct error *err)
{
	return argv[*i][1] == '-' ? take_long(sets, n, argc, argv, i, err)
				  : take_short(sets, n, argc, argv, i, err);
}

int cli_options_extra_words(const struct cli_option *table, const char *word)
{
	struct cli_option_set set = { table, NULL };
	void *base;
	const struct cli_option *o;
	if (word[1] == '-') {
		const char *name = word + 2, *eq = strchr(name, '=');
		o = find(&set, 1, name, eq ? (size_t)(eq - name) : strlen(name), 0, &base);
		return !o ? -1 : cli_options_takes_value(o) && !eq;
	}
	for (size_t k = 1; word[k]; k++) {
		if (!(o = find(&set, 1, NULL, 0, word[k], &base)))
			return -1;
		if (cli_options_takes_value(o))
			return word[k + 1] == '\0';
	}
	return 0;
}

void cli_options_print(FILE *out, const struct cli_option *table)
{
	EACH_OPTION(o, table) {
		if (!visible(o))
			continue;
		char *left = o->short_name
			? xasprintf("  -%c, --%s%s%s", o->short_name, o->long_name, o->arg ? " " : "",
				    o->arg ? o->arg : "")
			: xasprintf("      --%s%s%s", o->long_name, o->arg ? " " : "",
				    o->arg ? o->arg : "");
		int pad = HELP_COLUMN - (int)strlen(left);
		fputs(left, out);
		if (pad < 2) {
			fputc('\n', out);
			pad = HELP_COLUMN;
		}
		for (const char *line = o->help; *line;) {
			size_t len = strcspn(line, "\n");
			fprintf(out, "%*s%.*s\n", pad, "", (int)len, line);
			pad = HELP_COLUMN;
			line += len + (line[len] == '\n');
		}
		free(left);
	}
}

void cli_options_list(FILE *out, const char *prefix, const struct cli_option *table)
{
	EACH_OPTION(o, table) {
		if (!visible(o))
			continue;
		fprintf(out, "%s--%s\n", prefix, o->long_name);
		if (o->short_name)
			fprintf(out, "%s-%c\n", prefix, o->short_name);
	}
}

bool cli_options_any(const struct cli_option *table)
{
	EACH_OPTION(o, table)
		if (visible(o))
			return true;
	return false;
}
