/*
 * cmd_run: `mvbuild run [PROFILE] [--mem N] [--cpus N] [--init PATH]
 * [--append ARGS] [--tap NAME] [--accel kvm|tcg] [--hypervisor H]`.
 * Without PROFILE it runs the profile called default.  Command-line
 * overrides make a variant of the profile (its own launch node key), then
 * the profile, its kernel and its image are brought up to date, the cached
 * launch config is resolved against this cache and a fresh run directory,
 * and the hypervisor runs under run_supervise().
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/accel.h"
#include "cache/cache.h"
#include "cmd/cli.h"
#include "engine/engine.h"
#include "base/fileutil.h"
#include "base/json.h"
#include "launch/launch.h"
#include "base/progress.h"
#include "recipe/recipe.h"
#include "run/run.h"
#include "base/suggest.h"
#include "base/util.h"

struct run_opts {
	uint32_t mem, cpus;      /* --mem, --cpus; 0: the profile's */
	const char *init;        /* --init */
	const char *append;      /* --append */
	const char *tap;         /* --tap */
	const char *accel;       /* --accel */
	const char *hypervisor;  /* --hypervisor */
};

/* a whole number; its range is the profile's own check (recipe_validate), which names it */
static int parse_count(const char *s, uint32_t *out, struct error *err)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v == 0 || v > UINT32_MAX)
		return error_usage(err, "want a whole number above 0, not '%s'", s);
	*out = (uint32_t)v;
	return 0;
}

static int parse_mem(void *base, const char *v, struct error *err)
{
	return parse_count(v, &((struct run_opts *)base)->mem, err);
}

static int parse_cpus(void *base, const char *v, struct error *err)
{
	return parse_count(v, &((struct run_opts *)base)->cpus, err);
}

static int parse_accel(void *base, const char *v, struct error *err)
{
	if (strcmp(v, "kvm") && strcmp(v, "tcg"))
		return error_usage(err, "want kvm or tcg, not '%s'", v);
	((struct run_opts *)base)->accel = v;
	return 0;
}

static int parse_hypervisor(void *base, const char *v, struct error *err)
{
	if (strcmp(v, "qemu") && strcmp(v, "firecracker"))
		return error_usage(err, "want qemu or firecracker, not '%s'", v);
	((struct run_opts *)base)->hypervisor = v;
	return 0;
}

static const struct cli_option run_options[] = {
	OPT_PARSE(0, "mem", "N", parse_mem, "memory in MiB instead of the profile's"),
	OPT_PARSE(0, "cpus", "N", parse_cpus, "vCPUs instead of the profile's"),
	OPT_STRING(0, "init", "PATH", struct run_opts, init, "the guest's init"),
	OPT_STRING(0, "append", "ARGS", struct run_opts, append,
		"extra kernel command-line arguments"),
	OPT_STRING(0, "tap", "NAME", struct run_opts, tap,
		"attach a virtio-net device on host tap NAME"),
	OPT_PARSE(0, "accel", "kvm|tcg", parse_accel,
		"qemu accelerator (default: KVM when /dev/kvm\nworks, else TCG; the choice "
		"is printed)"),
	OPT_PARSE(0, "hypervisor", "qemu|firecracker", parse_hypervisor,
		"the hypervisor instead of the profile's"),
	OPT_END(),
};

/* what a run resolved: the outputs it boots from */
struct run_inputs {
	const struct build_input *kernel_outs, *image_outs, *launch_outs;
	int n_kernel, n_image, n_launch;
};

static const struct build_input *find_output(const struct build_input *outs, int n,
					     const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(outs[i].output, name) == 0)
			return &outs[i];
	return NULL;
}

/* the profile as this run wants it, and the strings it owns */
struct variant {
	struct profile profile; /* a shallow copy of the recipe's with the options applied */
	struct net_iface tap;   /* --tap's interface */
	char *cmdline;          /* the recipe's cmdline, then --append */
	char *blame;            /* "command-line option --cpus": where what the options set came from */
};

/* "command-line option --a" or "command-line options --a, --b" for the options set in o */
static char *options_given(const struct run_opts *o)
{
	const char *set[] = { o->mem ? "--mem" : NULL, o->cpus ? "--cpus" : NULL,
			      o->init ? "--init" : NULL, o->append ? "--append" : NULL,
			      o->hypervisor ? "--hypervisor" : NULL };
	struct buf b = BUF_INIT;
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(set); i++)
		if (set[i])
			buf_addf(&b, "%s%s", n++ ? ", " : "", set[i]);
	char *text = n ? xasprintf("command-line option%s %s", n > 1 ? "s" : "", b.data) : NULL;
	buf_release(&b);
	return text;
}

/*
 * Apply the options to a copy of p.  What an option changed is blamed on
 * that option, through the marks that errors about the profile name.
 */
static void variant_init(struct variant *v, const struct profile *p, const struct run_opts *o)
{
	static const struct mark tap_option = { "command-line option --tap", 0, 0 };
	memset(v, 0, sizeof(*v));
	v->profile = *p;
	struct profile *over = &v->profile;
	if ((v->blame = options_given(o)))
		over->mark = (struct mark){ v->blame, 0, 0 };
	if (o->mem)
		over->mem = o->mem;
	if (o->cpus)
		over->cpus = o->cpus;
	if (o->init)
		over->init = (char *)o->init;
	if (o->append)
		over->cmdline = v->cmdline = p->cmdline && *p->cmdline
			? xasprintf("%s %s", p->cmdline, o->append) : xstrdup(o->append);
	if (o->tap) {
		v->tap.tap = (char *)o->tap;
		v->tap.mark = tap_option;
		over->net = &v->tap;
		over->n_net = 1;
	}
	if (o->hypervisor)
		over->hypervisor = strcmp(o->hypervisor, "firecracker") == 0 ? HV_FIRECRACKER : HV_QEMU;
}

static void variant_release(struct variant *v)
{
	free(v->cmdline);
	free(v->blame);
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

static int build_inputs(struct engine *e, const struct profile *p, struct run_inputs *in,
			struct error *err)
{
	char *ids[3] = { xasprintf("profile:%s", p->name), xasprintf("kernel:%s", p->kernel),
			 xasprintf("image:%s", p->image) };
	struct node *nodes[3];
	int ret = -1;
	for (int i = 0; i < 3; i++)
		if (!(nodes[i] = engine_find(e, ids[i]))) {
			error_usage(err, "no node '%s' in the recipe", ids[i]);
			goto out;
		}
	/* the variant this run asked for replaces the recipe's profile in the graph */
	nodes[0]->u.profile = (struct profile *)p;
	/* kernel and image are targets too: a cached launch config does not fetch them */
	if (engine_build(e, nodes, 3, err) < 0)
		goto out;
	if ((in->n_launch = engine_outputs(e, nodes[0], &in->launch_outs, err)) < 0 ||
	    (in->n_kernel = engine_outputs(e, nodes[1], &in->kernel_outs, err)) < 0 ||
	    (in->n_image = engine_outputs(e, nodes[2], &in->image_outs, err)) < 0)
		goto out;
	ret = 0;
out:
	for (int i = 0; i < 3; i++)
		free(ids[i]);
	return ret;
}

/*
 * The accelerator: what --accel or the profile asks for, else KVM where it
 * can run a guest and TCG otherwise; says which and why.  KVM asked for on a
 * host where /dev/kvm cannot even start a VM is an error, not a silent TCG.
 */
static int choose_accel(struct mvctx *ctx, const struct run_opts *o,
			const struct launch_spec *spec, const char *profile, enum accel *a,
			struct error *err)
{
	struct accel_probe probe;
	accel_probe(&probe, NULL);
	const char *asked = o->accel ? "--accel" : spec->accel != ACCEL_AUTO ?
			    "the profile's qemu: {accel:}" : NULL;
	if (o->accel)
		accel_parse(o->accel, a);
	else if (spec->accel != ACCEL_AUTO)
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

static int prepare_dir(struct mvctx *ctx, const struct launch_spec *spec,
		       const struct run_inputs *in, struct run_dir *rd, struct error *err)
{
	const struct build_input *img = find_output(in->image_outs, in->n_image, "rootfs.ext4");
	if (!img)
		return error_set(err, "image has no output 'rootfs.ext4'");
	char rid[17];
	recipe_id(ctx->recipe, rid);
	int ret = run_dir_prepare(rd, cache_root(ctx->cache), rid, spec->profile, spec->persist,
				  img->path, img->digest, err);
	if (ret == 0 && rd->reused)
		progress_debug(ctx->progress, NULL, "reusing the persistent image '%s'", rd->image);
	return ret;
}

static int qemu_command(struct mvctx *ctx, const struct run_opts *o,
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
	const char *kpath = kernel_path(in, json_get_string(kref, "output") ?
					json_get_string(kref, "output") : "", json_get_string(kref,
					"sha256"), err);
	int ret = -1;
	enum accel a;
	if (kpath && choose_accel(ctx, o, spec, spec->profile, &a, err) == 0)
		ret = run_qemu_argv(&cfg, a, spec->qemu_binary, kpath, rd->image, argv, err);
	json_release(&cfg);
	buf_release(&text);
	return ret;
}

static int firecracker_command(struct mvctx *ctx, const struct launch_spec *spec,
			       const struct run_inputs *in, const struct run_dir *rd,
			       struct launch_argv *argv, struct error *err)
{
	struct buf text = BUF_INIT;
	char *bin = NULL, *version = NULL, *config = NULL, *resolved = NULL;
	const char *kpath;
	int ret = -1;
	if (run_firecracker_find(spec->fc_binary, &bin, &version, err) < 0 ||
	    load_json_output(in, "firecracker.json", &text, NULL, err) < 0 ||
	    !(kpath = kernel_path(in, "vmlinux", NULL, err)))
		goto out;
	resolved = run_substitute_json(text.data, kpath, rd->image);
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

static int boot(struct mvctx *ctx, const struct run_opts *o, const struct launch_spec *spec,
		const struct run_inputs *in, struct error *err)
{
	struct run_dir rd;
	struct launch_argv argv = { 0 };
	int status = -1;
	bool fc = spec->hypervisor == HV_FIRECRACKER;
	if (prepare_dir(ctx, spec, in, &rd, err) < 0)
		goto out;
	if ((fc ? firecracker_command(ctx, spec, in, &rd, &argv, err)
		: qemu_command(ctx, o, spec, in, &rd, &argv, err)) < 0)
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

static int cmd_run(struct mvctx *ctx, struct cli_args *args)
{
	const struct run_opts *o = args->opts;
	struct error err = ERROR_INIT;
	struct variant v = { 0 };
	struct launch_spec spec = { 0 };
	struct run_inputs in = { 0 };
	int status = EXIT_OK;
	const struct profile *p = choose_profile(ctx->recipe, args->n_words ? args->words[0] : NULL,
						 &err);
	/* the recipe's own profile first, so that only an option can be wrong after */
	if (!p || launch_spec_from_profile(&spec, ctx->recipe->name, p, &err) < 0)
		goto out;
	launch_spec_release(&spec);
	variant_init(&v, p, o);
	if (launch_spec_from_profile(&spec, ctx->recipe->name, &v.profile, &err) < 0 ||
	    build_inputs(args->engine, &v.profile, &in, &err) < 0)
		goto out;
	status = boot(ctx, o, &spec, &in, &err);
out:
	if (error_is_set(&err))
		status = cli_fail(ctx, &err);
	launch_spec_release(&spec);
	variant_release(&v);
	return status;
}

const struct command command_run = {
	.name = "run",
	.args = "[PROFILE]",
	.summary = "build what is stale, then boot a profile",
	.help = "Bring the profile's kernel, image and launch config up to date, copy the\n"
		"image into a run directory (the cached image is never written; with\n"
		"persist: true the copy is kept until the image is rebuilt), and start the\n"
		"hypervisor with the console on this terminal.  Without PROFILE, run the\n"
		"profile called default.  Exits with the hypervisor's status when the guest\n"
		"powers off; Ctrl-C or SIGTERM stops the VM.\n"
		"Options make a variant of the profile with its own cached launch config.\n",
	.options = run_options,
	.opts_size = sizeof(struct run_opts),
	.max_words = 1,
	.needs = NEEDS_RECIPE | NEEDS_CACHE | NEEDS_ENGINE,
	.run = cmd_run,
};
