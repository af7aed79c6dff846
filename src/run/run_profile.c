/*
 * run_profile: `mvbuild run` below the command line.  The recipe's profile
 * is checked first, then the overrides make a variant of it (its own launch
 * node key, see engine_variant_profile), the variant, its kernel, its
 * image and its initrd are brought up to date, the cached launch config is resolved
 * against this cache and a fresh run directory, and the hypervisor runs
 * under run_supervise().
 */
#include "run/run_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileutil.h"
#include "base/json.h"
#include "base/progress.h"
#include "base/suggest.h"
#include "base/util.h"
#include "cache/cache.h"
#include "launch/launch.h"
#include "recipe/recipe.h"
#include "run/accel.h"
#include "run/run.h"

/* what a run resolved: the outputs it boots from */
struct run_inputs {
	const struct build_input *kernel_outs, *image_outs, *initrd_outs, *launch_outs;
	int n_kernel, n_image, n_initrd, n_launch;  /* 0 for a node the profile has not */
	const struct build_input **disk_images; /* per extra disk: its image's rootfs.ext4, or NULL */
	char **disk_paths;                      /* per extra disk: the file the guest gets */
	size_t n_disks;
	char **share_paths;                     /* per share: its host folder, resolved */
	size_t n_shares;
};

static const struct build_input *find_output(const struct build_input *outs, int n,
					     const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(outs[i].output, name) == 0)
			return &outs[i];
	return NULL;
}

/* the profile named name, or without a name the one called default; NULL with err */
static const struct profile *choose_profile(const struct recipe *r, const char *name,
					    struct error *err)
{
	const struct profile *p = recipe_find_profile(r, name ? name : "default");
	if (p)
		return p;
	const char **names = xcalloc(r->n_profiles + 1, sizeof(*names));
	for (size_t i = 0; i < r->n_profiles; i++)
		names[i] = r->profiles[i].name;
	char *hint = suggest_hint(name ? name : "", names, r->n_profiles, "profiles");
	if (name)
		error_usage(err, "no profile '%s' in recipe '%s'%s", name, r->path, hint);
	else if (r->n_profiles)
		error_usage(err, "which profile? recipe '%s' has no 'default'%s", r->path, hint);
	else
		error_usage(err, "recipe '%s' has no profiles to run", r->path);
	free(hint);
	free(names);
	return NULL;
}

/* the rootfs.ext4 of each image disk of v, built with the rest (a target, as the image is) */
static int disk_images(struct engine *e, const struct profile *v, struct run_inputs *in,
		       struct error *err)
{
	in->n_disks = v->n_disks;
	in->disk_images = xcalloc(v->n_disks + 1, sizeof(*in->disk_images));
	in->disk_paths = xcalloc(v->n_disks + 1, sizeof(*in->disk_paths));
	for (size_t i = 0; i < v->n_disks; i++) {
		if (!v->disks[i].image)
			continue;
		char *id = xasprintf("image:%s", v->disks[i].image);
		struct node *n = engine_find(e, id);
		const struct build_input *outs = NULL;
		int n_outs = n ? engine_outputs(e, n, &outs, err) : -1;
		if (!n)
			error_usage(err, "no node '%s' in the recipe", id);
		free(id);
		if (n_outs < 0)
			return -1;
		if (!(in->disk_images[i] = find_output(outs, n_outs, "rootfs.ext4")))
			return error_set(err, "image '%s' has no output 'rootfs.ext4'",
					 v->disks[i].image);
	}
	return 0;
}

/*
 * Build the variant v of the profile node, its kernel, its image and its
 * initrd (each when it has one) and its disks' images, and find their
 * outputs.  The variant node is the caller's (*variant), since in points at
 * its outputs.
 */
static int build_inputs(struct engine *e, const struct profile *v, struct node **variant,
			struct run_inputs *in, struct error *err)
{
	size_t n_ids = 4 + v->n_disks;
	char **ids = xcalloc(n_ids, sizeof(*ids));
	struct node **nodes = xcalloc(n_ids, sizeof(*nodes));
	ids[0] = xasprintf("profile:%s", v->name);
	ids[1] = xasprintf("kernel:%s", v->kernel);
	ids[2] = v->image ? xasprintf("image:%s", v->image) : NULL;
	ids[3] = v->initrd ? xasprintf("image:%s", v->initrd) : NULL;
	for (size_t i = 0; i < v->n_disks; i++)
		if (v->disks[i].image)
			ids[4 + i] = xasprintf("image:%s", v->disks[i].image);
	/* where the outputs of the first four go; the disks' are found by disk_images() */
	const struct build_input **outs[4] = { &in->launch_outs, &in->kernel_outs, &in->image_outs,
					       &in->initrd_outs };
	int *counts[4] = { &in->n_launch, &in->n_kernel, &in->n_image, &in->n_initrd };
	size_t n = 0, *which = xcalloc(n_ids, sizeof(*which));
	int ret = -1;
	for (size_t i = 0; i < n_ids; i++) {
		if (!ids[i])
			continue;
		if (!(nodes[n] = engine_find(e, ids[i]))) {
			error_usage(err, "no node '%s' in the recipe", ids[i]);
			goto out;
		}
		which[n++] = i;
	}
	if (!(*variant = nodes[0] = engine_variant_profile(e, nodes[0], v, err)))
		goto out;
	/* kernel and images are targets too: a cached launch config does not fetch them */
	if (engine_build(e, nodes, n, err) < 0 || disk_images(e, v, in, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (which[i] < ARRAY_SIZE(outs) &&
		    (*counts[which[i]] = engine_outputs(e, nodes[i], outs[which[i]], err)) < 0)
			goto out;
	ret = 0;
out:
	for (size_t i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
	free(nodes);
	free(which);
	return ret;
}

/*
 * The accelerator: what --accel or the profile asks for, else KVM where it
 * can run a guest and TCG otherwise; says which and why.  KVM asked for on a
 * host where /dev/kvm cannot even start a VM is an error, not a silent TCG.
 */
static int choose_accel(struct mvctx *ctx, const char *option,
			const struct launch_spec *spec, const char *profile, enum accel *a,
			struct error *err)
{
	struct accel_probe probe;
	accel_probe(&probe, NULL);
	const char *asked = option ? "--accel" : spec->accel != ACCEL_AUTO ?
			    "the profile's qemu: {accel:}" : NULL;
	if (option) {
		if (accel_parse(option, a) < 0)
			return error_usage(err, "want kvm or tcg, not '%s'", option);
	} else if (spec->accel != ACCEL_AUTO)
		*a = spec->accel == ACCEL_WANT_KVM ? ACCEL_KVM : ACCEL_TCG;
	else
		*a = probe.kvm_usable ? ACCEL_KVM : ACCEL_TCG;
	if (*a == ACCEL_KVM && !probe.kvm_present)
		return error_set(err, "KVM was asked for by %s, but %s: use --accel tcg", asked,
				 probe.reason);
	char *id = xasprintf("profile:%s", profile);
	if (!asked)
		progress_note(ctx->progress, id, "qemu with %s (%s: using %s)", accel_name(*a),
			      probe.reason, *a == ACCEL_KVM ? "KVM" : "TCG");
	else
		progress_note(ctx->progress, id, "qemu with %s (%s)", accel_name(*a), asked);
	if (*a == ACCEL_KVM && !probe.kvm_usable)
		progress_note(ctx->progress, id, "warning: KVM was asked for, but %s: the guest may "
			      "stop with a KVM internal error", probe.reason);
	free(id);
	return 0;
}

static int load_json_output(const struct run_inputs *in, const char *name, struct buf *text,
			    struct json *out, struct error *err)
{
	const struct build_input *f = find_output(in->launch_outs, in->n_launch, name);
	if (!f)
		return error_set(err, "the launch config has no '%s'", name);
	if (read_file(f->path, 16 << 20, text, err) < 0)
		return -1;
	return out ? json_parse(out, text->data, text->len, err) : 0;
}

/* the kernel output the config names, checked against what the kernel node has */
static const char *kernel_path(const struct run_inputs *in, const char *output,
			       const char *digest, struct error *err)
{
	const struct build_input *k = find_output(in->kernel_outs, in->n_kernel, output);
	if (!k) {
		error_set(err, "the kernel has no output '%s'", output);
		return NULL;
	}
	if (digest && strcmp(digest, k->digest) != 0) {
		error_set(err, "the launch config names kernel %s %s, but the kernel is %s", output,
			  digest, k->digest);
		return NULL;
	}
	return k->path;
}

static int prepare_dir(struct mvctx *ctx, const struct profile *p, const struct launch_spec *spec,
		       const struct run_inputs *in, struct run_dir *rd, struct error *err)
{
	const struct build_input *img = NULL;
	if (p->image) {
		const char *name = recipe_image_output(p->image_ref);
		if (!(img = find_output(in->image_outs, in->n_image, name)))
			return error_set(err, "image '%s' has no output '%s'", p->image, name);
	}
	char rid[17];
	recipe_id(ctx->recipe, rid);
	/* a squashfs root is read-only (qemu readonly=on): the cached image itself, no copy */
	bool copy = img && !spec->root_squashfs;
	int ret = run_dir_prepare(rd, cache_root(ctx->cache), rid, spec->profile, spec->persist,
				  copy ? img->path : NULL, copy ? img->digest : NULL, err);
	if (ret == 0 && img && !copy)
		rd->image = xstrdup(img->path);
	if (ret == 0 && rd->reused)
		progress_debug(ctx->progress, NULL, "reusing the persistent image '%s'", rd->image);
	return ret;
}

/* the paths of kernel output kout, the run's image copy and the cached initrd; 0 or -1 */
static int run_paths(const struct profile *p, const struct run_inputs *in, const char *kout,
		     const char *kdigest, const struct run_dir *rd, struct run_paths *paths,
		     struct error *err)
{
	*paths = (struct run_paths){ kernel_path(in, kout, kdigest, err), rd->image, NULL };
	if (!paths->kernel)
		return -1;
	if (p->initrd) {
		const char *name = recipe_image_output(p->initrd_ref);
		const struct build_input *r = find_output(in->initrd_outs, in->n_initrd, name);
		if (!r)
			return error_set(err, "image '%s' has no output '%s'", p->initrd, name);
		paths->initrd = r->path;
	}
	return 0;
}

/* each extra disk's file: the cached image itself when read-only, else one in the run dir */
static int prepare_disks(const struct launch_spec *spec, struct run_inputs *in,
			 struct run_dir *rd, struct error *err)
{
	for (size_t i = 0; i < spec->n_disks; i++) {
		const struct launch_disk *d = &spec->disks[i];
		const struct build_input *img = in->disk_images[i];
		int ret = 0;
		if (d->image && d->readonly)
			in->disk_paths[i] = xstrdup(img->path);
		else
			ret = run_dir_disk(rd, d->image ? d->image : d->file, img ? img->path : NULL,
					   img ? img->digest : NULL, d->size, &in->disk_paths[i], err);
		if (ret < 0) {
			error_prefix(err, "disk %zu of profile '%s'", i, spec->profile);
			return -1;
		}
	}
	return 0;
}

/* each share's host folder, resolved beneath the recipe tree now, when the run starts */
static int resolve_shares(const struct mvctx *ctx, const struct profile *v, struct run_inputs *in,
			  struct error *err)
{
	in->share_paths = xcalloc(v->n_shares + 1, sizeof(*in->share_paths));
	for (size_t i = 0; i < v->n_shares; i++) {
		if (!(in->share_paths[i] = run_share_resolve(ctx->recipe->dir, &v->shares[i], err)))
			return -1;
		in->n_shares++;
	}
	return 0;
}

/* put each disk's and share's path in for its ${diskN} or ${shareN} in argv */
static void substitute_disks(const struct run_inputs *in, struct launch_argv *argv)
{
	for (size_t i = 0; i < in->n_disks; i++) {
		char *ph = xasprintf(LAUNCH_DISK_FMT, i);
		run_substitute_placeholder(argv->v, argv->n, ph, in->disk_paths[i]);
		free(ph);
	}
	for (size_t i = 0; i < in->n_shares; i++) {
		char *ph = xasprintf(LAUNCH_SHARE_FMT, i);
		run_substitute_placeholder(argv->v, argv->n, ph, in->share_paths[i]);
		free(ph);
	}
}

/* the same in Firecracker's config text (freed and replaced) */
static char *substitute_disks_json(const struct run_inputs *in, char *text)
{
	for (size_t i = 0; i < in->n_disks; i++) {
		char *ph = xasprintf(LAUNCH_DISK_FMT, i);
		char *next = run_substitute_json_placeholder(text, ph, in->disk_paths[i]);
		free(ph);
		free(text);
		text = next;
	}
	return text;
}

static int qemu_command(struct mvctx *ctx, const char *accel, const struct profile *p,
			const struct launch_spec *spec, const struct run_inputs *in,
			const struct run_dir *rd, struct launch_argv *argv, struct error *err)
{
	struct buf text = BUF_INIT;
	struct json cfg;
	if (load_json_output(in, "qemu.json", &text, &cfg, err) < 0) {
		buf_release(&text);
		return -1;
	}
	const struct json *kref = json_get(&cfg, "kernel");
	const char *kout = json_get_string(kref, "output");
	struct run_paths paths;
	int ret = -1;
	enum accel a;
	if (run_paths(p, in, kout ? kout : "", json_get_string(kref, "sha256"), rd, &paths,
		      err) == 0 &&
	    choose_accel(ctx, accel, spec, spec->profile, &a, err) == 0)
		ret = run_qemu_argv(&cfg, a, spec->qemu_binary, &paths, argv, err);
	if (ret == 0)
		substitute_disks(in, argv);
	json_release(&cfg);
	buf_release(&text);
	return ret;
}

static int firecracker_command(struct mvctx *ctx, const struct profile *p,
			       const struct launch_spec *spec, const struct run_inputs *in,
			       const struct run_dir *rd, struct launch_argv *argv, struct error *err)
{
	struct buf text = BUF_INIT;
	char *bin = NULL, *version = NULL, *config = NULL, *resolved = NULL;
	struct run_paths paths;
	int ret = -1;
	if (run_firecracker_find(spec->fc_binary, &bin, &version, err) < 0 ||
	    load_json_output(in, "firecracker.json", &text, NULL, err) < 0 ||
	    run_paths(p, in, "vmlinux", NULL, rd, &paths, err) < 0)
		goto out;
	resolved = substitute_disks_json(in, run_substitute_json(text.data, &paths));
	config = path_join(rd->path, "firecracker.json");
	if (write_file_atomic(config, resolved, strlen(resolved), 0644, err) < 0)
		goto out;
	struct accel_probe probe;
	accel_probe(&probe, NULL);
	if (!probe.kvm_present) {
		error_set(err, "Firecracker needs KVM, but %s: boot this profile with "
			  "--hypervisor qemu", probe.reason);
		goto out;
	}
	char *id = xasprintf("profile:%s", spec->profile);
	progress_note(ctx->progress, id, "firecracker %s%s%s", version,
		      probe.kvm_usable ? "" : "; warning: Firecracker needs KVM, and ",
		      probe.kvm_usable ? "" : probe.reason);
	free(id);
	launch_argv_add(argv, bin);
	launch_argv_add(argv, "--no-api");
	launch_argv_add(argv, "--config-file");
	launch_argv_add(argv, config);
	ret = 0;
out:
	buf_release(&text);
	free(bin);
	free(version);
	free(config);
	free(resolved);
	return ret;
}

static int report(struct mvctx *ctx, const struct run_result *res, const char *hv,
		  struct error *err)
{
	if (res->kvm_failure)
		return error_set(err, "%s stopped after a KVM internal error: this host's KVM cannot "
				 "run the guest (%s)", hv, strcmp(hv, "qemu") == 0 ? "try --accel tcg"
				 : "Firecracker has no TCG: boot it with --hypervisor qemu here");
	if (res->signal) {
		/* the shell convention for a command ended by a signal */
		progress_note(ctx->progress, NULL, "interrupted by %s: %s stopped",
			      strsignal(res->signal), hv);
		return 128 + res->signal;
	}
	if (res->status != 0)
		progress_note(ctx->progress, NULL, "%s exited with status %d", hv, res->status);
	return res->status;
}

static int boot(struct mvctx *ctx, const char *accel, const struct profile *p,
		const struct launch_spec *spec, struct run_inputs *in, struct error *err)
{
	struct run_dir rd;
	struct launch_argv argv = { 0 };
	int status = -1;
	bool fc = spec->hypervisor == HV_FIRECRACKER;
	if (prepare_dir(ctx, p, spec, in, &rd, err) < 0 || prepare_disks(spec, in, &rd, err) < 0)
		goto out;
	if ((fc ? firecracker_command(ctx, p, spec, in, &rd, &argv, err)
		: qemu_command(ctx, accel, p, spec, in, &rd, &argv, err)) < 0)
		goto out;
	struct run_spec rs = { argv.v, fc ? "firecracker" : "qemu", ctx->progress };
	struct run_result res;
	if (run_supervise(&rs, &res, err) < 0)
		goto out;
	status = report(ctx, &res, rs.name, err);
out:
	run_dir_release(&rd);
	launch_argv_release(&argv);
	return status;
}

/* --reset: the persistent copies go, so this run starts from the images */
static int reset_dir(struct mvctx *ctx, const char *profile, struct error *err)
{
	char rid[17];
	recipe_id(ctx->recipe, rid);
	char *id = xasprintf("profile:%s", profile);
	progress_note(ctx->progress, id, "--reset: fresh copies of the root image and disks");
	free(id);
	return run_dir_reset(cache_root(ctx->cache), rid, profile, err);
}

int run_profile(struct mvctx *ctx, struct engine *e, const char *name,
		const struct run_overrides *o, struct error *err)
{
	struct run_variant v = { 0 };
	struct launch_spec spec = { 0 };
	struct run_inputs in = { 0 };
	struct node *variant = NULL;
	int status = -1;
	const struct profile *p = choose_profile(ctx->recipe, name, err);
	/* the recipe's own profile first, so that only an override can be wrong after */
	if (!p || launch_spec_from_profile(&spec, ctx->recipe->name, p, err) < 0)
		goto out;
	launch_spec_release(&spec);
	run_variant_init(&v, p, o);
	if (launch_spec_from_profile(&spec, ctx->recipe->name, &v.profile, err) < 0 ||
	    build_inputs(e, &v.profile, &variant, &in, err) < 0)
		goto out;
	if (resolve_shares(ctx, &v.profile, &in, err) < 0)
		goto out;
	if (o->reset && spec.persist && reset_dir(ctx, spec.profile, err) < 0)
		goto out;
	status = boot(ctx, o->accel, &v.profile, &spec, &in, err);
out:
	for (size_t i = 0; i < in.n_disks; i++)
		free(in.disk_paths[i]);
	free(in.disk_paths);
	free(in.disk_images);
	for (size_t i = 0; i < in.n_shares; i++)
		free(in.share_paths[i]);
	free(in.share_paths);
	engine_variant_free(e, variant);
	launch_spec_release(&spec);
	run_variant_release(&v);
	return status;
}
