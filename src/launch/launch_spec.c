/*
 * launch_spec: a profile, checked, as the launch_spec the config writers
 * take.  Every invalid value is a recipe error that points at the line of
 * the profile (or of its net entry or option) that wrote it.
 */
#include "launch/launch.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe_validate.h"

/* x86 COMMAND_LINE_SIZE */
#define CMDLINE_MAX 2048

static int bad(struct error *err, const struct mark *m, const char *profile, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(struct error *err, const struct mark *m, const char *profile, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (m->line == 0) /* a value given on the command line, not in a file */
		error_usage(err, "%s: profile '%s': %s", m->file, profile, msg);
	else
		error_usage(err, "%s:%d:%d: profile '%s': %s", m->file ? m->file : "recipe",
			    m->line, m->column, profile, msg);
	if (m->line)
		error_locate(err, m->file, m->line, m->column);
	free(msg);
	return -1;
}

/* a bad value: "profile 'P': WHAT must be WHY" (why is a recipe_validate phrase, freed here) */
static int refuse(struct error *err, const struct mark *m, const char *profile, const char *what,
		  char *why)
{
	if (!why)
		return 0;
	bad(err, m, profile, "%s must be %s", what, why);
	free(why);
	return -1;
}

/* a user-mode interface's forwards as qemu hostfwd= values, none listening where another does */
static int fill_forwards(struct launch_spec *spec, struct launch_nic *nic, const struct profile *p,
			 const struct net_iface *ni, size_t index, struct error *err)
{
	nic->hostfwd = xcalloc(ni->n_forwards + 1, sizeof(*nic->hostfwd));
	for (size_t i = 0; i < ni->n_forwards; i++) {
		struct recipe_forward f;
		char *what = xasprintf("net %zu: forward '%s'", index, ni->forwards[i]);
		int ret = refuse(err, &ni->mark, p->name, what,
				 recipe_validate_forward(ni->forwards[i], &f));
		free(what);
		if (ret < 0)
			return -1;
		/* "tcp:127.0.0.1:2222-" is what another forward listening there starts with */
		char *listen = xasprintf("%s:%s:%u-", f.udp ? "udp" : "tcp", f.addr, f.host);
		for (size_t j = 0; j <= index; j++)
			for (size_t k = 0; k < spec->nics[j].n_hostfwd; k++)
				if (str_startswith(spec->nics[j].hostfwd[k], listen)) {
					free(listen);
					return bad(err, &ni->mark, p->name, "net %zu: forward '%s' listens "
						   "on a host port another forward has", index,
						   ni->forwards[i]);
				}
		nic->hostfwd[nic->n_hostfwd++] = xasprintf("%s:%u", listen, f.guest);
		free(listen);
	}
	return 0;
}

static int fill_nics(struct launch_spec *spec, const char *recipe_name, const struct profile *p,
		     struct error *err)
{
	spec->nics = xcalloc(p->n_net + 1, sizeof(*spec->nics));
	for (size_t i = 0; i < p->n_net; i++) {
		const struct net_iface *ni = &p->net[i];
		struct launch_nic *nic = &spec->nics[i];
		spec->n_nics++;
		if (ni->user) {
			nic->user = true;
			if (fill_forwards(spec, nic, p, ni, i, err) < 0)
				return -1;
		} else {
			char *what = xasprintf("net %zu: tap '%s'", i, ni->tap ? ni->tap : "");
			int ret = refuse(err, &ni->mark, p->name, what,
					 recipe_validate_tap(ni->tap ? ni->tap : ""));
			free(what);
			if (ret < 0)
				return -1;
			for (size_t j = 0; j < i; j++)
				if (spec->nics[j].tap && strcmp(spec->nics[j].tap, ni->tap) == 0)
					return bad(err, &ni->mark, p->name, "net %zu: tap '%s' is used "
						   "twice", i, ni->tap);
			nic->tap = xstrdup(ni->tap);
		}
		if (!ni->mac) {
			/* a user-mode interface has no tap name: "user" stands in for it */
			launch_mac_derive(recipe_name, p->name, i, ni->user ? "user" : ni->tap, nic->mac);
			continue;
		}
		char *what = xasprintf("net %zu: mac '%s'", i, ni->mac);
		int ret = refuse(err, &ni->mark, p->name, what, recipe_validate_mac(ni->mac));
		free(what);
		if (ret < 0)
			return -1;
		for (int k = 0; k < LAUNCH_MAC_LEN - 1; k++)
			nic->mac[k] = (char)tolower((unsigned char)ni->mac[k]);
	}
	return 0;
}

static int fill_disks(struct launch_spec *spec, const struct profile *p, struct error *err)
{
	spec->disks = xcalloc(p->n_disks + 1, sizeof(*spec->disks));
	for (size_t i = 0; i < p->n_disks; i++) {
		const struct profile_disk *d = &p->disks[i];
		struct launch_disk *ld = &spec->disks[spec->n_disks++];
		if (d->file) {
			char *what = xasprintf("disk %zu: file '%s'", i, d->file);
			int ret = refuse(err, &d->mark, p->name, what, recipe_validate_disk_file(d->file));
			free(what);
			what = xasprintf("disk %zu: size %llu", i, (unsigned long long)d->size);
			if (ret == 0)
				ret = refuse(err, &d->mark, p->name, what,
					     recipe_validate_disk_size(d->size));
			free(what);
			if (ret < 0)
				return -1;
		}
		ld->image = xstrdup(d->image);
		ld->file = xstrdup(d->file);
		ld->size = d->size;
		ld->readonly = d->readonly;
	}
	return 0;
}

static int fill_shares(struct launch_spec *spec, const struct profile *p, struct error *err)
{
	spec->shares = xcalloc(p->n_shares + 1, sizeof(*spec->shares));
	for (size_t i = 0; i < p->n_shares; i++) {
		const struct profile_share *sh = &p->shares[i];
		char *what = xasprintf("share %zu: tag '%s'", i, sh->tag ? sh->tag : "");
		int ret = refuse(err, &sh->mark, p->name, what,
				 recipe_validate_share_tag(sh->tag ? sh->tag : ""));
		free(what);
		if (ret < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(spec->shares[j].tag, sh->tag) == 0)
				return bad(err, &sh->mark, p->name, "share %zu: tag '%s' is used twice",
					   i, sh->tag);
		struct launch_share *ls = &spec->shares[spec->n_shares++];
		ls->host = xstrdup(sh->host.path);
		ls->tag = xstrdup(sh->tag);
		ls->readonly = sh->readonly;
	}
	return 0;
}

static int qemu_option(struct launch_spec *spec, const struct profile *p, const struct option *o,
		       struct error *err)
{
	if (strcmp(o->key, "accel") == 0) {
		if (strcmp(o->value, "auto") == 0)
			spec->accel = ACCEL_AUTO;
		else if (strcmp(o->value, "kvm") == 0)
			spec->accel = ACCEL_WANT_KVM;
		else if (strcmp(o->value, "tcg") == 0)
			spec->accel = ACCEL_WANT_TCG;
		else
			return bad(err, &o->mark, p->name, "qemu accel '%s' is not auto, kvm or tcg",
				   o->value);
	} else if (strcmp(o->key, "tsc_early_khz") == 0) {
		if (refuse(err, &o->mark, p->name, "qemu tsc_early_khz",
			   recipe_validate_tsc_khz(o->value)) < 0)
			return -1;
		spec->tsc_early_khz = xstrdup(o->value);
	} else if (strcmp(o->key, "binary") == 0) {
		if (refuse(err, &o->mark, p->name, "qemu binary", recipe_validate_binary(o->value)) < 0)
			return -1;
		spec->qemu_binary = xstrdup(o->value);
	} else if (strcmp(o->key, "machine") == 0) {
		if (refuse(err, &o->mark, p->name, "qemu machine", recipe_validate_machine(o->value)) < 0)
			return -1;
		spec->qemu_machine = xstrdup(o->value);
	} else {
		return bad(err, &o->mark, p->name, "unknown qemu option '%s' (known: accel, binary, "
			   "machine, tsc_early_khz)", o->key);
	}
	return 0;
}

static int fc_option(struct launch_spec *spec, const struct profile *p, const struct option *o,
		     struct error *err)
{
	if (strcmp(o->key, "binary") == 0) {
		if (refuse(err, &o->mark, p->name, "firecracker binary",
			   recipe_validate_binary(o->value)) < 0)
			return -1;
		spec->fc_binary = xstrdup(o->value);
		return 0;
	}
	return bad(err, &o->mark, p->name, "unknown firecracker option '%s' (known: binary)", o->key);
}

static int check_numbers(const struct launch_spec *spec, const struct profile *p,
			 struct error *err)
{
	char *what = xasprintf("mem %u MiB", spec->mem);
	int ret = refuse(err, &p->mark, p->name, what, recipe_validate_mem(spec->mem));
	free(what);
	what = xasprintf("cpus %u", spec->cpus);
	if (ret == 0)
		ret = refuse(err, &p->mark, p->name, what,
			     recipe_validate_cpus(spec->cpus, spec->hypervisor));
	free(what);
	if (ret == 0 && spec->init)
		ret = refuse(err, &p->mark, p->name, "init", recipe_validate_init(spec->init));
	if (ret == 0 && spec->cmdline)
		ret = refuse(err, &p->mark, p->name, "cmdline", recipe_validate_cmdline(spec->cmdline));
	return ret;
}

static int check_cmdline_length(const struct launch_spec *spec, const struct profile *p,
				enum hypervisor hv, struct error *err)
{
	char *line = hv == HV_FIRECRACKER ? launch_fc_cmdline(spec)
					  : launch_qemu_cmdline(spec, ACCEL_TCG);
	size_t len = strlen(line);
	free(line);
	if (len >= CMDLINE_MAX)
		return bad(err, &p->mark, p->name, "the kernel command line is %zu bytes; the "
			   "limit is %d", len, CMDLINE_MAX - 1);
	return 0;
}

static int check_firecracker(const struct launch_spec *spec, const struct profile *p,
			     struct error *err)
{
	char *what = xasprintf("cpus %u", spec->cpus);
	int ret = refuse(err, &p->mark, p->name, what,
			 recipe_validate_cpus(spec->cpus, HV_FIRECRACKER));
	free(what);
	if (ret < 0)
		return -1;
	for (size_t i = 0; i < spec->n_nics; i++)
		if (spec->nics[i].user)
			return bad(err, &p->net[i].mark, p->name, "net %zu is user-mode networking, "
				   "which Firecracker does not have (use a tap, or qemu)", i);
	if (spec->n_shares)
		return bad(err, &p->shares[0].mark, p->name, "Firecracker has no host folder shares "
			   "(virtio-9p): use a disk, or qemu");
	if (!spec->has_vmlinux)
		return bad(err, &p->mark, p->name, "Firecracker boots only the uncompressed vmlinux, "
			   "and kernel '%s' does not build one", p->kernel);
	return 0;
}

static int check_qemu(const struct launch_spec *spec, const struct profile *p, struct error *err)
{
	if (!spec->has_vmlinux && !spec->has_bzimage)
		return bad(err, &p->mark, p->name, "kernel '%s' builds neither bzImage nor vmlinux",
			   p->kernel);
	if (!spec->has_bzimage && !spec->kernel_pvh)
		return bad(err, &p->mark, p->name, "kernel '%s' has no bzImage, and its vmlinux "
			   "cannot boot in qemu without CONFIG_PVH=y", p->kernel);
	return 0;
}

int launch_spec_check(const struct launch_spec *spec, const struct profile *p,
		      enum hypervisor hv, struct error *err)
{
	if (hv == HV_FIRECRACKER ? check_firecracker(spec, p, err) : check_qemu(spec, p, err))
		return -1;
	if (spec->has_initrd && spec->kernel_initrd_missing)
		return bad(err, &p->initrd_mark, p->name, "kernel '%s' cannot unpack initrd '%s': "
			   "it lacks CONFIG_%s=y (recipes/kernel/initramfs.config has what an initrd needs)",
			   p->kernel, p->initrd, spec->kernel_initrd_missing);
	return check_cmdline_length(spec, p, hv, err);
}

int launch_spec_from_profile(struct launch_spec *spec, const char *recipe_name,
			     const struct profile *p, struct error *err)
{
	memset(spec, 0, sizeof(*spec));
	spec->profile = xstrdup(p->name);
	spec->hypervisor = p->hypervisor;
	spec->mem = p->mem ? p->mem : 128;
	spec->cpus = p->cpus ? p->cpus : 1;
	spec->init = xstrdup(p->init);
	spec->has_image = p->image != NULL;
	spec->root_squashfs = p->image_ref && p->image_ref->format == IMAGE_SQUASHFS;
	spec->root_compression = p->image_ref ? p->image_ref->compression : IMAGE_XZ;
	spec->has_initrd = p->initrd != NULL;
	spec->cmdline = xstrdup(p->cmdline);
	spec->persist = p->persist;
	for (size_t i = 0; i < p->n_qemu_opts; i++)
		if (qemu_option(spec, p, &p->qemu_opts[i], err) < 0)
			return -1;
	for (size_t i = 0; i < p->n_fc_opts; i++)
		if (fc_option(spec, p, &p->fc_opts[i], err) < 0)
			return -1;
	if (fill_nics(spec, recipe_name, p, err) < 0 || fill_disks(spec, p, err) < 0 ||
	    fill_shares(spec, p, err) < 0 ||
	    check_numbers(spec, p, err) < 0)
		return -1;
	return 0;
}

/*
 * Without a disk the kernel never mounts a root: it runs rdinit= (default
 * /init) from the initramfs, and init= would only be read after a root
 * mount that never happens.  With a disk too, the initramfs's /init runs
 * first and init= is for it to hand on to the disk's init.
 */
const char *launch_root_args(const struct launch_spec *spec)
{
	/* rootfstype: the kernel tries no other filesystem on the way to squashfs */
	return spec->root_squashfs ? "root=/dev/vda ro rootfstype=squashfs" : "root=/dev/vda rw";
}

const char *launch_init_param(const struct launch_spec *spec)
{
	return spec->has_image ? "init" : "rdinit";
}

void launch_spec_release(struct launch_spec *spec)
{
	for (size_t i = 0; i < spec->n_nics; i++) {
		free(spec->nics[i].tap);
		for (size_t j = 0; j < spec->nics[i].n_hostfwd; j++)
			free(spec->nics[i].hostfwd[j]);
		free(spec->nics[i].hostfwd);
	}
	free(spec->nics);
	for (size_t i = 0; i < spec->n_disks; i++) {
		free(spec->disks[i].image);
		free(spec->disks[i].file);
	}
	free(spec->disks);
	for (size_t i = 0; i < spec->n_shares; i++) {
		free(spec->shares[i].host);
		free(spec->shares[i].tag);
	}
	free(spec->shares);
	free(spec->profile);
	free(spec->init);
	free(spec->cmdline);
	free(spec->tsc_early_khz);
	free(spec->qemu_binary);
	free(spec->qemu_machine);
	free(spec->fc_binary);
	memset(spec, 0, sizeof(*spec));
}

void launch_argv_add(struct launch_argv *a, const char *arg)
{
	a->v = xrealloc(a->v, (a->n + 2) * sizeof(*a->v));
	a->v[a->n++] = xstrdup(arg);
	a->v[a->n] = NULL;
}

void launch_argv_addf(struct launch_argv *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	a->v = xrealloc(a->v, (a->n + 2) * sizeof(*a->v));
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void launch_argv_release(struct launch_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}
