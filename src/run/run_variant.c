/*
 * run_variant: a run's profile from the recipe's and the command line's
 * overrides (see run_variant.h).  The recipe is never written: the variant
 * is a copy whose changed strings it owns.
 */
#include "run/run_variant.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* "command-line option --a" or "command-line options --a, --b" for the overrides set in o */
static char *options_given(const struct run_overrides *o)
{
	const char *set[] = { o->mem ? "--mem" : NULL, o->cpus ? "--cpus" : NULL,
			      o->init ? "--init" : NULL, o->append ? "--append" : NULL,
			      o->hypervisor ? "--hypervisor" : NULL,
			      o->n_forwards ? "--forward" : NULL };
	struct buf b = BUF_INIT;
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(set); i++)
		if (set[i])
			buf_addf(&b, "%s%s", n++ ? ", " : "", set[i]);
	char *text = n ? xasprintf("command-line option%s %s", n > 1 ? "s" : "", b.data) : NULL;
	buf_release(&b);
	return text;
}

/*
 * --forward: the forwards go to the profile's first user-mode interface, or
 * to a new one after the others when it has none (a tap profile gains a
 * second NIC for the run).
 */
static void add_forwards(struct run_variant *v, const struct run_overrides *o)
{
	static const struct mark forward_option = { "command-line option --forward", 0, 0 };
	struct profile *over = &v->profile;
	size_t n = over->n_net, u = 0;
	while (u < n && !over->net[u].user)
		u++;
	v->net = xcalloc(n + 1, sizeof(*v->net));
	if (n)
		memcpy(v->net, over->net, n * sizeof(*v->net));
	if (u == n) {
		v->net[n] = (struct net_iface){ .user = true, .mark = forward_option };
		n++;
	}
	struct net_iface *ni = &v->net[u];
	v->forwards = xcalloc(ni->n_forwards + o->n_forwards + 1, sizeof(*v->forwards));
	/* the strings stay the recipe's and the command line's; only the array is v's */
	for (size_t i = 0; i < ni->n_forwards; i++)
		v->forwards[i] = ni->forwards[i];
	for (size_t i = 0; i < o->n_forwards; i++)
		v->forwards[ni->n_forwards + i] = (char *)o->forwards[i];
	ni->forwards = v->forwards;
	ni->n_forwards += o->n_forwards;
	if (u < over->n_net)
		ni->mark = forward_option;
	over->net = v->net;
	over->n_net = n;
}

void run_variant_init(struct run_variant *v, const struct profile *p,
		      const struct run_overrides *o)
{
	static const struct mark tap_option = { "command-line option --tap", 0, 0 };
	memset(v, 0, sizeof(*v));
	v->profile = *p;
	struct profile *over = &v->profile;
	if ((v->blame = options_given(o)))
		over->mark = (struct mark){ v->blame, 0, 0 };
	if (o->mem)
		over->mem = o->mem;
	if (o->cpus)
		over->cpus = o->cpus;
	if (o->init)
		over->init = v->init = xstrdup(o->init);
	if (o->append)
		over->cmdline = v->cmdline = p->cmdline && *p->cmdline
			? xasprintf("%s %s", p->cmdline, o->append) : xstrdup(o->append);
	if (o->tap) {
		v->tap.tap = xstrdup(o->tap);
		v->tap.mark = tap_option;
		over->net = &v->tap;
		over->n_net = 1;
	}
	if (o->hypervisor)
		over->hypervisor = strcmp(o->hypervisor, "firecracker") == 0 ? HV_FIRECRACKER : HV_QEMU;
	if (o->n_forwards)
		add_forwards(v, o);
}

void run_variant_release(struct run_variant *v)
{
	free(v->tap.tap);
	free(v->net);
	free(v->forwards);
	free(v->init);
	free(v->cmdline);
	free(v->blame);
}
