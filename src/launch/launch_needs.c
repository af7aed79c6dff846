/*
 * launch_needs: the kernel options a profile's devices need, checked
 * against the kernel's final .config when the launch config is built, so a
 * profile whose guest could not see its network interface, disk or share
 * fails with the option's name instead of booting a guest that lacks it.
 * A microVM guest has no module loader (no initramfs brings one), so each
 * option must be built in (=y).  The message reads like the kernel's own
 * fragment verification ("CONFIG_X: requested y, got n").
 */
#include "launch/launch.h"

#include <stdlib.h>
#include <string.h>

/* one option a kind of device needs, and the shipped fragment that sets it */
struct need {
	const char *symbol;   /* without CONFIG_ */
	const char *fragment; /* in recipes/kernel/ */
};

static const struct need net_needs[] = { { "VIRTIO_NET", "net.config" } };
static const struct need disk_needs[] = { { "VIRTIO_BLK", "base.config" } };
/* a squashfs root: the filesystem, then its compressor (by enum image_compression) */
static const struct need squashfs_needs[] = { { "SQUASHFS", "squashfs.config" } };
static const struct need squashfs_compressor_needs[] = {
	[IMAGE_GZIP] = { "SQUASHFS_ZLIB", "squashfs.config" },
	[IMAGE_ZSTD] = { "SQUASHFS_ZSTD", "squashfs.config" },
	[IMAGE_UNCOMPRESSED] = { "SQUASHFS", "squashfs.config" },
	[IMAGE_XZ] = { "SQUASHFS_XZ", "squashfs.config" },
};
static const struct need share_needs[] = {
	{ "NET_9P", "shares.config" }, { "NET_9P_VIRTIO", "shares.config" },
	{ "9P_FS", "shares.config" },
};

/* the value config (a .config's text) gives CONFIG_symbol: "y", "m", ..., or "n" when unset */
static char *config_value(const char *config, const char *symbol)
{
	char *key = xasprintf("CONFIG_%s=", symbol);
	size_t klen = strlen(key);
	const char *line = config;
	char *value = NULL;
	while (line && *line && !value) {
		if (strncmp(line, key, klen) == 0)
			value = xstrndup(line + klen, strcspn(line + klen, "\n"));
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	free(key);
	return value ? value : xstrdup("n");
}

bool launch_needs_built_in(const char *config, const char *symbol)
{
	char *value = config_value(config, symbol);
	bool y = strcmp(value, "y") == 0;
	free(value);
	return y;
}

/* every need of one device (what, written at m) is =y in config; 0 or -1 with err */
static int check_needs(const struct need *needs, size_t n, const char *config,
		       const struct profile *p, const struct mark *m, const char *what,
		       struct error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (launch_needs_built_in(config, needs[i].symbol))
			continue;
		char *got = config_value(config, needs[i].symbol);
		/* a value from the command line has no line: its mark's file names the option */
		char *at = m->line ? xasprintf("%s:%d:%d", m->file ? m->file : "recipe", m->line,
					       m->column) : xstrdup(m->file ? m->file : "recipe");
		error_usage(err, "%s: profile '%s': %s needs CONFIG_%s: requested y, got %s in "
			    "kernel '%s' (the shipped fragment kernel/%s sets it)", at, p->name, what,
			    needs[i].symbol, got, p->kernel, needs[i].fragment);
		if (m->line)
			error_locate(err, m->file, m->line, m->column);
		free(at);
		free(got);
		return -1;
	}
	return 0;
}

int launch_needs_check(const struct launch_spec *spec, const struct profile *p,
		       const char *config, struct error *err)
{
	if (spec->has_image && spec->root_squashfs) {
		char *what = xasprintf("image '%s' (squashfs, %s)", p->image,
				       recipe_image_compression_name(spec->root_compression));
		int ret = check_needs(squashfs_needs, ARRAY_SIZE(squashfs_needs), config, p,
				      &p->image_mark, what, err);
		if (ret == 0)
			ret = check_needs(&squashfs_compressor_needs[spec->root_compression], 1, config,
					  p, &p->image_mark, what, err);
		free(what);
		if (ret < 0)
			return -1;
	}
	for (size_t i = 0; i < spec->n_nics; i++) {
		char *what = xasprintf("net %zu (%s)", i, spec->nics[i].user ? "user-mode" : "tap");
		int ret = check_needs(net_needs, ARRAY_SIZE(net_needs), config, p, &p->net[i].mark,
				      what, err);
		free(what);
		if (ret < 0)
			return -1;
	}
	for (size_t i = 0; i < spec->n_disks; i++) {
		char *what = xasprintf("disk %zu", i);
		int ret = check_needs(disk_needs, ARRAY_SIZE(disk_needs), config, p, &p->disks[i].mark,
				      what, err);
		free(what);
		if (ret < 0)
			return -1;
	}
	for (size_t i = 0; i < spec->n_shares; i++) {
		char *what = xasprintf("share %zu ('%s')", i, spec->shares[i].tag);
		int ret = check_needs(share_needs, ARRAY_SIZE(share_needs), config, p,
				      &p->shares[i].mark, what, err);
		free(what);
		if (ret < 0)
			return -1;
	}
	return 0;
}
