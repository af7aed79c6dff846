/*
 * config: the machine settings file, read with libyaml.
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
 *
 * Every key is checked; an unknown key or a wrong type names
 * file:line:column.  The environment then overrides the file (config.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "fileutil.h"
#include "util.h"

struct reader {
	const char *file;   /* the config file, for messages */
	char *dir;          /* its directory, for relative paths */
	yaml_document_t doc;
};

static int fail_at(struct reader *rd, const yaml_node_t *n, struct error *err, const char *fmt,
		   ...) __attribute__((format(printf, 4, 5)));
static int fail_at(struct reader *rd, const yaml_node_t *n, struct error *err, const char *fmt,
		   ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	error_usage(err, "%s:%zu:%zu: %s", rd->file, n->start_mark.line + 1,
		    n->start_mark.column + 1, msg);
	free(msg);
	return -1;
}

static const char *scalar(struct reader *rd, const yaml_node_t *n, const char *key,
			  struct error *err)
{
	if (n->type != YAML_SCALAR_NODE) {
		fail_at(rd, n, err, "'%s' must be a single value", key);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static int get_string(struct reader *rd, const yaml_node_t *n, const char *key, char **out,
		      struct error *err)
{
	const char *v = scalar(rd, n, key, err);
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

static int get_path(struct reader *rd, const yaml_node_t *n, const char *key, char **out,
		    struct error *err)
{
	const char *v = scalar(rd, n, key, err);
	if (!v)
		return -1;
	if (!*v)
		return fail_at(rd, n, err, "'%s' must not be empty", key);
	free(*out);
	*out = resolve_path(rd, v);
	return 0;
}

static int get_size(struct reader *rd, const yaml_node_t *n, const char *key, uint64_t *out,
		    struct error *err)
{
	const char *v = scalar(rd, n, key, err);
	if (!v)
		return -1;
	if (parse_size(v, out) < 0)
		return fail_at(rd, n, err, "'%s' must be a size such as 4G, not '%s'", key, v);
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

static int get_bool(struct reader *rd, const yaml_node_t *n, const char *key, bool *out,
		    struct error *err)
{
	const char *v = scalar(rd, n, key, err);
	if (!v)
		return -1;
	if (parse_bool(v, out) < 0)
		return fail_at(rd, n, err, "'%s' must be true or false, not '%s'", key, v);
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

static int get_timeout(struct reader *rd, const yaml_node_t *n, double *out, struct error *err)
{
	const char *v = scalar(rd, n, "timeout", err);
	if (!v)
		return -1;
	if (parse_timeout(v, out) < 0)
		return fail_at(rd, n, err, "'timeout' must be seconds between 0 and 3600, not '%s'", v);
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

static int get_keys(struct reader *rd, const yaml_node_t *n, struct config *cfg,
		    struct error *err)
{
	clear_keys(cfg);
	if (n->type == YAML_SCALAR_NODE) {
		char *p = NULL;
		if (get_path(rd, n, "trusted_keys", &p, err) < 0)
			return -1;
		add_key(cfg, p);
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(rd, n, err, "'trusted_keys' must be a list of public key files");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		char *p = NULL;
		if (get_path(rd, yaml_document_get_node(&rd->doc, *it), "trusted_keys", &p, err) < 0)
			return -1;
		add_key(cfg, p);
	}
	return 0;
}

static int read_cache_key(struct reader *rd, const char *key, const yaml_node_t *v,
			  struct config *cfg, struct error *err)
{
	if (strcmp(key, "dir") == 0)
		return get_path(rd, v, key, &cfg->cache_dir, err);
	if (strcmp(key, "max_size") == 0)
		return get_size(rd, v, key, &cfg->cache_max_size, err);
	return 1;
}

static int read_remote_key(struct reader *rd, const char *key, const yaml_node_t *v,
			   struct config *cfg, struct error *err)
{
	if (strcmp(key, "url") == 0)
		return get_string(rd, v, key, &cfg->remote_url, err);
	if (strcmp(key, "upload") == 0)
		return get_bool(rd, v, key, &cfg->remote_upload, err);
	if (strcmp(key, "token_file") == 0)
		return get_path(rd, v, key, &cfg->token_file, err);
	if (strcmp(key, "basic_auth_file") == 0)
		return get_path(rd, v, key, &cfg->basic_auth_file, err);
	if (strcmp(key, "signing_key") == 0)
		return get_path(rd, v, key, &cfg->signing_key, err);
	if (strcmp(key, "trusted_keys") == 0)
		return get_keys(rd, v, cfg, err);
	if (strcmp(key, "max_upload") == 0)
		return get_size(rd, v, key, &cfg->max_upload, err);
	if (strcmp(key, "timeout") == 0)
		return get_timeout(rd, v, &cfg->timeout, err);
	return 1;
}

typedef int (*key_reader)(struct reader *rd, const char *key, const yaml_node_t *v,
			  struct config *cfg, struct error *err);

/* read a mapping with read_one; 1 from read_one means an unknown key */
static int read_mapping(struct reader *rd, const yaml_node_t *map, const char *what,
			key_reader read_one, struct config *cfg, struct error *err)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail_at(rd, map, err, "'%s' must be a mapping", what);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(&rd->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&rd->doc, p->value);
		const char *key = scalar(rd, k, what, err);
		if (!key)
			return -1;
		int r = read_one(rd, key, v, cfg, err);
		if (r < 0)
			return -1;
		if (r > 0)
			return fail_at(rd, k, err, "unknown key '%s' in %s", key, what);
	}
	return 0;
}

static int read_top_key(struct reader *rd, const char *key, const yaml_node_t *v,
			struct config *cfg, struct error *err)
{
	if (strcmp(key, "cache") == 0)
		return read_mapping(rd, v, "cache", read_cache_key, cfg, err);
	if (strcmp(key, "remote") == 0)
		return read_mapping(rd, v, "remote", read_remote_key, cfg, err);
	return 1;
}

static int read_config_file(struct config *cfg, const char *path, struct error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return error_errno(err, errno, "cannot open config '%s'", path);
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	char *abs = path_absolute(path);
	struct reader rd = { .file = path, .dir = path_dirname(abs) };
	free(abs);
	int ret = -1;
	if (!yaml_parser_load(&parser, &rd.doc)) {
		error_usage(err, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
			    parser.problem_mark.column + 1, parser.problem ? parser.problem : "bad YAML");
		goto out_parser;
	}
	yaml_node_t *root = yaml_document_get_root_node(&rd.doc);
	ret = root ? read_mapping(&rd, root, "the config", read_top_key, cfg, err) : 0;
	yaml_document_delete(&rd.doc);
out_parser:
	yaml_parser_delete(&parser);
	fclose(f);
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
	if ((v = getenv("MVBUILD_REMOTE_TRUSTED_KEYS")) && *v) {
		clear_keys(cfg);
		char *copy = xstrdup(v), *save = NULL;
		for (char *k = strtok_r(copy, ":", &save); k; k = strtok_r(NULL, ":", &save))
			add_key(cfg, xstrdup(k));
		free(copy);
	}
	return 0;
}

int config_load(struct config *cfg, const char *path, struct error *err)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout = 30;
	char *file = path ? xstrdup(path) : default_path();
	int ret = 0;
	/* the default file is optional; a named one must exist */
	if (file && (path || access(file, F_OK) == 0))
		ret = read_config_file(cfg, file, err);
	free(file);
	if (ret == 0)
		ret = apply_env(cfg, err);
	if (ret < 0)
		config_release(cfg);
	return ret;
}

void config_release(struct config *cfg)
{
	free(cfg->cache_dir);
	free(cfg->remote_url);
	free(cfg->token_file);
	free(cfg->basic_auth_file);
	free(cfg->signing_key);
	clear_keys(cfg);
	memset(cfg, 0, sizeof(*cfg));
}
