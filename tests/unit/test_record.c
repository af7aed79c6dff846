/* Unit tests for record: keys ignore `where`, round trip, explain lines. */
#include <stdlib.h>

#include "record.h"
#include "tap.h"

int main(void)
{
	struct record a = RECORD_INIT, b = RECORD_INIT, c = RECORD_INIT;
	char ka[SHA256_HEX], kb[SHA256_HEX], kc[SHA256_HEX];
	struct error err = ERROR_INIT;

	record_add(&a, "param size", "%s", "512M");
	record_add_at(&a, "CONFIG_IPV6", "fragment net.config:3", "y");
	record_add(&b, "param size", "%s", "512M");
	record_add_at(&b, "CONFIG_IPV6", "fragment net.config:7", "y");
	record_key(&a, ka);
	record_key(&b, kb);
	is_str(ka, kb, "where does not enter the key");

	struct buf text = BUF_INIT;
	record_add(&a, "odd\tlabel", "%s", "line\nbreak\\");
	record_serialize(&a, &text);
	ok(record_parse(&c, text.data, text.len, &err) == 0, "serialized record parses");
	record_key(&a, ka);
	record_key(&c, kc);
	is_str(kc, ka, "round trip keeps the key");
	is_str(record_get(&c, "odd\tlabel"), "line\nbreak\\", "escapes round trip");

	struct buf diff = BUF_INIT;
	struct record old = RECORD_INIT, new = RECORD_INIT;
	record_add(&old, "overlay file overlay/etc/motd", "%064d", 1);
	record_add(&new, "overlay file overlay/etc/motd", "%064d", 2);
	record_add_at(&new, "CONFIG_IPV6", "fragment recipes/kernel/net.config:3", "y");
	record_add(&old, "param size", "512M");
	record_add(&new, "param size", "1G");
	ok(record_diff(&old, &new, &diff) == 3, "three differences");
	is_str(diff.data,
	       "overlay file overlay/etc/motd changed\n"
	       "fragment recipes/kernel/net.config:3 added CONFIG_IPV6=y\n"
	       "param size changed from 512M to 1G\n",
	       "explain lines");

	ok(record_parse(&c, "no tabs\n", 8, &err) < 0, "malformed record is an error");
	error_release(&err);

	record_release(&a);
	record_release(&b);
	record_release(&c);
	record_release(&old);
	record_release(&new);
	buf_release(&text);
	buf_release(&diff);
	return tap_done();
}
