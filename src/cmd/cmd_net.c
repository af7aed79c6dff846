/*
 * cmd_net: `mvbuild net up TAP [--user USER] [--addr CIDR | --bridge BR]`
 * and `mvbuild net down TAP`: the seed's mktap, without a shell-out.
 * `up` creates a persistent tap owned by USER (default: the invoking
 * user, $SUDO_USER under sudo), sets it up, then adds the address or
 * attaches it to the bridge.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "run/net.h"
#include "base/util.h"

struct net_opts {
	const char *user;    /* --user */
	const char *addr;    /* --addr */
	const char *bridge;  /* --bridge */
};

static const struct cli_option net_options[] = {
	OPT_STRING(0, "user", "USER", struct net_opts, user,
		"owner of the tap (default: the user behind sudo,\nelse yourself)"),
	OPT_STRING(0, "addr", "CIDR", struct net_opts, addr,
		"add the host address CIDR (e.g. 10.0.2.1/24)"),
	OPT_STRING(0, "bridge", "BR", struct net_opts, bridge, "attach the tap to bridge BR"),
	OPT_END(),
};

/* the verb and its options agree; a usage error otherwise */
static int check(struct mvctx *ctx, const char *verb, const struct net_opts *o)
{
	if (strcmp(verb, "up") && strcmp(verb, "down"))
		return cli_usage(ctx, &command_net, "unknown subcommand '%s' (say 'up' or 'down')", verb);
	if (o->addr && o->bridge)
		return cli_usage(ctx, &command_net, "--addr and --bridge exclude each other");
	if (strcmp(verb, "down") == 0 && (o->user || o->addr || o->bridge))
		return cli_usage(ctx, &command_net, "'net down' takes only TAP");
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

static int net_up(const char *tap, const struct net_opts *o, struct error *err)
{
	uid_t uid = (uid_t)-1;
	if (owner_uid(o->user, &uid, err) < 0)
		return -1;
	return net_tap_up(tap, uid, o->addr, o->bridge, err);
}

static int cmd_net(struct mvctx *ctx, struct cli_args *args)
{
	const char *verb = args->words[0], *tap = args->words[1];
	const struct net_opts *o = args->opts;
	if (check(ctx, verb, o))
		return EXIT_USAGE;
	struct error err = ERROR_INIT;
	int r = strcmp(verb, "up") == 0 ? net_up(tap, o, &err) : net_tap_delete(tap, &err);
	return r < 0 ? cli_fail(ctx, &err) : EXIT_OK;
}

const struct command command_net = {
	.name = "net",
	.args = "up|down TAP",
	.summary = "create or remove a tap device",
	.help = "net up TAP     create a persistent tap device TAP owned by USER, bring it\n"
		"               up, and add the address CIDR or attach it to the bridge BR\n"
		"net down TAP   remove it\n"
		"Needs CAP_NET_ADMIN (root); profiles then use it with net: [{tap: TAP}].\n",
	.options = net_options,
	.opts_size = sizeof(struct net_opts),
	.min_words = 2,
	.max_words = 2,
	.run = cmd_net,
};
