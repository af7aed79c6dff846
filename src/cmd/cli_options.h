/*
 * cli_options: the one option parser (after git's parse-options).  A
 * command declares its options in a table; the parser fills the struct the
 * table describes and prints the table as help, so an option cannot be
 * documented without existing, nor exist undocumented (unless its help
 * is NULL: hidden, like --list-options, which serves the docs test).
 *
 * Syntax, the same for every option: "--name VALUE", "--name=VALUE",
 * "-n VALUE", "-nVALUE"; flags as "--name", "-n", bundled as "-vv".
 */
#ifndef MVBUILD_CLI_OPTIONS_H
#define MVBUILD_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/error.h"

enum cli_option_type {
	CLI_OPTION_END = 0, /* ends a table */
	CLI_OPTION_FLAG,    /* bool at offset, set to true */
	CLI_OPTION_COUNT,   /* int at offset, one more each time (-v -v) */
	CLI_OPTION_STRING,  /* const char * at offset: the value as given (the last one wins) */
	CLI_OPTION_PARSE,   /* the value handed to parse(), which stores what it means */
};

struct cli_option {
	enum cli_option_type type;
	char short_name;        /* 'f' for -f, or 0 */
	const char *long_name;  /* "file" for --file */
	const char *arg;        /* the value's name in the help ("RECIPE"); NULL for flags */
	const char *help;       /* what it does ('\n' between lines); NULL hides the option */
	size_t offset;          /* where the value goes in the struct the table describes */
	/* CLI_OPTION_PARSE: store what value means in base (the whole struct); -1 with err */
	int (*parse)(void *base, const char *value, struct error *err);
};

#define OPT_FLAG(s, l, st, f, h) { CLI_OPTION_FLAG, s, l, NULL, h, offsetof(st, f), NULL }
#define OPT_COUNT(s, l, st, f, h) { CLI_OPTION_COUNT, s, l, NULL, h, offsetof(st, f), NULL }
#define OPT_STRING(s, l, a, st, f, h) { CLI_OPTION_STRING, s, l, a, h, offsetof(st, f), NULL }
#define OPT_PARSE(s, l, a, fn, h) { CLI_OPTION_PARSE, s, l, a, h, 0, fn }
#define OPT_END() { CLI_OPTION_END, 0, NULL, NULL, NULL, 0, NULL }

/* an option table and the struct it fills */
struct cli_option_set {
	const struct cli_option *options; /* ended by OPT_END; NULL for none */
	void *base;
};

/* true when word is an option word ("-x", "--x"; not "-" or "--") */
bool cli_options_word(const char *word);
/*
 * Parse the option word argv[*i] against the tables of sets[0..n) (the
 * value may be argv[*i + 1]; *i is left on the last word used).  0 when
 * taken; -1 with a usage error for an unknown option (with "did you mean"),
 * a missing or unwanted value, or a value parse() refused.
 */
int cli_options_take(const struct cli_option_set *sets, size_t n, int argc, char **argv, int *i,
		     struct error *err);
/*
 * How many words after the option word itself it uses when parsed against
 * table (0 or 1: a value not attached to it), or -1 when table lacks it.
 */
int cli_options_extra_words(const struct cli_option *table, const char *word);
/* print the visible options of table, one "  -f, --file RECIPE  help" block each */
void cli_options_print(FILE *out, const struct cli_option *table);
/* print "--name" (and "-n") of each visible option of table, one per line, after prefix */
void cli_options_list(FILE *out, const char *prefix, const struct cli_option *table);
/* true when o takes a value (--x V) */
bool cli_options_takes_value(const struct cli_option *o);
/* true when table has a visible option */
bool cli_options_any(const struct cli_option *table);

#endif
