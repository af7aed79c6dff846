/*
 * cmd_kernel: `mvbuild kernel menuconfig|nconfig KERNEL [--output FILE]`:
 * the options, kernel_menu_edit() (kernel/kernel_menu.h: the menu on the
 * config the recipe resolves to, the changes written as a fragment) and
 * the fragment's path, or why nothing was written.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/suggest.h"
#include "base/util.h"
#include "cmd/cli.h"
#include "kernel/kernel_menu.h"
#include "recipe/recipe.h"

struct kernel_opts {
	const char *output; /* --output FILE */
};

static const struct cli_option kernel_options[] = {
	OPT_STRING('o', "output", "FILE", struct kernel_opts, output,
		"write the fragment to FILE (default:\nKERNEL-TOOL.config here)"),
	OPT_END(),
};

static int cmd_kernel(struct mvctx *ctx, struct cli_args *args)
{
	const struct kernel_opts *o = args->opts;
	const char *tool = args->words[0], *name = args->words[1];
	if (!kernel_menu_tool_known(tool))
		return cli_usage(ctx, &command_kernel, "unknown subcommand '%s' (say 'menuconfig' or "
				 "'nconfig')", tool);
	struct error err = ERROR_INIT;
	const struct kernel *k = recipe_find_kernel(ctx->recipe, name);
	if (!k) {
		const struct recipe *r = ctx->recipe;
		const char **names = xcalloc(r->n_kernels + 1, sizeof(*names));
		for (size_t i = 0; i < r->n_kernels; i++)
			names[i] = r->kernels[i].name;
		char *hint = suggest_hint(name, names, r->n_kernels, "kernels");
		error_usage(&err, "no kernel '%s' in '%s'%s", name, ctx->recipe_path, hint);
		free(hint);
		free(names);
		return cli_fail(ctx, &err);
	}
	char *out = o->output ? xstrdup(o->output) : kernel_menu_default_output(name, tool);
	int ret = kernel_menu_edit(ctx, args->engine, k, tool, out, &err);
	if (ret > 0)
		printf("%s\n", out);
	else if (ret == 0)
		fprintf(stderr, "mvbuild: no change from the recipe's config; nothing written\n");
	free(out);
	return ret < 0 ? cli_fail(ctx, &err) : EXIT_OK;
}

const struct command command_kernel = {
	.name = "kernel",
	.args = "menuconfig|nconfig KERNEL",
	.summary = "edit a kernel's config and write the difference as a fragment",
	.help = "Open the kernel's own menuconfig (or nconfig) on the config that KERNEL's\n"
		"recipe entry resolves to.  On exit, write the options you changed as a new\n"
		"fragment file (its path is printed; --output FILE chooses it), and add\n"
		"that file to the kernel's fragments: so the recipe stays declarative.\n",
	.options = kernel_options,
	.opts_size = sizeof(struct kernel_opts),
	.min_words = 2,
	.max_words = 2,
	.needs = NEEDS_RECIPE | NEEDS_CACHE | NEEDS_ENGINE,
	.run = cmd_kernel,
};
