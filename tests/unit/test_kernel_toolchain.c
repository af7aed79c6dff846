/*
 * Unit tests for kernel/kernel_toolchain's LTO plugin lookup: kbuild's nm
 * is given gcc's own plugin (kernel_toolchain.h says why), which must be
 * exactly what `gcc -print-file-name=liblto_plugin.so` names, and nothing
 * (no override) when gcc cannot be run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "kernel/kernel_toolchain.h"
#include "tap.h"

/* the oracle: gcc's own answer through the shell */
static char *gcc_says(void)
{
	FILE *p = popen("gcc -print-file-name=liblto_plugin.so 2>/dev/null", "r");
	char line[4096] = "";
	if (!p)
		return NULL;
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	pclose(p);
	line[strcspn(line, "\n")] = '\0';
	return line[0] == '/' && access(line, R_OK) == 0 ? xstrdup(line) : NULL;
}

int main(void)
{
	char *want = gcc_says();
	char *got = kernel_toolchain_lto_plugin();
	if (want)
		is_str(got ? got : "(none)", want, "the plugin is the one gcc names (%s)", want);
	else
		ok(got == NULL, "no plugin where gcc names none");
	free(got);
	free(want);

	/* without gcc in PATH: no override, and no error */
	char *path = xstrdup(getenv("PATH") ? getenv("PATH") : "");
	setenv("PATH", "/nonexistent-mvbuild-test", 1);
	got = kernel_toolchain_lto_plugin();
	ok(got == NULL, "no gcc: no plugin, kbuild's nm as it is");
	free(got);
	setenv("PATH", path, 1);
	free(path);
	return tap_done();
}
