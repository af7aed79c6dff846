/*
 * cmd_env: `mvbuild env`: what the seed's `env` printed, for this tool:
 * the resolved recipe and cache paths, the versions of the tools and
 * libraries mvbuild uses, and whether KVM is usable here (and why not).
 * One "name: value" per line on standard output, or with --json one object
 * with a member per name.
 */
#include "base/archive_lazy.h"
#include "base/crypto_lazy.h"
#include "base/curl_lazy.h"
#include <ext2fs/ext2fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "run/accel.h"
#include "cmd/cli.h"
#include "base/fileutil.h"
#include "base/json.h"
#include "run/run.h"
#include "base/util.h"

/* where the lines go: standard output, or the members of one JSON object */
struct env_out {
	bool json;       /* --json */
	struct buf obj;  /* the JSON object being written */
};

static void line(struct env_out *o, const char *name, const char *value)
{
	if (o->json) {
		json_add_member_string(&o->obj, name, value);
		return;
	}
	char *label = xasprintf("%s:", name);
	printf("%-13s %s\n", label, value);
	free(label);
}

/* "VERSION-LINE (PATH)" of a tool, or "not found" */
static void tool(struct env_out *o, const char *name, const char *program, const char *flag)
{
	char *version = run_tool_version(program, flag);
	line(o, name, version ? version : "not found");
	free(version);
}

static void paths(struct env_out *o, const struct mvctx *ctx)
{
	char *recipe = path_absolute(ctx->recipe_path);
	char *cache = path_absolute(ctx->cache_dir);
	char *r = xasprintf("%s%s", recipe, access(recipe, R_OK) == 0 ? "" : " (missing)");
	char *c = xasprintf("%s%s", cache, access(cache, F_OK) == 0 ? "" : " (not created yet)");
	line(o, "recipe", r);
	line(o, "cache", c);
	free(r);
	free(c);
	free(recipe);
	free(cache);
}

static void libraries(struct env_out *o)
{
	const char *ext2 = NULL;
	ext2fs_get_library_version(&ext2, NULL);
	line(o, "libyaml", yaml_get_version_string());
	line(o, "libarchive", archive_version_string());
	line(o, "libext2fs", ext2 ? ext2 : "unknown");
	line(o, "libcurl", curl_version());
	line(o, "openssl", OpenSSL_version(OPENSSL_VERSION));
}

static void kvm(struct env_out *o)
{
	struct accel_probe probe;
	accel_probe(&probe, NULL);
	char *v = xasprintf("%s: %s", probe.kvm_usable ? "usable" : "not usable", probe.reason);
	line(o, "kvm", v);
	if (o->json)
		json_add_member_bool(&o->obj, "kvm_usable", probe.kvm_usable);
	free(v);
}

static int cmd_env(struct mvctx *ctx, struct cli_args *args)
{
	struct env_out o = { ctx->json, BUF_INIT };
	if (o.json)
		buf_addc(&o.obj, '{');
	line(&o, "mvbuild", MVBUILD_VERSION);
	paths(&o, ctx);
	tool(&o, "qemu", "qemu-system-x86_64", "--version");
	tool(&o, "qemu-microvm", "qemu-system-x86_64-microvm", "--version");
	tool(&o, "firecracker", "firecracker", "--version");
	tool(&o, "e2fsprogs", "mke2fs", "-V");
	tool(&o, "gcc", "gcc", "--version");
	tool(&o, "make", "make", "--version");
	libraries(&o);
	kvm(&o);
	if (o.json)
		cli_print_json(&o.obj);
	fflush(stdout);
	return EXIT_OK;
}

const struct command command_env = {
	.name = "env",
	.args = "",
	.summary = "show paths, tool versions and whether KVM is usable",
	.help = "Print the resolved recipe and cache paths, the versions of qemu,\n"
		"firecracker, e2fsprogs, gcc, make and the libraries, and whether\n"
		"/dev/kvm is usable.  With --json, one object: a member per line\n"
		"(recipe, cache, qemu, ..., kvm) and kvm_usable.\n",
	.run = cmd_env,
};
