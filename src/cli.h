/*
 * cli: the command table, global options, and the helpers every command
 * file (cmd_*.c) shares: loading the recipe, opening the cache, printing an
 * error once and turning it into an exit status.
 */
#ifndef MVBUILD_CLI_H
#define MVBUILD_CLI_H

#include "context.h"
#include "error.h"

/* exit statuses */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct command {
	const char *name;      /* "build" */
	const char *args;      /* "[TARGET...]" for the usage line */
	const char *summary;   /* one line for `mvbuild --help` */
	const char *help;      /* the full text for `mvbuild COMMAND --help` */
	int (*run)(struct mvctx *ctx, int argc, char **argv); /* returns the exit status */
};

/* load ctx->recipe_path into ctx->recipe; -1 with err */
int cli_load_recipe(struct mvctx *ctx, struct error *err);
/* open ctx->cache_dir into ctx->cache (and the digest memo); -1 with err */
int cli_open_cache(struct mvctx *ctx, struct error *err);
struct engine;
struct node;
/*
 * Load the recipe, open the cache and make the engine, then resolve the
 * targets (none: every top-level node).  *targets is allocated.  -1 with err.
 */
int cli_prepare_engine(struct mvctx *ctx, char *const *names, size_t n_names, struct engine **e,
		       struct node ***targets, size_t *n_targets, struct error *err);
/* print "mvbuild: MESSAGE" once and return the exit status for err's kind */
int cli_fail(struct mvctx *ctx, struct error *err);
/* print a usage error for cmd and return EXIT_USAGE */
int cli_usage(const struct command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * If argv[*i] is one of the value options names[0..n) ("--x VALUE" or
 * "--x=VALUE"), store its value in *slots[k] and return 1, leaving *i on
 * the last word used; return 0 when it is none of them; print a usage
 * error and return -1 when its value is missing.
 */
int cli_value_option(const struct command *cmd, int argc, char **argv, int *i,
		     const char *const *names, const char **const *slots, size_t n);
/* true when argv holds -h or --help (and prints the command's help) */
int cli_wants_help(const struct command *cmd, int argc, char **argv);
/* the table entry for name, or NULL */
const struct command *cli_find_command(const char *name);

/* the commands, one file each */
int cmd_build(struct mvctx *ctx, int argc, char **argv);
int cmd_run(struct mvctx *ctx, int argc, char **argv);
int cmd_fetch(struct mvctx *ctx, int argc, char **argv);
int cmd_check(struct mvctx *ctx, int argc, char **argv);
int cmd_explain(struct mvctx *ctx, int argc, char **argv);
int cmd_graph(struct mvctx *ctx, int argc, char **argv);
int cmd_path(struct mvctx *ctx, int argc, char **argv);
int cmd_gc(struct mvctx *ctx, int argc, char **argv);
int cmd_cache(struct mvctx *ctx, int argc, char **argv);
int cmd_env(struct mvctx *ctx, int argc, char **argv);
int cmd_net(struct mvctx *ctx, int argc, char **argv);
int cmd_kernel(struct mvctx *ctx, int argc, char **argv);
int cmd_key(struct mvctx *ctx, int argc, char **argv);

#endif
