/*
 * cmd_path: `mvbuild path TARGET [OUTPUT]`: the cached output paths of a
 * built target, "OUTPUT PATH" per line, or with OUTPUT that one path alone,
 * for a shell: qemu-img info "$(mvbuild path image:rootfs rootfs.ext4)".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "engine/engine.h"
#include "base/suggest.h"

/* the output of target named name; NULL with an error naming the outputs there are */
static const struct build_input *find_output(const struct node *target,
					     const struct build_input *outs, int n,
					     const char *name, struct error *err)
{
	const char **names = xcalloc((size_t)n + 1, sizeof(*names));
	const struct build_input *found = NULL;
	for (int i = 0; i < n && !found; i++) {
		names[i] = outs[i].output;
		if (strcmp(outs[i].output, name) == 0)
			found = &outs[i];
	}
	if (!found) {
		char *hint = suggest_hint(name, names, (size_t)n, "outputs");
		error_usage(err, "%s has no output '%s'%s", target->id, name, hint);
		free(hint);
	}
	free(names);
	return found;
}

static int cmd_path(struct mvctx *ctx, struct cli_args *args)
{
	struct error err = ERROR_INIT;
	struct node **targets = NULL;
	size_t n = 0;
	const struct build_input *outs, *one;
	int count = -1;
	if (engine_resolve(args->engine, args->words, 1, &targets, &n, &err) == 0)
		count = engine_outputs(args->engine, targets[0], &outs, &err);
	if (count >= 0 && args->n_words == 2) {
		one = find_output(targets[0], outs, count, args->words[1], &err);
		if (one && ctx->json)
			cli_print_output(ctx, targets[0], one);
		else if (one)
			printf("%s\n", one->path);
	} else {
		for (int i = 0; i < count; i++) {
			if (ctx->json)
				cli_print_output(ctx, targets[0], &outs[i]);
			else
				printf("%s %s\n", outs[i].output, outs[i].path);
		}
	}
	free(targets);
	return error_is_set(&err) ? cli_fail(ctx, &err) : EXIT_OK;
}

const struct command command_path = {
	.name = "path",
	.args = "TARGET [OUTPUT]",
	.summary = "print the cached output paths of a built target",
	.help = "Print the cache paths of TARGET's outputs, one 'OUTPUT PATH' per line;\n"
		"with OUTPUT, only that output's path, alone on its line, for use in a\n"
		"shell: qemu-img info \"$(mvbuild path image:rootfs rootfs.ext4)\".\n"
		"With --json, one object per output: target, output, path, sha256.\n"
		"Exit 1 when TARGET is not built.\n",
	.min_words = 1,
	.max_words = 2,
	.needs = NEEDS_RECIPE | NEEDS_CACHE | NEEDS_ENGINE,
	.run = cmd_path,
};
