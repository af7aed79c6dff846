/*
 * fetch_checksums: sources into the cache and the checksums of downloads
 * (see fetch_checksums.h).
 */
#include "fetch/fetch_checksums.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/suggest.h"
#include "base/util.h"
#include "engine/builder.h"
#include "engine/engine.h"
#include "fetch/fetch.h"
#include "fetch/fetch_source.h"
#include "fetch/oci_registry.h"
#include "recipe/recipe.h"

/* a new item named name, its checksums still to fill */
static struct fetch_checksum *add_item(struct fetch_checksums *c, const char *name)
{
	if (c->n == c->alloc) {
		c->alloc = c->alloc ? 2 * c->alloc : 8;
		c->items = xrealloc(c->items, c->alloc * sizeof(*c->items));
	}
	struct fetch_checksum *item = &c->items[c->n++];
	*item = (struct fetch_checksum){ .name = xstrdup(name) };
	return item;
}

/* download one URL to an unlinked temp file and add its checksums; -1 with err */
static int url_checksums(struct fetch_checksums *out, const char *url, struct progress *progress,
			 struct error *err)
{
	const char *tmpdir = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/mvbuild-fetch.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	int ret = -1;
	int fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0) {
		error_errno(err, errno, "cannot create '%s'", tmpl);
		goto out;
	}
	unlink(tmpl); /* nothing to clean up however this ends */
	struct fetch_limits limits;
	if (fetch_limits_from_env(&limits, err) < 0)
		goto out;
	struct fetch_request req = { .url = url, .fd = fd, .algo = HASH_SHA512, .want_sha256 = true,
				     .limits = &limits, .progress = progress, .node_id = url };
	struct fetch_result res;
	if (fetch_url(&req, &res, err) < 0)
		goto out;
	struct fetch_checksum *item = add_item(out, url);
	memcpy(item->sha256, res.sha256, sizeof(res.sha256));
	memcpy(item->sha512, res.digest, sizeof(item->sha512));
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(tmpl);
	return ret;
}

bool fetch_checksums_is_image(const char *word)
{
	return str_startswith(word, "oci:");
}

/* the digest a registry has for an image reference now, as its sha256 */
static int image_checksum(struct fetch_checksums *out, const char *word,
			  const struct config *cfg, struct progress *progress, struct error *err)
{
	char digest[OCI_REGISTRY_DIGEST_MAX];
	if (oci_registry_resolve(word + strlen("oci:"), cfg, progress, digest, err) < 0)
		return -1;
	struct fetch_checksum *item = add_item(out, word);
	snprintf(item->sha256, sizeof(item->sha256), "%s", digest + strlen("sha256:"));
	return 0;
}

int fetch_checksums_urls(struct fetch_checksums *out, char *const *urls, size_t n,
			 const struct config *cfg, struct progress *progress, struct error *err)
{
	for (size_t i = 0; i < n; i++)
		if ((fetch_checksums_is_image(urls[i])
		     ? image_checksum(out, urls[i], cfg, progress, err)
		     : url_checksums(out, urls[i], progress, err)) < 0)
			return -1;
	return 0;
}

/* the ids to fetch: "source:NAME" for each name, or for every source of the recipe */
static size_t source_ids(const struct recipe *r, char *const *names, size_t n, char ***ids)
{
	size_t count = n ? n : r->n_sources;
	*ids = xcalloc(count ? count : 1, sizeof(**ids));
	for (size_t i = 0; i < count; i++) {
		const char *name = n ? names[i] : r->sources[i].name;
		(*ids)[i] = str_startswith(name, "source:") ? xstrdup(name)
							    : xasprintf("source:%s", name);
	}
	return count;
}

/* "no source" with the closest name, or the names there are; -1 */
static int no_source(const struct recipe *r, const char *name, struct error *err)
{
	const char **names = xcalloc(r->n_sources + 1, sizeof(*names));
	for (size_t i = 0; i < r->n_sources; i++)
		names[i] = r->sources[i].name;
	char *hint = suggest_hint(name, names, r->n_sources, "sources");
	error_usage(err, "no source '%s' in '%s'%s", name, r->path, hint);
	free(hint);
	free(names);
	return -1;
}

/* add the checksums of each stored output of node */
static int node_checksums(struct fetch_checksums *out, struct engine *e, struct node *node,
			  struct error *err)
{
	const struct build_input *outs;
	/* a docker-archive is pinned by the archive's checksum, not by what it holds */
	if (node->u.source->kind == SOURCE_DOCKER_ARCHIVE) {
		char *path = fetch_source_local_path(node->u.source);
		struct fetch_checksum *item = add_item(out, node->name);
		int ret = hash_file_hex(HASH_SHA256, path, item->sha256, err) < 0 ||
			  hash_file_hex(HASH_SHA512, path, item->sha512, err) < 0 ? -1 : 0;
		free(path);
		return ret;
	}
	int n = engine_outputs(e, node, &outs, err);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char sha256[HASH_MAX_HEX], sha512[HASH_MAX_HEX];
		if (hash_file_hex(HASH_SHA256, outs[i].path, sha256, err) < 0 ||
		    hash_file_hex(HASH_SHA512, outs[i].path, sha512, err) < 0)
			return -1;
		struct fetch_checksum *item = add_item(out, node->name);
		memcpy(item->sha256, sha256, sizeof(sha256));
		memcpy(item->sha512, sha512, sizeof(sha512));
	}
	return 0;
}

int fetch_checksums_sources(struct engine *e, const struct recipe *r, char *const *names, size_t n,
			    struct fetch_checksums *out, struct error *err)
{
	char **ids;
	size_t n_ids = source_ids(r, names, n, &ids);
	struct node **nodes = NULL;
	size_t n_nodes = 0;
	int ret = -1;
	for (size_t i = 0; i < n_ids; i++)
		if (!engine_find(e, ids[i]) && no_source(r, ids[i] + strlen("source:"), err) < 0)
			goto out;
	if (n_ids == 0) {
		ret = 0;
		goto out;
	}
	if (engine_resolve(e, ids, n_ids, &nodes, &n_nodes, err) < 0 ||
	    engine_build(e, nodes, n_nodes, err) < 0)
		goto out;
	for (size_t i = 0; out && i < n_nodes; i++)
		if (node_checksums(out, e, nodes[i], err) < 0)
			goto out;
	ret = 0;
out:
	free(nodes);
	for (size_t i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
	return ret;
}

void fetch_checksums_release(struct fetch_checksums *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->items[i].name);
	free(c->items);
	*c = (struct fetch_checksums)FETCH_CHECKSUMS_INIT;
}
