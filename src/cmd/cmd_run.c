/*
 * cmd_run: `mvbuild run [PROFILE] [--mem N] [--cpus N] [--init PATH]
 * [--append ARGS] [--tap NAME] [--forward PROTO:HOST:GUEST]... [--reset]
 * [--accel kvm|tcg] [--hypervisor H]`.
 * Without PROFILE it runs the profile called default.  The options are the
 * overrides of run_profile(), which builds what is stale and boots.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "recipe/recipe_validate.h"
#include "run/accel.h"
#include "run/run_profile.h"

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
	return parse_count(v, &((struct run_overrides *)base)->mem, err);
}

static int parse_cpus(void *base, const char *v, struct error *err)
{
	return parse_count(v, &((struct run_overrides *)base)->cpus, err);
}

static int parse_accel(void *base, const char *v, struct error *err)
{
	enum accel a;
	if (accel_parse(v, &a) < 0)
		return error_usage(err, "want kvm or tcg, not '%s'", v);
	((struct run_overrides *)base)->accel = v;
	return 0;
}

static int parse_hypervisor(void *base, const char *v, struct error *err)
{
	if (strcmp(v, "qemu") && strcmp(v, "firecracker"))
		return error_usage(err, "want qemu or firecracker, not '%s'", v);
	((struct run_overrides *)base)->hypervisor = v;
	return 0;
}

/* each --forward is kept (repeatable); the one check is the recipe's */
static int parse_forward(void *base, const char *v, struct error *err)
{
	struct run_overrides *o = base;
	char *why = recipe_validate_forward(v, NULL);
	if (why) {
		error_usage(err, "want %s, not '%s'", why, v);
		free(why);
		return -1;
	}
	if (o->n_forwards == RUN_FORWARDS_MAX)
		return error_usage(err, "at most %d forwards per run", RUN_FORWARDS_MAX);
	o->forwards[o->n_forwards++] = v;
	return 0;
}

static const struct cli_option run_options[] = {
	OPT_PARSE(0, "mem", "N", parse_mem, "memory in MiB instead of the profile's"),
	OPT_PARSE(0, "cpus", "N", parse_cpus, "vCPUs instead of the profile's"),
	OPT_STRING(0, "init", "PATH", struct run_overrides, init, "the guest's init"),
	OPT_STRING(0, "append", "ARGS", struct run_overrides, append,
		"extra kernel command-line arguments"),
	OPT_STRING(0, "tap", "NAME", struct run_overrides, tap,
		"attach a virtio-net device on host tap NAME"),
	OPT_PARSE(0, "forward", "PROTO:HOST:GUEST", parse_forward,
		"forward host port HOST (on 127.0.0.1) to guest\nport GUEST over qemu's user-mode "
		"network, e.g.\ntcp:8080:80 (repeatable; adds a user-mode NIC\nwhen the profile "
		"has none)"),
	OPT_FLAG(0, "reset", struct run_overrides, reset,
		"with persist: true, start from fresh copies of\nthe image and disks (the kept "
		"ones are deleted)"),
	OPT_PARSE(0, "accel", "kvm|tcg", parse_accel,
		"qemu accelerator (default: KVM when /dev/kvm\nworks, else TCG; the choice "
		"is printed)"),
	OPT_PARSE(0, "hypervisor", "qemu|firecracker", parse_hypervisor,
		"the hypervisor instead of the profile's"),
	OPT_END(),
};

static int cmd_run(struct mvctx *ctx, struct cli_args *args)
{
	struct error err = ERROR_INIT;
	int status = run_profile(ctx, args->engine, args->n_words ? args->words[0] : NULL,
				 args->opts, &err);
	return error_is_set(&err) ? cli_fail(ctx, &err) : status;
}

const struct command command_run = {
	.name = "run",
	.args = "[PROFILE]",
	.summary = "build what is stale, then boot a profile",
	.help = "Bring the profile's kernel, images, initrd and launch config up to date,\n"
		"copy the image and writable extra disks into a run directory (the cached\n"
		"images are never written; with persist: true the copies are kept until an\n"
		"image is rebuilt, or --reset; an initrd is only read, so it is not copied),\n"
		"resolve its shared folders beneath the recipe tree, and start the\n"
		"hypervisor with the console on this terminal.  Without PROFILE, run the\n"
		"profile called default.  Exits with the hypervisor's status when the guest\n"
		"powers off; Ctrl-C or SIGTERM stops the VM.\n"
		"Options make a variant of the profile with its own cached launch config.\n",
	.options = run_options,
	.opts_size = sizeof(struct run_overrides),
	.max_words = 1,
	.needs = NEEDS_RECIPE | NEEDS_CACHE | NEEDS_ENGINE,
	.run = cmd_run,
};
