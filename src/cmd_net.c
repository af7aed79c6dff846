/*
 * cmd_net: `mvbuild net up TAP [--user USER] [--addr CIDR | --bridge BR]`
 * and `mvbuild net down TAP`: the seed's mktap, without a shell-out.
 * `up` creates a persistent tap owned by USER (default: the invoking
 * user, $SUDO_USER under sudo), sets it up, then adds the address or
 * attaches it to the bridge.
 */
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "net.h"
#include "util.h"

struct net_opts {
	const char *verb;    /* "up" or "down" */
	const char *tap;     /* TAP */
	const char *user;    /* --user */
	const char *addr;    /* --addr */
	const char *bridge;  /* --bridge */
};

static int parse(const struct command *cmd, int argc, char **argv, struct net_opts *o)
{
	const char **slots[] = { &o->user, &o->addr, &o->bridge };
	static const char *const names[] = { "--user", "--addr", "--bridge" };
	for (int i = 1; i < argc; i++) {
		int taken = cli_value_option(cmd, argc, argv, &i, names, slots, ARRAY_SIZE(names));
		if (taken < 0)
			return EXIT_USAGE;
		if (taken)
			continue;
		if (argv[i][0] == '-')
			return cli_usage(cmd, "unknown option '%s'", argv[i]);
		if (!o->verb)
			o->verb = argv[i];
		else if (!o->tap)
			o->tap = argv[i];
		else
			return cli_usage(cmd, "unexpected argument '%s'", argv[i]);
	}
	if (!o->verb || (strcmp(o->verb, "up") && strcmp(o->verb, "down")))
		return cli_usage(cmd, "say 'up' or 'down'");
	if (!o->tap)
		return cli_usage(cmd, "which tap? (say TAP)");
	if (o->addr && o->bridge)
		return cli_usage(cmd, "--addr and --bridge exclude each other");
	if (strcmp(o->verb, "down") == 0 && (o->user || o->addr || o->bridge))
		return cli_usage(cmd, "'net down' takes only TAP");
	return 0;
}

/* the owner for the tap: --user, else the user behind sudo, else ourselves */
static int owner_uid(const char *user, uid_t *uid, struct error *err)
{
	if (!user)
		user = getenv("SUDO_USER");
	if (!user) {
		*uid = getuid();
		return 0;
	}
	struct passwd *pw = getpwnam(user);
	if (pw) {
		*uid = pw->pw_uid;
		return 0;
	}
	char *end;
	unsigned long v = strtoul(user, &end, 10);
	if (*user && !*end) {
		*uid = (uid_t)v;
		return 0;
	}
	return error_usage(err, "no user '%s'", user);
}

static int net_up(const struct net_opts *o, struct error *err)
{
	uid_t uid = (uid_t)-1;
	if (owner_uid(o->user, &uid, err) < 0 || net_ifname_check(o->tap, err) < 0 ||
	    (o->addr && net_cidr_check(o->addr, err) < 0))
		return -1;
	struct error ignored = ERROR_INIT;
	bool existed = net_ifindex(o->tap, &ignored) != 0;
	error_release(&ignored);
	if (net_tap_create(o->tap, uid, err) < 0)
		return -1;
	if (net_link_up(o->tap, err) == 0 && (!o->addr || net_addr_add(o->tap, o->addr, err) == 0) &&
	    (!o->bridge || net_link_set_master(o->tap, o->bridge, err) == 0))
		return 0;
	/* a half-made tap is worse than none: take away the one made here, keep the first error */
	if (!existed)
		net_tap_delete(o->tap, &ignored);
	error_release(&ignored);
	return -1;
}

int cmd_net(struct mvctx *ctx, int argc, char **argv)
{
	const struct command *cmd = cli_find_command("net");
	if (cli_wants_help(cmd, argc, argv))
		return EXIT_OK;
	struct net_opts o = { 0 };
	if (parse(cmd, argc, argv, &o))
		return EXIT_USAGE;
	struct error err = ERROR_INIT;
	int r = strcmp(o.verb, "up") == 0 ? net_up(&o, &err) : net_tap_delete(o.tap, &err);
	return r < 0 ? cli_fail(ctx, &err) : EXIT_OK;
}
