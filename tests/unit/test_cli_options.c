/*
 * cli_options and suggest: every spelling of an option fills the same
 * field, errors name the option as written, and "did you mean" picks the
 * closest name or lists them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli_options.h"
#include "base/suggest.h"
#include "tap.h"
#include "base/util.h"

struct opts {
	const char *file;
	bool json;
	int verbose;
	int jobs;
};

static int parse_jobs(void *base, const char *v, struct error *err)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < 1)
		return error_usage(err, "want a job count, not '%s'", v);
	((struct opts *)base)->jobs = (int)n;
	return 0;
}

static const struct cli_option table[] = {
	OPT_STRING('f', "file", "RECIPE", struct opts, file, "the recipe"),
	OPT_FLAG(0, "json", struct opts, json, "JSON events"),
	OPT_COUNT('v', "verbose", struct opts, verbose, "more detail"),
	OPT_PARSE('j', "jobs", "N", parse_jobs, "jobs\nat once"),
	OPT_FLAG(0, "hidden", struct opts, json, NULL),
	OPT_END(),
};

/* parse every word of argv (NULL-ended); returns 0 or -1 and the error in *msg */
static int parse(struct opts *o, char **argv, char **msg)
{
	struct cli_option_set set = { table, o };
	struct error err = ERROR_INIT;
	int argc = 0;
	while (argv[argc])
		argc++;
	memset(o, 0, sizeof(*o));
	*msg = NULL;
	for (int i = 0; i < argc; i++) {
		if (!cli_options_word(argv[i]))
			continue;
		if (cli_options_take(&set, 1, argc, argv, &i, &err) < 0) {
			*msg = xstrdup(err.msg);
			error_release(&err);
			return -1;
		}
	}
	return 0;
}

static int extra(const char *word)
{
	return cli_options_extra_words(table, word);
}

int main(void)
{
	struct opts o;
	char *msg;

	char *a1[] = { "--file", "r.yaml", NULL };
	ok(parse(&o, a1, &msg) == 0 && o.file && strcmp(o.file, "r.yaml") == 0, "--file VALUE");
	char *a2[] = { "--file=r.yaml", NULL };
	ok(parse(&o, a2, &msg) == 0 && strcmp(o.file, "r.yaml") == 0, "--file=VALUE");
	char *a3[] = { "-f", "r.yaml", NULL };
	ok(parse(&o, a3, &msg) == 0 && strcmp(o.file, "r.yaml") == 0, "-f VALUE");
	char *a4[] = { "-fr.yaml", NULL };
	ok(parse(&o, a4, &msg) == 0 && strcmp(o.file, "r.yaml") == 0, "-fVALUE");
	char *a5[] = { "--file=", NULL };
	ok(parse(&o, a5, &msg) == 0 && strcmp(o.file, "") == 0, "--file= is an empty value");
	char *a6[] = { "-vv", "--verbose", "-j4", NULL };
	ok(parse(&o, a6, &msg) == 0 && o.verbose == 3 && o.jobs == 4, "-vv --verbose counts 3, -j4");
	char *a7[] = { "-vj", "2", NULL };
	ok(parse(&o, a7, &msg) == 0 && o.verbose == 1 && o.jobs == 2, "-vj 2: a flag, then a value");
	char *a8[] = { "--json", NULL };
	ok(parse(&o, a8, &msg) == 0 && o.json, "--json sets the flag");

	char *b1[] = { "--file", NULL };
	ok(parse(&o, b1, &msg) < 0, "a missing value fails");
	is_str(msg, "option '--file' needs a value", "and says so");
	free(msg);
	char *b2[] = { "--json=1", NULL };
	ok(parse(&o, b2, &msg) < 0, "a flag with a value fails");
	is_str(msg, "option '--json' takes no value", "and says so");
	free(msg);
	char *b3[] = { "--fiel", "x", NULL };
	ok(parse(&o, b3, &msg) < 0, "an unknown option fails");
	is_str(msg, "unknown option '--fiel' (did you mean '--file'?)", "with a suggestion");
	free(msg);
	char *b4[] = { "--jobs=many", NULL };
	ok(parse(&o, b4, &msg) < 0, "a value parse() refuses fails");
	is_str(msg, "option '--jobs': want a job count, not 'many'", "naming the option as written");
	free(msg);
	char *b5[] = { "-vx", NULL };
	ok(parse(&o, b5, &msg) < 0, "an unknown short option in a bundle fails");
	is_str(msg, "unknown option '-x' in '-vx'", "naming the bundle");
	free(msg);
	char *b6[] = { "--hidde", NULL };
	ok(parse(&o, b6, &msg) < 0, "a hidden option is not suggested");
	is_str(msg, "unknown option '--hidde'", "no suggestion for it");
	free(msg);
	char *b7[] = { "--hidden", NULL };
	ok(parse(&o, b7, &msg) == 0 && o.json, "but it is accepted");
	ok(!cli_options_word("-") && !cli_options_word("--") && !cli_options_word("x") &&
	   cli_options_word("-x") && cli_options_word("--x"), "option words: not '-', '--' or a word");

	ok(extra("--file") == 1 && extra("--file=x") == 0 && extra("-f") == 1 && extra("-fx") == 0 &&
	   extra("-vj") == 1 && extra("--json") == 0 && extra("--nosuch") == -1 && extra("-x") == -1,
	   "extra words: 1 for a value in the next word, 0 attached or a flag, -1 unknown");

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cli_options_print(f, table);
	cli_options_list(f, "x ", table);
	fclose(f);
	is_str(text, "  -f, --file RECIPE     the recipe\n"
		     "      --json            JSON events\n"
		     "  -v, --verbose         more detail\n"
		     "  -j, --jobs N          jobs\n"
		     "                        at once\n"
		     "x --file\nx -f\nx --json\nx --verbose\nx -v\nx --jobs\nx -j\n",
	       "the help and the list come from the table, without the hidden option");
	free(text);

	const char *names[] = { "build", "run", "fetch", "check" };
	is_str(suggest_closest("biuld", names, 4), "build", "a swap is one edit");
	ok(suggest_closest("zzzzz", names, 4) == NULL, "nothing close: NULL");
	is_str(suggest_closest("rn", names, 4), "run", "a short word matches within one edit");
	ok(suggest_closest("rx", names, 4) == NULL, "but not two");
	char *hint = suggest_hint("zzzzz", names, 4, "commands");
	is_str(hint, " (commands: build, run, fetch, check)", "nothing close: the list");
	free(hint);
	hint = suggest_hint("fecth", names, 4, "commands");
	is_str(hint, " (did you mean 'fetch'?)", "something close: did you mean");
	free(hint);
	hint = suggest_hint("x", names, 0, "commands");
	is_str(hint, "", "no names: nothing");
	free(hint);
	return tap_done();
}
