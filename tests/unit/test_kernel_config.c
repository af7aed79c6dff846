/* Unit tests for kernel_config: fragment lines, merging, redefinitions, errors. */
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel_config.h"
#include "tap.h"

static void test_parse(void)
{
	struct kconf c = KCONF_INIT;
	struct error err = ERROR_INIT;
	const char *text = "# a comment\n"
			   "CONFIG_A=y\n"
			   "\n"
			   "# CONFIG_B is not set\n"
			   "CONFIG_C=\"hello world\"   \n"
			   "CONFIG_D=0x1000\n"
			   "#CONFIG_E is not set\n"
			   "CONFIG_F=m";
	ok(kernel_config_parse_fragment(&c, text, strlen(text), "kernel/x.config", &err) == 0, "fragment parses");
	ok(c.n == 6, "six assignments (got %zu)", c.n);
	is_str(kernel_config_value(&c, "CONFIG_A"), "y", "y value");
	is_str(kernel_config_value(&c, "CONFIG_B"), "n", "'is not set' is n");
	is_str(kernel_config_value(&c, "CONFIG_C"), "\"hello world\"", "string keeps quotes, trailing blanks trimmed");
	is_str(kernel_config_value(&c, "CONFIG_D"), "0x1000", "hex value");
	is_str(kernel_config_value(&c, "CONFIG_E"), "n", "'#CONFIG_E is not set' without a space");
	is_str(kernel_config_value(&c, "CONFIG_F"), "m", "last line without newline");
	is_str(kernel_config_value(&c, "CONFIG_ABSENT"), "n", "absent symbol reads as n");
	is_str(kernel_config_get(&c, "CONFIG_D")->where, "fragment kernel/x.config:6", "location is file:line");
	ok(c.n_notes == 0, "no redefinition notes");

	struct buf out = BUF_INIT;
	kernel_config_write(&c, &out);
	ok(strstr(out.data, "# CONFIG_B is not set\n") && strstr(out.data, "CONFIG_A=y\n"),
	   "written back in fragment form");
	buf_release(&out);
	kernel_config_release(&c);
}

static void test_errors(void)
{
	struct kconf c = KCONF_INIT;
	struct error err = ERROR_INIT;
	const char *bad = "CONFIG_A=y\nVIRTIO_BLK=y\n";
	ok(kernel_config_parse_fragment(&c, bad, strlen(bad), "kernel/bad.config", &err) < 0, "a line without CONFIG_ fails");
	ok(err.msg && strncmp(err.msg, "kernel/bad.config:2: not a config line", 38) == 0,
	   "error names file and line: %s", err.msg);
	ok(err.kind == ERROR_USAGE, "a bad fragment is a usage error");
	error_release(&err);
	const char *empty_value = "CONFIG_A=\n";
	ok(kernel_config_parse_fragment(&c, empty_value, strlen(empty_value), "e.config", &err) < 0, "empty value fails");
	error_release(&err);
	kernel_config_release(&c);
}

static void test_merge(void)
{
	struct kconf c = KCONF_INIT;
	struct error err = ERROR_INIT;
	const char *base = "CONFIG_NET=y\nCONFIG_IPV6=y\n";
	const char *net = "# net\n# CONFIG_IPV6 is not set\nCONFIG_NET=y\n";
	kernel_config_parse_fragment(&c, base, strlen(base), "kernel/base.config", &err);
	kernel_config_parse_fragment(&c, net, strlen(net), "kernel/net.config", &err);
	kernel_config_set(&c, "CONFIG_IPV6", "y", "config mvbuild.yaml:12");
	is_str(kernel_config_value(&c, "CONFIG_IPV6"), "y", "last assignment wins");
	is_str(kernel_config_get(&c, "CONFIG_IPV6")->where, "config mvbuild.yaml:12", "winner's location kept");
	ok(c.n == 2, "symbols stay unique");
	ok(c.n_notes == 3, "three redefinitions noted (got %zu)", c.n_notes);
	is_str(c.n_notes > 0 ? c.notes[0] : NULL,
	       "fragment kernel/net.config:2: CONFIG_IPV6=n redefines CONFIG_IPV6=y from fragment kernel/base.config:2",
	       "redefinition names both locations");
	is_str(c.n_notes > 1 ? c.notes[1] : NULL,
	       "fragment kernel/net.config:3: CONFIG_NET=y redefines CONFIG_NET=y from fragment kernel/base.config:1 (same value)",
	       "a same-value redefinition says so");
	is_str(c.n_notes > 2 ? c.notes[2] : NULL,
	       "config mvbuild.yaml:12: CONFIG_IPV6=y redefines CONFIG_IPV6=n from fragment kernel/net.config:2",
	       "inline config redefinition names the recipe line");
	kernel_config_release(&c);
}

static void test_diff(void)
{
	struct kconf before = KCONF_INIT, after = KCONF_INIT;
	struct error err = ERROR_INIT;
	const char *b = "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=y\nCONFIG_D=\"x\"\n";
	const char *a = "CONFIG_A=y\nCONFIG_B=y\nCONFIG_D=\"y\"\nCONFIG_E=m\n# CONFIG_F is not set\n";
	kernel_config_parse_fragment(&before, b, strlen(b), "before", &err);
	kernel_config_parse_fragment(&after, a, strlen(a), "after", &err);
	struct buf out = BUF_INIT;
	ok(kernel_config_diff(&before, &after, &out) == 4, "four changes");
	is_str(out.data, "CONFIG_B=y\nCONFIG_D=\"y\"\nCONFIG_E=m\n# CONFIG_C is not set\n",
	       "changed, new, then vanished symbols, in fragment form");
	buf_release(&out);
	kernel_config_release(&before);
	kernel_config_release(&after);
}

int main(void)
{
	test_diff();
	test_parse();
	test_errors();
	test_merge();
	return tap_done();
}
