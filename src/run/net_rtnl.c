/*
 * net_rtnl: link up, addresses and bridge ports over rtnetlink: one raw
 * NETLINK_ROUTE socket per request, NLM_F_ACK on every message, and the
 * kernel's ack read back so its errno becomes our error.
 */
#include "run/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/util.h"

struct nlreq {
	struct nlmsghdr hdr;
	char payload[512];  /* ifinfomsg or ifaddrmsg, then attributes */
};

static void add_attr(struct nlreq *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)&r->hdr + NLMSG_ALIGN(r->hdr.nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	r->hdr.nlmsg_len = NLMSG_ALIGN(r->hdr.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* send one request and wait for its ack; the kernel's errno, 0 on success, or -errno locally */
static int talk(struct nlreq *r)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return errno;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	r->hdr.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->hdr.nlmsg_seq = 1;
	int result = 0;
	if (sendto(fd, r, r->hdr.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		result = errno;
		goto out;
	}
	char reply[4096];
	ssize_t n = recv(fd, reply, sizeof(reply), 0);
	if (n < 0) {
		result = errno;
		goto out;
	}
	for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (unsigned)n);
	     h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			result = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
			break;
		}
	}
out:
	close(fd);
	return result;
}

unsigned net_ifindex(const char *name, struct error *err)
{
	unsigned idx = if_nametoindex(name);
	if (!idx)
		error_set(err, "no network interface '%s'", name);
	return idx;
}

static int link_request(const char *name, unsigned flags, unsigned change, int master,
			const char *what, struct error *err)
{
	unsigned idx = net_ifindex(name, err);
	if (!idx)
		return -1;
	struct nlreq r;
	memset(&r, 0, sizeof(r));
	r.hdr.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	r.hdr.nlmsg_type = RTM_NEWLINK;
	struct ifinfomsg *ifi = NLMSG_DATA(&r.hdr);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)idx;
	ifi->ifi_flags = flags;
	ifi->ifi_change = change;
	if (master > 0)
		add_attr(&r, IFLA_MASTER, &master, sizeof(master));
	int e = talk(&r);
	return e ? net_error_privilege(err, e, what, name) : 0;
}

int net_link_up(const char *name, struct error *err)
{
	return link_request(name, IFF_UP, IFF_UP, 0, "set up link", err);
}

int net_link_set_master(const char *name, const char *bridge, struct error *err)
{
	unsigned br = net_ifindex(bridge, err);
	if (!br)
		return error_prefix(err, "cannot attach '%s' to bridge '%s'", name, bridge);
	return link_request(name, 0, 0, (int)br, "attach to a bridge link", err);
}

/* parse "a.b.c.d/len"; the length is required: a bare address would silently be a /32 */
static int parse_cidr(const char *cidr, struct in_addr *addr, unsigned char *prefix,
		      struct error *err)
{
	const char *slash = strchr(cidr, '/');
	if (!slash)
		return error_usage(err, "'%s' has no prefix length: say which network, e.g. %s/24",
				   cidr, cidr);
	char *ip = xstrndup(cidr, (size_t)(slash - cidr));
	char *end = NULL;
	long len = strtol(slash + 1, &end, 10);
	int ok = inet_pton(AF_INET, ip, addr) == 1 && *end == '\0' && end != slash + 1 &&
		 len >= 0 && len <= 32;
	free(ip);
	if (!ok)
		return error_usage(err, "'%s' is not an IPv4 address with a prefix length "
				   "(10.0.2.1/24)", cidr);
	*prefix = (unsigned char)len;
	return 0;
}

int net_cidr_check(const char *cidr, struct error *err)
{
	struct in_addr addr;
	unsigned char prefix;
	return parse_cidr(cidr, &addr, &prefix, err);
}

int net_addr_add(const char *name, const char *cidr, struct error *err)
{
	struct in_addr addr;
	unsigned char prefix = 0;
	if (parse_cidr(cidr, &addr, &prefix, err) < 0)
		return -1;
	unsigned idx = net_ifindex(name, err);
	if (!idx)
		return -1;
	struct nlreq r;
	memset(&r, 0, sizeof(r));
	r.hdr.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	r.hdr.nlmsg_type = RTM_NEWADDR;
	r.hdr.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	struct ifaddrmsg *ifa = NLMSG_DATA(&r.hdr);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_index = idx;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	add_attr(&r, IFA_LOCAL, &addr, sizeof(addr));
	add_attr(&r, IFA_ADDRESS, &addr, sizeof(addr));
	int e = talk(&r);
	if (e == EEXIST)
		return 0;
	return e ? net_error_privilege(err, e, "add an address to", name) : 0;
}
