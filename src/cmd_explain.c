/* cmd_explain: `mvbuild explain TARGET`: up to date, or which inputs changed. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "engine.h"

int cmd_explain(struct mvctx *ctx, int argc, char **argv)
{
	const struct command *cmd = cli_find_command("explain");
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(cmd, "expected exactly one TARGET");
	struct error err = ERROR_INIT;
	struct engine *e;
	struct node **targets = NULL;
	size_t n = 0;
	if (cli_prepare_engine(ctx, argv + 1, 1, &e, &targets, &n, &err) < 0)
		return cli_fail(ctx, &err);
	struct buf out = BUF_INIT;
	int status = EXIT_OK;
	if (engine_explain(e, targets[0], &out, &err) < 0)
		status = cli_fail(ctx, &err);
	else
		fputs(out.data, stdout);
	buf_release(&out);
	free(targets);
	engine_free(e);
	return status;
}
