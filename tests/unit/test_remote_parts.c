/*
 * Unit tests for the remote cache's parts, without a server: the transit
 * codec (sparse files stay sparse, damage is detected), ed25519 envelopes
 * (trusted, untrusted, tampered) and the machine config file.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recipe/config.h"
#include "base/fileutil.h"
#include "cache/remote_codec.h"
#include "cache/remote_sign.h"
#include "tap.h"

static void write_at(int fd, off_t off, char c, size_t n)
{
	char *b = xmalloc(n);
	memset(b, c, n);
	if (pwrite(fd, b, n, off) != (ssize_t)n)
		perror("pwrite");
	free(b);
}

static off_t file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? st.st_size : -1;
}

static void test_codec(const char *dir)
{
	struct error err = ERROR_INIT;
	char *src = path_join(dir, "sparse"), *enc = path_join(dir, "sparse.enc");
	char *dec = path_join(dir, "sparse.dec"), *bad = path_join(dir, "bad.enc");
	char *dec2 = path_join(dir, "bad.dec");
	int fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	write_at(fd, 0, 'a', 1 << 20);
	write_at(fd, 100 << 20, 'b', 4096);
	ftruncate(fd, 256 << 20);
	close(fd);

	char want[SHA256_HEX], got[SHA256_HEX], encd[SHA256_HEX], check[SHA256_HEX];
	uint64_t encsize = 0, size = 0;
	hash_file_hex(HASH_CONTENT, src, want, &err);
	ok(remote_codec_encode(src, enc, encd, &encsize, &err) == 0, "a sparse 256 MiB file encodes");
	ok(encsize < 64 * 1024 && (off_t)encsize == file_size(enc),
	   "its 1 MiB of data travels compressed, holes not inflated (%llu bytes)",
	   (unsigned long long)encsize);
	hash_file_hex(HASH_SHA256, enc, check, &err);
	is_str(check, encd, "the encoded digest names the encoded bytes");
	ok(remote_codec_decode(enc, dec, got, &size, &err) == 0, "it decodes");
	is_str(got, want, "decoded content has the original digest");
	hash_file_hex(HASH_CONTENT, dec, check, &err);
	is_str(check, want, "and the file on disk agrees");
	ok(size == 256u << 20 && file_size(dec) == 256 << 20 && file_allocated(dec) < (4u << 20),
	   "decoded file has the apparent size and stays sparse (%llu bytes allocated)",
	   (unsigned long long)file_allocated(dec));

	/* damage inside the compressed stream */
	struct buf b = BUF_INIT;
	read_file(enc, 1 << 20, &b, &err);
	b.data[b.len / 2] ^= 0x55;
	write_file_atomic(bad, b.data, b.len, 0644, &err);
	buf_release(&b);
	int r = remote_codec_decode(bad, dec2, got, &size, &err);
	ok(r < 0 || strcmp(got, want) != 0, "a damaged encoding fails or decodes to another digest");
	error_release(&err);
	unlink(dec2);
	write_file_atomic(bad, "mvbuild-blob 1\nsize 10\nextent 5 10\ndata\n", 38, 0644, &err);
	ok(remote_codec_decode(bad, dec2, got, &size, &err) < 0, "an extent past the end is refused");
	error_release(&err);
	free(src), free(enc), free(dec), free(bad), free(dec2);
}

static void test_sign(const char *dir)
{
	struct error err = ERROR_INIT;
	char *ci = path_join(dir, "ci"), *other = path_join(dir, "other");
	char id[SHA256_HEX], id2[SHA256_HEX];
	ok(remote_sign_key_generate(ci, id, &err) == 0 && remote_sign_key_generate(other, id2, &err) == 0,
	   "two key pairs are generated");
	char *priv = xasprintf("%s.key", ci), *pub = xasprintf("%s.pub", ci),
	     *pub2 = xasprintf("%s.pub", other);
	struct stat st;
	ok(stat(priv, &st) == 0 && (st.st_mode & 0777) == 0600, "the private key is mode 0600");
	ok(remote_sign_key_generate(ci, id, &err) < 0, "an existing key is never overwritten");
	error_release(&err);
	struct remote_key *sk = NULL, *pk = NULL, *pk2 = NULL;
	ok(remote_sign_key_load_private(&sk, priv, &err) == 0 && remote_sign_key_load_public(&pk, pub, &err) == 0 &&
	   remote_sign_key_load_public(&pk2, pub2, &err) == 0, "keys load");
	is_str(remote_sign_key_id(sk), remote_sign_key_id(pk), "private and public key share the key id");
	error_release(&err);

	const char *payload = "mvbuild-action 1\nrecord\nx\ty\t\n";
	struct buf env = BUF_INIT;
	ok(remote_sign(sk, payload, strlen(payload), &env, &err) == 0, "a payload is signed");
	const char *p;
	size_t plen;
	struct remote_key *trusted[] = { pk }, *untrusted[] = { pk2 };
	ok(remote_sign_verify(trusted, 1, env.data, env.len, &p, &plen, &err) == 0 && plen == strlen(payload) &&
	   memcmp(p, payload, plen) == 0, "it verifies with the trusted key and yields the payload");
	ok(remote_sign_verify(untrusted, 1, env.data, env.len, &p, &plen, &err) < 0 &&
	   strstr(err.msg, "not trusted"), "another key does not trust it");
	error_release(&err);
	env.data[env.len - 2] ^= 1;
	ok(remote_sign_verify(trusted, 1, env.data, env.len, &p, &plen, &err) < 0 &&
	   strstr(err.msg, "does not verify"), "a changed byte breaks the signature");
	error_release(&err);
	ok(remote_sign_verify(trusted, 1, payload, strlen(payload), &p, &plen, &err) < 0 &&
	   strstr(err.msg, "not signed"), "an unsigned record is refused");
	error_release(&err);
	buf_release(&env);
	remote_sign_key_free(sk), remote_sign_key_free(pk), remote_sign_key_free(pk2);
	free(ci), free(other), free(priv), free(pub), free(pub2);
}

static void test_config(const char *dir)
{
	struct error err = ERROR_INIT;
	struct config cfg;
	char *path = path_join(dir, "config.yaml");
	const char *text =
		"cache: {dir: c, max_size: 2G}\n"
		"remote:\n"
		"  url: http://127.0.0.1:1/x\n"
		"  upload: true\n"
		"  token_file: secret/token\n"
		"  signing_key: /abs/ci.key\n"
		"  trusted_keys: [ci.pub, keys/b.pub]\n"
		"  max_upload: 1M\n"
		"  timeout: 2.5\n";
	write_file_atomic(path, text, strlen(text), 0644, &err);
	unsetenv("MVBUILD_REMOTE");
	unsetenv("MVBUILD_REMOTE_TRUSTED_KEYS");
	ok(config_load(&cfg, path, &err) == 0, "a full config loads");
	char *want_c = path_join(dir, "c"), *want_t = path_join(dir, "secret/token");
	char *want_k = path_join(dir, "keys/b.pub");
	ok(cfg.cache_dir && strcmp(cfg.cache_dir, want_c) == 0 && cfg.cache_max_size == 2ull << 30,
	   "cache dir is relative to the config file, size parsed");
	ok(cfg.remote_url && cfg.remote_upload && strcmp(cfg.token_file, want_t) == 0 &&
	   strcmp(cfg.signing_key, "/abs/ci.key") == 0 && cfg.max_upload == 1 << 20 &&
	   cfg.timeout == 2.5, "remote settings parsed");
	ok(cfg.n_trusted_keys == 2 && strcmp(cfg.trusted_keys[1], want_k) == 0, "trusted keys listed");
	config_release(&cfg);
	setenv("MVBUILD_REMOTE", "http://127.0.0.1:2/y", 1);
	setenv("MVBUILD_REMOTE_TRUSTED_KEYS", "/k/a.pub:/k/b.pub:/k/c.pub", 1);
	setenv("MVBUILD_REMOTE_UPLOAD", "0", 1);
	ok(config_load(&cfg, path, &err) == 0 && strcmp(cfg.remote_url, "http://127.0.0.1:2/y") == 0 &&
	   cfg.n_trusted_keys == 3 && !cfg.remote_upload, "the environment overrides the file");
	config_release(&cfg);
	unsetenv("MVBUILD_REMOTE");
	unsetenv("MVBUILD_REMOTE_TRUSTED_KEYS");
	unsetenv("MVBUILD_REMOTE_UPLOAD");

	const char *bad = "remote:\n  url: http://x\n  tokenfile: t\n";
	write_file_atomic(path, bad, strlen(bad), 0644, &err);
	ok(config_load(&cfg, path, &err) < 0 && err.kind == ERROR_USAGE && strstr(err.msg, ":3:3: unknown key 'tokenfile' in remote (did you mean 'token_file'?)"),
	   "an unknown key names file:line:column and the nearest known key");
	error_release(&err);
	bad = "remote:\n  url: &u http://x\n  token_file: *u\n";
	write_file_atomic(path, bad, strlen(bad), 0644, &err);
	ok(config_load(&cfg, path, &err) < 0 && err.kind == ERROR_USAGE &&
	   strstr(err.msg, "config.yaml:2:8: anchors and aliases are not allowed ('u')"),
	   "an anchor in the config is refused at its position");
	error_release(&err);
	bad = "cache: {dir: c}\nremote: *r\n";
	write_file_atomic(path, bad, strlen(bad), 0644, &err);
	ok(config_load(&cfg, path, &err) < 0 &&
	   strstr(err.msg, "config.yaml:2:9: anchors and aliases are not allowed ('r')"),
	   "an alias in the config is refused at its position");
	error_release(&err);
	bad = "remote:\n  url: http://x\n  url: http://y\n";
	write_file_atomic(path, bad, strlen(bad), 0644, &err);
	ok(config_load(&cfg, path, &err) < 0 && strstr(err.msg, ":3:3: duplicate key 'url'"),
	   "a duplicate key in the config is refused");
	error_release(&err);
	bad = "remote: {timeout: soon}\n";
	write_file_atomic(path, bad, strlen(bad), 0644, &err);
	ok(config_load(&cfg, path, &err) < 0 && strstr(err.msg, ":1:19: 'timeout' must be seconds"),
	   "a bad value names its position");
	error_release(&err);
	char *missing = path_join(dir, "nope.yaml");
	ok(config_load(&cfg, missing, &err) < 0 && strstr(err.msg, "cannot open config '"),
	   "a named config file must exist");
	error_release(&err);
	setenv("XDG_CONFIG_HOME", dir, 1);
	ok(config_load(&cfg, NULL, &err) == 0 && !cfg.remote_url, "a missing default config is empty");
	config_release(&cfg);
	free(path), free(want_c), free(want_t), free(want_k), free(missing);
}

/* kernel: {ccache:, distcc:}: parsed, checked at their positions, overridden by the environment */
static void test_config_kernel(const char *dir)
{
	struct error err = ERROR_INIT;
	struct config cfg;
	char *path = path_join(dir, "kernel.yaml");
	const char *text =
		"kernel:\n"
		"  ccache: {dir: cc, remote: \"http://127.0.0.1:1/ccache|bearer-token=t\"}\n"
		"  distcc: {hosts: [\"10.0.0.5:3632/8\", 10.0.0.6/4]}\n";
	write_file_atomic(path, text, strlen(text), 0644, &err);
	unsetenv("MVBUILD_CCACHE_DIR");
	unsetenv("MVBUILD_CCACHE_REMOTE");
	unsetenv("MVBUILD_DISTCC_HOSTS");
	char *want = path_join(dir, "cc");
	ok(config_load(&cfg, path, &err) == 0 && strcmp(cfg.ccache_dir, want) == 0 &&
	   strcmp(cfg.ccache_remote, "http://127.0.0.1:1/ccache|bearer-token=t") == 0 &&
	   cfg.n_distcc_hosts == 2 && strcmp(cfg.distcc_hosts[1], "10.0.0.6/4") == 0,
	   "kernel: ccache dir (relative to the file), remote and distcc hosts parsed");
	config_release(&cfg);
	setenv("MVBUILD_CCACHE_DIR", "/env/cc", 1);
	setenv("MVBUILD_CCACHE_REMOTE", "http://127.0.0.1:2/c", 1);
	setenv("MVBUILD_DISTCC_HOSTS", " a/2  b:3633/8 localhost ", 1);
	ok(config_load(&cfg, path, &err) == 0 && strcmp(cfg.ccache_dir, "/env/cc") == 0 &&
	   strcmp(cfg.ccache_remote, "http://127.0.0.1:2/c") == 0 && cfg.n_distcc_hosts == 3 &&
	   strcmp(cfg.distcc_hosts[1], "b:3633/8") == 0,
	   "MVBUILD_CCACHE_DIR, MVBUILD_CCACHE_REMOTE and MVBUILD_DISTCC_HOSTS override the file");
	config_release(&cfg);
	setenv("MVBUILD_CCACHE_REMOTE", "https://x/c", 1);
	ok(config_load(&cfg, path, &err) < 0 && strstr(err.msg, "MVBUILD_CCACHE_REMOTE must be an http:// URL"),
	   "MVBUILD_CCACHE_REMOTE must be http://");
	error_release(&err);
	unsetenv("MVBUILD_CCACHE_DIR");
	unsetenv("MVBUILD_CCACHE_REMOTE");
	unsetenv("MVBUILD_DISTCC_HOSTS");
	const char *bad = "kernel:\n  ccache: {remote: \"https://cache/ccache\"}\n";
	write_file_atomic(path, bad, strlen(bad), 0644, &err);
	ok(config_load(&cfg, path, &err) < 0 &&
	   strstr(err.msg, ":2:20: 'remote' must be an http:// URL (ccache's HTTP storage), not 'https://cache/ccache'"),
	   "a ccache remote that is not http:// is refused at its position");
	error_release(&err);
	bad = "kernel:\n  distcc: {hosts: [\"a b\"]}\n";
	write_file_atomic(path, bad, strlen(bad), 0644, &err);
	ok(config_load(&cfg, path, &err) < 0 && strstr(err.msg, ":2:20: a distcc host must be one word"),
	   "a distcc host with a space is refused at its position");
	error_release(&err);
	bad = "kernel:\n  ccache: {dirr: x}\n";
	write_file_atomic(path, bad, strlen(bad), 0644, &err);
	ok(config_load(&cfg, path, &err) < 0 &&
	   strstr(err.msg, ":2:12: unknown key 'dirr' in ccache (did you mean 'dir'?)"),
	   "an unknown key under kernel: ccache: is named with the nearest one");
	error_release(&err);
	free(path);
	free(want);
}

int main(void)
{
	char dir[] = "/tmp/mvbuild-remote-parts.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	test_codec(dir);
	test_sign(dir);
	test_config(dir);
	test_config_kernel(dir);
	remove_tree(dir);
	return tap_done();
}
