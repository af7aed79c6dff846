/*
 * launch_mac: guest MAC addresses.  A net entry without `mac:` gets one
 * derived from (recipe name, profile name, interface index, tap name), so
 * the guest sees the same address on every run and on every machine, and
 * two profiles or two interfaces do not collide.  The first byte has the
 * locally administered bit set and the multicast bit clear.
 */
#include "launch/launch.h"

#include <stdio.h>
#include <string.h>

#include "base/hash.h"

void launch_mac_derive(const char *recipe_name, const char *profile, size_t index,
		       const char *tap, char mac[LAUNCH_MAC_LEN])
{
	struct buf b = BUF_INIT;
	/* NUL separators keep ("ab","c") and ("a","bc") apart */
	buf_adds(&b, "mvbuild-mac-v1");
	buf_addc(&b, '\0');
	buf_adds(&b, recipe_name ? recipe_name : "");
	buf_addc(&b, '\0');
	buf_adds(&b, profile);
	buf_addc(&b, '\0');
	buf_addf(&b, "%zu", index);
	buf_addc(&b, '\0');
	buf_adds(&b, tap);
	char hex[HASH_MAX_HEX];
	hash_buffer_hex(HASH_SHA256, b.data, b.len, hex);
	buf_release(&b);
	unsigned bytes[6];
	for (int i = 0; i < 6; i++)
		sscanf(hex + 2 * i, "%2x", &bytes[i]);
	bytes[0] = (bytes[0] & 0xfc) | 0x02;
	snprintf(mac, LAUNCH_MAC_LEN, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1],
		 bytes[2], bytes[3], bytes[4], bytes[5]);
}
