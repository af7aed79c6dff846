/*
 * cli: the command table, the global options, and the helpers every command
 * file (cmd_*.c) shares.  A command is one `struct command`: its options
 * (parsed by cli_options before it runs), its help, and what it needs set
 * up (recipe, cache, engine), which cli_main does once for every command.
 */
#ifndef MVBUILD_CLI_H
#define MVBUILD_CLI_H

#include "cmd/cli_options.h"
#include "engine/context.h"
#include "base/error.h"

/* exit statuses */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* what cli_main sets up before a command runs (struct command.needs) */
enum cli_needs {
	NEEDS_RECIPE = 1 << 0, /* ctx->recipe loaded */
	NEEDS_CACHE = 1 << 1,  /* ctx->cache, ctx->memo and ctx->remote open */
	NEEDS_ENGINE = 1 << 2, /* args->engine made (with the recipe's nodes when loaded) */
};

struct engine;
struct buf;
struct node;
struct build_input;

/* what cli_main hands a command */
struct cli_args {
	void *opts;            /* the command's option struct, filled from its table */
	char **words;          /* the words that are not options, in order */
	size_t n_words;
	struct engine *engine; /* made for NEEDS_ENGINE (or by cli_setup), else NULL */
};

struct command {
	const char *name;                 /* "build" */
	const char *args;                 /* "[TARGET...]": its other words, for the usage line */
	const char *summary;              /* one line for `mvbuild --help` */
	const char *help;                 /* the description for `mvbuild COMMAND --help` */
	const struct cli_option *options; /* its own options, or NULL */
	size_t opts_size;                 /* size of the struct those options fill */
	int min_words, max_words;         /* how many other words it takes (max -1: any) */
	unsigned needs;                   /* enum cli_needs */
	int (*run)(struct mvctx *ctx, struct cli_args *args); /* returns the exit status */
};

/* load ctx->recipe_path into ctx->recipe; -1 with err */
int cli_load_recipe(struct mvctx *ctx, struct error *err);
/* open ctx->cache_dir into ctx->cache (and the digest memo); -1 with err */
int cli_open_cache(struct mvctx *ctx, struct error *err);
/* set up what needs (enum cli_needs) asks for, for a command that decides late; -1 with err */
int cli_setup(struct mvctx *ctx, struct cli_args *args, unsigned needs, struct error *err);
/* print "mvbuild: MESSAGE" once and return the exit status for err's kind */
int cli_fail(struct mvctx *ctx, struct error *err);
/*
 * End the JSON object in b (started with '{' and filled with json_add_member_*)
 * and print it as one line on standard output, the --json form of a
 * result; b is released.  -1 when standard output fails.
 */
int cli_print_json(struct buf *b);
/* print one output of a built target: "TARGET OUTPUT PATH", or its JSON result */
void cli_print_output(const struct mvctx *ctx, const struct node *target,
		      const struct build_input *out);
/* print a usage error for cmd (an "error" event with --json) and return EXIT_USAGE */
int cli_usage(struct mvctx *ctx, const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* the table entry for name, or NULL with a usage error (and a "did you mean") */
const struct command *cli_find_command(const char *name, struct error *err);
/* print `mvbuild --help` (cmd NULL) or `mvbuild COMMAND --help` on out */
void cli_print_help(FILE *out, const struct command *cmd);
/* run cmd on ctx as it is, with argv its own options and words (argv[0]: its name) */
int cli_run(struct mvctx *ctx, const struct command *cmd, int argc, char **argv);
/* the command table, in help order; returns its length */
size_t cli_commands(const struct command *const **table);
/* the global options' table */
const struct cli_option *cli_global_options(void);
/* the command-line entry point (main.c) */
int cli_main(int argc, char **argv);

/* the commands, one file each */
extern const struct command command_build, command_run, command_fetch, command_check,
	command_explain, command_graph, command_path, command_gc, command_cache, command_env,
	command_net, command_kernel, command_key, command_completion, command_help,
	command_version;

#endif
