/*
 * net_tap: persistent tap devices through /dev/net/tun: TUNSETIFF with
 * IFF_TAP | IFF_NO_PI creates (or attaches to) the device, TUNSETOWNER
 * lets an unprivileged user's hypervisor open it later, TUNSETPERSIST
 * keeps it after this process closes the descriptor.  Deleting clears
 * TUNSETPERSIST, and the kernel removes the device on close.
 */
#include "run/net.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "recipe/recipe_validate.h"

int net_error_privilege(struct error *err, int errnum, const char *what, const char *name)
{
	if (errnum == EPERM || errnum == EACCES)
		return error_set(err, "cannot %s '%s': this needs CAP_NET_ADMIN (run as root, or "
				 "grant it: sudo setcap cap_net_admin+ep mvbuild)", what, name);
	return error_errno(err, errnum, "cannot %s '%s'", what, name);
}

int net_ifname_check(const char *name, struct error *err)
{
	/* the same names a recipe's net: entries may use */
	char *why = recipe_validate_tap(name);
	if (!why)
		return 0;
	error_usage(err, "tap name '%s' must be %s", name, why);
	free(why);
	return -1;
}

/* open /dev/net/tun attached to tap name; the descriptor, or -1 with err */
static int tap_open(const char *name, const char *what, struct error *err)
{
	if (net_ifname_check(name, err) < 0)
		return -1;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? error_set(err, "cannot %s '%s': no /dev/net/tun (load the "
						   "tun module)", what, name)
				       : net_error_privilege(err, errno, what, name);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		if (e == EBUSY)
			return error_set(err, "cannot %s '%s': it is in use (a VM has it open?)", what,
					 name);
		if (e == EINVAL)
			return error_set(err, "cannot %s '%s': an interface of another type has that "
					 "name", what, name);
		return net_error_privilege(err, e, what, name);
	}
	return fd;
}

int net_tap_create(const char *name, uid_t uid, struct error *err)
{
	int fd = tap_open(name, "create tap", err);
	if (fd < 0)
		return -1;
	int ret = 0;
	if (uid != (uid_t)-1 && ioctl(fd, TUNSETOWNER, (unsigned long)uid) < 0)
		ret = net_error_privilege(err, errno, "set the owner of tap", name);
	else if (ioctl(fd, TUNSETPERSIST, 1UL) < 0)
		ret = net_error_privilege(err, errno, "make persistent tap", name);
	close(fd);
	return ret;
}

int net_tap_delete(const char *name, struct error *err)
{
	int fd = tap_open(name, "remove tap", err);
	if (fd < 0)
		return -1;
	int ret = 0;
	if (ioctl(fd, TUNSETPERSIST, 0UL) < 0)
		ret = net_error_privilege(err, errno, "remove tap", name);
	close(fd);
	return ret;
}

int net_tap_up(const char *name, uid_t uid, const char *cidr, const char *bridge,
	       struct error *err)
{
	if (net_ifname_check(name, err) < 0 || (cidr && net_cidr_check(cidr, err) < 0))
		return -1;
	struct error ignored = ERROR_INIT;
	bool existed = net_ifindex(name, &ignored) != 0;
	error_release(&ignored);
	if (net_tap_create(name, uid, err) < 0)
		return -1;
	if (net_link_up(name, err) == 0 && (!cidr || net_addr_add(name, cidr, err) == 0) &&
	    (!bridge || net_link_set_master(name, bridge, err) == 0))
		return 0;
	/* a half-made tap is worse than none: take away the one made here, keep the first error */
	if (!existed)
		net_tap_delete(name, &ignored);
	error_release(&ignored);
	return -1;
}
