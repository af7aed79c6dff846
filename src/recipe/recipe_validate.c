/*
 * recipe_validate: the checks of single recipe values (see
 * recipe_validate.h).  Each check is the only statement of its limit: the
 * loader calls it so `check` refuses the value at its FILE:LINE:COL, and
 * the builder or launcher that uses the value calls it again for values
 * that do not come from a recipe file (`run --cpus`, an auto-sized image).
 */
#include "recipe/recipe_validate.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "base/url.h"
#include "base/util.h"

/* a printable ASCII byte other than a space */
static bool is_graph(char c)
{
	return c > ' ' && c < 0x7f;
}

/* no byte below 0x20 and no DEL: what a single-line value may hold */
static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return true;
	return false;
}

char *recipe_validate_mem(uint64_t mib)
{
	if (mib >= RECIPE_MEM_MIN && mib <= RECIPE_MEM_MAX)
		return NULL;
	return xasprintf("an integer from %u to %u", RECIPE_MEM_MIN, RECIPE_MEM_MAX);
}

char *recipe_validate_cpus(uint64_t cpus, enum hypervisor hv)
{
	if (hv == HV_FIRECRACKER) {
		if (cpus == 1 || (cpus >= 2 && cpus <= RECIPE_FC_CPUS_MAX && cpus % 2 == 0))
			return NULL;
		return xasprintf("1 or an even number up to %d for Firecracker", RECIPE_FC_CPUS_MAX);
	}
	if (cpus >= 1 && cpus <= RECIPE_CPUS_MAX)
		return NULL;
	return xasprintf("an integer from 1 to %d", RECIPE_CPUS_MAX);
}

char *recipe_validate_init(const char *init)
{
	bool okay = init[0] == '/' && strlen(init) <= RECIPE_INIT_MAX;
	/* the kernel splits its command line at spaces and honours double quotes */
	for (const char *c = init; okay && *c; c++)
		okay = is_graph(*c) || (unsigned char)*c >= 0x80;
	if (okay && !strchr(init, '"'))
		return NULL;
	return xasprintf("an absolute path inside the image of at most %d bytes, without spaces, "
			 "control characters or '\"'", RECIPE_INIT_MAX);
}

char *recipe_validate_cmdline(const char *cmdline)
{
	if (strlen(cmdline) <= RECIPE_CMDLINE_MAX && !has_control(cmdline))
		return NULL;
	return xasprintf("one line of at most %d bytes without control characters",
			 RECIPE_CMDLINE_MAX);
}

char *recipe_validate_tap(const char *tap)
{
	size_t len = strlen(tap);
	bool okay = len >= 1 && len <= 15 && strcmp(tap, ".") && strcmp(tap, "..");
	/* ',' would end qemu's ifname= option; '/' and ':' the kernel refuses */
	for (const char *c = tap; okay && *c; c++)
		okay = is_graph(*c) && !strchr("/:,\"\\", *c);
	if (okay)
		return NULL;
	return xstrdup("a network interface name of 1 to 15 printable characters, "
		       "without '/', ':', ',', '\"', '\\' or spaces");
}

char *recipe_validate_mac(const char *mac)
{
	bool okay = strlen(mac) == 17;
	for (int i = 0; okay && i < 17; i++)
		okay = i % 3 == 2 ? mac[i] == ':' : hex_digit_value(mac[i], false) >= 0;
	/* the multicast bit is the lowest bit of the first byte */
	if (okay && (hex_digit_value(mac[1], false) & 1) == 0)
		return NULL;
	return xstrdup("a unicast MAC address such as 02:00:00:00:00:01 (even first byte)");
}

char *recipe_validate_disk_size(uint64_t bytes)
{
	/* virtio-blk counts 512-byte sectors: a ragged tail would be invisible to the guest */
	if (bytes >= (1ULL << 20) && bytes <= RECIPE_SIZE_MAX && bytes % 512 == 0)
		return NULL;
	return xasprintf("a size from 1M to %llu bytes in whole 512-byte sectors",
			 (unsigned long long)RECIPE_SIZE_MAX);
}

char *recipe_validate_disk_file(const char *name)
{
	size_t len = strlen(name);
	bool okay = len >= 1 && len <= 64 && name[0] != '.';
	for (const char *c = name; okay && *c; c++)
		okay = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		       (*c >= '0' && *c <= '9') || strchr("._-", *c);
	if (okay)
		return NULL;
	return xstrdup("a file name of 1 to 64 letters, digits, '.', '_' or '-', not starting "
		       "with '.'");
}

char *recipe_validate_share_tag(const char *tag)
{
	/* virtio-9p's config space holds the tag; the kernel takes it as mount's device name */
	size_t len = strlen(tag);
	bool okay = len >= 1 && len <= 31;
	for (const char *c = tag; okay && *c; c++)
		okay = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		       (*c >= '0' && *c <= '9') || strchr("._-", *c);
	return okay ? NULL : xstrdup("a mount tag of 1 to 31 letters, digits, '.', '_' or '-'");
}

/* the port text s..end: 1 to 65535, digits only; 0 when it is not one */
static uint16_t port_value(const char *s, const char *end)
{
	size_t len = (size_t)(end - s);
	if (len == 0 || len > 5 || s[0] == '0' || strspn(s, "0123456789") < len)
		return 0;
	unsigned long v = strtoul(s, NULL, 10);
	return v <= 65535 ? (uint16_t)v : 0;
}

char *recipe_validate_forward(const char *fwd, struct recipe_forward *out)
{
	static const char form[] = "PROTO:HOSTPORT:GUESTPORT or PROTO:ADDR:HOSTPORT:GUESTPORT, "
				   "e.g. tcp:2222:22";
	struct recipe_forward f = { .addr = "127.0.0.1" };
	const char *field[5];
	size_t n = 0;
	for (const char *c = fwd; n < 5; c = strchr(c, ':') + 1) {
		field[n++] = c;
		if (!strchr(c, ':'))
			break;
	}
	if (n != 3 && n != 4)
		return xasprintf("a forward %s", form);
	const char *end = field[1] - 1;
	if ((size_t)(end - fwd) == 3 && (!strncmp(fwd, "tcp", 3) || !strncmp(fwd, "udp", 3)))
		f.udp = fwd[0] == 'u';
	else
		return xasprintf("a forward whose protocol is tcp or udp (%s)", form);
	if (n == 4) {
		/* qemu's hostfwd takes the address as text; only a plain IPv4 one is passed on */
		size_t len = (size_t)(field[2] - 1 - field[1]);
		char addr[16] = "";
		unsigned char ip[4];
		if (len < sizeof(addr))
			memcpy(addr, field[1], len);
		if (len >= sizeof(addr) || inet_pton(AF_INET, addr, ip) != 1)
			return xasprintf("a forward whose address is a dotted IPv4 address (%s)", form);
		memcpy(f.addr, addr, sizeof(addr));
	}
	f.host = port_value(field[n - 2], field[n - 1] - 1);
	f.guest = port_value(field[n - 1], field[n - 1] + strlen(field[n - 1]));
	if (!f.host || !f.guest)
		return xasprintf("a forward whose ports are from 1 to 65535 (%s)", form);
	if (out)
		*out = f;
	return NULL;
}

/* digits only, no leading zero, at most max */
static bool is_count(const char *s, uint64_t max)
{
	size_t len = strlen(s);
	if (len == 0 || len > 19 || s[0] == '0' || strspn(s, "0123456789") != len)
		return false;
	return strtoull(s, NULL, 10) <= max;
}

char *recipe_validate_tsc_khz(const char *khz)
{
	if (is_count(khz, RECIPE_TSC_KHZ_MAX))
		return NULL;
	return xasprintf("a frequency in kHz from 1 to %llu", RECIPE_TSC_KHZ_MAX);
}

/*
 * The microvm properties a recipe may set, and their values.  Everything
 * else is refused: kernel=, initrd=, firmware=, dtb= and dumpdtb= name
 * host files that qemu would read into the guest or write, append= and
 * acpi=, pit=, pic=, rtc= are mvbuild's own, and the rest name objects
 * that only a command line of mvbuild's making could define.
 */
static const struct machine_prop {
	const char *key;
	bool auto_ok;  /* OnOffAuto: on, off or auto; else a bool: on or off */
} machine_props[] = {
	{ "auto-kernel-cmdline", false }, { "dump-guest-core", false }, { "graphics", false },
	{ "ioapic2", true }, { "isa-serial", false }, { "mem-merge", false },
	{ "pcie", true }, { "smm", true }, { "usb", false }, { "x-option-roms", false },
};

static const struct machine_prop *machine_prop_find(const char *key, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(machine_props); i++)
		if (strlen(machine_props[i].key) == len && !strncmp(machine_props[i].key, key, len))
			return &machine_props[i];
	return NULL;
}

static bool machine_value_ok(const struct machine_prop *prop, const char *v, size_t len)
{
	return (len == 2 && !strncmp(v, "on", 2)) || (len == 3 && !strncmp(v, "off", 3)) ||
	       (prop->auto_ok && len == 4 && !strncmp(v, "auto", 4));
}

static char *machine_allowed(void)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "a comma-separated list of KEY=VALUE, each key once, from ");
	for (size_t i = 0; i < ARRAY_SIZE(machine_props); i++)
		buf_addf(&b, "%s%s=on|off%s", i ? ", " : "", machine_props[i].key,
			 machine_props[i].auto_ok ? "|auto" : "");
	return buf_detach(&b);
}

char *recipe_validate_machine(const char *opts)
{
	const struct machine_prop *seen[ARRAY_SIZE(machine_props)];
	size_t n_seen = 0;
	const char *item = opts;
	for (;;) {
		/* an empty item would let ",," escape a comma into the previous value */
		const char *end = strchrnul(item, ','), *eq = memchr(item, '=', (size_t)(end - item));
		const struct machine_prop *prop = eq ? machine_prop_find(item, (size_t)(eq - item)) : NULL;
		if (!prop || !machine_value_ok(prop, eq + 1, (size_t)(end - eq - 1)))
			return machine_allowed();
		for (size_t i = 0; i < n_seen; i++)
			if (seen[i] == prop)
				return machine_allowed();
		seen[n_seen++] = prop;
		if (!*end)
			return NULL;
		item = end + 1;
	}
}

char *recipe_validate_binary(const char *binary)
{
	bool okay = *binary && *binary != '-' && strlen(binary) <= 4095 &&
		    (binary[0] == '/' || !strchr(binary, '/'));
	for (const char *c = binary; okay && *c; c++)
		okay = is_graph(*c) || (unsigned char)*c >= 0x80;
	if (okay)
		return NULL;
	return xstrdup("a program name looked up in PATH or an absolute path, without spaces "
		       "or control characters");
}

char *recipe_validate_size(uint64_t bytes)
{
	if (bytes >= RECIPE_SIZE_MIN && bytes <= RECIPE_SIZE_MAX)
		return NULL;
	return xstrdup("at least 4M and less than 16T");
}

char *recipe_validate_inodes(uint64_t inodes, uint64_t size)
{
	uint64_t max = UINT32_MAX;
	if (size && size / RECIPE_BYTES_PER_INODE < max)
		max = size / RECIPE_BYTES_PER_INODE;
	if (inodes >= RECIPE_INODES_MIN && inodes <= max)
		return NULL;
	if (size)
		return xasprintf("an integer from %d to %llu (one inode per %d bytes of 'size' at "
				 "most)", RECIPE_INODES_MIN, (unsigned long long)max,
				 RECIPE_BYTES_PER_INODE);
	return xasprintf("an integer from %d to %llu", RECIPE_INODES_MIN, (unsigned long long)max);
}

char *recipe_validate_epoch(int64_t epoch)
{
	if (epoch >= 0 && (uint64_t)epoch <= RECIPE_EPOCH_MAX)
		return NULL;
	return xasprintf("an integer from 0 to %llu (seconds since 1970)", RECIPE_EPOCH_MAX);
}

char *recipe_validate_arch(const char *arch)
{
	if (strcmp(arch, "x86_64") == 0)
		return NULL;
	return xstrdup("x86_64 (the only architecture mvbuild builds and boots)");
}

char *recipe_validate_label(const char *label)
{
	if (strlen(label) <= RECIPE_LABEL_MAX)
		return NULL;
	return xasprintf("at most %d bytes (ext4's limit)", RECIPE_LABEL_MAX);
}

char *recipe_validate_image_path(const char *path, bool root_ok)
{
	bool okay = path[0] == '/', below_root = false;
	for (const char *c = path + strspn(path, "/"); okay && *c; c += strspn(c, "/")) {
		size_t len = strcspn(c, "/");
		okay = len <= RECIPE_NAME_MAX && !(len == 1 && c[0] == '.') &&
		       !(len == 2 && c[0] == '.' && c[1] == '.');
		below_root = true;
		c += len;
	}
	if (okay && (root_ok || below_root))
		return NULL;
	return xasprintf("an absolute path %sinside the image, with no '.' or '..' and no name "
			 "over %d bytes", root_ok ? "" : "below '/' ", RECIPE_NAME_MAX);
}

char *recipe_validate_symlink(const char *target)
{
	size_t len = strlen(target);
	if (len >= 1 && len <= RECIPE_SYMLINK_MAX)
		return NULL;
	return xasprintf("a link target of 1 to %d bytes", RECIPE_SYMLINK_MAX);
}

char *recipe_validate_url(const char *url)
{
	if (url_allowed(url) && !has_control(url) && !strchr(url, ' '))
		return NULL;
	return xstrdup("an http://, https:// or file:// URL without spaces");
}
