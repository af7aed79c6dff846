/* cmd_help: `mvbuild help [COMMAND]` and `mvbuild version`, the same as --help and --version. */
#include <stdio.h>

#include "cmd/cli.h"

static int cmd_help(struct mvctx *ctx, struct cli_args *args)
{
	const struct command *cmd = NULL;
	struct error err = ERROR_INIT;
	if (args->n_words && !(cmd = cli_find_command(args->words[0], &err)))
		return cli_fail(ctx, &err);
	cli_print_help(stdout, cmd);
	return EXIT_OK;
}

static int cmd_version(struct mvctx *ctx, struct cli_args *args)
{
	printf("mvbuild %s\n", MVBUILD_VERSION);
	return EXIT_OK;
}

const struct command command_help = {
	.name = "help",
	.args = "[COMMAND]",
	.summary = "this list, or a command's help and options",
	.max_words = 1,
	.run = cmd_help,
};

const struct command command_version = {
	.name = "version",
	.args = "",
	.summary = "print the version",
	.run = cmd_version,
};
