/*
 * cmd_kernel: `mvbuild kernel menuconfig|nconfig KERNEL [--output FILE]`.
 * Opens the kernel's own menu on the config the recipe resolves to, in the
 * kernel's object directory, and on exit writes what changed as a new
 * fragment file, so the recipe stays the only description of the kernel:
 * the user adds that file to the kernel's `fragments:`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cmd/cli.h"
#include "engine/engine.h"
#include "base/fileutil.h"
#include "kernel/kernel_config.h"
#include "kernel/kernel_make.h"
#include "kernel/kernel_request.h"
#include "kernel/kernel_tree.h"
#include "recipe/recipe.h"
#include "base/suggest.h"

/* the source tarball of kernel k: fetched through the engine when needed */
static int source_input(struct engine *e, const struct kernel *k, const struct build_input **in,
			struct error *err)
{
	char *id = xasprintf("source:%s", k->source);
	struct node **targets = NULL;
	size_t n = 0;
	const struct build_input *outs;
	int ret = -1;
	if (engine_resolve(e, &id, 1, &targets, &n, err) < 0 ||
	    engine_build(e, targets, n, err) < 0)
		goto out;
	int count = engine_outputs(e, targets[0], &outs, err);
	for (int i = 0; i < count; i++)
		if (strcmp(outs[i].output, "file") == 0)
			*in = &outs[i];
	ret = *in ? 0 : error_set(err, "%s has no file output", id);
out:
	free(targets);
	free(id);
	return ret;
}

/* a file name in the current directory that does not exist yet; caller frees */
static char *default_output(const char *kernel, const char *tool)
{
	char *path = xasprintf("%s-%s.config", kernel, tool);
	for (int i = 2; access(path, F_OK) == 0; i++) {
		free(path);
		path = xasprintf("%s-%s-%d.config", kernel, tool, i);
	}
	return path;
}

/* write the difference between the resolved and the edited .config as a fragment */
static int write_fragment(const struct kmake *m, const char *tool, const char *kernel,
			  const char *output, const struct kconf *resolved, struct error *err)
{
	struct kconf edited = KCONF_INIT;
	struct buf text = BUF_INIT;
	char *dotconfig = path_join(m->objdir, ".config");
	int ret = kernel_config_load_dotconfig(&edited, dotconfig, err);
	if (ret < 0)
		goto out;
	buf_addf(&text, "# written by `mvbuild kernel %s %s`: what changed from the config the\n"
		 "# recipe resolves to.  Add this file to the kernel's fragments.\n", tool, kernel);
	if (kernel_config_diff(resolved, &edited, &text) == 0) {
		fprintf(stderr, "mvbuild: no change from the recipe's config; nothing written\n");
		goto out;
	}
	ret = write_file_atomic(output, text.data, text.len, 0644, err);
	if (ret == 0)
		printf("%s\n", output);
out:
	kernel_config_release(&edited);
	buf_release(&text);
	free(dotconfig);
	return ret;
}

/* resolve the config, run the menu, write the fragment */
static int edit_config(struct mvctx *ctx, struct engine *e, const struct kernel *k,
		       const char *tool, const char *output, struct error *err)
{
	const struct build_input *src = NULL;
	char *srcdir = NULL, *objdir = NULL;
	int lock = -1, ret = -1;
	char *node_id = xasprintf("kernel:%s", k->name);
	struct kmake m = { .arch = k->arch, .jobs = ctx->jobs, .progress = ctx->progress,
			   .node_id = node_id, .log_fd = -1 };
	struct kconf req = KCONF_INIT, resolved = KCONF_INIT;
	if (source_input(e, k, &src, err) < 0)
		goto out;
	const char *cache_dir = cache_root(ctx->cache);
	if (kernel_tree_get(cache_dir, src->path, src->digest, &srcdir, err) < 0 ||
	    kernel_tree_objdir_lock(cache_dir, k->name, src->digest, k->arch, &objdir, &lock, err) < 0)
		goto out;
	m.srcdir = srcdir;
	m.objdir = objdir;
	char *dotconfig = path_join(objdir, ".config");
	if (kernel_request_configure(k, &m, &req, err) == 0 &&
	    kernel_config_load_dotconfig(&resolved, dotconfig, err) == 0 &&
	    kernel_make_interactive(&m, tool, err) == 0)
		ret = write_fragment(&m, tool, k->name, output, &resolved, err);
	free(dotconfig);
out:
	kernel_config_release(&req);
	kernel_config_release(&resolved);
	kernel_make_release(&m);
	kernel_tree_objdir_unlock(lock);
	free(srcdir);
	free(objdir);
	free(node_id);
	return ret;
}

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
	if (strcmp(tool, "menuconfig") != 0 && strcmp(tool, "nconfig") != 0)
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
	char *out = o->output ? xstrdup(o->output) : default_output(name, tool);
	int ret = edit_config(ctx, args->engine, k, tool, out, &err);
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
