/* cmd_build: `mvbuild build [TARGET...]`: bring targets up to date, print their outputs. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cli.h"
#include "engine/engine.h"

/* print "ID OUTPUT PATH" (or a JSON result) for each output of each target */
static void print_outputs(const struct mvctx *ctx, struct engine *e, struct node **targets,
			  size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct build_input *outs;
		struct error err = ERROR_INIT;
		int count = engine_outputs(e, targets[i], &outs, &err);
		for (int j = 0; j < count; j++)
			cli_print_output(ctx, targets[i], &outs[j]);
		error_release(&err);
	}
}

static bool is_target(const struct node *node, struct node *const *targets, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (targets[i] == node)
			return true;
	return false;
}

static int cmd_build(struct mvctx *ctx, struct cli_args *args)
{
	struct error err = ERROR_INIT;
	struct node **targets = NULL;
	size_t n = 0;
	int status = EXIT_OK;
	if (engine_resolve(args->engine, args->words, args->n_words, &targets, &n, &err) < 0 ||
	    engine_build(args->engine, targets, n, &err) < 0) {
		status = cli_fail(ctx, &err);
	} else if (args->n_words) {
		print_outputs(ctx, args->engine, targets, n);
	} else {
		/* everything was built: show every kernel, image and profile, not only the tops */
		struct node *const *all;
		size_t n_all = engine_nodes(args->engine, &all);
		for (size_t i = 0; i < n_all; i++)
			if (all[i]->kind != NODE_SOURCE || is_target(all[i], targets, n))
				print_outputs(ctx, args->engine, (struct node **)&all[i], 1);
	}
	free(targets);
	return status;
}

const struct command command_build = {
	.name = "build",
	.args = "[TARGET...]",
	.summary = "build targets (default: all) into the cache",
	.help = "Build each TARGET and whatever it needs, reusing cached outputs.\n"
		"TARGET is kernel:NAME, image:NAME, profile:NAME, source:NAME, or a NAME\n"
		"that is unique.  Prints \"TARGET OUTPUT PATH\" for each output of each\n"
		"target on standard output; with no TARGET, of every kernel, image and\n"
		"profile, and of the sources nothing else uses (with --json, one object\n"
		"per output: target, output, path, sha256).\n",
	.max_words = -1,
	.needs = NEEDS_RECIPE | NEEDS_CACHE | NEEDS_ENGINE,
	.run = cmd_build,
};
