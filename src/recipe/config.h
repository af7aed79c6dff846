/*
 * config: settings that belong to a machine, not a recipe, read from
 * $XDG_CONFIG_HOME/mvbuild/config.yaml (else ~/.config/mvbuild/config.yaml)
 * or --config FILE: the remote cache, its credentials and trusted keys, the
 * cache location and size, the directories outside a recipe's tree that
 * its path sources may read, and how kernel compiles run (ccache, distcc).  Precedence: command-line flags, then the
 * environment, then this file, then defaults.
 */
#ifndef MVBUILD_CONFIG_H
#define MVBUILD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "recipe/recipe_tree.h"

/*
 * registries: {"HOST[:PORT]": {...}}: how to reach one container registry.
 * Credentials live here, never in a recipe, and are never printed.
 */
struct config_registry {
	char *host;               /* "HOST[:PORT]" as written, matched exactly */
	char *username;           /* for basic auth and token requests, or NULL */
	char *password;           /* inline password (never printed), or NULL */
	char *password_file;      /* a file holding the password, or NULL */
	bool insecure_http;       /* plain http although the host is not loopback */
};

struct config {
	char *cache_dir;          /* cache: {dir:} or NULL */
	uint64_t cache_max_size;  /* cache: {max_size:}, 0 = none (a gc default) */
	char *remote_url;         /* remote: {url:} / MVBUILD_REMOTE / --remote */
	bool remote_upload;       /* remote: {upload:} / MVBUILD_REMOTE_UPLOAD=1 / --remote-upload */
	char *token_file;         /* remote: {token_file:}: bearer token (never printed) */
	char *basic_auth_file;    /* remote: {basic_auth_file:}: "user:password" */
	char *signing_key;        /* remote: {signing_key:}: ed25519 private key (PEM) for uploads */
	char **trusted_keys;      /* remote: {trusted_keys: [...]}: ed25519 public keys (PEM) */
	size_t n_trusted_keys;
	uint64_t max_upload;      /* remote: {max_upload:}: larger outputs are not uploaded; 0 = none */
	double timeout;           /* remote: {timeout:} seconds for one request (default 30) */
	uint64_t min_speed;       /* remote: {min_speed:} bytes/s a blob's deadline allows (1M) */
	double budget;            /* remote: {budget:} seconds the remote may cost a run (300) */
	bool upload_sources;      /* remote: {upload_sources:}: upload path sources too (default false) */
	char *s3_endpoint;        /* remote: {s3: {endpoint:}}: an s3:// remote's server (URL) */
	char *s3_region;          /* remote: {s3: {region:}}: its SigV4 region */
	char *s3_credentials_file; /* remote: {s3: {credentials_file:}}: AWS ini [default] keys */
	char **allow_paths;       /* paths: {allow: [...]}: where path sources may lie outside the
				     recipe tree (default ["/usr/src"]) */
	size_t n_allow_paths;
	struct config_registry *registries; /* registries: {HOST: {...}} in written order */
	size_t n_registries;
	struct recipe_credential *credentials; /* files the config names as secrets
						  (config_trust()) */
	size_t n_credentials;
	char *ccache_dir;         /* kernel: {ccache: {dir:}} / MVBUILD_CCACHE_DIR: kernel compiles
				     go through ccache with this local storage; NULL = no ccache */
	char *ccache_remote;      /* kernel: {ccache: {remote:}} / MVBUILD_CCACHE_REMOTE: ccache's
				     HTTP remote storage (an http:// URL), or NULL */
	char **distcc_hosts;      /* kernel: {distcc: {hosts: [...]}} / MVBUILD_DISTCC_HOSTS (spaces):
				     distcc host specs; none = no distcc */
	size_t n_distcc_hosts;
};

/*
 * Load the config file at path (must exist), or when path is NULL the
 * default location (a missing default file is an empty config), then apply
 * the environment (MVBUILD_REMOTE, MVBUILD_REMOTE_UPLOAD (1/0),
 * MVBUILD_REMOTE_TOKEN_FILE, MVBUILD_REMOTE_BASIC_AUTH_FILE,
 * MVBUILD_REMOTE_TRUSTED_KEYS (colon-separated), MVBUILD_REMOTE_SIGNING_KEY,
 * MVBUILD_REMOTE_TIMEOUT, MVBUILD_REMOTE_MAX_UPLOAD, MVBUILD_CCACHE_DIR,
 * MVBUILD_CCACHE_REMOTE, MVBUILD_DISTCC_HOSTS (space-separated)).  Relative paths in
 * the file are relative to the file.  Errors name file:line:column.
 */
int config_load(struct config *cfg, const char *path, struct error *err);
/* free everything */
void config_release(struct config *cfg);
/*
 * What the config lets a recipe read (recipe_tree.h): the allowed
 * directories, and the credentials (signing_key, token_file,
 * basic_auth_file, the s3 credentials_file, each registry's
 * password_file), which are never inputs.  out points into cfg.
 */
void config_trust(const struct config *cfg, struct recipe_trust *out);
/* the registries: entry for "HOST[:PORT]", or NULL */
const struct config_registry *config_registry_find(const struct config *cfg, const char *host);

#endif
