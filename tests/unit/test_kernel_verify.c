/*
 * Unit tests for kernel_verify and kernel_kconfig: requested values against
 * a synthetic .config, reasons read from a tiny synthetic Kconfig tree.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "kernel/kernel_config.h"
#include "kernel/kernel_kconfig.h"
#include "kernel/kernel_verify.h"
#include "tap.h"

static void put(const char *root, const char *rel, const char *text)
{
	struct error err = ERROR_INIT;
	char *path = path_join(root, rel);
	char *dir = path_dirname(path);
	mkdir_p(dir, 0755, &err);
	write_file_atomic(path, text, strlen(text), 0644, &err);
	free(dir);
	free(path);
}

static void make_tree(const char *root)
{
	put(root, "Kconfig", "mainmenu \"test\"\nsource \"drivers/Kconfig\"\nsource \"arch/$(SRCARCH)/Kconfig\"\n");
	put(root, "drivers/Kconfig",
	    "menuconfig BLK_DEV\n"
	    "\tbool \"Block devices\"\n"
	    "\tdepends on BLOCK\n"
	    "\tdefault y\n"
	    "\thelp\n"
	    "\t  Say Y here.\n"
	    "\n"
	    "\t  config THIS_IS_HELP_TEXT and must be ignored\n"
	    "\n"
	    "if BLK_DEV\n"
	    "\n"
	    "config VIRTIO_BLK\n"
	    "\ttristate \"Virtio block driver\"\n"
	    "\tdepends on VIRTIO || \\\n"
	    "\t\tCOMPILE_TEST\n"
	    "\tselect SG_POOL\n"
	    "\n"
	    "endif\n"
	    "\n"
	    "menu \"Pools\"\n"
	    "\tdepends on HAS_POOLS\n"
	    "config SG_POOL\n"
	    "\tbool \"pool\"\n"
	    "endmenu\n"
	    "config PLAIN\n"
	    "\tbool\n");
	put(root, "arch/x86/Kconfig", "config X86_ONLY\n\tbool \"x86\"\n");
	put(root, "arch/arm64/Kconfig", "config ARM64_ONLY\n\tbool \"arm\"\n");
}

static void test_lookup(const char *root)
{
	struct error err = ERROR_INIT;
	struct kconfig_symbol syms[] = {
		{ .name = xstrdup("VIRTIO_BLK") }, { .name = xstrdup("SG_POOL") },
		{ .name = xstrdup("X86_ONLY") }, { .name = xstrdup("ARM64_ONLY") },
		{ .name = xstrdup("THIS_IS_HELP_TEXT") }, { .name = xstrdup("PLAIN") },
	};
	ok(kernel_kconfig_lookup(root, "x86", syms, 6, &err) == 0, "lookup reads the tree");
	ok(syms[0].found, "VIRTIO_BLK found");
	is_str(syms[0].depends, "BLK_DEV && (VIRTIO || COMPILE_TEST)", "enclosing if and own depends, continuation joined");
	is_str(syms[0].defined_at, "drivers/Kconfig:12", "where it is defined");
	ok(syms[1].found && syms[1].n_selected_by == 1 && strcmp(syms[1].selected_by[0], "VIRTIO_BLK") == 0,
	   "SG_POOL is selected by VIRTIO_BLK");
	is_str(syms[1].depends, "HAS_POOLS", "menu dependency applies inside the menu");
	ok(syms[2].found, "this architecture's symbol found");
	ok(!syms[3].found, "another architecture's symbol is not");
	ok(!syms[4].found, "help text is not read as a config entry");
	ok(syms[5].found && !syms[5].depends, "a symbol outside the if has no dependency");
	for (size_t i = 0; i < 6; i++)
		kernel_kconfig_symbol_release(&syms[i]);
}

static void test_verify(const char *root)
{
	struct error err = ERROR_INIT;
	struct kconf req = KCONF_INIT, final = KCONF_INIT;
	const char *frag = "CONFIG_VIRTIO_BLK=y\nCONFIG_VIRTO_BLK=y\n# CONFIG_SG_POOL is not set\nCONFIG_PLAIN=y\nCONFIG_X86_ONLY=m\n";
	const char *dot = "CONFIG_SG_POOL=y\nCONFIG_PLAIN=y\n# CONFIG_VIRTIO_BLK is not set\nCONFIG_X86_ONLY=y\n";
	kernel_config_parse_fragment(&req, frag, strlen(frag), "kernel/t.config", &err);
	char *dotpath = path_join(root, "dot.config");
	put(root, "dot.config", dot);
	ok(kernel_config_load_dotconfig(&final, dotpath, &err) == 0, "final .config loads");
	struct buf report = BUF_INIT;
	int n = kernel_verify(&req, &final, root, "x86", &report, &err);
	ok(n == 4, "four mismatches (got %d)", n);
	const char *want =
		"fragment kernel/t.config:1: CONFIG_VIRTIO_BLK: requested y, got n: its dependencies are not met: "
		"depends on BLK_DEV && (VIRTIO || COMPILE_TEST) (drivers/Kconfig:12)\n"
		"fragment kernel/t.config:2: CONFIG_VIRTO_BLK: requested y, got n: the symbol does not exist in this kernel\n"
		"fragment kernel/t.config:3: CONFIG_SG_POOL: requested n, got y: it is selected by CONFIG_VIRTIO_BLK (drivers/Kconfig:22)\n"
		"fragment kernel/t.config:5: CONFIG_X86_ONLY: requested m, got y: modules are disabled (CONFIG_MODULES is not set) (arch/x86/Kconfig:1)\n";
	is_str(report.data, want, "report names file:line, requested and actual value, and why");
	buf_release(&report);
	struct kconf same = KCONF_INIT;
	kernel_config_set(&same, "CONFIG_PLAIN", "y", "config r.yaml:3");
	ok(kernel_verify(&same, &final, "/nonexistent", "x86", &report, &err) == 0,
	   "a matching request needs no Kconfig tree");
	kernel_config_release(&same);
	kernel_config_release(&req);
	kernel_config_release(&final);
	buf_release(&report);
	free(dotpath);
}

int main(void)
{
	char root[] = "/tmp/mvbuild-kverify.XXXXXX";
	if (!mkdtemp(root))
		return 1;
	make_tree(root);
	test_lookup(root);
	test_verify(root);
	remove_tree(root);
	return tap_done();
}
