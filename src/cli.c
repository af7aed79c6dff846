/*
 * cli: global options, the command table and dispatch.  Global options may
 * appear before or after the command name; everything else is handed to
 * the command.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "config.h"
#include "digest_memo.h"
#include "engine.h"
#include "progress.h"
#include "recipe.h"
#include "remote.h"
#include "util.h"

static const struct command commands[] = {
	{ "build", "[TARGET...]", "build targets (default: all) into the cache",
	  "Build each TARGET and whatever it needs, reusing cached outputs.\n"
	  "TARGET is kernel:NAME, image:NAME, profile:NAME, source:NAME, or a NAME\n"
	  "that is unique.  Prints each target's output paths on standard output.\n",
	  cmd_build },
	{ "run", "PROFILE [--mem N] [--cpus N] [--init PATH] [--append ARGS] [--tap NAME] "
		 "[--accel kvm|tcg] [--hypervisor qemu|firecracker]",
	  "build what is stale, then boot a profile",
	  "Bring the profile's kernel, image and launch config up to date, copy the\n"
	  "image into a run directory (the cached image is never written; with\n"
	  "persist: true the copy is kept until the image is rebuilt), and start the\n"
	  "hypervisor with the console on this terminal.  Exits with the hypervisor's\n"
	  "status when the guest powers off; Ctrl-C or SIGTERM stops the VM.\n"
	  "\n"
	  "  --mem N, --cpus N     memory in MiB and vCPUs instead of the profile's\n"
	  "  --init PATH           the guest's init\n"
	  "  --append ARGS         extra kernel command-line arguments\n"
	  "  --tap NAME            attach a virtio-net device on host tap NAME\n"
	  "  --accel kvm|tcg       qemu accelerator (default: KVM when /dev/kvm works,\n"
	  "                        else TCG; the choice is printed)\n"
	  "  --hypervisor H        qemu or firecracker instead of the profile's\n"
	  "Overrides make a variant of the profile with its own cached launch config.\n",
	  cmd_run },
	{ "fetch", "[--print-checksums] [SOURCE...]", "download sources without building",
	  "Bring each SOURCE (NAME or source:NAME; default: every source) into the\n"
	  "cache, trying mirrors (--mirror, $MVBUILD_MIRROR) and then the recipe's\n"
	  "urls in order, and verifying the declared checksum.  A source already\n"
	  "cached under its checksum is not downloaded.\n"
	  "  --print-checksums  print 'NAME sha256 HEX' and 'NAME sha512 HEX' per source;\n"
	  "                     with URLs instead of names, download each to a temp\n"
	  "                     file and print 'URL sha256 HEX' and 'URL sha512 HEX'\n"
	  "Limits: $MVBUILD_FETCH_TIMEOUT, $MVBUILD_FETCH_LOW_SPEED_TIME,\n"
	  "$MVBUILD_FETCH_MAX_SIZE, $MVBUILD_FETCH_RETRIES (see docs/sources.md).\n",
	  cmd_fetch },
	{ "check", "", "load and validate the recipe",
	  "Load the recipe and everything it includes, check every key, type and\n"
	  "reference, and print a one-line summary.  Exit 0 when valid, 2 when not.\n",
	  cmd_check },
	{ "explain", "TARGET", "say whether a target is up to date, and what changed",
	  "Compare TARGET's inputs with those of its last build and print each\n"
	  "difference, or that it is up to date.  Exit 0 either way.\n",
	  cmd_explain },
	{ "graph", "", "print the dependency graph in Graphviz dot",
	  "Print the recipe's dependency graph in Graphviz dot on standard output.\n",
	  cmd_graph },
	{ "path", "TARGET", "print the cached output paths of a built target",
	  "Print the cache paths of TARGET's outputs, one 'NAME PATH' per line.\n"
	  "Exit 1 when TARGET is not built.\n",
	  cmd_path },
	{ "gc", "[--max-size SIZE] [--max-age DAYS]", "remove old cache entries and temp files",
	  "Remove stale scratch files and the run directories of runs that are\n"
	  "gone, then least-recently-used cache entries until the cache is at\n"
	  "most SIZE (default: cache max_size in the config) and no entry is\n"
	  "older than DAYS.  Entries that a running build holds are never removed.\n",
	  cmd_gc },
	{ "cache", "verify | import FILE...", "verify the cache, or import files by digest",
	  "cache verify        rehash every blob; exit 1 when any is corrupt\n"
	  "cache import FILE…  store files by digest, so a source whose checksum\n"
	  "                    matches is satisfied without a download\n",
	  cmd_cache },
	{ "env", "", "show paths, tool versions and whether KVM is usable",
	  "Print the resolved recipe and cache paths, the versions of qemu,\n"
	  "firecracker, e2fsprogs, gcc, make and the libraries, and whether\n"
	  "/dev/kvm is usable.\n",
	  cmd_env },
	{ "net", "up TAP [--user USER] [--addr CIDR | --bridge BR] | down TAP",
	  "create or remove a tap device",
	  "net up TAP     create a persistent tap device TAP owned by USER (default:\n"
	  "               the user behind sudo, else yourself), bring it up, and add the address CIDR\n"
	  "               (e.g. 10.0.2.1/24) or attach it to the bridge BR\n"
	  "net down TAP   remove it\n"
	  "Needs CAP_NET_ADMIN (root); profiles then use it with net: [{tap: TAP}].\n",
	  cmd_net },
	{ "kernel", "menuconfig|nconfig KERNEL [--output FILE]",
	  "edit a kernel's config and write the difference as a fragment",
	  "Open the kernel's own menuconfig (or nconfig) on the config that KERNEL's\n"
	  "recipe entry resolves to.  On exit, write the options you changed as a new\n"
	  "fragment file (its path is printed; --output FILE chooses it), and add\n"
	  "that file to the kernel's fragments: so the recipe stays declarative.\n",
	  cmd_kernel },
	{ "key", "generate [--output PREFIX]", "make an ed25519 key pair for signing remote records",
	  "Write PREFIX.key (private, mode 0600) and PREFIX.pub (public); PREFIX\n"
	  "defaults to mvbuild-signing.  The uploader names PREFIX.key as remote\n"
	  "signing_key; readers list PREFIX.pub in remote trusted_keys.\n",
	  cmd_key },
};

static void print_usage(FILE *out)
{
	fprintf(out,
		"usage: mvbuild [-f RECIPE] [--cache DIR] [-j N] [--json] [-v] COMMAND [ARGS...]\n"
		"\n"
		"Build microVM kernels, root images and launch configs from a recipe.\n"
		"\n"
		"options:\n"
		"  -f, --file RECIPE   the recipe (default: mvbuild.yaml)\n"
		"  --cache DIR         the cache (default: $MVBUILD_CACHE, else ./cache)\n"
		"  -j, --jobs N        nodes built at once (default: number of cores)\n"
		"  --mirror URL        try URL/<digest> and URL/<file name> first (repeatable;\n"
		"                      also $MVBUILD_MIRROR, space-separated)\n"
		"  --remote URL        a shared HTTP cache to read (also $MVBUILD_REMOTE)\n"
		"  --remote-upload     also upload what is built or found locally\n"
		"  --config FILE       machine settings (default\n"
		"                      $XDG_CONFIG_HOME/mvbuild/config.yaml)\n"
		"  --json              progress as one JSON object per line on stderr\n"
		"  -v, --verbose       more detail\n"
		"  -h, --help          this help; COMMAND --help for a command's\n"
		"  --version           print the version\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nexit status: 0 success, 1 build or run failure, 2 usage or recipe error\n");
}

const struct command *cli_find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int cli_wants_help(const struct command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("usage: mvbuild %s %s\n\n%s%s", cmd->name, cmd->args, cmd->summary,
			       cmd->help ? "\n\n" : "\n");
			if (cmd->help)
				fputs(cmd->help, stdout);
			return 1;
		}
	}
	return 0;
}

int cli_value_option(const struct command *cmd, int argc, char **argv, int *i,
		     const char *const *names, const char **const *slots, size_t n)
{
	const char *a = argv[*i];
	for (size_t k = 0; k < n; k++) {
		size_t len = strlen(names[k]);
		if (strncmp(a, names[k], len) != 0 || (a[len] != '=' && a[len] != '\0'))
			continue;
		if (a[len] == '=')
			*slots[k] = a + len + 1;
		else if (*i + 1 < argc)
			*slots[k] = argv[++*i];
		else
			return cli_usage(cmd, "option '%s' needs a value", names[k]), -1;
		return 1;
	}
	return 0;
}

int cli_usage(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "mvbuild %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: mvbuild %s %s\n", cmd->name, cmd->args);
	return EXIT_USAGE;
}

int cli_fail(struct mvctx *ctx, struct error *err)
{
	(void)ctx;
	fprintf(stderr, "mvbuild: %s\n", err->msg ? err->msg : "unknown error");
	int status = err->kind == ERROR_USAGE ? EXIT_USAGE : EXIT_FAIL;
	error_release(err);
	return status;
}

int cli_load_recipe(struct mvctx *ctx, struct error *err)
{
	if (ctx->recipe)
		return 0;
	struct recipe *r = xcalloc(1, sizeof(*r));
	struct recipe_credential creds[3];
	struct recipe_trust trust;
	config_trust(ctx->config, creds, &trust);
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

int cli_prepare_engine(struct mvctx *ctx, char *const *names, size_t n_names, struct engine **e,
		       struct node ***targets, size_t *n_targets, struct error *err)
{
	*e = NULL;
	if (cli_load_recipe(ctx, err) < 0 || cli_open_cache(ctx, err) < 0)
		return -1;
	*e = engine_new(ctx);
	if (engine_resolve(*e, names, n_names, targets, n_targets, err) < 0) {
		engine_free(*e);
		*e = NULL;
		return -1;
	}
	return 0;
}

static void add_mirror(struct mvctx *ctx, const char *url)
{
	ctx->mirrors = xrealloc(ctx->mirrors, (ctx->n_mirrors + 1) * sizeof(*ctx->mirrors));
	ctx->mirrors[ctx->n_mirrors++] = xstrdup(url);
}

/* the value of an option "--name VALUE" or "--name=VALUE"; NULL when argv[*i] is not it */
static const char *option_value(int argc, char **argv, int *i, const char *s, const char *l,
				int *missing)
{
	const char *a = argv[*i];
	size_t ll = strlen(l);
	if (strncmp(a, l, ll) == 0 && a[ll] == '=')
		return a + ll + 1;
	if ((s && strcmp(a, s) == 0) || strcmp(a, l) == 0) {
		if (*i + 1 >= argc) {
			*missing = 1;
			return NULL;
		}
		return argv[++*i];
	}
	return NULL;
}

/*
 * Take the global options out of argv (anywhere before "--"), leaving the
 * command and its own arguments in order.  Returns -1 on a bad global option.
 */
static int parse_globals(struct mvctx *ctx, int *argcp, char **argv)
{
	int argc = *argcp, out = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		int missing = 0;
		if (strcmp(a, "--") == 0) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if ((v = option_value(argc, argv, &i, "-f", "--file", &missing)))
			ctx->recipe_path = v;
		else if ((v = option_value(argc, argv, &i, NULL, "--cache", &missing)))
			ctx->cache_dir = v;
		else if ((v = option_value(argc, argv, &i, NULL, "--config", &missing)))
			ctx->config_path = v;
		else if ((v = option_value(argc, argv, &i, NULL, "--remote", &missing)))
			ctx->remote_flag = v;
		else if ((v = option_value(argc, argv, &i, NULL, "--mirror", &missing)))
			add_mirror(ctx, v);
		else if ((v = option_value(argc, argv, &i, "-j", "--jobs", &missing))) {
			char *end;
			long n = strtol(v, &end, 10);
			if (*end || n < 1 || n > 1024) {
				fprintf(stderr, "mvbuild: invalid job count '%s' (want 1 to 1024)\n", v);
				return -1;
			}
			ctx->jobs = (int)n;
		} else if (missing) {
			fprintf(stderr, "mvbuild: option '%s' needs a value\n", a);
			return -1;
		} else if (strcmp(a, "--json") == 0)
			ctx->json = true;
		else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			ctx->verbose++;
		else
			argv[out++] = argv[i];
	}
	argv[out] = NULL;
	*argcp = out;
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
static int load_settings(struct mvctx *ctx)
{
	struct error err = ERROR_INIT;
	ctx->config = xcalloc(1, sizeof(*ctx->config));
	if (config_load(ctx->config, ctx->config_path, &err) < 0) {
		fprintf(stderr, "mvbuild: %s\n", err.msg);
		error_release(&err);
		return -1;
	}
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

int cli_main(int argc, char **argv)
{
	struct mvctx ctx = { 0 };
	ctx.recipe_path = "mvbuild.yaml";
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	ctx.jobs = cores > 0 ? (int)cores : 1;

	if (parse_globals(&ctx, &argc, argv) < 0 || load_settings(&ctx) < 0) {
		ctx_release(&ctx);
		return EXIT_USAGE;
	}
	/* the command's own mirrors (--mirror) come before the environment's */
	env_mirrors(&ctx);
	if (argc < 2) {
		print_usage(stderr);
		ctx_release(&ctx);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	int status;
	if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
		print_usage(stdout);
		status = EXIT_OK;
	} else if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		printf("mvbuild %s\n", MVBUILD_VERSION);
		status = EXIT_OK;
	} else {
		const struct command *cmd = cli_find_command(name);
		if (!cmd) {
			fprintf(stderr, "mvbuild: unknown command '%s' (see 'mvbuild --help')\n", name);
			status = EXIT_USAGE;
		} else if (cli_wants_help(cmd, argc - 1, argv + 1)) {
			status = EXIT_OK;
		} else {
			ctx.progress = progress_new(stderr, isatty(STDERR_FILENO), ctx.json, ctx.verbose);
			status = cmd->run(&ctx, argc - 1, argv + 1);
		}
	}
	ctx_release(&ctx);
	return status;
}
