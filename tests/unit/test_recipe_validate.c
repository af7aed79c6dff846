/*
 * test_recipe_validate: the shared value checks (src/recipe/recipe_validate.c) at
 * and around each limit, the strict size syntax (parse_size), and the
 * image writer applying the same checks (nothing written for a value the
 * recipe loader would refuse).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"
#include "recipe/recipe_validate.h"
#include "tap.h"
#include "base/util.h"

/* true when a check accepts its value (the phrase, if any, is freed) */
static bool accepted(char *why)
{
	bool valid = why == NULL;
	free(why);
	return valid;
}

static void test_parse_size(void)
{
	static const struct { const char *text; uint64_t bytes; } good[] = {
		{ "0", 0 }, { "4096", 4096 }, { "512K", 512ULL << 10 }, { "4M", 4ULL << 20 },
		{ "2G", 2ULL << 30 }, { "15T", 15ULL << 40 }, { "007M", 7ULL << 20 },
		{ "18446744073709551615", UINT64_MAX }, { "16777215T", 16777215ULL << 40 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		uint64_t n = 1;
		ok(parse_size(good[i].text, &n) == 0 && n == good[i].bytes, "size '%s' is %llu bytes",
		   good[i].text, (unsigned long long)good[i].bytes);
	}
	static const char *const bad[] = {
		"", " 16M", "16M ", "+16M", "-16M", "0x1p24", "0x10", "1e7", "1.5G", "64m", "64k",
		"64MB", "64MiB", "64KB", "M", "16MM", "16Q", "18446744073709551616", "16777216T",
		"99999999999999999999", "1_000",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t n = 7;
		ok(parse_size(bad[i], &n) < 0 && n == 7, "'%s' is not a size", bad[i]);
	}
	uint64_t n;
	ok(parse_size(NULL, &n) < 0, "NULL is not a size");
}

static void test_profile_values(void)
{
	ok(!accepted(recipe_validate_mem(31)) && accepted(recipe_validate_mem(32)) &&
	   accepted(recipe_validate_mem(1 << 20)) && !accepted(recipe_validate_mem((1 << 20) + 1)),
	   "mem: 32 to 1048576");
	ok(!accepted(recipe_validate_cpus(0, HV_QEMU)) && accepted(recipe_validate_cpus(1, HV_QEMU)) &&
	   accepted(recipe_validate_cpus(255, HV_QEMU)) && !accepted(recipe_validate_cpus(256, HV_QEMU)),
	   "qemu cpus: 1 to 255");
	ok(accepted(recipe_validate_cpus(1, HV_FIRECRACKER)) &&
	   accepted(recipe_validate_cpus(2, HV_FIRECRACKER)) &&
	   accepted(recipe_validate_cpus(32, HV_FIRECRACKER)) &&
	   !accepted(recipe_validate_cpus(0, HV_FIRECRACKER)) &&
	   !accepted(recipe_validate_cpus(3, HV_FIRECRACKER)) &&
	   !accepted(recipe_validate_cpus(31, HV_FIRECRACKER)) &&
	   !accepted(recipe_validate_cpus(34, HV_FIRECRACKER)), "firecracker cpus: 1 or even up to 32");
	char *why = recipe_validate_cpus(3, HV_FIRECRACKER);
	is_str(why, "1 or an even number up to 32 for Firecracker", "the Firecracker phrase");
	free(why);

	ok(accepted(recipe_validate_init("/sbin/init")), "init /sbin/init");
	static const char *const bad_init[] = { "sbin/init", "/sbin/init rdinit=/bin/sh",
						"/sbin/init\tx", "/sbin/init\n", "/a\"b", "" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_init); i++)
		ok(!accepted(recipe_validate_init(bad_init[i])), "init %zu refused", i);
	char path[300] = "/";
	memset(path + 1, 'a', 255);
	path[256] = '\0';
	ok(!accepted(recipe_validate_init(path)), "init of 256 bytes refused");
	path[255] = '\0';
	ok(accepted(recipe_validate_init(path)), "init of 255 bytes accepted");

	ok(accepted(recipe_validate_cmdline("quiet loglevel=3 x=\"a b\"")), "cmdline with quotes");
	ok(!accepted(recipe_validate_cmdline("quiet\nx")) && !accepted(recipe_validate_cmdline("a\tb")) &&
	   !accepted(recipe_validate_cmdline("a\rb")) && !accepted(recipe_validate_cmdline("a\x7f")),
	   "cmdline with a control character refused");
	char line[1100];
	memset(line, 'c', sizeof(line));
	line[1024] = '\0';
	ok(accepted(recipe_validate_cmdline(line)), "cmdline of 1024 bytes");
	line[1024] = 'c';
	line[1025] = '\0';
	ok(!accepted(recipe_validate_cmdline(line)), "cmdline of 1025 bytes refused");

	ok(accepted(recipe_validate_tsc_khz("1")) && accepted(recipe_validate_tsc_khz("999999999")),
	   "tsc_early_khz 1 and 999999999");
	static const char *const bad_tsc[] = { "0", "01000", "1000 x", "1000000000", "-1", "1e3",
					       "", " 1000", "18446744073709551617" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_tsc); i++)
		ok(!accepted(recipe_validate_tsc_khz(bad_tsc[i])), "tsc_early_khz '%s' refused",
		   bad_tsc[i]);

	ok(accepted(recipe_validate_tap("tap0")) && accepted(recipe_validate_tap("a-b.c_d12345678")) &&
	   !accepted(recipe_validate_tap("a-b.c_d123456789")), "tap: 15 characters at most");
	static const char *const bad_tap[] = { "", ".", "..", "tap,0", "tap 0", "ta/p", "ta:p",
					       "ta\"p", "ta\\p", "tap\x01", "t\xc3\xa9" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_tap); i++)
		ok(!accepted(recipe_validate_tap(bad_tap[i])), "tap %zu refused", i);

	ok(accepted(recipe_validate_mac("02:00:00:00:00:01")) &&
	   accepted(recipe_validate_mac("FE:ff:00:00:00:01")), "unicast MACs");
	ok(!accepted(recipe_validate_mac("03:00:00:00:00:01")) &&
	   !accepted(recipe_validate_mac("02:00:00:00:00")) &&
	   !accepted(recipe_validate_mac("02:00:00:00:00:01:")) &&
	   !accepted(recipe_validate_mac("02-00-00-00-00-01")) &&
	   !accepted(recipe_validate_mac("0g:00:00:00:00:01")), "bad MACs refused");

	ok(accepted(recipe_validate_binary("qemu-system-x86_64")) &&
	   accepted(recipe_validate_binary("/opt/qemu/bin/qemu")), "binary: a name or an absolute path");
	ok(!accepted(recipe_validate_binary("")) && !accepted(recipe_validate_binary("./qemu")) &&
	   !accepted(recipe_validate_binary("bin/qemu")) && !accepted(recipe_validate_binary("-x")) &&
	   !accepted(recipe_validate_binary("qemu -x")) && !accepted(recipe_validate_binary("q\n")),
	   "binary: relative paths, options, spaces refused");
}

static void test_machine(void)
{
	static const char *const good[] = {
		"x-option-roms=off", "isa-serial=on,usb=off", "ioapic2=auto,pcie=on,smm=off",
		"auto-kernel-cmdline=off,graphics=off,mem-merge=on,dump-guest-core=off",
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		ok(accepted(recipe_validate_machine(good[i])), "machine '%s' accepted", good[i]);
	static const char *const bad[] = {
		"initrd=/etc/shadow", "firmware=/etc/shadow", "kernel=/etc/shadow", "dtb=/etc/shadow",
		"dumpdtb=/tmp/out", "append=init=/bin/sh", "memory-backend=m", "acpi=on", "pit=on",
		"pic=on", "rtc=on", "x-option-roms=off,,initrd=/etc/shadow", "x-option-roms=off,",
		",x-option-roms=off", "", "x-option-roms", "x-option-roms=", "x-option-roms=yes",
		"usb=auto", "usb=off,usb=on", "microvm", "x-option-roms=off initrd=/x", "=off",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ok(!accepted(recipe_validate_machine(bad[i])), "machine '%s' refused", bad[i]);
}

static void test_forward(void)
{
	struct recipe_forward f;
	ok(accepted(recipe_validate_forward("tcp:2222:22", &f)) && !f.udp && f.host == 2222 &&
	   f.guest == 22 && !strcmp(f.addr, "127.0.0.1"), "tcp:2222:22 listens on 127.0.0.1");
	ok(accepted(recipe_validate_forward("udp:0.0.0.0:65535:1", &f)) && f.udp &&
	   f.host == 65535 && f.guest == 1 && !strcmp(f.addr, "0.0.0.0"), "udp with an address");
	static const char *const bad[] = {
		"", "tcp", "tcp:22", "tcp:1:2:3:4", "sctp:1:2", "TCP:1:2", "tcp:0:22", "tcp:65536:22",
		"tcp:22:0", "tcp:022:22", "tcp:22:+2", "tcp::22", "tcp:1.2.3:1:2", "tcp:::1:1:2",
		"tcp:1.2.3.4,hostfwd=x:1:2", "tcp:22:22,guestfwd=x",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ok(!accepted(recipe_validate_forward(bad[i], NULL)), "forward '%s' refused", bad[i]);
}

static void test_image_values(void)
{
	ok(!accepted(recipe_validate_size((4ULL << 20) - 1)) && accepted(recipe_validate_size(4ULL << 20)),
	   "size: at least 4M");
	ok(accepted(recipe_validate_size((16ULL << 40) - 4096)) &&
	   !accepted(recipe_validate_size(16ULL << 40)), "size: less than 16T");
	ok(accepted(recipe_validate_inodes(4096, 4ULL << 20)) &&
	   !accepted(recipe_validate_inodes(4097, 4ULL << 20)), "inodes: one per KiB of a 4M image");
	ok(!accepted(recipe_validate_inodes(15, 0)) && accepted(recipe_validate_inodes(16, 0)) &&
	   accepted(recipe_validate_inodes(UINT32_MAX, 0)) &&
	   !accepted(recipe_validate_inodes(UINT32_MAX + 1ULL, 0)) &&
	   accepted(recipe_validate_inodes(UINT32_MAX, 8ULL << 40)), "inodes: 16 to 2^32 - 1");
	ok(accepted(recipe_validate_epoch(0)) && accepted(recipe_validate_epoch(4294967295LL)) &&
	   !accepted(recipe_validate_epoch(4294967296LL)) && !accepted(recipe_validate_epoch(-1)),
	   "epoch: 0 to 2^32 - 1");
	ok(accepted(recipe_validate_label("abcdefghijklmnop")) &&
	   !accepted(recipe_validate_label("abcdefghijklmnopq")), "label: 16 bytes");

	ok(accepted(recipe_validate_image_path("/etc/hostname", false)) &&
	   accepted(recipe_validate_image_path("//etc//x/", false)) &&
	   accepted(recipe_validate_image_path("/.hidden/..x/x..", false)), "plain image paths");
	ok(accepted(recipe_validate_image_path("/", true)) &&
	   !accepted(recipe_validate_image_path("/", false)) &&
	   !accepted(recipe_validate_image_path("//", false)), "'/' only where the root is allowed");
	static const char *const bad[] = { "/.", "/./", "/etc/.", "/etc/./x", "/..", "/etc/../x",
					   "etc/x", "", "./x" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ok(!accepted(recipe_validate_image_path(bad[i], true)), "image path '%s' refused", bad[i]);
	char path[300] = "/etc/";
	memset(path + 5, 'n', 256);
	path[261] = '\0';
	ok(!accepted(recipe_validate_image_path(path, false)), "a name of 256 bytes refused");
	path[260] = '\0';
	ok(accepted(recipe_validate_image_path(path, false)), "a name of 255 bytes accepted");

	char *target = xcalloc(1, 4097);
	memset(target, 't', 4095);
	ok(accepted(recipe_validate_symlink(target)), "symlink target of 4095 bytes");
	target[4095] = 't';
	ok(!accepted(recipe_validate_symlink(target)) && !accepted(recipe_validate_symlink("")),
	   "symlink targets of 4096 and 0 bytes refused");
	free(target);
}

static void test_url(void)
{
	ok(accepted(recipe_validate_url("https://example.org/a")) &&
	   accepted(recipe_validate_url("HTTP://example.org/a")) &&
	   accepted(recipe_validate_url("file:///srv/a")), "http, https and file URLs");
	static const char *const bad[] = { "gopher://example.org/a", "ftp://example.org/a",
					   "scp://host/a", "dict://x", "https://example.org/a b",
					   "https://example.org/\n", "example.org/a" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ok(!accepted(recipe_validate_url(bad[i])), "url %zu refused", i);
}

/* image_write with size, inodes, label: refused with want in the message, and nothing written */
static void expect_write_refused(uint64_t size, uint64_t inodes, int64_t epoch, const char *want)
{
	char dir[] = "/tmp/mvbuild-test-validate.XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	char *out = path_join(dir, "rootfs.ext4");
	struct image img = { .name = "rootfs", .size = size, .inodes = inodes };
	struct image_write_opts o = { .out_path = out, .key = "00", .epoch = epoch };
	struct error err = ERROR_INIT;
	int r = image_write(&img, &o, &err);
	struct stat st;
	ok(r < 0 && err.kind == ERROR_USAGE && err.msg && strstr(err.msg, want) &&
	   stat(out, &st) < 0, "the writer refuses: %s", err.msg ? err.msg : "(accepted)");
	error_release(&err);
	unlink(out);
	rmdir(dir);
	free(out);
}

static void test_writer_shares_limits(void)
{
	expect_write_refused(2ULL << 20, 0, 0, "image 'rootfs': size must be at least 4M");
	expect_write_refused(4ULL << 20, 4097, 0,
			     "image 'rootfs': inodes must be an integer from 16 to 4096");
	expect_write_refused(4ULL << 20, 0, 4294967296LL,
			     "image 'rootfs': epoch must be an integer from 0 to 4294967295");
}

int main(void)
{
	test_parse_size();
	test_forward();
	test_profile_values();
	test_machine();
	test_image_values();
	test_url();
	test_writer_shares_limits();
	return tap_done();
}
