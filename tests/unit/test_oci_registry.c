/*
 * test_oci_registry: the pieces of registry pulls that need no registry:
 * WWW-Authenticate challenges, the http policy for hosts and token realms,
 * names refused before any URL is built, and the machine config's
 * registries: section (credentials, and their files kept from recipes).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/util.h"
#include "fetch/oci_auth.h"
#include "fetch/oci_registry.h"
#include "recipe/config.h"
#include "tap.h"

static void test_challenges(void)
{
	struct oci_auth_challenge c = OCI_AUTH_CHALLENGE_INIT;
	oci_auth_parse_challenge(&c, "Bearer realm=\"https://auth.example/token\",service=\"reg\","
				 "scope=\"repository:team/img:pull\"");
	ok(c.scheme == OCI_AUTH_BEARER, "a Bearer challenge");
	is_str(c.realm, "https://auth.example/token", "its realm");
	is_str(c.service, "reg", "its service");
	is_str(c.scope, "repository:team/img:pull", "its scope");
	oci_auth_parse_challenge(&c, "bearer realm=\"https://a/t\" , scope=\"x\\\"y\"");
	ok(c.scheme == OCI_AUTH_BEARER && c.service == NULL, "the scheme in any case, no service");
	is_str(c.scope, "x\"y", "a quoted-pair unescaped");
	oci_auth_parse_challenge(&c, "Basic realm=\"Registry Realm\"");
	ok(c.scheme == OCI_AUTH_BASIC && c.realm, "a Basic challenge");
	oci_auth_parse_challenge(&c, "Bearer service=\"reg\"");
	ok(c.scheme == OCI_AUTH_NONE && !c.service, "a Bearer without a realm is not understood");
	oci_auth_parse_challenge(&c, "Negotiate abc");
	ok(c.scheme == OCI_AUTH_NONE, "another scheme is not understood");
	oci_auth_parse_challenge(&c, "");
	ok(c.scheme == OCI_AUTH_NONE, "an empty header is not understood");
	oci_auth_challenge_release(&c);
}

static void test_http_policy(void)
{
	ok(oci_auth_host_is_loopback("127.0.0.1:5000"), "127.0.0.1:PORT is loopback");
	ok(oci_auth_host_is_loopback("localhost"), "localhost is loopback");
	ok(oci_auth_host_is_loopback("[::1]:5000"), "[::1]:PORT is loopback");
	ok(!oci_auth_host_is_loopback("127.0.0.10:5000"), "127.0.0.10 is not 127.0.0.1");
	ok(!oci_auth_host_is_loopback("localhost.example.com"), "localhost.example.com is not");
	ok(!oci_auth_host_is_loopback("[::10]:5000"), "[::10] is not");
	ok(oci_auth_url_safe("https://auth.example/token", false), "an https realm is safe");
	ok(oci_auth_url_safe("http://127.0.0.1:9/token", false), "http to loopback is safe");
	ok(!oci_auth_url_safe("http://auth.example/token", false), "http elsewhere is not");
	ok(oci_auth_url_safe("http://auth.example/token", true), "unless insecure_http");
	ok(!oci_auth_url_safe("http://evil@127.0.0.1/token", true), "a realm with user@ never is");
	ok(!oci_auth_url_safe("file:///etc/passwd", true), "nor one of another scheme");
}

static void test_names(void)
{
	struct oci_registry *r = NULL;
	struct error err = ERROR_INIT;
	ok(oci_registry_open(&r, "127.0.0.1:5000", "team/img", NULL, NULL, NULL, &err) == 0,
	   "a registry and repository open");
	is_str(r ? oci_registry_name(r) : "", "127.0.0.1:5000/team/img", "named HOST/REPO");
	oci_registry_free(r);
	const char *bad_repos[] = { "Team/img", "team//img", "/img", "img/", "team/../x", "a?b" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_repos); i++) {
		error_release(&err);
		ok(oci_registry_open(&r, "127.0.0.1:5000", bad_repos[i], NULL, NULL, NULL, &err) < 0,
		   "repository '%s' is refused", bad_repos[i]);
	}
	error_release(&err);
	ok(oci_registry_open(&r, "a/b", "img", NULL, NULL, NULL, &err) < 0, "a host with '/' is refused");
	error_release(&err);
	ok(oci_registry_open(&r, "user@host", "img", NULL, NULL, NULL, &err) < 0,
	   "a host with '@' is refused");
	error_release(&err);
}

static void test_config(void)
{
	char dir[] = "/tmp/mvbuild-test-oci.XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	char *path = path_join(dir, "config.yaml");
	struct buf y = BUF_INIT;
	buf_adds(&y, "registries:\n"
		     "  \"reg.example:5000\": { username: ci, password_file: pw }\n"
		     "  \"10.0.0.7\": { insecure_http: true }\n");
	struct error err = ERROR_INIT;
	struct config cfg;
	ok(write_file_atomic(path, y.data, y.len, 0644, &err) == 0, "config written");
	ok(config_load(&cfg, path, &err) == 0, "registries: loads");
	const struct config_registry *reg = config_registry_find(&cfg, "reg.example:5000");
	ok(reg && reg->username && strcmp(reg->username, "ci") == 0 && reg->password_file &&
	   str_endswith(reg->password_file, "/pw"), "username and password_file (made absolute)");
	ok(config_registry_find(&cfg, "10.0.0.7")->insecure_http, "insecure_http");
	ok(!config_registry_find(&cfg, "reg.example"), "hosts match exactly");
	struct recipe_trust trust;
	config_trust(&cfg, &trust);
	bool listed = false;
	for (size_t i = 0; i < trust.n_credentials; i++)
		listed |= strcmp(trust.credentials[i].key, "password_file") == 0;
	ok(listed, "a password_file is a credential no recipe may read");
	config_release(&cfg);
	const char *bad[] = {
		"registries: { \"r\": { username: u, password: p, password_file: f } }\n",
		"registries: { \"r\": { password: p } }\n",
		"registries: { \"r\": { user: u } }\n",
		"registries: { \"a/b\": { username: u } }\n",
		"registries: [ r ]\n",
	};
	const char *want[] = { "both 'password' and 'password_file'", "but no 'username'",
			       "unknown key 'user'", "must be HOST or HOST:PORT", "must be a mapping" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		error_release(&err);
		write_file_atomic(path, bad[i], strlen(bad[i]), 0644, &err);
		ok(config_load(&cfg, path, &err) < 0 && strstr(err.msg, want[i]),
		   "refused: %s", want[i]);
	}
	error_release(&err);
	unlink(path);
	rmdir(dir);
	free(path);
	buf_release(&y);
}

int main(void)
{
	test_challenges();
	test_http_policy();
	test_names();
	test_config();
	return tap_done();
}
