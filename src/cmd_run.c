/*
 * cmd_run: `mvbuild run PROFILE [--mem N] [--cpus N] [--init PATH]
 * [--append ARGS] [--tap NAME] [--accel kvm|tcg] [--hypervisor H]`.
 * Command-line overrides make a variant of the profile (its own launch
 * node key), then the profile, its kernel and its image are brought up to
 * date, the cached launch config is resolved against this cache and a
 * fresh run directory, and the hypervisor runs under run_supervise().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel.h"
#include "cache.h"
#include "cli.h"
#include "engine.h"
#include "fileutil.h"
#include "json.h"
#include "launch.h"
#include "progress.h"
#include "recipe.h"
#include "run.h"
#include "util.h"

struct run_opts {
	const char *profile;     /* PROFILE */
	const char *mem, *cpus;  /* --mem, --cpus as given */
	const char *init;        /* --init */
	const char *append;      /* --append */
	const char *tap;         /* --tap */
	const char *accel;       /* --accel */
	const char *hypervisor;  /* --hypervisor */
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

static int parse_args(const struct command *cmd, int argc, char **argv, struct run_opts *o)
{
	static const char *const names[] = { "--mem", "--cpus", "--init", "--append", "--tap",
					     "--accel", "--hypervisor" };
	const char **slots[] = { &o->mem, &o->cpus, &o->init, &o->append, &o->tap, &o->accel,
				 &o->hypervisor };
	for (int i = 1; i < argc; i++) {
		int taken = cli_value_option(cmd, argc, argv, &i, names, slots, ARRAY_SIZE(names));
		if (taken < 0)
			return EXIT_USAGE;
		if (taken)
			continue;
		const char *a = argv[i];
		if (a[0] == '-')
			return cli_usage(cmd, "unknown option '%s'", a);
		if (o->profile)
			return cli_usage(cmd, "one PROFILE only ('%s' and '%s')", o->profile, a);
		o->profile = a;
	}
	if (!o->profile)
		return cli_usage(cmd, "which profile? (say PROFILE)");
	if (o->accel && strcmp(o->accel, "kvm") && strcmp(o->accel, "tcg"))
		return cli_usage(cmd, "--accel takes kvm or tcg, not '%s'", o->accel);
	if (o->hypervisor && strcmp(o->hypervisor, "qemu") && strcmp(o->hypervisor, "firecracker"))
		return cli_usage(cmd, "--hypervisor takes qemu or firecracker, not '%s'",
				 o->hypervisor);
	return 0;
}

static int parse_count(const struct command *cmd, const char *opt, const char *s, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v == 0 || v > 1024 * 1024)
		return cli_usage(cmd, "%s takes a positive number, not '%s'", opt, s);
	*out = (uint32_t)v;
	return 0;
}

/*
 * The profile as this run wants it: a shallow copy of the recipe's with the
 * overrides applied; strings the copy owns are kept in owned[] for freeing.
 */
static int override_profile(const struct command *cmd, const struct profile *p,
			    const struct run_opts *o, struct profile *over, char **owned,
			    struct net_iface *tap)
{
	*over = *p;
	if (o->mem && parse_count(cmd, "--mem", o->mem, &over->mem))
		return EXIT_USAGE;
	if (o->cpus && parse_count(cmd, "--cpus", o->cpus, &over->cpus))
		return EXIT_USAGE;
	if (o->init)
		over->init = (char *)o->init;
	if (o->append)
		over->cmdline = *owned = p->cmdline && *p->cmdline
			? xasprintf("%s %s", p->cmdline, o->append) : xstrdup(o->append);
	if (o->tap) {
		tap->tap = (char *)o->tap;
		tap->mac = NULL;
		tap->mark = p->mark;
		over->net = tap;
		over->n_net = 1;
	}
	if (o->hypervisor)
		over->hypervisor = strcmp(o->hypervisor, "firecracker") == 0 ? HV_FIRECRACKER : HV_QEMU;
	return 0;
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

int cmd_run(struct mvctx *ctx, int argc, char **argv)
{
	const struct command *cmd = cli_find_command("run");
	if (cli_wants_help(cmd, argc, argv))
		return EXIT_OK;
	struct run_opts o = { 0 };
	if (parse_args(cmd, argc, argv, &o))
		return EXIT_USAGE;
	struct error err = ERROR_INIT;
	struct engine *e = NULL;
	struct profile over;
	struct net_iface tap;
	struct launch_spec spec = { 0 };
	struct run_inputs in = { 0 };
	char *owned = NULL;
	int status;
	if (cli_load_recipe(ctx, &err) < 0 || cli_open_cache(ctx, &err) < 0)
		return cli_fail(ctx, &err);
	const struct profile *p = recipe_find_profile(ctx->recipe, o.profile);
	if (!p) {
		error_usage(&err, "no profile '%s' in recipe '%s'", o.profile, ctx->recipe->path);
		return cli_fail(ctx, &err);
	}
	if ((status = override_profile(cmd, p, &o, &over, &owned, &tap)) != 0)
		goto out;
	e = engine_new(ctx);
	if (launch_spec_from_profile(&spec, ctx->recipe->name, &over, &err) < 0 ||
	    build_inputs(e, &over, &in, &err) < 0 ||
	    (status = boot(ctx, &o, &spec, &in, &err)) < 0)
		status = cli_fail(ctx, &err);
out:
	launch_spec_release(&spec);
	engine_free(e);
	free(owned);
	return status;
}
