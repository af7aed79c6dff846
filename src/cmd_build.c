/* cmd_build: `mvbuild build [TARGET...]`: bring targets up to date, print their outputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine.h"

/* print "ID OUTPUT PATH" for each output of each target */
static void print_outputs(struct engine *e, struct node **targets, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct build_input *outs;
		struct error err = ERROR_INIT;
		int count = engine_outputs(e, targets[i], &outs, &err);
		for (int j = 0; j < count; j++)
			printf("%s %s %s\n", targets[i]->id, outs[j].output, outs[j].path);
		error_release(&err);
	}
}

int cmd_build(struct mvctx *ctx, int argc, char **argv)
{
	const struct command *cmd = cli_find_command("build");
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-' && strcmp(argv[i], "--") != 0)
			return cli_usage(cmd, "unknown option '%s'", argv[i]);
	struct error err = ERROR_INIT;
	struct engine *e;
	struct node **targets = NULL;
	size_t n = 0;
	int first = argc > 1 && strcmp(argv[1], "--") == 0 ? 2 : 1;
	if (cli_prepare_engine(ctx, argv + first, (size_t)(argc - first), &e, &targets, &n, &err) < 0)
		return cli_fail(ctx, &err);
	int status = EXIT_OK;
	if (engine_build(e, targets, n, &err) < 0)
		status = cli_fail(ctx, &err);
	else
		print_outputs(e, targets, n);
	free(targets);
	engine_free(e);
	return status;
}
