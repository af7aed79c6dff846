/*
 * kernel_request: a recipe kernel's fragments and inline config, merged
 * with locations (see kernel_request.h).
 */
#include "kernel/kernel_request.h"
#include "recipe/recipe_tree.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

int kernel_request_load(const struct kernel *k, struct kconf *req, struct error *err)
{
	for (size_t i = 0; i < k->n_fragments; i++) {
		const struct recipe_path *f = &k->fragments[i];
		char *path = recipe_tree_path_shown(f->base_dir, f->path);
		int ret = kernel_config_load_fragment(req, path, f->path, err);
		free(path);
		if (ret < 0) {
			error_locate(err, f->mark.file, f->mark.line, f->mark.column);
			return error_prefix(err, "%s:%d:%d: kernel '%s': fragment '%s'", f->mark.file,
					    f->mark.line, f->mark.column, k->name, f->path);
		}
	}
	for (size_t i = 0; i < k->n_config; i++) {
		const struct kconfig_value *v = &k->config[i];
		char *where = xasprintf("config %s:%d", v->mark.file, v->mark.line);
		kernel_config_set(req, v->symbol, v->value, where);
		free(where);
	}
	/* a module would be built and then never reach the guest: say so now, not in the guest */
	for (size_t i = 0; i < req->n; i++) {
		const struct kconf_entry *e = &req->entries[i];
		if (strcmp(e->value, "m") != 0)
			continue;
		error_usage(err, "%s:%d:%d: kernel '%s': %s: %s=m: mvbuild builds no kernel modules "
			    "yet (the image would not hold them): use %s=y to build it in",
			    k->mark.file, k->mark.line, k->mark.column, k->name,
			    e->where ? e->where : "config", e->symbol, e->symbol);
		error_locate(err, k->mark.file, k->mark.line, k->mark.column);
		return -1;
	}
	return 0;
}

int kernel_request_check(const struct recipe *r, struct error *err)
{
	for (size_t i = 0; i < r->n_kernels; i++) {
		struct kconf req = KCONF_INIT;
		int ret = kernel_request_load(&r->kernels[i], &req, err);
		kernel_config_release(&req);
		if (ret < 0)
			return -1; /* the error names the recipe line and the kernel */
	}
	return 0;
}
