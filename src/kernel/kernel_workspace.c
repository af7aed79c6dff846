/*
 * kernel_workspace: a kernel definition's source tree, locked object
 * directory and configuration (see kernel_workspace.h).
 */
#include "kernel/kernel_workspace.h"
#include "recipe/recipe_tree.h"

#include <errno.h>
#include <stdlib.h>

#include "base/fileutil.h"
#include "base/progress.h"
#include "base/util.h"
#include "kernel/kernel_relocate.h"
#include "kernel/kernel_request.h"
#include "kernel/kernel_toolchain.h"
#include "kernel/kernel_tree.h"

void kernel_workspace_init(struct kernel_workspace *w, const struct kernel *k, int jobs,
			   struct progress *progress, const char *node_id)
{
	*w = (struct kernel_workspace){
		.kernel = k,
		.make = { .arch = k->arch, .jobs = jobs, .progress = progress, .node_id = node_id,
			  .log_fd = -1 },
		.lock_fd = -1,
		.request = KCONF_INIT,
	};
}

/* replace *path by its real path, the form kbuild records; 0, or -1 with err */
static int make_real(char **path, struct error *err)
{
	char *real = realpath(*path, NULL);
	if (!real)
		return error_errno(err, errno, "cannot resolve '%s'", *path);
	free(*path);
	*path = real;
	return 0;
}

/* bring the object directory's path records to where it is now, saying so when it moved */
static int relocate(struct kernel_workspace *w, struct error *err)
{
	struct kernel_relocation r;
	if (kernel_relocate(w->srcdir, w->objdir, &r, err) < 0)
		return -1;
	if (r.refused)
		progress_note(w->make.progress, w->make.node_id,
			      "the object directory moved from '%s' to a place inside it: "
			      "its records are kept and make rebuilds the kernel", r.from);
	else if (r.from)
		progress_note(w->make.progress, w->make.node_id,
			      "the object directory moved from '%s': relocated %u records", r.from,
			      r.records);
	kernel_relocate_release(&r);
	return 0;
}

int kernel_workspace_open(struct kernel_workspace *w, const char *cache_dir, const char *tarball,
			  const char *digest, struct error *err)
{
	const struct kernel *k = w->kernel;
	/* unpacking a full tree takes a while: say why nothing else is happening */
	if (!kernel_tree_present(cache_dir, digest))
		progress_status(w->make.progress, w->make.node_id, "unpacking source '%s'", k->source);
	if (kernel_tree_get(cache_dir, tarball, digest, &w->srcdir, err) < 0 ||
	    kernel_tree_objdir_lock(cache_dir, k->name, digest, k->arch, &w->objdir, &w->lock_fd,
				    err) < 0 ||
	    make_real(&w->srcdir, err) < 0 || make_real(&w->objdir, err) < 0 || relocate(w, err) < 0)
		return -1;
	w->make.srcdir = w->srcdir;
	w->make.objdir = w->objdir;
	w->make.lto_plugin = kernel_toolchain_lto_plugin();
	return 0;
}

int kernel_workspace_configure(struct kernel_workspace *w, struct error *err)
{
	const struct kernel *k = w->kernel;
	char *base_file = k->base == KBASE_FILE
		? recipe_tree_path_shown(k->base_file.base_dir, k->base_file.path) : NULL;
	int ret = -1;
	if (kernel_make_open_log(&w->make, err) < 0 || kernel_request_load(k, &w->request, err) < 0)
		goto out;
	progress_status(w->make.progress, w->make.node_id, "configuring (%s)",
			kernel_make_base_name(k->base));
	ret = kernel_make_configure(&w->make, k->base, base_file, &w->request, err);
out:
	free(base_file);
	return ret;
}

int kernel_workspace_load_config(const struct kernel_workspace *w, struct kconf *c, struct error *err)
{
	char *dotconfig = path_join(w->objdir, ".config");
	int ret = kernel_config_load_dotconfig(c, dotconfig, err);
	free(dotconfig);
	return ret;
}

void kernel_workspace_release(struct kernel_workspace *w)
{
	kernel_make_release(&w->make);
	kernel_tree_objdir_unlock(w->lock_fd);
	w->lock_fd = -1;
	kernel_config_release(&w->request);
	free(w->srcdir);
	free(w->objdir);
	w->srcdir = w->objdir = NULL;
}
