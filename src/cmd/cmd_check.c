/*
 * cmd_check: `mvbuild check` loads and validates the recipe (every file it
 * includes, every key, type and reference, every kernel fragment) without
 * touching the cache or any source, and prints a one-line summary on
 * standard output (with --json, one JSON object).
 */
#include <stdio.h>

#include "cmd/cli.h"
#include "base/json.h"
#include "kernel/kernel_request.h"
#include "recipe/recipe.h"

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* {"recipe":PATH,"valid":true,"name":NAME,"sources":N,...} */
static int print_json(const struct recipe *r)
{
	struct buf b = BUF_INIT;
	buf_addc(&b, '{');
	json_add_member_string(&b, "recipe", r->path);
	json_add_member_bool(&b, "valid", true);
	json_add_member_string(&b, "name", r->name);
	json_add_member_int(&b, "sources", (long long)r->n_sources);
	json_add_member_int(&b, "kernels", (long long)r->n_kernels);
	json_add_member_int(&b, "images", (long long)r->n_images);
	json_add_member_int(&b, "profiles", (long long)r->n_profiles);
	return cli_print_json(&b);
}

static int cmd_check(struct mvctx *ctx, struct cli_args *args)
{
	const struct recipe *r = ctx->recipe;
	struct error err = ERROR_INIT;
	/* a fragment line build would refuse is refused here, before anything runs */
	if (kernel_request_check(r, &err) < 0)
		return cli_fail(ctx, &err);
	if (ctx->json) {
		print_json(r);
		return EXIT_OK;
	}
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
		"reference, and print a one-line summary (with --json, one object: recipe,\n"
		"valid, name, and the count of sources, kernels, images, profiles).\n"
		"Exit 0 when valid, 2 when not.\n",
	.needs = NEEDS_RECIPE,
	.run = cmd_check,
};
