/*
 * net: host-side networking for microVMs: persistent tap devices
 * (net_tap.c: /dev/net/tun ioctls) and their link state, addresses and
 * bridges (net_rtnl.c: rtnetlink over a raw NETLINK_ROUTE socket).  All of
 * it needs CAP_NET_ADMIN; without it the error says so.
 */
#ifndef MVBUILD_NET_H
#define MVBUILD_NET_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"

/* 0 when name is a valid interface name (1 to IFNAMSIZ-1 bytes, no '/', ':' or space), else -1 */
int net_ifname_check(const char *name, struct error *err);
/* create (or take over) the persistent tap name owned by uid (-1: no owner); 0 or -1 */
int net_tap_create(const char *name, uid_t uid, struct error *err);
/*
 * `net up`: create the persistent tap name owned by uid, set it up, then add
 * the address cidr or attach it to bridge (either may be NULL).  A tap made
 * here is removed again when a later step fails; 0, or -1 with the first error.
 */
int net_tap_up(const char *name, uid_t uid, const char *cidr, const char *bridge,
	       struct error *err);
/* make the persistent tap name non-persistent, which removes it; 0 or -1 */
int net_tap_delete(const char *name, struct error *err);

/* the interface index of name, or 0 (err set) when there is none */
unsigned net_ifindex(const char *name, struct error *err);
/* set link name up; 0 or -1 */
int net_link_up(const char *name, struct error *err);
/* 0 when cidr is an IPv4 address with its prefix length ("10.0.2.1/24"), else -1 */
int net_cidr_check(const char *cidr, struct error *err);
/* add the address cidr ("10.0.2.1/24") to name; an address already there is fine; 0 or -1 */
int net_addr_add(const char *name, const char *cidr, struct error *err);
/* attach name to the bridge bridge; 0 or -1 */
int net_link_set_master(const char *name, const char *bridge, struct error *err);

/* the error text for a missing privilege on operation what */
int net_error_privilege(struct error *err, int errnum, const char *what, const char *name);

#endif
