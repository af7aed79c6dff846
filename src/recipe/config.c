/*
 * config: the machine settings file, read into a node tree by recipe_yaml
 * (so anchors, aliases, tags, duplicate keys, deep nesting and oversize
 * files are refused exactly as in recipes).
 *
 *   cache:
 *     dir: /var/cache/mvbuild          # relative paths: relative to this file
 *     max_size: 50G
 *   remote:
 *     url: http://cache.example:8080/mvbuild
 *     upload: false
 *     token_file: ~/.config/mvbuild/token       # "Authorization: Bearer <token>"
 *     basic_auth_file: secrets/cache-auth       # "user:password"
 *     signing_key: ci.key                       # ed25519 private key (writers)
 *     trusted_keys: [ci.pub, release.pub]       # ed25519 public keys (readers)
 *     max_upload: 4G
 *     timeout: 30                               # seconds
 *     min_speed: 1M                             # per second, for transfer deadlines
 *     budget: 300                               # seconds the remote may cost a run
 *     upload_sources: false                     # upload path sources (local files) too
 *     s3:                                       # for url: s3://BUCKET/PREFIX
 *       endpoint: http://127.0.0.1:9000         # default https://s3.REGION.amazonaws.com
 *       region: eu-west-1                       # default $AWS_REGION, else us-east-1
 *       credentials_file: ~/.aws/credentials    # ini, [default]; $AWS_ACCESS_KEY_ID first
 *   paths:
 *     allow: [/usr/src]                         # path sources may lie beneath these
 *                                               # outside the recipe tree (the default)
 *   registries:                                 # container registries (oci: sources)
 *     "registry.example:5000":                  # HOST[:PORT], exactly as in recipes
 *       username: ci
 *       password_file: secrets/registry         # or password: ... (never printed)
 *       insecure_http: false                    # plain http to a non-loopback host
 *   kernel:
 *     ccache:                                   # kernel compiles through ccache
 *       dir: ~/.cache/mvbuild-ccache            # its local storage
 *       remote: http://cache:8080/ccache        # its HTTP remote storage (layout=bazel)
 *     distcc:
 *       hosts: ["10.0.0.5:3632/8", "10.0.0.6/8"]  # distcc's own host syntax
 *
 * Every key is checked; an unknown key (with the nearest known one
 * suggested) or a wrong type names file:line:column.  The environment
 * then overrides the file (config.h).
 */
#include "recipe/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/oci_ref.h"
#include "recipe/recipe_yaml.h"
#include "base/util.h"

struct reader {
	char *dir;   /* the config file's directory, for relative paths */
};

static const char *const top_keys[] = { "cache", "remote", "paths", "registries", "kernel" };
static const char *const cache_keys[] = { "dir", "max_size" };
static const char *const remote_keys[] = { "url", "upload", "token_file", "basic_auth_file",
					   "signing_key", "trusted_keys", "max_upload", "timeout",
					   "min_speed", "budget", "upload_sources", "s3" };
static const char *const s3_keys[] = { "endpoint", "region", "credentials_file" };
static const char *const paths_keys[] = { "allow" };
static const char *const registry_keys[] = { "username", "password", "password_file",
					     "insecure_http" };
static const char *const kernel_keys[] = { "ccache", "distcc" };
static const char *const ccache_keys[] = { "dir", "remote" };
static const char *const distcc_keys[] = { "hosts" };

static const char *scalar(const struct ynode *n, const char *key, struct error *err)
{
	if (n->kind != YNODE_SCALAR) {
		recipe_yaml_fail(err, &n->mark, "'%s' must be a single value", key);
		return NULL;
	}
	return n->text;
}

static int get_string(const struct ynode *n, const char *key, char **out, struct error *err)
{
	const char *v = scalar(n, key, err);
	if (!v)
		return -1;
	free(*out);
	*out = xstrdup(v);
	return 0;
}

/* a path, made relative to the config file's directory; "~/" is the home directory */
static char *resolve_path(struct reader *rd, const char *v)
{
	const char *home = getenv("HOME");
	if (str_startswith(v, "~/") && home)
		return path_join(home, v + 2);
	if (v[0] == '/')
		return xstrdup(v);
	return path_join(rd->dir, v);
}

static int get_path(struct reader *rd, const struct ynode *n, const char *key, char **out,
		    struct error *err)
{
	const char *v = scalar(n, key, err);
	if (!v)
		return -1;
	if (!*v)
		return recipe_yaml_fail(err, &n->mark, "'%s' must not be empty", key);
	free(*out);
	*out = resolve_path(rd, v);
	return 0;
}

static int get_size(const struct ynode *n, const char *key, uint64_t *out, struct error *err)
{
	const char *v = scalar(n, key, err);
	if (!v)
		return -1;
	if (parse_size(v, out) < 0)
		return recipe_yaml_fail(err, &n->mark, "'%s' must be a size such as 4G, not '%s'", key, v);
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *yes[] = { "true", "yes", "on", "1" }, *no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

static int get_bool(const struct ynode *n, const char *key, bool *out, struct error *err)
{
	const char *v = scalar(n, key, err);
	if (!v)
		return -1;
	if (parse_bool(v, out) < 0)
		return recipe_yaml_fail(err, &n->mark, "'%s' must be true or false, not '%s'", key, v);
	return 0;
}

static int parse_timeout(const char *v, double *out)
{
	char *end;
	double d = strtod(v, &end);
	if (end == v || *end || !(d > 0 && d <= 3600))
		return -1;
	*out = d;
	return 0;
}

static int get_seconds(const struct ynode *n, const char *key, double *out, struct error *err)
{
	const char *v = scalar(n, key, err);
	if (!v)
		return -1;
	if (parse_timeout(v, out) < 0)
		return recipe_yaml_fail(err, &n->mark,
				  "'%s' must be seconds between 0 and 3600, not '%s'", key, v);
	return 0;
}

static void clear_allow(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_allow_paths; i++)
		free(cfg->allow_paths[i]);
	free(cfg->allow_paths);
	cfg->allow_paths = NULL;
	cfg->n_allow_paths = 0;
}

static void add_allow(struct config *cfg, char *path)
{
	cfg->allow_paths = xrealloc(cfg->allow_paths,
				    (cfg->n_allow_paths + 1) * sizeof(*cfg->allow_paths));
	cfg->allow_paths[cfg->n_allow_paths++] = path;
}

/* paths: {allow: [DIR...]}: replaces the default; an empty list allows nothing */
static int read_paths_key(struct reader *rd, const char *key, const struct ynode *v,
			  struct config *cfg, struct error *err)
{
	clear_allow(cfg);
	if (v->kind != YNODE_SEQ)
		return recipe_yaml_fail(err, &v->mark, "'%s' must be a list of directories", key);
	for (size_t i = 0; i < v->n; i++) {
		char *p = NULL;
		if (get_path(rd, v->items[i], key, &p, err) < 0)
			return -1;
		add_allow(cfg, p);
	}
	return 0;
}

static void add_key(struct config *cfg, char *path)
{
	cfg->trusted_keys = xrealloc(cfg->trusted_keys,
				     (cfg->n_trusted_keys + 1) * sizeof(*cfg->trusted_keys));
	cfg->trusted_keys[cfg->n_trusted_keys++] = path;
}

static void clear_keys(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_trusted_keys; i++)
		free(cfg->trusted_keys[i]);
	free(cfg->trusted_keys);
	cfg->trusted_keys = NULL;
	cfg->n_trusted_keys = 0;
}

/* one key file, or a list of them */
static int get_keys(struct reader *rd, const struct ynode *n, struct config *cfg,
		    struct error *err)
{
	clear_keys(cfg);
	if (n->kind == YNODE_MAP)
		return recipe_yaml_fail(err, &n->mark, "'trusted_keys' must be a list of public key files");
	bool single = n->kind == YNODE_SCALAR;
	for (size_t i = 0; i < (single ? 1 : n->n); i++) {
		char *p = NULL;
		if (get_path(rd, single ? n : n->items[i], "trusted_keys", &p, err) < 0)
			return -1;
		add_key(cfg, p);
	}
	return 0;
}

static int read_cache_key(struct reader *rd, const char *key, const struct ynode *v,
			  struct config *cfg, struct error *err)
{
	if (strcmp(key, "dir") == 0)
		return get_path(rd, v, key, &cfg->cache_dir, err);
	return get_size(v, key, &cfg->cache_max_size, err);
}

/* reads the value of one key that is known to be in its section's table */
typedef int (*key_reader)(struct reader *rd, const char *key, const struct ynode *v,
			  struct config *cfg, struct error *err);

struct section {
	const char *name;            /* for messages */
	const char *const *keys;     /* the keys it may hold */
	size_t n_keys;
	key_reader read_one;
};

static int read_s3_key(struct reader *rd, const char *key, const struct ynode *v,
		       struct config *cfg, struct error *err)
{
	if (strcmp(key, "endpoint") == 0)
		return get_string(v, key, &cfg->s3_endpoint, err);
	if (strcmp(key, "region") == 0)
		return get_string(v, key, &cfg->s3_region, err);
	return get_path(rd, v, key, &cfg->s3_credentials_file, err);
}

static const struct section s3_section = { "s3", s3_keys, ARRAY_SIZE(s3_keys), read_s3_key };
/* a section's mapping (s3 is one inside remote) */
static int read_mapping(struct reader *rd, const struct ynode *map, const struct section *sec,
			struct config *cfg, struct error *err);

static int read_remote_key(struct reader *rd, const char *key, const struct ynode *v,
			   struct config *cfg, struct error *err)
{
	if (strcmp(key, "s3") == 0)
		return read_mapping(rd, v, &s3_section, cfg, err);
	if (strcmp(key, "url") == 0)
		return get_string(v, key, &cfg->remote_url, err);
	if (strcmp(key, "upload") == 0)
		return get_bool(v, key, &cfg->remote_upload, err);
	if (strcmp(key, "token_file") == 0)
		return get_path(rd, v, key, &cfg->token_file, err);
	if (strcmp(key, "basic_auth_file") == 0)
		return get_path(rd, v, key, &cfg->basic_auth_file, err);
	if (strcmp(key, "signing_key") == 0)
		return get_path(rd, v, key, &cfg->signing_key, err);
	if (strcmp(key, "trusted_keys") == 0)
		return get_keys(rd, v, cfg, err);
	if (strcmp(key, "max_upload") == 0)
		return get_size(v, key, &cfg->max_upload, err);
	if (strcmp(key, "min_speed") == 0) {
		if (get_size(v, key, &cfg->min_speed, err) < 0)
			return -1;
		return cfg->min_speed ? 0 : recipe_yaml_fail(err, &v->mark, "'min_speed' must not be 0");
	}
	if (strcmp(key, "budget") == 0)
		return get_seconds(v, key, &cfg->budget, err);
	if (strcmp(key, "upload_sources") == 0)
		return get_bool(v, key, &cfg->upload_sources, err);
	return get_seconds(v, key, &cfg->timeout, err);
}


/* check every key of the mapping against the section's table, then read them in order */
static int read_mapping(struct reader *rd, const struct ynode *map, const struct section *sec,
			struct config *cfg, struct error *err)
{
	if (map->kind != YNODE_MAP)
		return recipe_yaml_fail(err, &map->mark, "'%s' must be a mapping", sec->name);
	const struct ynode *unknown = recipe_yaml_unknown_key(map, sec->keys, sec->n_keys);
	if (unknown) {
		char *hint = recipe_yaml_did_you_mean(unknown->text, sec->keys, sec->n_keys);
		recipe_yaml_fail(err, &unknown->mark, "unknown key '%s' in %s%s", unknown->text, sec->name,
			   hint);
		free(hint);
		return -1;
	}
	for (size_t i = 0; i < map->n; i++)
		if (sec->read_one(rd, map->pairs[i].key->text, map->pairs[i].value, cfg, err) < 0)
			return -1;
	return 0;
}

static const struct section cache_section = { "cache", cache_keys, ARRAY_SIZE(cache_keys),
					      read_cache_key };
static const struct section remote_section = { "remote", remote_keys, ARRAY_SIZE(remote_keys),
					       read_remote_key };

static const struct section paths_section = { "paths", paths_keys, ARRAY_SIZE(paths_keys),
					      read_paths_key };

static int read_registry_key(struct reader *rd, const char *key, const struct ynode *v,
			     struct config *cfg, struct error *err)
{
	struct config_registry *reg = &cfg->registries[cfg->n_registries - 1];
	if (strcmp(key, "username") == 0)
		return get_string(v, key, &reg->username, err);
	if (strcmp(key, "password") == 0)
		return get_string(v, key, &reg->password, err);
	if (strcmp(key, "password_file") == 0)
		return get_path(rd, v, key, &reg->password_file, err);
	return get_bool(v, key, &reg->insecure_http, err);
}

static const struct section registry_section = { "a registry", registry_keys,
						 ARRAY_SIZE(registry_keys), read_registry_key };

/* registries: {HOST: {username, password | password_file, insecure_http}} */
static int read_registries(struct reader *rd, const struct ynode *map, struct config *cfg,
			   struct error *err)
{
	if (map->kind != YNODE_MAP)
		return recipe_yaml_fail(err, &map->mark, "'registries' must be a mapping of "
					"HOST[:PORT] to settings");
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->pairs[i].key, *v = map->pairs[i].value;
		if (!oci_ref_host_valid(k->text, strlen(k->text)))
			return recipe_yaml_fail(err, &k->mark, "registry '%s' must be HOST or HOST:PORT",
						k->text);
		cfg->registries = xrealloc(cfg->registries,
					   (cfg->n_registries + 1) * sizeof(*cfg->registries));
		struct config_registry *reg = &cfg->registries[cfg->n_registries++];
		*reg = (struct config_registry){ .host = xstrdup(k->text) };
		if (read_mapping(rd, v, &registry_section, cfg, err) < 0)
			return -1;
		if (reg->password && reg->password_file)
			return recipe_yaml_fail(err, &v->mark, "registry '%s' has both 'password' and "
						"'password_file' (want at most one)", reg->host);
		if ((reg->password || reg->password_file) && !reg->username)
			return recipe_yaml_fail(err, &v->mark, "registry '%s' has a password but no "
						"'username'", reg->host);
	}
	return 0;
}

static void clear_hosts(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_distcc_hosts; i++)
		free(cfg->distcc_hosts[i]);
	free(cfg->distcc_hosts);
	cfg->distcc_hosts = NULL;
	cfg->n_distcc_hosts = 0;
}

static void add_host(struct config *cfg, const char *host)
{
	cfg->distcc_hosts = xrealloc(cfg->distcc_hosts,
				     (cfg->n_distcc_hosts + 1) * sizeof(*cfg->distcc_hosts));
	cfg->distcc_hosts[cfg->n_distcc_hosts++] = xstrdup(host);
}

/* ccache 4.7's HTTP storage speaks plain http only; attributes may follow a '|' */
static bool ccache_remote_ok(const char *v)
{
	return str_startswith(v, "http://") && v[strlen("http://")] && !strpbrk(v, " \t\n");
}

static int read_ccache_key(struct reader *rd, const char *key, const struct ynode *v,
			   struct config *cfg, struct error *err)
{
	if (strcmp(key, "dir") == 0)
		return get_path(rd, v, key, &cfg->ccache_dir, err);
	if (get_string(v, key, &cfg->ccache_remote, err) < 0)
		return -1;
	if (!ccache_remote_ok(cfg->ccache_remote))
		return recipe_yaml_fail(err, &v->mark,
					"'remote' must be an http:// URL (ccache's HTTP storage), not '%s'",
					cfg->ccache_remote);
	return 0;
}

/* distcc: {hosts: [HOST...]}: each one host in distcc's syntax, no spaces */
static int read_distcc_key(struct reader *rd, const char *key, const struct ynode *v,
			   struct config *cfg, struct error *err)
{
	(void)rd;
	clear_hosts(cfg);
	if (v->kind != YNODE_SEQ)
		return recipe_yaml_fail(err, &v->mark, "'%s' must be a list of distcc hosts", key);
	for (size_t i = 0; i < v->n; i++) {
		const char *h = scalar(v->items[i], key, err);
		if (!h)
			return -1;
		if (!*h || strpbrk(h, " \t\n"))
			return recipe_yaml_fail(err, &v->items[i]->mark,
						"a distcc host must be one word such as "
						"'10.0.0.5:3632/8', not '%s'", h);
		add_host(cfg, h);
	}
	return 0;
}

static const struct section ccache_section = { "ccache", ccache_keys, ARRAY_SIZE(ccache_keys),
					       read_ccache_key };
static const struct section distcc_section = { "distcc", distcc_keys, ARRAY_SIZE(distcc_keys),
					       read_distcc_key };

static int read_kernel_key(struct reader *rd, const char *key, const struct ynode *v,
			   struct config *cfg, struct error *err)
{
	const struct section *sec = strcmp(key, "ccache") == 0 ? &ccache_section : &distcc_section;
	return read_mapping(rd, v, sec, cfg, err);
}

static const struct section kernel_section = { "kernel", kernel_keys, ARRAY_SIZE(kernel_keys),
					       read_kernel_key };

static int read_top_key(struct reader *rd, const char *key, const struct ynode *v,
			struct config *cfg, struct error *err)
{
	if (strcmp(key, "registries") == 0)
		return read_registries(rd, v, cfg, err);
	const struct section *sec = strcmp(key, "cache") == 0 ? &cache_section
				  : strcmp(key, "paths") == 0 ? &paths_section
				  : strcmp(key, "kernel") == 0 ? &kernel_section : &remote_section;
	return read_mapping(rd, v, sec, cfg, err);
}

static const struct section top_section = { "the config", top_keys, ARRAY_SIZE(top_keys),
					    read_top_key };

static int read_config_file(struct config *cfg, const char *path, struct error *err)
{
	struct ynode *root = NULL;
	if (recipe_yaml_parse_file(path, path, &root, err) < 0)
		return -1;
	char *abs = path_absolute(path);
	struct reader rd = { .dir = path_dirname(abs) };
	free(abs);
	/* a file without a document (empty, or only comments) is an empty config */
	int ret = root ? read_mapping(&rd, root, &top_section, cfg, err) : 0;
	recipe_yaml_free(root);
	free(rd.dir);
	return ret;
}

static char *default_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		return xasprintf("%s/mvbuild/config.yaml", xdg);
	if (home && *home)
		return xasprintf("%s/.config/mvbuild/config.yaml", home);
	return NULL;
}

static void env_string(const char *name, char **out)
{
	const char *v = getenv(name);
	if (v && *v) {
		free(*out);
		*out = xstrdup(v);
	}
}

static int apply_env(struct config *cfg, struct error *err)
{
	env_string("MVBUILD_REMOTE", &cfg->remote_url);
	env_string("MVBUILD_REMOTE_TOKEN_FILE", &cfg->token_file);
	env_string("MVBUILD_REMOTE_BASIC_AUTH_FILE", &cfg->basic_auth_file);
	env_string("MVBUILD_REMOTE_SIGNING_KEY", &cfg->signing_key);
	const char *v = getenv("MVBUILD_REMOTE_UPLOAD");
	if (v && *v && parse_bool(v, &cfg->remote_upload) < 0)
		return error_usage(err, "MVBUILD_REMOTE_UPLOAD must be 1 or 0, not '%s'", v);
	if ((v = getenv("MVBUILD_REMOTE_TIMEOUT")) && *v && parse_timeout(v, &cfg->timeout) < 0)
		return error_usage(err, "MVBUILD_REMOTE_TIMEOUT must be seconds, not '%s'", v);
	if ((v = getenv("MVBUILD_REMOTE_MAX_UPLOAD")) && *v && parse_size(v, &cfg->max_upload) < 0)
		return error_usage(err, "MVBUILD_REMOTE_MAX_UPLOAD must be a size, not '%s'", v);
	env_string("MVBUILD_CCACHE_DIR", &cfg->ccache_dir);
	if ((v = getenv("MVBUILD_CCACHE_REMOTE")) && *v) {
		if (!ccache_remote_ok(v))
			return error_usage(err, "MVBUILD_CCACHE_REMOTE must be an http:// URL, not '%s'", v);
		env_string("MVBUILD_CCACHE_REMOTE", &cfg->ccache_remote);
	}
	if ((v = getenv("MVBUILD_DISTCC_HOSTS")) && *v) {
		/* distcc's DISTCC_HOSTS form: hosts separated by spaces */
		clear_hosts(cfg);
		char *copy = xstrdup(v), *save = NULL;
		for (char *h = strtok_r(copy, " \t\n", &save); h; h = strtok_r(NULL, " \t\n", &save))
			add_host(cfg, h);
		free(copy);
	}
	if ((v = getenv("MVBUILD_REMOTE_TRUSTED_KEYS")) && *v) {
		clear_keys(cfg);
		char *copy = xstrdup(v), *save = NULL;
		for (char *k = strtok_r(copy, ":", &save); k; k = strtok_r(NULL, ":", &save))
			add_key(cfg, xstrdup(k));
		free(copy);
	}
	return 0;
}

static void add_credential(struct config *cfg, const char *key, const char *path)
{
	if (!path)
		return;
	cfg->credentials = xrealloc(cfg->credentials,
				    (cfg->n_credentials + 1) * sizeof(*cfg->credentials));
	cfg->credentials[cfg->n_credentials++] = (struct recipe_credential){ key, path };
}

/* every file the config names as a secret, once the environment has had its say */
static void collect_credentials(struct config *cfg)
{
	add_credential(cfg, "signing_key", cfg->signing_key);
	add_credential(cfg, "token_file", cfg->token_file);
	add_credential(cfg, "basic_auth_file", cfg->basic_auth_file);
	add_credential(cfg, "credentials_file", cfg->s3_credentials_file);
	for (size_t i = 0; i < cfg->n_registries; i++)
		add_credential(cfg, "password_file", cfg->registries[i].password_file);
}

int config_load(struct config *cfg, const char *path, struct error *err)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout = 30;
	cfg->min_speed = 1u << 20;
	cfg->budget = 300;
	add_allow(cfg, xstrdup(RECIPE_TREE_DEFAULT_ALLOW));
	char *file = path ? xstrdup(path) : default_path();
	int ret = 0;
	/* the default file is optional; a named one must exist */
	if (file && access(file, F_OK) == 0)
		ret = read_config_file(cfg, file, err);
	else if (path)
		ret = error_errno(err, errno, "cannot open config '%s'", path);
	free(file);
	if (ret == 0)
		ret = apply_env(cfg, err);
	if (ret < 0)
		config_release(cfg);
	else
		collect_credentials(cfg);
	return ret;
}

void config_release(struct config *cfg)
{
	free(cfg->cache_dir);
	free(cfg->remote_url);
	free(cfg->token_file);
	free(cfg->basic_auth_file);
	free(cfg->signing_key);
	free(cfg->s3_endpoint);
	free(cfg->s3_region);
	free(cfg->s3_credentials_file);
	clear_keys(cfg);
	clear_allow(cfg);
	for (size_t i = 0; i < cfg->n_registries; i++) {
		struct config_registry *reg = &cfg->registries[i];
		free(reg->host);
		free(reg->username);
		if (reg->password) {
			explicit_bzero(reg->password, strlen(reg->password));
			free(reg->password);
		}
		free(reg->password_file);
	}
	free(cfg->registries);
	free(cfg->credentials);
	free(cfg->ccache_dir);
	free(cfg->ccache_remote);
	clear_hosts(cfg);
	memset(cfg, 0, sizeof(*cfg));
}

void config_trust(const struct config *cfg, struct recipe_trust *out)
{
	*out = (struct recipe_trust){ cfg->allow_paths, cfg->n_allow_paths, cfg->credentials,
				      cfg->n_credentials };
}

const struct config_registry *config_registry_find(const struct config *cfg, const char *host)
{
	for (size_t i = 0; i < cfg->n_registries; i++)
		if (strcmp(cfg->registries[i].host, host) == 0)
			return &cfg->registries[i];
	return NULL;
}
