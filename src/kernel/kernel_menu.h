/*
 * kernel_menu: `mvbuild kernel menuconfig|nconfig`.  The kernel's own menu
 * opens on the config a recipe kernel resolves to, in that kernel's
 * workspace (kernel_workspace.h), and what the user changed is written as a
 * new fragment file, so the recipe stays the only description of the
 * kernel: the user adds that file to the kernel's `fragments:`.
 */
#ifndef MVBUILD_KERNEL_MENU_H
#define MVBUILD_KERNEL_MENU_H

#include <stdbool.h>

#include "base/error.h"
#include "engine/context.h"
#include "recipe/recipe.h"

struct engine;

/* true when tool is a menu of the kernel's this module runs ("menuconfig", "nconfig") */
bool kernel_menu_tool_known(const char *tool);
/* KERNEL-TOOL.config, or KERNEL-TOOL-N.config: a name in the working directory not taken yet; caller frees */
char *kernel_menu_default_output(const char *kernel, const char *tool);
/*
 * Fetch k's source through e, configure k in its workspace, run tool on the
 * terminal, and write what changed from the resolved config to output as a
 * fragment.  1 when written, 0 when nothing changed (nothing is written),
 * -1 with err.
 */
int kernel_menu_edit(struct mvctx *ctx, struct engine *e, const struct kernel *k, const char *tool,
		     const char *output, struct error *err);

#endif
