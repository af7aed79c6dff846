/*
 * cmd_check: `mvbuild check` loads and validates the recipe (every file it
 * includes, every key, type and reference, every kernel fragment) without
 * touching the cache or any source, and prints a one-line summary on
 * standard output.
 */
#include <stdio.h>

#include "cli.h"
#include "kernel_request.h"
#include "recipe.h"

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static int cmd_check(struct mvctx *ctx, struct cli_args *args)
{
	const struct recipe *r = ctx->recipe;
	struct error err = ERROR_INIT;
	/* a fragment line build would refuse is refused here, before anything runs */
	if (kernel_request_check(r, &err) < 0)
		return cli_fail(ctx, &err);
	printf("%s: ok (%zu %s, %zu %s, %zu %s, %zu %s)\n", r->path,
	       r->n_sources, plural(r->n_sources, "source", "sources"),
	       r->n_kernels, plural(r->n_kernels, "kernel", "kernels"),
	       r->n_images, plural(r->n_images, "image", "images"),
	       r->n_profiles, plural(r->n_profiles, "profile", "profiles"));
	return EXIT_OK;
}

const struct command command_check = {
	.name = "check",
	.args = "",
	.summary = "load and validate the recipe",
	.help = "Load the recipe and everything it includes, check every key, type and\n"
		"reference, and print a one-line summary.  Exit 0 when valid, 2 when not.\n",
	.needs = NEEDS_RECIPE,
	.run = cmd_check,
};
