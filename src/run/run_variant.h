/*
 * run_variant: the profile a run boots, made from the recipe's profile and
 * the command line's overrides.  What an override changed is blamed on that
 * option through the profile's marks, so an error about the variant names
 * the option, not a recipe line.
 */
#ifndef MVBUILD_RUN_VARIANT_H
#define MVBUILD_RUN_VARIANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recipe/recipe.h"

/* how many --forward one run takes (held in place: option parsing allocates nothing) */
#define RUN_FORWARDS_MAX 32

/* what the command line overrides; zero or NULL: the profile's own */
struct run_overrides {
	uint32_t mem, cpus;      /* --mem, --cpus */
	const char *init;        /* --init */
	const char *append;      /* --append: added to the profile's cmdline */
	const char *tap;         /* --tap: the one interface, on this host tap */
	const char *forwards[RUN_FORWARDS_MAX]; /* --forward, each "tcp:8080:80" */
	size_t n_forwards;
	const char *accel;       /* --accel "kvm" or "tcg" */
	bool reset;              /* --reset: a persistent profile starts from fresh copies */
	const char *hypervisor;  /* --hypervisor "qemu" or "firecracker" */
};

/* the profile as this run wants it, and the strings it owns */
struct run_variant {
	struct profile profile; /* a shallow copy of the recipe's with the overrides applied */
	struct net_iface tap;   /* --tap's interface */
	struct net_iface *net;  /* the interfaces with --forward's added (its own array) */
	char **forwards;        /* the user-mode interface's forwards with --forward's */
	char *init;             /* --init's copy */
	char *cmdline;          /* the recipe's cmdline, then --append */
	char *blame;            /* "command-line option --cpus": where the overrides came from */
};

/* v = p with o applied; p's strings must outlive v */
void run_variant_init(struct run_variant *v, const struct profile *p,
		      const struct run_overrides *o);
/* free what v owns */
void run_variant_release(struct run_variant *v);

#endif
