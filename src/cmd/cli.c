/*
 * cli: the command table, the global options and dispatch.  cli_main parses
 * the whole command line with one parser (cli_options): global options may
 * appear before or after the command name, the command's own after it, and
 * "--" ends the options.  It then does the preamble the command's entry
 * asks for (recipe, cache, engine) and runs it.
 */
#include "cmd/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "recipe/config.h"
#include "engine/digest_memo.h"
#include "engine/engine.h"
#include "base/json.h"
#include "base/interrupt.h"
#include "base/progress.h"
#include "recipe/recipe_load.h"
#include "cache/remote.h"
#include "base/suggest.h"
#include "base/util.h"

static const struct command *const commands[] = {
	&command_build, &command_run, &command_fetch, &command_check, &command_explain,
	&command_graph, &command_path, &command_gc, &command_cache, &command_env,
	&command_net, &command_kernel, &command_key, &command_completion, &command_help,
	&command_version,
};

/* what the global options fill: the context, and the requests answered without a command */
struct cli_state {
	struct mvctx ctx;
	bool help;         /* -h, --help */
	bool version;      /* -V, --version */
	bool list_options; /* --list-options (hidden): every option, for tests/e2e/cli_options.sh */
};

static int parse_jobs(void *base, const char *v, struct error *err)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < 1 || n > 1024)
		return error_usage(err, "want a job count from 1 to 1024, not '%s'", v);
	/* an explicit -j bounds the transfers too: -j 1 is one thing at a time */
	((struct cli_state *)base)->ctx.jobs = (int)n;
	((struct cli_state *)base)->ctx.transfers = (int)n;
	return 0;
}

static void add_mirror(struct mvctx *ctx, const char *url)
{
	ctx->mirrors = xrealloc(ctx->mirrors, (ctx->n_mirrors + 1) * sizeof(*ctx->mirrors));
	ctx->mirrors[ctx->n_mirrors++] = xstrdup(url);
}

static int parse_mirror(void *base, const char *v, struct error *err)
{
	add_mirror(&((struct cli_state *)base)->ctx, v);
	return 0;
}

static const struct cli_option global_options[] = {
	OPT_STRING('f', "file", "RECIPE", struct cli_state, ctx.recipe_path,
		"the recipe (default: mvbuild.yaml)"),
	OPT_STRING(0, "cache", "DIR", struct cli_state, ctx.cache_dir,
		"the cache (default: $MVBUILD_CACHE, else the\nconfig's cache_dir, else ./cache)"),
	OPT_PARSE('j', "jobs", "N", parse_jobs,
		"nodes built at once (default: number of cores),\nand remote transfers (default: 16)"),
	OPT_PARSE(0, "mirror", "URL", parse_mirror,
		"try URL/<digest> and URL/<file name> first\n(repeatable; also $MVBUILD_MIRROR, "
		"space-separated)"),
	OPT_STRING(0, "remote", "URL", struct cli_state, ctx.remote_flag,
		"a shared cache to read: http(s)://HOST/PATH, or\ns3://BUCKET/PREFIX in object storage (also\n$MVBUILD_REMOTE)"),
	OPT_FLAG(0, "remote-upload", struct cli_state, ctx.remote_upload_flag,
		"also upload what is built or found locally\n(needs a signing key; also "
		"$MVBUILD_REMOTE_UPLOAD=1)"),
	OPT_STRING(0, "config", "FILE", struct cli_state, ctx.config_path,
		"machine settings (default\n$XDG_CONFIG_HOME/mvbuild/config.yaml)"),
	OPT_FLAG(0, "json", struct cli_state, ctx.json,
		"results as JSON lines on stdout, events and\nerrors as JSON lines on stderr "
		"(docs/json.md)"),
	OPT_COUNT('v', "verbose", struct cli_state, ctx.verbose, "more detail (repeatable)"),
	OPT_FLAG('h', "help", struct cli_state, help,
		"this help; 'mvbuild help COMMAND' or\n'mvbuild COMMAND --help' for a command's"),
	OPT_FLAG('V', "version", struct cli_state, version, "print the version"),
	OPT_FLAG(0, "list-options", struct cli_state, list_options, NULL),
	OPT_END(),
};

static void print_usage_line(FILE *out, const struct command *cmd)
{
	fprintf(out, "usage: mvbuild %s%s%s%s\n", cmd->name,
		cli_options_any(cmd->options) ? " [options]" : "", *cmd->args ? " " : "", cmd->args);
}

void cli_print_help(FILE *out, const struct command *cmd)
{
	if (cmd) {
		print_usage_line(out, cmd);
		fprintf(out, "\n%s\n", cmd->summary);
		if (cmd->help)
			fprintf(out, "\n%s", cmd->help);
		if (cli_options_any(cmd->options)) {
			fputs("\noptions:\n", out);
			cli_options_print(out, cmd->options);
		}
		fputs("\nThe global options (-f, --cache, -j, --json, -v, ...) are in "
		      "'mvbuild --help'.\n", out);
		return;
	}
	fputs("usage: mvbuild [options] COMMAND [ARGS...]\n"
	      "\n"
	      "Build microVM kernels, root images and launch configs from a recipe.\n"
	      "Options may come before or after COMMAND.\n"
	      "\n"
	      "options:\n", out);
	cli_options_print(out, global_options);
	fputs("\ncommands:\n", out);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-9s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\n'mvbuild help COMMAND' shows a command's own options.\n"
	      "exit status: 0 success, 1 build or run failure, 2 usage or recipe error\n", out);
}

size_t cli_commands(const struct command *const **table)
{
	*table = commands;
	return ARRAY_SIZE(commands);
}

const struct cli_option *cli_global_options(void)
{
	return global_options;
}

/* every visible option, "global --cache" and "gc --max-size", for the docs test */
static void list_options(void)
{
	cli_options_list(stdout, "global ", global_options);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		char *prefix = xasprintf("%s ", commands[i]->name);
		cli_options_list(stdout, prefix, commands[i]->options);
		free(prefix);
	}
}

const struct command *cli_find_command(const char *name, struct error *err)
{
	const char *names[ARRAY_SIZE(commands)];
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
		names[i] = commands[i]->name;
	}
	char *hint = suggest_hint(name, names, ARRAY_SIZE(names), "commands");
	error_usage(err, "unknown command '%s'%s", name, hint);
	free(hint);
	return NULL;
}

/* print err once, through the reporter (a JSON event with --json) */
static void print_error(struct mvctx *ctx, const struct error *err, int status)
{
	if (ctx->progress) {
		progress_error(ctx->progress, err, status);
		return;
	}
	/* before the reporter exists (the command line, the machine settings) */
	struct progress *p = progress_new(stderr, false, ctx->json, 0);
	progress_error(p, err, status);
	progress_free(p);
}

int cli_fail(struct mvctx *ctx, struct error *err)
{
	int status = err->kind == ERROR_USAGE ? EXIT_USAGE
		   : err->kind == ERROR_INTERRUPTED ? interrupt_exit_status() : EXIT_FAIL;
	print_error(ctx, err, status);
	error_release(err);
	return status;
}

int cli_usage(struct mvctx *ctx, const struct command *cmd, const char *fmt, ...)
{
	struct error err = ERROR_INIT;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (ctx->json) {
		error_usage(&err, "%s", msg);
		cli_fail(ctx, &err);
	} else {
		fprintf(stderr, "mvbuild %s: %s\n", cmd->name, msg);
		print_usage_line(stderr, cmd);
	}
	free(msg);
	return EXIT_USAGE;
}

void cli_print_output(const struct mvctx *ctx, const struct node *target,
		      const struct build_input *out)
{
	if (!ctx->json) {
		printf("%s %s %s\n", target->id, out->output, out->path);
		return;
	}
	struct buf b = BUF_INIT;
	buf_addc(&b, '{');
	json_add_member_string(&b, "target", target->id);
	json_add_member_string(&b, "output", out->output);
	json_add_member_string(&b, "path", out->path);
	json_add_member_string(&b, "sha256", out->digest);
	cli_print_json(&b);
}

int cli_print_json(struct buf *b)
{
	buf_adds(b, "}\n");
	fputs(b->data, stdout);
	buf_release(b);
	return fflush(stdout) == 0 ? 0 : -1;
}

int cli_load_recipe(struct mvctx *ctx, struct error *err)
{
	if (ctx->recipe)
		return 0;
	struct recipe *r = xcalloc(1, sizeof(*r));
	struct recipe_trust trust;
	config_trust(ctx->config, &trust);
	if (recipe_load_trusted(r, ctx->recipe_path, &trust, err) < 0) {
		recipe_release(r);
		free(r);
		return -1;
	}
	ctx->recipe = r;
	return 0;
}

int cli_open_cache(struct mvctx *ctx, struct error *err)
{
	if (ctx->cache)
		return 0;
	if (cache_open(&ctx->cache, ctx->cache_dir, err) < 0) {
		/* say how to pick another: the default ./cache may be the surprise */
		char *msg = xstrdup(err->msg);
		error_setk(err, err->kind, "%s (choose another cache with --cache DIR or "
			   "MVBUILD_CACHE=DIR)", msg);
		free(msg);
		return -1;
	}
	ctx->memo = digest_memo_open(cache_root(ctx->cache));
	return remote_open(&ctx->remote, ctx->config, ctx->progress, err);
}

int cli_setup(struct mvctx *ctx, struct cli_args *args, unsigned needs, struct error *err)
{
	if ((needs & NEEDS_RECIPE) && cli_load_recipe(ctx, err) < 0)
		return -1;
	if ((needs & NEEDS_CACHE) && cli_open_cache(ctx, err) < 0)
		return -1;
	if ((needs & NEEDS_ENGINE) && !args->engine)
		args->engine = engine_new(ctx);
	return 0;
}

/* the command's option struct, zeroed, and the set its table fills */
static void start_command(const struct command *cmd, struct cli_args *args,
			  struct cli_option_set *set)
{
	args->opts = xcalloc(1, cmd->opts_size ? cmd->opts_size : 1);
	*set = (struct cli_option_set){ cmd->options, args->opts };
}

/* the words after an option word that some command's option uses, or -1: none has it */
static int command_option_extra_words(const char *word)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		int n = cli_options_extra_words(commands[i]->options, word);
		if (n >= 0)
			return n;
	}
	return -1;
}

/*
 * Split argv into options (filled through sets[0..n_sets) and, once the
 * command name is seen, the command's table, appended to sets) and the
 * command's other words.  A command's option before its name waits for it.
 * When *cmd is set already, every word is its.  -1 with a usage error;
 * *cmd is set as soon as the command name is seen.
 */
static int parse_command_line(struct cli_option_set *sets, size_t n_sets, int argc, char **argv,
			      const struct command **cmd, struct cli_args *args, struct error *err)
{
	bool options_end = false;
	int *early = xcalloc((size_t)argc + 1, sizeof(*early)), n_early = 0, extra, ret = -1;
	args->words = xcalloc((size_t)argc + 1, sizeof(*args->words));
	for (int i = 1; i < argc; i++) {
		if (!options_end && strcmp(argv[i], "--") == 0) {
			options_end = true;
		} else if (!options_end && cli_options_word(argv[i]) && !*cmd &&
			   cli_options_extra_words(sets[0].options, argv[i]) < 0 &&
			   (extra = command_option_extra_words(argv[i])) >= 0) {
			early[n_early++] = i;
			i += extra;
		} else if (!options_end && cli_options_word(argv[i])) {
			if (cli_options_take(sets, n_sets, argc, argv, &i, err) < 0)
				goto out;
		} else if (*cmd) {
			args->words[args->n_words++] = argv[i];
		} else {
			if (!(*cmd = cli_find_command(argv[i], err)))
				goto out;
			start_command(*cmd, args, &sets[n_sets++]);
			for (int k = 0; k < n_early; k++)
				if (cli_options_take(&sets[n_sets - 1], 1, argc, argv, &early[k], err) < 0)
					goto out;
		}
	}
	ret = 0;
out:
	free(early);
	return ret;
}

static int check_word_count(struct mvctx *ctx, const struct command *cmd,
			    const struct cli_args *args)
{
	if (args->n_words < (size_t)cmd->min_words)
		return cli_usage(ctx, cmd, "expected %s", cmd->args);
	if (cmd->max_words >= 0 && args->n_words > (size_t)cmd->max_words)
		return cli_usage(ctx, cmd, "unexpected argument '%s'", args->words[cmd->max_words]);
	return 0;
}

static void env_mirrors(struct mvctx *ctx)
{
	const char *env = getenv("MVBUILD_MIRROR");
	if (!env)
		return;
	char *copy = xstrdup(env), *save = NULL;
	for (char *tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
		add_mirror(ctx, tok);
	free(copy);
}

/*
 * Settle the machine settings: flags beat the environment, which beats the
 * config file, which beats the defaults.
 */
static int load_settings(struct mvctx *ctx, struct error *err)
{
	ctx->config = xcalloc(1, sizeof(*ctx->config));
	if (config_load(ctx->config, ctx->config_path, err) < 0)
		return -1;
	if (ctx->remote_flag) {
		free(ctx->config->remote_url);
		ctx->config->remote_url = xstrdup(ctx->remote_flag);
	}
	if (ctx->remote_upload_flag)
		ctx->config->remote_upload = true;
	if (!ctx->cache_dir) {
		const char *env = getenv("MVBUILD_CACHE");
		ctx->cache_dir = env && *env ? env
			       : ctx->config->cache_dir ? ctx->config->cache_dir : "cache";
	}
	/* the command line's mirrors (--mirror) come before the environment's */
	env_mirrors(ctx);
	return 0;
}

static void ctx_release(struct mvctx *ctx)
{
	remote_close(ctx->remote);
	digest_memo_close(ctx->memo);
	cache_close(ctx->cache);
	if (ctx->recipe) {
		recipe_release(ctx->recipe);
		free(ctx->recipe);
	}
	progress_free(ctx->progress);
	if (ctx->config) {
		config_release(ctx->config);
		free(ctx->config);
	}
	for (size_t i = 0; i < ctx->n_mirrors; i++)
		free(ctx->mirrors[i]);
	free(ctx->mirrors);
}

/* run cmd with its parsed arguments, after the preamble its entry asks for */
static int run_parsed(struct mvctx *ctx, const struct command *cmd, struct cli_args *args)
{
	struct error err = ERROR_INIT;
	int status = check_word_count(ctx, cmd, args);
	if (status)
		return status;
	if (cli_setup(ctx, args, cmd->needs, &err) < 0)
		return cli_fail(ctx, &err);
	return cmd->run(ctx, args);
}

static void args_release(struct cli_args *args)
{
	engine_free(args->engine);
	free(args->opts);
	free(args->words);
}

int cli_run(struct mvctx *ctx, const struct command *cmd, int argc, char **argv)
{
	struct cli_option_set set;
	struct cli_args args = { 0 };
	struct error err = ERROR_INIT;
	int status;
	start_command(cmd, &args, &set);
	if (parse_command_line(&set, 1, argc, argv, &cmd, &args, &err) < 0) {
		status = cli_usage(ctx, cmd, "%s", err.msg);
		error_release(&err);
	} else {
		status = run_parsed(ctx, cmd, &args);
	}
	args_release(&args);
	return status;
}

/* settle the context (machine settings, progress), then run cmd */
static int run_command(struct mvctx *ctx, const struct command *cmd, struct cli_args *args)
{
	struct error err = ERROR_INIT;
	ctx->progress = progress_new(stderr, isatty(STDERR_FILENO), ctx->json, ctx->verbose);
	if (load_settings(ctx, &err) < 0) {
		cli_fail(ctx, &err);
		return EXIT_USAGE; /* a bad machine config is a usage error, whatever failed */
	}
	return run_parsed(ctx, cmd, args);
}

int cli_main(int argc, char **argv)
{
	struct cli_state st = { .ctx.recipe_path = "mvbuild.yaml" };
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	st.ctx.jobs = cores > 0 ? (int)cores : 1;
	st.ctx.transfers = CONTEXT_TRANSFERS;
	const struct command *cmd = NULL;
	struct cli_args args = { 0 };
	struct error err = ERROR_INIT;
	int status = EXIT_OK;

	struct cli_option_set sets[2] = { { global_options, &st } };
	if (parse_command_line(sets, 1, argc, argv, &cmd, &args, &err) < 0) {
		if (cmd)
			status = cli_usage(&st.ctx, cmd, "%s", err.msg);
		else
			status = cli_fail(&st.ctx, &err);
		error_release(&err);
	} else if (st.list_options) {
		list_options();
	} else if (st.version) {
		printf("mvbuild %s\n", MVBUILD_VERSION);
	} else if (st.help) {
		cli_print_help(stdout, cmd);
	} else if (!cmd) {
		cli_print_help(stderr, NULL);
		status = EXIT_USAGE;
	} else {
		status = run_command(&st.ctx, cmd, &args);
	}
	args_release(&args);
	ctx_release(&st.ctx);
	return status;
}
