/* cmd_graph: `mvbuild graph`: the dependency graph in Graphviz dot. */
#include <stdio.h>

#include "cli.h"
#include "engine.h"
#include "recipe.h"

int cmd_graph(struct mvctx *ctx, int argc, char **argv)
{
	const struct command *cmd = cli_find_command("graph");
	if (argc != 1)
		return cli_usage(cmd, "unexpected argument '%s'", argv[1]);
	struct error err = ERROR_INIT;
	if (cli_load_recipe(ctx, &err) < 0)
		return cli_fail(ctx, &err);
	/* the graph needs no cache: it is a function of the recipe alone */
	struct engine *e = engine_new(ctx);
	struct buf out = BUF_INIT;
	engine_graph_dot(e, &out);
	fputs(out.data, stdout);
	buf_release(&out);
	engine_free(e);
	return EXIT_OK;
}
