/* cmd_graph: `mvbuild graph`: the dependency graph in Graphviz dot. */
#include <stdio.h>

#include "cmd/cli.h"
#include "engine/engine.h"
#include "recipe/recipe.h"

static int cmd_graph(struct mvctx *ctx, struct cli_args *args)
{
	struct buf out = BUF_INIT;
	engine_graph_dot(args->engine, &out);
	fputs(out.data, stdout);
	buf_release(&out);
	return EXIT_OK;
}

/* the graph needs no cache: it is a function of the recipe alone */
const struct command command_graph = {
	.name = "graph",
	.args = "",
	.summary = "print the dependency graph in Graphviz dot",
	.help = "Print the recipe's dependency graph in Graphviz dot on standard output.\n",
	.needs = NEEDS_RECIPE | NEEDS_ENGINE,
	.run = cmd_graph,
};
