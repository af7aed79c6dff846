/*
 * recipe_parse_profile: one entry of `profiles:` (a kernel and an image,
 * an initrd or both booted under a hypervisor, with memory, vCPUs, init, command line, taps
 * and hypervisor options), every key checked.  A limit that depends on two
 * keys (Firecracker's vCPUs) is checked once the whole entry is read.
 */
#include "recipe/recipe_parse_profile.h"

#include <stdlib.h>
#include <string.h>

#include "recipe/recipe_parse.h"
#include "recipe/recipe_validate.h"

/* in enum hypervisor order; each is also the key of its options map */
static const char *const hypervisors[] = { "qemu", "firecracker" };
static const char *const accels[] = { "kvm", "tcg", "auto" };

/* every key of a net entry, read together: tap or user is needed before mac */
static const struct recipe_key net_keys[] = {
	RECIPE_KEY_TOGETHER("tap"), RECIPE_KEY_TOGETHER("user"), RECIPE_KEY_TOGETHER("mac"),
};

/* user: { forward: [...] }: each forward checked, kept as written */
static int parse_forward(struct recipe_parser *p, void *entity, const struct ynode *v,
			 const char *key, const char *ctx)
{
	struct net_iface *ni = entity;
	if (recipe_parse_want_list(p, v, key, ctx) < 0)
		return -1;
	ni->forwards = xcalloc(v->n + 1, sizeof(*ni->forwards));
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *f = v->items[i];
		if (!recipe_parse_is_string(f))
			return recipe_parse_want(p, f, key, i + 1, ctx, "a string such as tcp:2222:22");
		if (recipe_parse_check(p, f, key, i + 1, ctx, recipe_validate_forward(f->text, NULL)) < 0)
			return -1;
		ni->forwards[ni->n_forwards++] = xstrdup(f->text);
	}
	return 0;
}

static const struct recipe_key user_keys[] = {
	RECIPE_KEY_FN("forward", parse_forward),
};

static int parse_net_entry(struct recipe_parser *p, struct net_iface *ni, const struct ynode *map,
			   const char *ctx)
{
	ni->mark = map->mark;
	if (recipe_parse_keys(p, ni, map, net_keys, ARRAY_SIZE(net_keys), ctx) < 0)
		return -1;
	const struct ynode *tap = recipe_yaml_get(map, "tap"), *mac = recipe_yaml_get(map, "mac");
	const struct ynode *user = recipe_yaml_get(map, "user");
	if (!tap && !user)
		return recipe_parse_fail(p, map, "%s needs 'tap' (a host tap device name) or 'user' "
					 "(qemu's user-mode network)", ctx);
	if (tap && user)
		return recipe_parse_fail(p, user, "%s has both 'tap' and 'user': an interface is "
					 "one or the other", ctx);
	if (user) {
		ni->user = true;
		char *uctx = xasprintf("'user' of %s", ctx);
		int ret = recipe_parse_want_map(p, user, "user", 0, ctx);
		if (ret == 0)
			ret = recipe_parse_keys(p, ni, user, user_keys, ARRAY_SIZE(user_keys), uctx);
		free(uctx);
		if (ret < 0)
			return -1;
	} else if (recipe_parse_string(p, tap, "tap", 0, ctx, &ni->tap) < 0 ||
		   recipe_parse_check(p, tap, "tap", 0, ctx, recipe_validate_tap(ni->tap)) < 0) {
		return -1;
	}
	if (!mac)
		return 0;
	if (recipe_parse_string(p, mac, "mac", 0, ctx, &ni->mac) < 0)
		return -1;
	return recipe_parse_check(p, mac, "mac", 0, ctx, recipe_validate_mac(ni->mac));
}

/* the first forward of the profile's earlier user entries that listens where f does, or NULL */
static const char *forward_clash(const struct profile *pr, const struct net_iface *upto,
				 const char *f)
{
	struct recipe_forward a, b;
	recipe_validate_forward(f, &a);
	for (const struct net_iface *ni = pr->net; ni <= upto; ni++)
		for (size_t i = 0; i < ni->n_forwards && ni->forwards[i] != f; i++) {
			recipe_validate_forward(ni->forwards[i], &b);
			if (a.udp == b.udp && a.host == b.host && !strcmp(a.addr, b.addr))
				return ni->forwards[i];
		}
	return NULL;
}

static int parse_net(struct recipe_parser *p, void *entity, const struct ynode *v,
		     const char *key, const char *ctx)
{
	struct profile *pr = entity;
	if (recipe_parse_want_list(p, v, "net", ctx) < 0)
		return -1;
	pr->net = xcalloc(v->n, sizeof(*pr->net));
	for (size_t i = 0; i < v->n; i++) {
		if (recipe_parse_want_map(p, v->items[i], "net", i + 1, ctx) < 0)
			return -1;
		char *nctx = xasprintf("net entry %zu of %s", i + 1, ctx);
		struct net_iface *ni = &pr->net[pr->n_net++];
		int ret = parse_net_entry(p, ni, v->items[i], nctx);
		for (size_t j = 0; ret == 0 && ni->tap && j + 1 < pr->n_net; j++)
			if (pr->net[j].tap && strcmp(pr->net[j].tap, ni->tap) == 0)
				ret = recipe_parse_fail(p, v->items[i], "%s uses tap '%s' twice", ctx,
							ni->tap);
		for (size_t j = 0; ret == 0 && j < ni->n_forwards; j++) {
			const char *other = forward_clash(pr, ni, ni->forwards[j]);
			if (other)
				ret = recipe_parse_fail(p, v->items[i], "%s forwards '%s' and '%s' "
							"from the same host port", ctx, other,
							ni->forwards[j]);
		}
		free(nctx);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* ---- disks: extra virtio-blk devices ------------------------------------- */

static int parse_disk_size(struct recipe_parser *p, void *entity, const struct ynode *v,
			   const char *key, const char *ctx)
{
	struct profile_disk *d = entity;
	uint64_t size = 0;
	bool okay = v->kind == YNODE_SCALAR && (v->type == YSCALAR_STR || v->type == YSCALAR_INT) &&
		    parse_size(v->text, &size) == 0;
	if (!okay)
		return recipe_parse_want(p, v, key, 0, ctx, "digits with an optional K, M, G or T "
					 "suffix (powers of 1024, such as 1G)");
	if (recipe_parse_check(p, v, key, 0, ctx, recipe_validate_disk_size(size)) < 0)
		return -1;
	d->size = size;
	return 0;
}

static int parse_disk_file(struct recipe_parser *p, void *entity, const struct ynode *v,
			   const char *key, const char *ctx)
{
	struct profile_disk *d = entity;
	if (recipe_parse_string(p, v, key, 0, ctx, &d->file) < 0)
		return -1;
	return recipe_parse_check(p, v, key, 0, ctx, recipe_validate_disk_file(d->file));
}

static const struct recipe_key disk_keys[] = {
	RECIPE_KEY_REF("image", struct profile_disk, image, image_mark),
	RECIPE_KEY_FN("file", parse_disk_file),
	RECIPE_KEY_FN("size", parse_disk_size),
	RECIPE_KEY_BOOL("readonly", struct profile_disk, readonly),
};

static int parse_disk_entry(struct recipe_parser *p, struct profile_disk *d,
			    const struct ynode *map, const char *ctx)
{
	d->mark = map->mark;
	if (recipe_parse_keys(p, d, map, disk_keys, ARRAY_SIZE(disk_keys), ctx) < 0)
		return -1;
	const struct ynode *size = recipe_yaml_get(map, "size"), *ro = recipe_yaml_get(map, "readonly");
	if (!d->image && !d->file)
		return recipe_parse_fail(p, map, "%s needs 'image' (an image's name) or 'file' (a "
					 "scratch file's name)", ctx);
	if (d->image && d->file)
		return recipe_parse_fail(p, recipe_yaml_get(map, "file"), "%s has both 'image' and "
					 "'file': a disk is one or the other", ctx);
	if (d->image && size)
		return recipe_parse_fail(p, size, "%s is image '%s', whose size is the image's: it "
					 "takes no 'size'", ctx, d->image);
	if (d->file && !size)
		return recipe_parse_fail(p, map, "%s needs 'size' (the scratch file's size, such as "
					 "1G)", ctx);
	if (d->file && ro && d->readonly)
		return recipe_parse_fail(p, ro, "%s is a scratch file, which starts empty: "
					 "'readonly: true' would leave it useless", ctx);
	return 0;
}

static int parse_disks(struct recipe_parser *p, void *entity, const struct ynode *v,
		       const char *key, const char *ctx)
{
	struct profile *pr = entity;
	if (recipe_parse_want_list(p, v, key, ctx) < 0)
		return -1;
	pr->disks = xcalloc(v->n + 1, sizeof(*pr->disks));
	for (size_t i = 0; i < v->n; i++) {
		if (recipe_parse_want_map(p, v->items[i], key, i + 1, ctx) < 0)
			return -1;
		char *dctx = xasprintf("disk entry %zu of %s", i + 1, ctx);
		struct profile_disk *d = &pr->disks[pr->n_disks++];
		int ret = parse_disk_entry(p, d, v->items[i], dctx);
		/* each disk has its own file in the run directory, named after it */
		for (size_t j = 0; ret == 0 && j + 1 < pr->n_disks; j++) {
			const struct profile_disk *o = &pr->disks[j];
			if ((d->image && o->image && !strcmp(d->image, o->image)) ||
			    (d->file && o->file && !strcmp(d->file, o->file)))
				ret = recipe_parse_fail(p, v->items[i], "%s names %s '%s' as disk "
							"entry %zu already", ctx, d->image ? "image"
							: "file", d->image ? d->image : d->file, j + 1);
		}
		free(dctx);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* ---- shares: host folders over virtio-9p ---------------------------------- */

static int parse_share_host(struct recipe_parser *p, void *entity, const struct ynode *v,
			    const char *key, const char *ctx)
{
	struct profile_share *sh = entity;
	if (!recipe_parse_is_string(v) || !*v->text)
		return recipe_parse_want(p, v, key, 0, ctx, "a non-empty string");
	/*
	 * A share hands the guest live access to a host folder, more than an
	 * overlay's one read: it obeys the strictest rule, beneath the recipe
	 * tree after following symlinks, with no allowed directories or pins.
	 * It may not exist yet (an output folder); run needs it.
	 */
	if (recipe_parse_beneath(p, v, "host folder", ctx, true, true) < 0)
		return -1;
	recipe_parse_path_set(p, &sh->host, v);
	return 0;
}

static int parse_share_tag(struct recipe_parser *p, void *entity, const struct ynode *v,
			   const char *key, const char *ctx)
{
	struct profile_share *sh = entity;
	if (recipe_parse_string(p, v, key, 0, ctx, &sh->tag) < 0)
		return -1;
	return recipe_parse_check(p, v, key, 0, ctx, recipe_validate_share_tag(sh->tag));
}

static const struct recipe_key share_keys[] = {
	RECIPE_KEY_FN("host", parse_share_host),
	RECIPE_KEY_FN("tag", parse_share_tag),
	RECIPE_KEY_BOOL("readonly", struct profile_share, readonly),
};

static int parse_shares(struct recipe_parser *p, void *entity, const struct ynode *v,
			const char *key, const char *ctx)
{
	struct profile *pr = entity;
	if (recipe_parse_want_list(p, v, key, ctx) < 0)
		return -1;
	pr->shares = xcalloc(v->n + 1, sizeof(*pr->shares));
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *m = v->items[i];
		if (recipe_parse_want_map(p, m, key, i + 1, ctx) < 0)
			return -1;
		char *sctx = xasprintf("share entry %zu of %s", i + 1, ctx);
		struct profile_share *sh = &pr->shares[pr->n_shares++];
		sh->mark = m->mark;
		int ret = recipe_parse_keys(p, sh, m, share_keys, ARRAY_SIZE(share_keys), sctx);
		if (ret == 0 && !sh->host.path)
			ret = recipe_parse_fail(p, m, "%s needs 'host' (a folder in the recipe tree)",
						sctx);
		if (ret == 0 && !sh->tag)
			ret = recipe_parse_fail(p, m, "%s needs 'tag' (the name the guest mounts it "
						"by)", sctx);
		for (size_t j = 0; ret == 0 && j + 1 < pr->n_shares; j++)
			if (!strcmp(pr->shares[j].tag, sh->tag))
				ret = recipe_parse_fail(p, m, "%s uses tag '%s' twice", ctx, sh->tag);
		free(sctx);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* ---- the qemu: / firecracker: maps: known keys, scalar values kept as text ---- */

/* a hypervisor option is one scalar value; 0 when it is, else -1 */
static int option_value(struct recipe_parser *p, const struct ynode *v, const char *key,
			const char *ctx)
{
	if (v->kind != YNODE_SCALAR || v->type == YSCALAR_NULL)
		return recipe_parse_want(p, v, key, 0, ctx, "a single value");
	return 0;
}

static int option_accel(struct recipe_parser *p, void *entity, const struct ynode *v,
			const char *key, const char *ctx)
{
	int accel;
	if (option_value(p, v, key, ctx) < 0)
		return -1;
	return recipe_parse_enum(p, v, key, 0, ctx, accels, ARRAY_SIZE(accels), &accel);
}

static int option_binary(struct recipe_parser *p, void *entity, const struct ynode *v,
			 const char *key, const char *ctx)
{
	if (option_value(p, v, key, ctx) < 0)
		return -1;
	return recipe_parse_check(p, v, key, 0, ctx, recipe_validate_binary(v->text));
}

static int option_machine(struct recipe_parser *p, void *entity, const struct ynode *v,
			  const char *key, const char *ctx)
{
	if (option_value(p, v, key, ctx) < 0)
		return -1;
	return recipe_parse_check(p, v, key, 0, ctx, recipe_validate_machine(v->text));
}

static int option_tsc_khz(struct recipe_parser *p, void *entity, const struct ynode *v,
			  const char *key, const char *ctx)
{
	if (option_value(p, v, key, ctx) < 0)
		return -1;
	return recipe_parse_check(p, v, key, 0, ctx, recipe_validate_tsc_khz(v->text));
}

static const struct recipe_key qemu_keys[] = {
	RECIPE_KEY_FN("accel", option_accel),
	RECIPE_KEY_FN("binary", option_binary),
	RECIPE_KEY_FN("machine", option_machine),
	RECIPE_KEY_FN("tsc_early_khz", option_tsc_khz),
};

static const struct recipe_key fc_keys[] = {
	RECIPE_KEY_FN("binary", option_binary),
};

/* check every option of the map v against keys, then keep them all as text */
static int parse_options(struct recipe_parser *p, struct option **opts, size_t *n,
			 const struct ynode *v, const char *key, const struct recipe_key *keys,
			 size_t n_keys, const char *ctx)
{
	if (recipe_parse_want_map(p, v, key, 0, ctx) < 0)
		return -1;
	char *octx = xasprintf("'%s' options of %s", key, ctx);
	int ret = recipe_parse_keys(p, NULL, v, keys, n_keys, octx);
	free(octx);
	if (ret < 0)
		return -1;
	*opts = xcalloc(v->n, sizeof(**opts));
	for (size_t i = 0; i < v->n; i++) {
		struct option *o = &(*opts)[(*n)++];
		o->key = xstrdup(v->pairs[i].key->text);
		o->value = xstrdup(v->pairs[i].value->text);
		o->mark = v->pairs[i].key->mark;
	}
	return 0;
}

static int parse_qemu(struct recipe_parser *p, void *entity, const struct ynode *v,
		      const char *key, const char *ctx)
{
	struct profile *pr = entity;
	return parse_options(p, &pr->qemu_opts, &pr->n_qemu_opts, v, key, qemu_keys,
			     ARRAY_SIZE(qemu_keys), ctx);
}

static int parse_firecracker(struct recipe_parser *p, void *entity, const struct ynode *v,
			     const char *key, const char *ctx)
{
	struct profile *pr = entity;
	return parse_options(p, &pr->fc_opts, &pr->n_fc_opts, v, key, fc_keys, ARRAY_SIZE(fc_keys),
			     ctx);
}

/* ---- the profile's own values -------------------------------------------- */

static int parse_hypervisor(struct recipe_parser *p, void *entity, const struct ynode *v,
			    const char *key, const char *ctx)
{
	struct profile *pr = entity;
	int hv;
	if (recipe_parse_enum(p, v, key, 0, ctx, hypervisors, ARRAY_SIZE(hypervisors), &hv) < 0)
		return -1;
	pr->hypervisor = (enum hypervisor)hv;
	return 0;
}

static int parse_mem(struct recipe_parser *p, void *entity, const struct ynode *v,
		     const char *key, const char *ctx)
{
	struct profile *pr = entity;
	uint64_t n;
	if (recipe_parse_checked_uint(p, v, key, ctx, recipe_validate_mem, &n) < 0)
		return -1;
	pr->mem = (uint32_t)n;
	return 0;
}

static char *check_cpus_qemu(uint64_t cpus)
{
	return recipe_validate_cpus(cpus, HV_QEMU);
}

static int parse_cpus(struct recipe_parser *p, void *entity, const struct ynode *v,
		      const char *key, const char *ctx)
{
	struct profile *pr = entity;
	uint64_t n;
	/* Firecracker's own limit is checked once the hypervisor is known */
	if (recipe_parse_checked_uint(p, v, key, ctx, check_cpus_qemu, &n) < 0)
		return -1;
	pr->cpus = (uint32_t)n;
	return 0;
}

static int parse_init(struct recipe_parser *p, void *entity, const struct ynode *v,
		      const char *key, const char *ctx)
{
	struct profile *pr = entity;
	if (!recipe_parse_is_string(v))
		return recipe_parse_check(p, v, key, 0, ctx, recipe_validate_init(""));
	pr->init_mark = v->mark;
	if (!strcmp(v->text, "oci")) {
		/* the container image's entrypoint, through the shim the image builder writes */
		pr->init_oci = true;
		pr->init = xstrdup(RECIPE_OCI_INIT);
		return 0;
	}
	if (recipe_parse_check(p, v, key, 0, ctx, recipe_validate_init(v->text)) < 0)
		return -1;
	return recipe_parse_string(p, v, key, 0, ctx, &pr->init);
}

static int parse_cmdline(struct recipe_parser *p, void *entity, const struct ynode *v,
			 const char *key, const char *ctx)
{
	struct profile *pr = entity;
	if (recipe_parse_string(p, v, key, 0, ctx, &pr->cmdline) < 0)
		return -1;
	return recipe_parse_check(p, v, key, 0, ctx, recipe_validate_cmdline(pr->cmdline));
}

/* every key of a profile, each with its reader */
static const struct recipe_key profile_keys[] = {
	RECIPE_KEY_FN("hypervisor", parse_hypervisor),
	RECIPE_KEY_REF("kernel", struct profile, kernel, kernel_mark),
	RECIPE_KEY_REF("image", struct profile, image, image_mark),
	RECIPE_KEY_REF("initrd", struct profile, initrd, initrd_mark),
	RECIPE_KEY_FN("mem", parse_mem),
	RECIPE_KEY_FN("cpus", parse_cpus),
	RECIPE_KEY_FN("init", parse_init),
	RECIPE_KEY_FN("cmdline", parse_cmdline),
	RECIPE_KEY_FN("net", parse_net),
	RECIPE_KEY_BOOL("persist", struct profile, persist),
	RECIPE_KEY_FN("disks", parse_disks),
	RECIPE_KEY_FN("shares", parse_shares),
	RECIPE_KEY_FN("qemu", parse_qemu),
	RECIPE_KEY_FN("firecracker", parse_firecracker),
};

static int parse_profile(struct recipe_parser *p, struct profile *pr, const struct ynode *map,
			 const char *ctx)
{
	pr->mem = 128;
	pr->cpus = 1;
	pr->hypervisor = HV_QEMU;
	if (recipe_parse_keys(p, pr, map, profile_keys, ARRAY_SIZE(profile_keys), ctx) < 0)
		return -1;
	if (!pr->kernel)
		return recipe_parse_fail(p, map, "%s needs 'kernel' (the name of a kernel)", ctx);
	/* an initrd alone is a whole root: the kernel runs its /init from the initramfs */
	if (!pr->image && !pr->initrd)
		return recipe_parse_fail(p, map, "%s needs 'image' (the name of an image) or 'initrd' "
					 "(the name of an image of format cpio)", ctx);
	const struct ynode *persist = recipe_yaml_get(map, "persist");
	if (!pr->image && persist && pr->persist)
		return recipe_parse_fail(p, persist, "%s has no 'image', so 'persist' has nothing to "
					 "keep (an initramfs lives in the guest's memory)", ctx);
	/* the options map of the other hypervisor */
	const char *other_hv = hypervisors[pr->hypervisor == HV_QEMU ? HV_FIRECRACKER : HV_QEMU];
	const struct ynode *other = recipe_yaml_get(map, other_hv);
	if (other)
		return recipe_parse_fail(p, other, "%s runs %s, so it takes no '%s' options", ctx,
					 hypervisors[pr->hypervisor], other_hv);
	for (size_t i = 0; pr->hypervisor == HV_FIRECRACKER && i < pr->n_net; i++)
		if (pr->net[i].user)
			return recipe_parse_fail(p, recipe_yaml_get(map, "net")->items[i],
						 "net entry %zu of %s is user-mode networking, which "
						 "Firecracker does not have (use a tap, or hypervisor: "
						 "qemu)", i + 1, ctx);
	const struct ynode *shares = recipe_yaml_get(map, "shares");
	if (pr->hypervisor == HV_FIRECRACKER && pr->n_shares)
		return recipe_parse_fail(p, shares, "%s runs firecracker, which has no host folder "
					 "shares (virtio-9p): use a disk, or hypervisor: qemu", ctx);
	const struct ynode *cpus = recipe_yaml_get(map, "cpus");
	if (cpus)
		return recipe_parse_check(p, cpus, "cpus", 0, ctx,
					  recipe_validate_cpus(pr->cpus, pr->hypervisor));
	return 0;
}

int recipe_parse_profile_section(struct recipe_parser *p, const struct ynode *v)
{
	RECIPE_PARSE_SECTION(p, v, "profiles", "profile", p->r->profiles, p->r->n_profiles,
			     parse_profile);
	return 0;
}
