/*
 * Unit tests of the recipe loader through its C API: the good recipes
 * under tests/recipes/good load into the typed fields documented in
 * recipe.h (defaults, marks, base_dir, resolved references); the node
 * tree's typing and limits; errors are usage errors with file:line:col;
 * and loading stays fast, for the demo and for a hostile 1 MiB recipe.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recipe/recipe.h"
#include "recipe/recipe_tree.h"
#include "recipe/recipe_load.h"
#include "recipe/recipe_yaml.h"
#include "tap.h"
#include "base/util.h"

#define GOOD "tests/recipes/good"

static int load(struct recipe *r, const char *path)
{
	struct error err = ERROR_INIT;
	int ret = recipe_load(r, path, &err);
	if (ret < 0)
		printf("# %s: %s\n", path, err.msg);
	error_release(&err);
	return ret;
}

static void test_sources(const struct recipe *r)
{
	const struct source *linux_src = recipe_find_source(r, "linux");
	ok(linux_src && linux_src->kind == SOURCE_URL && linux_src->n_urls == 2, "urls: two urls");
	is_str(linux_src->urls[0], "https://mirror.example.org/linux-6.1.tar.xz", "urls keep order");
	ok(linux_src->has_checksum && linux_src->algo == HASH_SHA256, "sha256 checksum");
	is_str(linux_src->checksum, "2ca1f17051a430f6fed1196e4952717507171acfd97d96577212502703b25deb",
	       "checksum text");
	ok(linux_src->mark.line == 5 && linux_src->mark.column == 3, "source mark is its name (5:3)");
	is_str(linux_src->mark.file, GOOD "/full.yaml", "mark names the file as given");
	const struct source *alpine = recipe_find_source(r, "alpine");
	ok(alpine->n_urls == 1 && alpine->algo == HASH_SHA512 && strlen(alpine->checksum) == 128,
	   "url: one url with sha512");
	const struct source *extras = recipe_find_source(r, "extras");
	ok(extras->kind == SOURCE_PATH && !extras->has_checksum, "path source without checksum");
	is_str(extras->path, "extras.tar.gz", "path kept as written");
	is_str(extras->base_dir, GOOD, "base_dir is the writing file's directory");
}

static void test_kernels(const struct recipe *r)
{
	const struct kernel *k = recipe_find_kernel(r, "microvm");
	ok(k->source_ref == recipe_find_source(r, "linux"), "kernel source resolved");
	ok(k->source_mark.line == 16 && k->source_mark.column == 13, "source: value mark (16:13)");
	ok(k->base == KBASE_FILE, "base: {file:}");
	is_str(k->base_file.path, "kernel/full.config", "base file as written");
	is_str(k->base_file.base_dir, GOOD, "base file base_dir");
	ok(k->n_fragments == 1, "one fragment");
	is_str(k->fragments[0].path, "kernel/extra.config", "fragment path");
	ok(k->fragments[0].mark.line == 18 && k->fragments[0].mark.column == 17, "fragment mark line");
	ok(k->n_config == 6, "six config entries");
	const char *want[][2] = { { "CONFIG_PVH", "y" }, { "CONFIG_EXT4_FS", "y" },
				  { "CONFIG_DEBUG_INFO", "n" }, { "CONFIG_NR_CPUS", "4" },
				  { "CONFIG_PHYSICAL_START", "0x1000000" },
				  { "CONFIG_CMDLINE", "\"console=ttyS0 \\\"quiet\\\"\"" } };
	for (size_t i = 0; i < 6 && i < k->n_config; i++) {
		is_str(k->config[i].symbol, want[i][0], "config %zu symbol in written order", i);
		is_str(k->config[i].value, want[i][1], "config %s value", want[i][0]);
	}
	ok(k->config[0].mark.line == 20 && k->config[0].mark.column == 7, "config mark (20:7)");
	ok(!k->target_bzimage && k->target_vmlinux, "targets: [vmlinux]");
	ok(!k->strict, "strict: false");
	const struct kernel *t = recipe_find_kernel(r, "tiny");
	ok(t->base == KBASE_TINYCONFIG, "base: tinyconfig");
	ok(t->target_bzimage && t->target_vmlinux && t->strict, "defaults: both targets, strict");
	is_str(t->arch, "x86_64", "default arch");
	ok(t->n_fragments == 0 && t->n_config == 0, "no fragments, no config");
}

static void test_overlays(const struct image *img)
{
	const struct overlay *o = img->overlays;
	ok(img->n_overlays == 6, "six overlays");
	ok(o[0].kind == OVERLAY_DIR && !strcmp(o[0].src, "overlay") && !strcmp(o[0].to, "/"),
	   "dir overlay to /");
	is_str(o[0].base_dir, GOOD, "overlay base_dir");
	ok(o[1].kind == OVERLAY_FILE && o[1].has_mode && o[1].mode == 0644 && o[1].has_uid &&
	   o[1].uid == 0 && o[1].has_gid, "file overlay with mode, uid, gid");
	ok(o[2].kind == OVERLAY_CONTENT && o[2].mode == 0755, "content overlay");
	is_str(o[2].src, "#!/bin/sh\necho hi\n", "block scalar content");
	ok(o[3].kind == OVERLAY_SYMLINK && !o[3].has_mode && o[3].uid == 1000, "symlink overlay");
	is_str(o[3].src, "/usr/local/bin/hi", "symlink target");
	ok(o[4].kind == OVERLAY_MKDIR && o[4].mode == 0700 && !o[4].has_gid, "mkdir overlay");
	is_str(o[4].to, "/srv/data", "mkdir destination");
	ok(o[5].kind == OVERLAY_REMOVE && !strcmp(o[5].to, "/etc/motd.d"), "remove overlay");
	ok(o[0].mark.line == 42 && o[0].mark.column == 9, "overlay mark line");
}

static void test_images(const struct recipe *r)
{
	const struct image *img = recipe_find_image(r, "rootfs");
	ok(!img->size_auto && img->size == 2ULL << 30, "size: 2G");
	is_str(img->fs, "ext4", "fs");
	is_str(img->label, "full-root", "label");
	ok(img->inodes == 65536 && img->has_epoch && img->epoch == 1700000000, "inodes, epoch");
	ok(img->allow_devices, "devices: true");
	ok(img->n_layers == 2 && img->layer_refs[0] == recipe_find_source(r, "alpine") &&
	   img->layer_refs[1] == recipe_find_source(r, "extras"), "layers resolved in order");
	ok(img->layer_marks[1].line == 40 && img->layer_marks[1].column == 22, "layer mark");
	test_overlays(img);
	const struct image *scratch = recipe_find_image(r, "scratch");
	ok(scratch->size_auto && !scratch->has_epoch && !scratch->allow_devices && !scratch->label,
	   "size: auto and defaults");
	ok(recipe_find_image(r, "sized")->size == 134217728, "size in bytes");
}

static void test_profiles(const struct recipe *r)
{
	const struct profile *p = recipe_find_profile(r, "default");
	ok(p->hypervisor == HV_QEMU && p->mem == 256 && p->cpus == 2, "qemu profile values");
	ok(p->kernel_ref == recipe_find_kernel(r, "microvm") &&
	   p->image_ref == recipe_find_image(r, "rootfs"), "profile refs resolved");
	is_str(p->init, "/sbin/init", "init");
	is_str(p->cmdline, "quiet loglevel=3", "cmdline");
	ok(p->n_net == 2 && !strcmp(p->net[0].tap, "tap0") && !p->net[1].mac, "net entries");
	is_str(p->net[0].mac, "02:00:00:00:00:01", "mac");
	ok(p->persist, "persist");
	is_str(recipe_option_get(p->qemu_opts, p->n_qemu_opts, "accel"), "tcg", "qemu accel option");
	is_str(recipe_option_get(p->qemu_opts, p->n_qemu_opts, "machine"), "x-option-roms=off", "qemu machine");
	ok(p->qemu_opts[0].mark.line == 69 && p->qemu_opts[0].mark.column == 13, "option mark");
	const struct profile *fc = recipe_find_profile(r, "fc");
	ok(fc->hypervisor == HV_FIRECRACKER && fc->mem == 128 && fc->cpus == 1 && !fc->persist &&
	   !fc->init && fc->n_net == 0, "firecracker profile defaults");
	is_str(recipe_option_get(fc->fc_opts, fc->n_fc_opts, "binary"), "/usr/local/bin/firecracker",
	       "firecracker binary option");
}

/* user-mode networking, extra disks and shares into their typed fields */
static void test_devices(const struct recipe *r)
{
	const struct profile *p = recipe_find_profile(r, "devices");
	ok(p && p->n_net == 3 && p->net[0].user && !p->net[0].tap && p->net[0].n_forwards == 2 &&
	   !strcmp(p->net[0].forwards[1], "udp:127.0.0.2:5353:53"), "a user-mode NIC and its forwards");
	ok(p && p->net[1].user && p->net[1].n_forwards == 0 && !strcmp(p->net[1].mac,
	   "02:00:00:00:00:02") && !p->net[2].user && !strcmp(p->net[2].tap, "tap0"),
	   "user: {} with a MAC, then a tap");
	ok(p && p->n_disks == 4 && p->disks[0].image_ref == recipe_find_image(r, "scratch") &&
	   !p->disks[0].readonly && p->disks[1].readonly && !p->disks[2].image &&
	   !strcmp(p->disks[2].file, "scratch.img") && p->disks[2].size == (1ULL << 30) &&
	   p->disks[3].size == (1ULL << 20), "disks: images resolved, scratch sizes");
	ok(p && p->n_shares == 2 && !strcmp(p->shares[0].host.path, "overlay") &&
	   !strcmp(p->shares[0].host.base_dir, GOOD) && !strcmp(p->shares[1].tag, "in") &&
	   p->shares[1].readonly && !p->shares[0].readonly, "shares as written, with their dir");
}

static void test_full(void)
{
	struct recipe r;
	ok(load(&r, GOOD "/full.yaml") == 0, "full.yaml loads");
	is_str(r.name, "full", "name");
	is_str(r.dir, GOOD, "recipe dir");
	ok(r.n_files == 1, "one file");
	test_sources(&r);
	test_kernels(&r);
	test_images(&r);
	test_profiles(&r);
	test_devices(&r);
	recipe_release(&r);
}

static void test_minimal(void)
{
	struct recipe r;
	ok(load(&r, GOOD "/minimal.yaml") == 0, "minimal.yaml loads");
	ok(!r.name, "no name");
	const struct kernel *k = &r.kernels[0];
	ok(k->base == KBASE_ALLNOCONFIG && k->strict && k->target_bzimage && k->target_vmlinux,
	   "kernel defaults");
	const struct image *i = &r.images[0];
	ok(i->size_auto && !strcmp(i->fs, "ext4") && i->n_layers == 0 && i->n_overlays == 0,
	   "image defaults");
	const struct profile *p = &r.profiles[0];
	ok(p->hypervisor == HV_QEMU && p->mem == 128 && p->cpus == 1 && !p->persist,
	   "profile defaults");
	recipe_release(&r);
}

static void test_include(void)
{
	struct recipe r;
	ok(load(&r, GOOD "/with-include.yaml") == 0, "with-include.yaml loads");
	is_str(r.name, "with-include", "the top file's name wins");
	ok(r.n_files == 3, "three files, the shared one loaded once (%zu)", r.n_files);
	const struct kernel *k = recipe_find_kernel(&r, "shared");
	is_str(k->mark.file, GOOD "/common/kernel.yaml", "kernel mark names the included file");
	is_str(k->fragments[0].base_dir, GOOD "/common", "fragment base_dir is the included dir");
	const struct source *s = recipe_find_source(&r, "linux");
	char *full = recipe_tree_path_shown(s->base_dir, s->path);
	is_str(full, GOOD "/common/../linux.tar.xz", "source path resolves beneath its file");
	free(full);
	ok(k->source_ref == s && r.profiles[0].kernel_ref == k, "references across files");
	ok(r.images[0].layer_refs[0] == recipe_find_source(&r, "rootfs"), "layer across files");
	recipe_release(&r);
}

static void test_errors(void)
{
	struct recipe r;
	struct error err = ERROR_INIT;
	ok(recipe_load(&r, "tests/recipes/bad/unknown-key.yaml", &err) < 0 && err.kind == ERROR_USAGE,
	   "a bad recipe is a usage error");
	is_str(err.msg, "tests/recipes/bad/unknown-key.yaml:4:5: unknown key 'sizee' in image "
	       "'rootfs' (did you mean 'size'?)", "with file:line:col");
	recipe_release(&r);
	error_release(&err);
	ok(recipe_load(&r, "tests/recipes/none.yaml", &err) < 0 && err.kind == ERROR_USAGE,
	   "a missing recipe is a usage error");
	recipe_release(&r);
	error_release(&err);
}

static struct ynode *parse(const char *text, struct error *err)
{
	struct ynode *root = NULL;
	if (recipe_yaml_parse_text(text, strlen(text), "t.yaml", &root, err) < 0)
		return NULL;
	return root;
}

static void test_tree(void)
{
	struct error err = ERROR_INIT;
	struct ynode *n = parse("a: 12\nb: '12'\nc: true\nd: ~\ne:\nf: 0x10\ng: -3\n", &err);
	ok(n && n->kind == YNODE_MAP && n->n == 7, "a map of seven");
	ok(recipe_yaml_get(n, "a")->type == YSCALAR_INT && recipe_yaml_get(n, "b")->type == YSCALAR_STR &&
	   recipe_yaml_get(n, "b")->quoted, "plain 12 is an integer, '12' a string");
	ok(recipe_yaml_get(n, "c")->type == YSCALAR_BOOL && recipe_yaml_get(n, "d")->type == YSCALAR_NULL &&
	   recipe_yaml_get(n, "e")->type == YSCALAR_NULL, "booleans and nulls");
	ok(recipe_yaml_get(n, "f")->type == YSCALAR_STR && recipe_yaml_get(n, "g")->type == YSCALAR_INT,
	   "hex is text, negative decimal an integer");
	ok(recipe_yaml_get(n, "g")->mark.line == 7 && recipe_yaml_get(n, "g")->mark.column == 4, "marks 1-based");
	recipe_yaml_free(n);

	struct buf deep = BUF_INIT;
	for (int i = 0; i < YNODE_MAX_DEPTH; i++)
		buf_addc(&deep, '[');
	for (int i = 0; i < YNODE_MAX_DEPTH; i++)
		buf_addc(&deep, ']');
	n = parse(deep.data, &err);
	ok(n != NULL, "nesting of exactly %d levels is fine", YNODE_MAX_DEPTH);
	recipe_yaml_free(n);
	buf_reset(&deep);
	for (int i = 0; i <= YNODE_MAX_DEPTH; i++)
		buf_addc(&deep, '[');
	n = parse(deep.data, &err);
	is_str(err.msg, "t.yaml:1:65: nesting deeper than 64 levels", "one more level is refused");
	buf_release(&deep);
	error_release(&err);

	ok(!parse("a: &x 1\n", &err), "an anchor is refused");
	error_release(&err);
	ok(!parse("a: *x\n", &err), "an alias is refused, even undefined");
	error_release(&err);
	ok(!parse("{a: 1, b: 2, a: 3}", &err), "duplicate keys in a flow map are refused");
	is_str(err.msg, "t.yaml:1:14: duplicate key 'a' (first written at line 1 column 2)",
	       "duplicate key message");
	error_release(&err);
	ok(!parse("? [a]\n: 1\n", &err), "a complex key is refused");
	error_release(&err);
	struct ynode *none = parse("# only a comment\n", &err);
	ok(!none && !err.msg, "no document gives no tree and no error");
}

static double seconds_per_load(const char *path, int rounds)
{
	double start = now_monotonic();
	for (int i = 0; i < rounds; i++) {
		struct recipe r;
		struct error err = ERROR_INIT;
		if (recipe_load(&r, path, &err) < 0) {
			printf("# %s: %s\n", path, err.msg);
			error_release(&err);
			return 1e9;
		}
		recipe_release(&r);
	}
	return (now_monotonic() - start) / rounds;
}

static void test_speed(void)
{
	double demo = seconds_per_load("recipes/demo.yaml", 500);
	printf("# recipes/demo.yaml: %.1f us per load\n", demo * 1e6);
	/* a figure, not a budget: bench/recipe.sh measures speed */
	ok(demo < 1e9, "recipes/demo.yaml loads 500 times");

	/* a hostile but valid recipe: 1 MiB of names, each used once */
	/* in a private directory: the recipe's tree is its directory, and a
	 * shared /tmp may hold anything named "x" while other tests run */
	char dir[] = "/tmp/mvbuild-test-recipe.XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "a private directory for the 1 MiB recipe");
		return;
	}
	char path[sizeof(dir) + 16];
	snprintf(path, sizeof(path), "%s/mvbuild.yaml", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "mvbuild: 1\nsources:\n");
	int n = 18000;
	for (int i = 0; i < n; i++)
		fprintf(f, "  s%d: {path: x}\n", i);
	fprintf(f, "kernels:\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "  k%d: {source: s%d}\n", i, n - 1 - i);
	fclose(f);
	double big = seconds_per_load(path, 1);
	printf("# %d sources and %d kernels: %.3f s per load\n", n, n, big);
	ok(big < 1e9, "a 1 MiB recipe with %d entities loads", 2 * n);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const char *repo = getenv("REPO_DIR");
	if (repo && chdir(repo) < 0)
		return 1;
	test_full();
	test_minimal();
	test_include();
	test_errors();
	test_tree();
	test_speed();
	return tap_done();
}
