/* cmd_explain: `mvbuild explain TARGET`: up to date, or which inputs changed. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "engine.h"

static int cmd_explain(struct mvctx *ctx, struct cli_args *args)
{
	struct error err = ERROR_INIT;
	struct node **targets = NULL;
	size_t n = 0;
	struct buf out = BUF_INIT;
	int status = EXIT_OK;
	if (engine_resolve(args->engine, args->words, 1, &targets, &n, &err) < 0 ||
	    engine_explain(args->engine, targets[0], &out, &err) < 0)
		status = cli_fail(ctx, &err);
	else
		fputs(out.data, stdout);
	buf_release(&out);
	free(targets);
	return status;
}

const struct command command_explain = {
	.name = "explain",
	.args = "TARGET",
	.summary = "say whether a target is up to date, and what changed",
	.help = "Compare TARGET's inputs with those of its last build and print each\n"
		"difference, or that it is up to date.  Exit 0 either way.\n",
	.min_words = 1,
	.max_words = 1,
	.needs = NEEDS_RECIPE | NEEDS_CACHE | NEEDS_ENGINE,
	.run = cmd_explain,
};
