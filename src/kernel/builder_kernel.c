/*
 * builder_kernel: the kernel node.  describe() keys a kernel by its base,
 * architecture, targets, every merged requested value (with where it was
 * requested, for explain) and the toolchain identity; the source tarball's
 * digest comes in as a dependency.  build() unpacks the source once per
 * digest, resolves the config through Kconfig in the kernel's persistent
 * object directory, verifies that every requested value took, runs make,
 * and hands bzImage, vmlinux, config, System.map and build.log to the cache.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/builder.h"
#include "cache/cache.h"
#include "cache/cache_layout.h"
#include "engine/digest_memo.h"
#include "base/fileutil.h"
#include "kernel/kernel_cc.h"
#include "kernel/kernel_config.h"
#include "kernel/kernel_make.h"
#include "kernel/kernel_request.h"
#include "kernel/kernel_toolchain.h"
#include "kernel/kernel_verify.h"
#include "kernel/kernel_workspace.h"
#include "base/progress.h"
#include "recipe/config.h"
#include "recipe/recipe.h"
#include "recipe/recipe_tree.h"

/* the toolchain memo of the cache, or NULL without a cache; caller frees */
static char *toolchain_memo(struct mvctx *ctx)
{
	return ctx->cache ? cache_layout_path(cache_root(ctx->cache), CACHE_AREA_MEMO, "toolchain")
			  : NULL;
}

static void describe_targets(const struct kernel *k, struct record *rec)
{
	const char *words[2];
	size_t n = 0;
	if (k->target_bzimage)
		words[n++] = "bzImage";
	if (k->target_vmlinux)
		words[n++] = "vmlinux";
	record_add_words(rec, "targets", NULL, words, n);
}

static int describe_base(struct mvctx *ctx, const struct kernel *k, struct record *rec,
			 struct error *err)
{
	record_add(rec, "base", "%s", kernel_make_base_name(k->base));
	if (k->base != KBASE_FILE)
		return 0;
	char hex[SHA256_HEX];
	char *path = recipe_tree_path_shown(k->base_file.base_dir, k->base_file.path);
	int ret = digest_memo_file(ctx->memo, path, hex, err);
	free(path);
	if (ret == 0) {
		char *label = xasprintf("base file %s", k->base_file.path);
		record_add(rec, label, "%s", hex);
		free(label);
	}
	return ret;
}

static int describe_toolchain(struct mvctx *ctx, struct record *rec, struct error *err)
{
	struct kernel_toolchain tc = { 0 };
	char *memo = toolchain_memo(ctx);
	int ret = kernel_toolchain_identify(memo, &tc, err);
	if (ret == 0) {
		record_add(rec, "compiler", "%s", tc.compiler);
		record_add(rec, "binutils", "%s", tc.binutils);
		record_add(rec, "make", "%s", tc.make);
	}
	kernel_toolchain_release(&tc);
	free(memo);
	return ret;
}

static int kernel_describe(struct mvctx *ctx, const struct node *node, struct record *rec,
			   struct error *err)
{
	const struct kernel *k = node->u.kernel;
	struct kconf req = KCONF_INIT;
	int ret = -1;
	if (describe_base(ctx, k, rec, err) < 0)
		goto out;
	record_add(rec, "arch", "%s", k->arch);
	describe_targets(k, rec);
	if (kernel_request_load(k, &req, err) < 0)
		goto out;
	kernel_config_sort(&req); /* the merged request has no order: reordering must not rebuild */
	for (size_t i = 0; i < req.n; i++)
		record_add_at(rec, req.entries[i].symbol, req.entries[i].where, "%s",
			      req.entries[i].value);
	for (size_t i = 0; i < req.n_notes; i++)
		progress_note(ctx->progress, node->id, "%s", req.notes[i]);
	ret = describe_toolchain(ctx, rec, err);
out:
	kernel_config_release(&req);
	return ret;
}

/* compare the final .config with the request; an error (or notes when not strict) per mismatch */
static int verify_config(struct build_ctx *b, const struct kernel_workspace *w, struct error *err)
{
	const struct kernel *k = b->node->u.kernel;
	struct kconf final = KCONF_INIT;
	struct buf report = BUF_INIT;
	int ret = kernel_workspace_load_config(w, &final, err);
	if (ret == 0)
		ret = kernel_verify(&w->request, &final, w->srcdir, kernel_make_srcarch(k->arch), &report,
				    err);
	if (ret > 0 && k->strict) {
		report.data[--report.len] = '\0';
		error_set(err, "%d requested config value%s did not take:\n%s", ret, ret == 1 ? "" : "s",
			  report.data);
		ret = -1;
	} else if (ret > 0) {
		for (char *line = strtok(report.data, "\n"); line; line = strtok(NULL, "\n"))
			progress_note(b->ctx->progress, b->node->id, "warning: %s", line);
		ret = 0;
	}
	buf_release(&report);
	kernel_config_release(&final);
	return ret;
}

/* copy OBJDIR/rel into the scratch directory as output name */
static int take_output(struct build_ctx *b, const char *objdir, const char *rel, const char *name,
		       struct error *err)
{
	char *src = path_join(objdir, rel);
	char *dst = path_join(b->workdir, name);
	int ret = copy_file_sparse(src, dst, 0644, err);
	if (ret == 0)
		builder_output(b, name, name);
	free(src);
	free(dst);
	return ret;
}

static int take_outputs(struct build_ctx *b, const struct kmake *m, struct error *err)
{
	const struct kernel *k = b->node->u.kernel;
	char *bzimage = xasprintf("arch/%s/boot/bzImage", kernel_make_srcarch(k->arch));
	int ret = -1;
	if (k->target_bzimage && take_output(b, m->objdir, bzimage, "bzImage", err) < 0)
		goto out;
	if (k->target_vmlinux && take_output(b, m->objdir, "vmlinux", "vmlinux", err) < 0)
		goto out;
	if (take_output(b, m->objdir, ".config", "config", err) < 0 ||
	    take_output(b, m->objdir, "System.map", "System.map", err) < 0 ||
	    take_output(b, m->objdir, "build.log", "build.log", err) < 0)
		goto out;
	ret = 0;
out:
	free(bzimage);
	return ret;
}

/* make the targets in the configured workspace and hand its outputs to the cache */
static int make_targets(struct build_ctx *b, struct kernel_workspace *w, struct error *err)
{
	const struct kernel *k = b->node->u.kernel;
	char *targets[2];
	size_t n_targets = 0;
	if (k->target_bzimage)
		targets[n_targets++] = "bzImage";
	if (k->target_vmlinux || !n_targets)
		targets[n_targets++] = "vmlinux";
	if (kernel_make_build(&w->make, targets, n_targets, err) < 0)
		return -1;
	return take_outputs(b, &w->make, err);
}

/*
 * ccache and distcc as the machine config says (kernel_cc.h), for make in
 * the open workspace; ccache's compiler check is the toolchain identity the
 * key records (gcc and ld), so its hits are exactly as strict as the key
 */
static int setup_cc(struct build_ctx *b, struct kernel_workspace *w, struct kernel_cc *cc,
		    struct error *err)
{
	const struct config *cfg = b->ctx->config;
	struct kernel_toolchain tc = { 0 };
	char *toolchain = NULL;
	int ret = -1;
	if (cfg && (cfg->ccache_dir || cfg->ccache_remote)) {
		char *memo = toolchain_memo(b->ctx);
		ret = kernel_toolchain_identify(memo, &tc, err);
		free(memo);
		if (ret < 0)
			goto out;
		toolchain = xasprintf("%s; %s", tc.compiler, tc.binutils);
	}
	ret = kernel_cc_setup(cc, cfg, w->srcdir, w->objdir, toolchain, b->ctx->progress, b->node->id,
			      err);
	w->make.cc = cc;
out:
	kernel_toolchain_release(&tc);
	free(toolchain);
	return ret;
}

static int kernel_build(struct build_ctx *b, struct error *err)
{
	const struct kernel *k = b->node->u.kernel;
	char *dep_id = xasprintf("source:%s", k->source);
	const struct build_input *src = builder_input_find(b, dep_id, "file");
	struct kernel_workspace w;
	struct kernel_cc cc = KERNEL_CC_INIT;
	int ret = -1;
	kernel_workspace_init(&w, k, b->ctx->jobs, b->ctx->progress, b->node->id);
	if (!src)
		error_set(err, "source '%s' has no file output", k->source);
	else if (kernel_workspace_open(&w, cache_root(b->ctx->cache), src->path, src->digest, err) == 0 &&
		 setup_cc(b, &w, &cc, err) == 0 && kernel_workspace_configure(&w, err) == 0 &&
		 verify_config(b, &w, err) == 0)
		ret = make_targets(b, &w, err);
	kernel_workspace_release(&w);
	kernel_cc_release(&cc);
	free(dep_id);
	return ret;
}

const struct builder kernel_builder = {
	.kind = NODE_KERNEL,
	.name = "kernel",
	.version = 1,
	.describe = kernel_describe,
	.build = kernel_build,
};
