/*
 * Unit tests for base/oci_ref: the one grammar of image references that
 * the recipe, the machine config and the registry client share; every
 * part's bad forms refused and named, nothing allocated on a refusal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/oci_ref.h"
#include "tap.h"

#define HEX "4bd4f8e4b4e4a6c0c1c0d0e0f0a0b0c0d0e0f0a0b0c0d0e0f0a0b0c0d0e0f0a0"

static bool host(const char *s) { return oci_ref_host_valid(s, strlen(s)); }
static bool repo(const char *s) { return oci_ref_repo_valid(s, strlen(s)); }
static bool tag(const char *s) { return oci_ref_tag_valid(s, strlen(s)); }
static bool digest(const char *s) { return oci_ref_digest_valid(s, strlen(s)); }

static void test_parts(void)
{
	const char *good_hosts[] = { "127.0.0.1", "127.0.0.1:5000", "reg.example", "Reg-1.example:1",
				     "h:65535" };
	const char *bad_hosts[] = { "", ":5000", "h:", "h:0", "h:65536", "h:123456", "h:5x",
				    "[::1]:5000", "user@h", "a/b", "h h", "h:5000:1" };
	for (size_t i = 0; i < sizeof(good_hosts) / sizeof(*good_hosts); i++)
		ok(host(good_hosts[i]), "host '%s' is valid", good_hosts[i]);
	for (size_t i = 0; i < sizeof(bad_hosts) / sizeof(*bad_hosts); i++)
		ok(!host(bad_hosts[i]), "host '%s' is refused", bad_hosts[i]);

	const char *good_repos[] = { "img", "team/img", "a/b/c", "my.team/img_2", "a-b/c__d" };
	const char *bad_repos[] = { "", "/img", "img/", "a//b", "Team/img", "a/.hidden", "a/..",
				    "-a", "a-", "a/_b", "a b", "a:b", "a@b" };
	for (size_t i = 0; i < sizeof(good_repos) / sizeof(*good_repos); i++)
		ok(repo(good_repos[i]), "repository '%s' is valid", good_repos[i]);
	for (size_t i = 0; i < sizeof(bad_repos) / sizeof(*bad_repos); i++)
		ok(!repo(bad_repos[i]), "repository '%s' is refused", bad_repos[i]);
	char long_repo[300];
	memset(long_repo, 'a', 256);
	long_repo[256] = 0;
	ok(!repo(long_repo), "a 256-byte repository is refused");

	ok(tag("latest") && tag("v1.2_rc-3") && tag("_x"), "tags of letters, digits, '._-'");
	ok(!tag("") && !tag(".x") && !tag("-x") && !tag("a/b") && !tag("a:b"), "bad tags are refused");
	char long_tag[200];
	memset(long_tag, 'a', 129);
	long_tag[129] = 0;
	ok(!tag(long_tag), "a 129-byte tag is refused");

	ok(digest("sha256:" HEX), "sha256 and 64 lowercase hex digits");
	ok(!digest("sha256:" HEX "0") && !digest("sha512:" HEX) && !digest("sha256:" "A" HEX + 1),
	   "a wrong length, algorithm or case is refused");
	ok(oci_ref_digest_valid("sha256:" HEX "@tail", strlen("sha256:" HEX)),
	   "a digest inside a longer string is checked over its length only");
}

static void test_parse(void)
{
	struct oci_ref r;
	const char *why = NULL;
	ok(oci_ref_parse("127.0.0.1:5000/team/img:v1@sha256:" HEX, &r, &why) == 0, "a full reference");
	is_str(r.host, "127.0.0.1:5000", "its host");
	is_str(r.repo, "team/img", "its repository");
	is_str(r.tag, "v1", "its tag");
	is_str(r.digest, "sha256:" HEX, "its digest");
	oci_ref_release(&r);
	ok(oci_ref_parse("reg.example/img", &r, &why) == 0 && !r.tag && !r.digest,
	   "neither tag nor digest: both NULL");
	oci_ref_release(&r);
	ok(oci_ref_parse("reg.example/img@sha256:" HEX, &r, &why) == 0 && !r.tag && r.digest,
	   "a digest without a tag");
	oci_ref_release(&r);

	struct { const char *text, *why; } bad[] = {
		{ "alpine@sha256:" HEX, "the registry" },  /* no registry: no docker.io default */
		{ "img", "the registry" },
		{ "h:99999/img", "the registry" },
		{ "h/Img", "the repository" },
		{ "h/img:", "the tag" },
		{ "h/img:-x", "the tag" },
		{ "h/img@sha256:abc", "the digest" },
		{ "h/img@md5:" HEX, "the digest" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why = NULL;
		ok(oci_ref_parse(bad[i].text, &r, &why) < 0 && why && strcmp(why, bad[i].why) == 0,
		   "'%s' is refused naming %s (%s)", bad[i].text, bad[i].why, why ? why : "nothing");
	}
}

int main(void)
{
	test_parts();
	test_parse();
	return tap_done();
}
