/*
 * kernel_menu: the kernel's menu on a recipe kernel's resolved config, the
 * changes written back as a fragment (see kernel_menu.h).
 */
#include "kernel/kernel_menu.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/util.h"
#include "cache/cache.h"
#include "engine/engine.h"
#include "kernel/kernel_config.h"
#include "kernel/kernel_make.h"
#include "kernel/kernel_workspace.h"

bool kernel_menu_tool_known(const char *tool)
{
	return strcmp(tool, "menuconfig") == 0 || strcmp(tool, "nconfig") == 0;
}

char *kernel_menu_default_output(const char *kernel, const char *tool)
{
	char *path = xasprintf("%s-%s.config", kernel, tool);
	for (int i = 2; access(path, F_OK) == 0; i++) {
		free(path);
		path = xasprintf("%s-%s-%d.config", kernel, tool, i);
	}
	return path;
}

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

/* write the difference between the resolved and the edited .config as a fragment; 1, 0 or -1 */
static int write_fragment(const struct kernel_workspace *w, const char *tool, const char *output,
			  const struct kconf *resolved, struct error *err)
{
	struct kconf edited = KCONF_INIT;
	struct buf text = BUF_INIT;
	int ret = kernel_workspace_load_config(w, &edited, err);
	if (ret < 0)
		goto out;
	buf_addf(&text, "# written by `mvbuild kernel %s %s`: what changed from the config the\n"
		 "# recipe resolves to.  Add this file to the kernel's fragments.\n", tool,
		 w->kernel->name);
	if (kernel_config_diff(resolved, &edited, &text) == 0)
		goto out; /* ret is 0: nothing changed */
	ret = write_file_atomic(output, text.data, text.len, 0644, err) < 0 ? -1 : 1;
out:
	kernel_config_release(&edited);
	buf_release(&text);
	return ret;
}

int kernel_menu_edit(struct mvctx *ctx, struct engine *e, const struct kernel *k, const char *tool,
		     const char *output, struct error *err)
{
	const struct build_input *src = NULL;
	char *node_id = xasprintf("kernel:%s", k->name);
	struct kernel_workspace w;
	struct kconf resolved = KCONF_INIT;
	int ret = -1;
	kernel_workspace_init(&w, k, ctx->jobs, ctx->progress, node_id);
	if (source_input(e, k, &src, err) == 0 &&
	    kernel_workspace_open(&w, cache_root(ctx->cache), src->path, src->digest, err) == 0 &&
	    kernel_workspace_configure(&w, err) == 0 &&
	    kernel_workspace_load_config(&w, &resolved, err) == 0 &&
	    kernel_make_interactive(&w.make, tool, err) == 0)
		ret = write_fragment(&w, tool, output, &resolved, err);
	kernel_config_release(&resolved);
	kernel_workspace_release(&w);
	free(node_id);
	return ret;
}
