/*
 * test_build_inputs: what was hashed is what was used, deterministically.
 * The real image builder describes an image with a dir overlay (the record
 * its key would come from); the overlay is then changed as a concurrent
 * edit would change it between describe() and build(): a file rewritten, a
 * file removed, a file added, a symlink retargeted.  build() against the
 * old record must fail naming the change; against the fresh record it
 * succeeds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/builder.h"
#include "base/fileutil.h"
#include "recipe/recipe.h"
#include "tap.h"

static char *root;
static const char *layer_path;

/* build img against rec in a fresh scratch directory; 0 or -1 with err */
static int build_with(struct image *img, const struct record *rec, struct error *err)
{
	static int round;
	struct mvctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	struct node node = { .kind = NODE_IMAGE, .id = "image:t", .name = "t" };
	node.u.image = img;
	struct build_input in = { "source:base", "file", layer_path,
				  "0000000000000000000000000000000000000000000000000000000000000000" };
	char *work = xasprintf("%s/work%d", root, round++);
	struct error ignored = ERROR_INIT;
	mkdir_p(work, 0755, &ignored);
	error_release(&ignored);
	struct build_ctx b = { .ctx = &ctx, .node = &node,
			       .key = "1111111111111111111111111111111111111111111111111111111111111111",
			       .record = rec, .workdir = work, .inputs = &in, .n_inputs = 1 };
	int r = image_builder.build(&b, err);
	for (size_t i = 0; i < b.n_outputs; i++) {
		free(b.outputs[i].name);
		free(b.outputs[i].path);
	}
	free(b.outputs);
	remove_tree(work);
	free(work);
	return r;
}

static void describe(struct image *img, struct record *rec)
{
	struct mvctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	struct node node = { .kind = NODE_IMAGE, .id = "image:t", .name = "t" };
	node.u.image = img;
	struct error err = ERROR_INIT;
	record_release(rec);
	if (image_builder.describe(&ctx, &node, rec, &err) < 0)
		printf("# describe: %s\n", err.msg);
	error_release(&err);
}

/* describe, apply change, build against the old record: must fail saying what changed */
static void check_change(struct image *img, const char *what, const char *cmd, const char *want)
{
	struct record rec = RECORD_INIT;
	struct error err = ERROR_INIT;
	describe(img, &rec);
	char *full = xasprintf("cd %s && %s", root, cmd);
	ok(system(full) == 0, "%s: changed the overlay", what);
	free(full);
	int r = build_with(img, &rec, &err);
	ok(r < 0 && err.msg && strstr(err.msg, want), "%s: the build fails: %s", what,
	   err.msg ? err.msg : "it succeeded");
	error_release(&err);
	describe(img, &rec);
	r = build_with(img, &rec, &err);
	ok(r == 0, "%s: described again, it builds %s", what, err.msg ? err.msg : "");
	error_release(&err);
	record_release(&rec);
}

int main(void)
{
	char tmpl[] = "/tmp/mvbuild-inputs.XXXXXX";
	if (!mkdtemp(tmpl))
		return 1;
	root = tmpl;
	char *cmd = xasprintf("cd %s && mkdir -p layer/etc ov/etc && echo base > layer/etc/base"
			      " && tar -C layer -czf layer.tar.gz . && echo one > ov/etc/a"
			      " && echo two > ov/etc/b && ln -s a ov/etc/link", root);
	ok(system(cmd) == 0, "made a layer and an overlay directory");
	free(cmd);
	char *layer = path_join(root, "layer.tar.gz");
	layer_path = layer;
	char *layers[] = { "base" };
	struct overlay ov = { .kind = OVERLAY_DIR, .src = "ov", .base_dir = root, .to = "/" };
	ov.mark.file = "test.yaml";
	struct image img = { .name = "t", .size = 32u << 20, .fs = "ext4", .has_epoch = true,
			     .epoch = 1700000000, .layers = layers, .n_layers = 1,
			     .overlays = &ov, .n_overlays = 1 };

	struct record rec = RECORD_INIT;
	struct error err = ERROR_INIT;
	describe(&img, &rec);
	int r = build_with(&img, &rec, &err);
	ok(r == 0, "an unchanged overlay builds %s", err.msg ? err.msg : "");
	error_release(&err);
	record_release(&rec);

	check_change(&img, "a file rewritten", "echo ONE > ov/etc/a",
		     "ov/etc/a' changed during the build");
	check_change(&img, "a file replaced by a FIFO", "rm ov/etc/b && mkfifo ov/etc/b",
		     "ov/etc/b' changed during the build");
	check_change(&img, "a file removed", "rm ov/etc/b",
		     "overlay files changed during the build (5 described, 4 found)");
	check_change(&img, "a file added", "echo new > ov/etc/c",
		     "ov/etc/c' changed during the build");
	check_change(&img, "a symlink retargeted", "ln -sfn c ov/etc/link",
		     "ov/etc/link' changed during the build");
	check_change(&img, "a mode changed", "chmod 0600 ov/etc/a",
		     "ov/etc/a' changed during the build");
	free(layer);
	remove_tree(root);
	return tap_done();
}
