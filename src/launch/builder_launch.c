/*
 * builder_launch: the launch builder, one node per profile ("profile:NAME").
 * describe() records every parameter of the profile (the engine adds the
 * kernel's and the images' output digests as dependencies "kernel:K" and
 * "image:I", for the image, the initrd and the extra disks).  build() reads
 * the kernel's config for CONFIG_PVH, the options that unpack an initrd and
 * the drivers the profile's devices need (launch_needs.c), and writes:
 *   qemu.json         the qemu argv for KVM and for TCG plus the content
 *                     references (format in launch_qemu.c)
 *   qemu.sh           the same as a runnable shell script
 *   firecracker.json  Firecracker's --config-file (launch_firecracker.c),
 *                     when the profile can boot under Firecracker (always
 *                     for a firecracker profile; otherwise when the kernel
 *                     and vCPU count allow it)
 * None of them holds an absolute path: `run` resolves the placeholders.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/builder.h"
#include "base/fileutil.h"
#include "launch/launch.h"
#include "recipe/recipe.h"
#include "base/util.h"

static const char *recipe_name(const struct mvctx *ctx)
{
	return ctx->recipe ? ctx->recipe->name : NULL;
}

static void describe_options(struct record *rec, const char *kind, const struct option *o,
			     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *label = xasprintf("param %s %s", kind, o[i].key);
		record_add(rec, label, "%s", o[i].value);
		free(label);
	}
}

static void describe_nic(struct record *rec, const struct launch_nic *nic, size_t i)
{
	if (!nic->user) {
		char *label = xasprintf("param net %zu", i);
		const char *words[] = { nic->tap, nic->mac };
		record_add_words(rec, label, NULL, words, ARRAY_SIZE(words));
		free(label);
		return;
	}
	/* its own label: a tap may be called "user" */
	char *label = xasprintf("param net %zu user", i);
	const char **words = xcalloc(nic->n_hostfwd + 1, sizeof(*words));
	words[0] = nic->mac;
	for (size_t j = 0; j < nic->n_hostfwd; j++)
		words[j + 1] = nic->hostfwd[j];
	record_add_words(rec, label, NULL, words, nic->n_hostfwd + 1);
	free(words);
	free(label);
}

/* an image disk's content is in the key through its image node, a dependency */
static void describe_disk(struct record *rec, const struct launch_disk *d, size_t i)
{
	char *label = xasprintf("param disk %zu", i), *size = xasprintf("%llu",
						(unsigned long long)d->size);
	const char *image[] = { "image", d->image, d->readonly ? "readonly" : "writable" };
	const char *file[] = { "file", d->file, size };
	record_add_words(rec, label, NULL, d->image ? image : file, 3);
	free(label);
	free(size);
}

static int launch_describe(struct mvctx *ctx, const struct node *node, struct record *rec,
			   struct error *err)
{
	const struct profile *p = node->u.profile;
	struct launch_spec spec;
	/* validating here makes a bad profile a recipe error before anything builds */
	int ret = launch_spec_from_profile(&spec, recipe_name(ctx), p, err);
	if (ret == 0) {
		record_add(rec, "param hypervisor", "%s",
			   p->hypervisor == HV_FIRECRACKER ? "firecracker" : "qemu");
		record_add(rec, "param mem", "%u", spec.mem);
		record_add(rec, "param cpus", "%u", spec.cpus);
		/* an absent optional field has no entry, so absent and empty differ */
		if (spec.init)
			record_add(rec, "param init", "%s", spec.init);
		if (spec.cmdline)
			record_add(rec, "param cmdline", "%s", spec.cmdline);
		/* the image nodes are dependencies already; this says which is the initrd */
		if (p->initrd)
			record_add(rec, "param initrd", "%s", p->initrd);
		record_add(rec, "param persist", "%s", spec.persist ? "true" : "false");
		if (recipe_name(ctx))
			record_add(rec, "param recipe name", "%s", recipe_name(ctx));
		for (size_t i = 0; i < spec.n_nics; i++)
			describe_nic(rec, &spec.nics[i], i);
		for (size_t i = 0; i < spec.n_disks; i++)
			describe_disk(rec, &spec.disks[i], i);
		for (size_t i = 0; i < spec.n_shares; i++) {
			char *label = xasprintf("param share %zu", i);
			const char *words[] = { spec.shares[i].host, spec.shares[i].tag,
						spec.shares[i].readonly ? "readonly" : "writable" };
			record_add_words(rec, label, NULL, words, ARRAY_SIZE(words));
			free(label);
		}
		describe_options(rec, "qemu", p->qemu_opts, p->n_qemu_opts);
		describe_options(rec, "firecracker", p->fc_opts, p->n_fc_opts);
	}
	launch_spec_release(&spec);
	return ret;
}

/*
 * What the kernel config at path offers the launch: CONFIG_PVH=y, and the
 * first option an initrd of compression c needs that it lacks (initramfs.config
 * has them all), so a kernel that cannot unpack it is an error, not a panic;
 * and what the devices need.
 */
static int kernel_config_facts(const char *config, const struct profile *p,
			       struct launch_spec *spec, struct error *err)
{
	struct buf text = BUF_INIT;
	if (read_file(config, 64 << 20, &text, err) < 0)
		return -1;
	const char *t = text.data ? text.data : "";
	spec->kernel_pvh = launch_needs_built_in(t, "PVH");
	if (p->initrd_ref) {
		static const char *const rd[] = {
			[IMAGE_GZIP] = "RD_GZIP", [IMAGE_ZSTD] = "RD_ZSTD", [IMAGE_UNCOMPRESSED] = NULL,
		};
		const char *c = rd[p->initrd_ref->compression];
		if (!launch_needs_built_in(t, "BLK_DEV_INITRD"))
			spec->kernel_initrd_missing = "BLK_DEV_INITRD";
		else if (c && !launch_needs_built_in(t, c))
			spec->kernel_initrd_missing = c;
	}
	int ret = launch_needs_check(spec, p, t, err);
	buf_release(&text);
	return ret;
}

static int write_output(struct build_ctx *b, const char *name, const struct buf *content,
			unsigned mode, struct error *err)
{
	char *path = path_join(b->workdir, name);
	int ret = write_file_atomic(path, content->data, content->len, mode, err);
	free(path);
	if (ret == 0)
		builder_output(b, name, name);
	return ret;
}

/* the kernel facts the launch depends on, from the kernel node's outputs */
static int kernel_facts(struct build_ctx *b, const struct profile *p, struct launch_spec *spec,
			struct error *err)
{
	char *kid = xasprintf("kernel:%s", p->kernel);
	const char *config = builder_input_path(b, kid, "config");
	spec->has_vmlinux = builder_input_find(b, kid, "vmlinux") != NULL;
	spec->has_bzimage = builder_input_find(b, kid, "bzImage") != NULL;
	int ret = config ? kernel_config_facts(config, p, spec, err) : 0;
	free(kid);
	return ret;
}

/* the reference to output out of node id (relpath allocated into *rel); NULL with err */
static const struct build_input *input_ref(struct build_ctx *b, const char *id, const char *out,
					   struct launch_ref *ref, char **rel, struct error *err)
{
	const struct build_input *in = builder_input_find(b, id, out);
	if (!in) {
		error_set(err, "profile '%s': %s has no output '%s'", b->node->u.profile->name, id, out);
		return NULL;
	}
	*rel = builder_input_relpath(in);
	*ref = (struct launch_ref){ in->output, in->digest, *rel };
	return in;
}


/* each image disk's digest and cache-relative path (*rels owns the paths) */
static int disk_refs(struct build_ctx *b, struct launch_spec *spec, char ***rels,
		     struct error *err)
{
	*rels = xcalloc(spec->n_disks + 1, sizeof(**rels));
	for (size_t i = 0; i < spec->n_disks; i++) {
		struct launch_disk *d = &spec->disks[i];
		if (!d->image)
			continue;
		char *id = xasprintf("image:%s", d->image);
		const struct build_input *in = builder_input_find(b, id, "rootfs.ext4");
		if (!in)
			error_set(err, "profile '%s': %s has no output 'rootfs.ext4'", spec->profile, id);
		free(id);
		if (!in)
			return -1;
		d->digest = in->digest;
		d->relpath = (*rels)[i] = builder_input_relpath(in);
	}
	return 0;
}

static int write_qemu(struct build_ctx *b, struct launch_spec *spec, struct error *err)
{
	const struct profile *p = b->node->u.profile;
	char *kid = xasprintf("kernel:%s", p->kernel);
	char *iid = p->image ? xasprintf("image:%s", p->image) : NULL;
	char *rid = p->initrd ? xasprintf("image:%s", p->initrd) : NULL;
	struct buf json = BUF_INIT, sh = BUF_INIT;
	char *kernel_rel = NULL, *image_rel = NULL, *initrd_rel = NULL, *root = NULL;
	char **disk_rels = NULL;
	struct launch_ref kref, iref, rref;
	int ret = -1;
	if (!input_ref(b, kid, launch_qemu_kernel_output(spec), &kref, &kernel_rel, err) ||
	    (iid && !input_ref(b, iid, recipe_image_output(p->image_ref), &iref, &image_rel, err)) ||
	    (rid && !input_ref(b, rid, recipe_image_output(p->initrd_ref), &rref, &initrd_rel, err)))
		goto out;
	if (disk_refs(b, spec, &disk_rels, err) < 0)
		goto out;
	root = builder_root_from_output();
	launch_qemu_json(spec, &kref, iid ? &iref : NULL, rid ? &rref : NULL, &json);
	launch_qemu_script(spec, &kref, iid ? &iref : NULL, rid ? &rref : NULL, root, &sh);
	if (write_output(b, "qemu.json", &json, 0644, err) < 0 ||
	    write_output(b, "qemu.sh", &sh, 0755, err) < 0)
		goto out;
	ret = 0;
out:
	buf_release(&json);
	buf_release(&sh);
	free(kernel_rel);
	free(image_rel);
	free(initrd_rel);
	free(root);
	for (size_t i = 0; disk_rels && i < spec->n_disks; i++)
		free(disk_rels[i]);
	free(disk_rels);
	free(kid);
	free(iid);
	free(rid);
	return ret;
}

static int launch_build(struct build_ctx *b, struct error *err)
{
	const struct profile *p = b->node->u.profile;
	struct launch_spec spec;
	struct error fc_err = ERROR_INIT;
	struct buf fc = BUF_INIT;
	int ret = -1;
	if (launch_spec_from_profile(&spec, recipe_name(b->ctx), p, err) < 0 ||
	    kernel_facts(b, p, &spec, err) < 0 ||
	    launch_spec_check(&spec, p, p->hypervisor, err) < 0)
		goto out;
	if (launch_spec_check(&spec, p, HV_QEMU, p->hypervisor == HV_QEMU ? err : &fc_err) == 0 &&
	    write_qemu(b, &spec, err) < 0)
		goto out;
	if (error_is_set(err))
		goto out;
	if (launch_spec_check(&spec, p, HV_FIRECRACKER, &fc_err) == 0) {
		launch_fc_json(&spec, &fc);
		if (write_output(b, "firecracker.json", &fc, 0644, err) < 0)
			goto out;
	}
	ret = 0;
out:
	error_release(&fc_err);
	buf_release(&fc);
	launch_spec_release(&spec);
	return ret;
}

const struct builder launch_builder = {
	.kind = NODE_LAUNCH,
	.name = "launch",
	.version = 2, /* 2: no_timer_check under TCG; each NIC checked for CONFIG_VIRTIO_NET */
	.describe = launch_describe,
	.build = launch_build,
};
