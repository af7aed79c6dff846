/*
 * cmd_env: `mvbuild env`: what the seed's `env` printed, for this tool:
 * the resolved recipe and cache paths, the versions of the tools and
 * libraries mvbuild uses, and whether KVM is usable here (and why not).
 * One "name: value" per line on standard output.
 */
#include <archive.h>
#include "curl_lazy.h"
#include <ext2fs/ext2fs.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "accel.h"
#include "cli.h"
#include "fileutil.h"
#include "run.h"
#include "util.h"

static void line(const char *name, const char *value)
{
	printf("%-13s %s\n", name, value);
}

/* "VERSION-LINE (PATH)" of a tool, or "not found" */
static void tool(const char *name, const char *program, const char *flag)
{
	char *path = run_find_program(program);
	if (!path) {
		line(name, "not found");
		return;
	}
	char *argv[] = { path, (char *)flag, NULL };
	struct buf out = BUF_INIT;
	struct error err = ERROR_INIT;
	int status = run_capture(argv, &out, &err);
	const char *text = out.data ? out.data : "";
	char *first = xstrndup(text, strcspn(text, "\n"));
	char *value = status < 0 || !*first ? xasprintf("unknown version (%s)", path)
					    : xasprintf("%s (%s)", first, path);
	line(name, value);
	free(value);
	free(first);
	buf_release(&out);
	error_release(&err);
	free(path);
}

static void paths(const struct mvctx *ctx)
{
	char *recipe = path_absolute(ctx->recipe_path);
	char *cache = path_absolute(ctx->cache_dir);
	char *r = xasprintf("%s%s", recipe, access(recipe, R_OK) == 0 ? "" : " (missing)");
	char *c = xasprintf("%s%s", cache, access(cache, F_OK) == 0 ? "" : " (not created yet)");
	line("recipe:", r);
	line("cache:", c);
	free(r);
	free(c);
	free(recipe);
	free(cache);
}

static void libraries(void)
{
	const char *ext2 = NULL;
	ext2fs_get_library_version(&ext2, NULL);
	line("libyaml:", yaml_get_version_string());
	line("libarchive:", archive_version_string());
	line("libext2fs:", ext2 ? ext2 : "unknown");
	line("libcurl:", curl_version());
	line("openssl:", OpenSSL_version(OPENSSL_VERSION));
}

static void kvm(void)
{
	struct accel_probe probe;
	accel_probe(&probe, NULL);
	char *v = xasprintf("%s: %s", probe.kvm_usable ? "usable" : "not usable", probe.reason);
	line("kvm:", v);
	free(v);
}

static int cmd_env(struct mvctx *ctx, struct cli_args *args)
{
	line("mvbuild:", MVBUILD_VERSION);
	paths(ctx);
	tool("qemu:", "qemu-system-x86_64", "--version");
	tool("qemu-microvm:", "qemu-system-x86_64-microvm", "--version");
	tool("firecracker:", "firecracker", "--version");
	tool("e2fsprogs:", "mke2fs", "-V");
	tool("gcc:", "gcc", "--version");
	tool("make:", "make", "--version");
	libraries();
	kvm();
	fflush(stdout);
	return EXIT_OK;
}

const struct command command_env = {
	.name = "env",
	.args = "",
	.summary = "show paths, tool versions and whether KVM is usable",
	.help = "Print the resolved recipe and cache paths, the versions of qemu,\n"
		"firecracker, e2fsprogs, gcc, make and the libraries, and whether\n"
		"/dev/kvm is usable.\n",
	.run = cmd_env,
};
