/*
 * cmd_check: `mvbuild check` loads and validates the recipe (every file it
 * includes, every key, type and reference) without touching the cache or
 * any source, and prints a one-line summary on standard output.
 */
#include <stdio.h>

#include "cli.h"
#include "recipe.h"

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

int cmd_check(struct mvctx *ctx, int argc, char **argv)
{
	const struct command *cmd = cli_find_command("check");
	if (argc > 1)
		return cli_usage(cmd, "unexpected argument '%s'", argv[1]);
	struct error err = ERROR_INIT;
	if (cli_load_recipe(ctx, &err) < 0)
		return cli_fail(ctx, &err);
	const struct recipe *r = ctx->recipe;
	printf("%s: ok (%zu %s, %zu %s, %zu %s, %zu %s)\n", r->path,
	       r->n_sources, plural(r->n_sources, "source", "sources"),
	       r->n_kernels, plural(r->n_kernels, "kernel", "kernels"),
	       r->n_images, plural(r->n_images, "image", "images"),
	       r->n_profiles, plural(r->n_profiles, "profile", "profiles"));
	return EXIT_OK;
}
