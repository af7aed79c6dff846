/* cmd_path: `mvbuild path TARGET`: the cached output paths of a built target. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "engine.h"

int cmd_path(struct mvctx *ctx, int argc, char **argv)
{
	const struct command *cmd = cli_find_command("path");
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(cmd, "expected exactly one TARGET");
	struct error err = ERROR_INIT;
	struct engine *e;
	struct node **targets = NULL;
	size_t n = 0;
	if (cli_prepare_engine(ctx, argv + 1, 1, &e, &targets, &n, &err) < 0)
		return cli_fail(ctx, &err);
	const struct build_input *outs;
	int count = engine_outputs(e, targets[0], &outs, &err);
	int status = EXIT_OK;
	if (count < 0)
		status = cli_fail(ctx, &err);
	for (int i = 0; i < count; i++)
		printf("%s %s\n", outs[i].output, outs[i].path);
	free(targets);
	engine_free(e);
	return status;
}
