/*
 * oci_registry_pull: an `oci:` source pulled from its registry into an OCI
 * image layout (oci_registry.h), which oci_source then treats like any
 * `oci-layout:`.  The documents are read with oci_manifest; the transfers
 * are oci_registry's, each blob verified against its digest and declared
 * size as it streams.
 *
 *   the pinned digest ──► manifest, or index ──► the platform's manifest
 *                                                   ├─► config
 *                                                   └─► layers, bottom first
 *
 * The layout written: oci-layout, index.json naming the pinned digest, and
 * blobs/sha256/HEX for every document and blob above.
 */
#include "fetch/oci_registry.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/json.h"
#include "base/util.h"
#include "engine/builder.h"
#include "base/progress.h"
#include "fetch/fetch.h"
#include "fetch/fetch_source.h"
#include "fetch/oci_manifest.h"
#include "recipe/recipe.h"

/* one pull: the client, where blobs go, and the source for messages */
struct pull {
	struct build_ctx *b;          /* the source node's build: cache, mirrors, progress */
	struct oci_registry *reg;
	const struct source *src;
	char *blobs;                  /* LAYOUT/blobs/sha256 */
};

/* blobs/sha256/HEX for "sha256:HEX"; caller frees */
static char *blob_path(const struct pull *p, const char *digest)
{
	return path_join(p->blobs, digest + strlen("sha256:"));
}

/* a document already read and verified, written as its blob */
static int write_document(const struct pull *p, const char *digest, const struct buf *body,
			  struct error *err)
{
	char *path = blob_path(p, digest);
	int ret = write_file_atomic(path, body->data, body->len, 0644, err);
	free(path);
	return ret;
}

/*
 * The media type of a document, for the layout's index.json: its mediaType
 * member, else the registry's Content-Type (without parameters), else the
 * OCI type of what its members say it is (both may be absent).  Caller frees.
 */
static char *document_type(const struct buf *body, const char *content_type)
{
	char *mt = oci_manifest_media_type(body->data, body->len);
	if (mt)
		return mt;
	size_t len = strcspn(content_type, "; \t");
	if (len)
		return xstrndup(content_type, len);
	return xstrdup(oci_manifest_is_index(body->data, body->len, NULL)
		       ? "application/vnd.oci.image.index.v1+json"
		       : "application/vnd.oci.image.manifest.v1+json");
}

/* get manifest or index digest into body and its blob; its media type into *type */
static int get_document(struct pull *p, const char *digest, uint64_t size, struct buf *body,
			char **type, struct error *err)
{
	char got[OCI_REGISTRY_DIGEST_MAX];
	char *content_type = NULL;
	int ret = oci_registry_manifest(p->reg, digest, body, got, &content_type, err);
	if (ret == 0 && size && body->len != size)
		ret = error_set(err, "manifest '%s' of '%s' has %zu bytes, its index says %" PRIu64,
				digest, oci_registry_name(p->reg), body->len, size);
	if (ret == 0)
		ret = write_document(p, digest, body, err);
	if (ret == 0)
		*type = document_type(body, content_type);
	free(content_type);
	return ret;
}

/* the most index -> index -> manifest steps followed (as oci_source follows them) */
#define MAX_NESTING 4

/*
 * From the pinned document down to the platform's manifest, each document
 * written as its blob; man gets the manifest's body and *top_type the
 * pinned document's media type.  An index without the platform (or nested
 * too deep) ends the walk early with man empty: the layout then holds what
 * was read, and oci_source, reading it, names the platforms there are.
 */
static int resolve_manifest(struct pull *p, struct buf *man, char **top_type, struct error *err)
{
	char *digest = xstrdup(p->src->oci_digest), *type = NULL;
	uint64_t size = 0;
	int ret = 0;
	for (int depth = 0; ret == 0 && depth < MAX_NESTING; depth++) {
		buf_reset(man);
		free(type);
		type = NULL;
		if ((ret = get_document(p, digest, size, man, &type, err)) < 0)
			break;
		if (depth == 0)
			*top_type = xstrdup(type);
		if (!oci_manifest_is_index(man->data, man->len, type))
			goto out;
		struct oci_index idx = { 0 };
		ret = oci_manifest_parse_index(&idx, man->data, man->len, err);
		const struct oci_descriptor *d = ret == 0 ? oci_manifest_select(&idx, &p->src->platform)
							  : NULL;
		if (d) {
			free(digest);
			digest = xstrdup(d->digest);
			size = d->size;
		}
		oci_manifest_index_release(&idx);
		if (ret < 0)
			error_prefix(err, "index '%s' of '%s'", digest, oci_registry_name(p->reg));
		if (!d)
			break;
	}
	buf_reset(man);
out:
	free(type);
	free(digest);
	return ret;
}

/* the cache's copy of a blob, linked (or copied) to path; 0, or 1 when the cache has none */
static int blob_from_cache(struct pull *p, const char *hex, const char *path, struct error *err)
{
	char *cached = NULL;
	int ret = builder_blob_find(p->b, hex, &cached, err);
	if (ret != 0)
		return ret;
	/* the blob is read-only and only read from the layout: a link costs nothing */
	if (link(cached, path) < 0)
		ret = copy_file_sparse_opt(cached, path, 0444, false, err);
	if (ret == 0)
		progress_debug(p->b->ctx->progress, p->b->node->id, "blob sha256:%s from the cache",
			       hex);
	free(cached);
	return ret;
}

/* a blob from a mirror (MIRROR/<hex>), verified; 0, or 1 when no mirror has it */
static int blob_from_mirrors(struct pull *p, const char *hex, const char *path,
			     char content[SHA256_HEX], struct error *err)
{
	struct build_ctx *b = p->b;
	if (b->ctx->n_mirrors == 0)
		return 1;
	struct fetch_limits limits;
	if (fetch_limits_from_env(&limits, err) < 0)
		return -1;
	/* a source pinned by the blob's sha256 and no URL: only its mirrors are tried */
	char *name = xasprintf("sha256:%s", hex);
	struct source blob = { .name = name, .kind = SOURCE_URL, .has_checksum = true,
			       .algo = HASH_SHA256, .checksum = (char *)hex };
	struct fetch_source_request req = {
		.source = &blob, .mirrors = b->ctx->mirrors, .n_mirrors = b->ctx->n_mirrors,
		.dest = path, .limits = &limits, .progress = b->ctx->progress,
		.node_id = b->node->id,
	};
	struct fetch_result res;
	struct error miss = ERROR_INIT;
	int ret = fetch_source(&req, &res, &miss) == 0 ? 0 : 1;
	if (ret == 0)
		memcpy(content, res.content, SHA256_HEX);
	else
		progress_debug(b->ctx->progress, b->node->id, "%s; asking the registry", miss.msg);
	error_release(&miss);
	free(name);
	return ret;
}

/* a blob from the registry, verified while it streams */
static int blob_from_registry(struct pull *p, const struct oci_descriptor *d, const char *path,
			      char content[SHA256_HEX], struct error *err)
{
	char *tmp = xasprintf("%s.part", path);
	int ret = -1;
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		error_errno(err, errno, "cannot create '%s'", tmp);
		goto out;
	}
	ret = oci_registry_blob(p->reg, d->digest, d->size, fd, content, err);
	if (close(fd) < 0 && ret == 0)
		ret = error_errno(err, errno, "cannot write '%s'", tmp);
	if (ret == 0 && rename(tmp, path) < 0)
		ret = error_errno(err, errno, "cannot rename '%s'", tmp);
	if (ret < 0)
		unlink(tmp);
out:
	free(tmp);
	return ret;
}

/*
 * One config or layer blob into blobs/sha256/HEX: from the cache when an
 * earlier pull (of any image) or `cache import` stored it, else from a
 * mirror, else from the registry; a downloaded blob is stored in the cache
 * under its sha256, so an image sharing it never downloads it again.
 */
static int get_blob(struct pull *p, const struct oci_descriptor *d, struct error *err)
{
	const char *hex = d->digest + strlen("sha256:");
	char *path = blob_path(p, d->digest);
	char content[SHA256_HEX];
	/* a blob listed twice (the same layer in two places) is fetched once */
	if (access(path, F_OK) == 0) {
		free(path);
		return 0;
	}
	int lock = builder_blob_lock(p->b, hex, err);
	int ret = lock < 0 ? -1 : blob_from_cache(p, hex, path, err);
	if (ret == 1) {
		ret = blob_from_mirrors(p, hex, path, content, err);
		if (ret == 1)
			ret = blob_from_registry(p, d, path, content, err);
		if (ret == 0)
			ret = builder_blob_store(p->b, hex, path, content, err);
	}
	if (lock >= 0)
		builder_blob_unlock(lock);
	free(path);
	return ret;
}

/* oci-layout and index.json: the pinned document as the layout's one image */
static int write_layout_files(const struct pull *p, const char *layout_dir, const char *type,
			      uint64_t size, struct error *err)
{
	static const char version[] = "{\"imageLayoutVersion\":\"1.0.0\"}\n";
	char *layout = path_join(layout_dir, "oci-layout");
	char *index = path_join(layout_dir, "index.json");
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"schemaVersion\":2,\"manifests\":[{");
	json_add_member_string(&b, "mediaType", type);
	json_add_member_string(&b, "digest", p->src->oci_digest);
	json_add_member_int(&b, "size", (long long)size);
	buf_adds(&b, "}]}\n");
	int ret = write_file_atomic(layout, version, strlen(version), 0644, err);
	if (ret == 0)
		ret = write_file_atomic(index, b.data, b.len, 0644, err);
	buf_release(&b);
	free(index);
	free(layout);
	return ret;
}

int oci_registry_pull(struct build_ctx *b, const struct source *src, const char *layout_dir,
		      struct error *err)
{
	struct pull p = { .b = b, .src = src, .blobs = path_join(layout_dir, "blobs/sha256") };
	struct buf man = BUF_INIT;
	struct oci_manifest m = { 0 };
	char *top_type = NULL;
	int ret = -1;
	if (mkdir_p(p.blobs, 0755, err) < 0 ||
	    oci_registry_open(&p.reg, src->oci_registry, src->oci_repo, b->ctx->config,
			      b->ctx->progress, b->node->id, err) < 0)
		goto out;
	if (resolve_manifest(&p, &man, &top_type, err) < 0)
		goto out;
	/* no manifest (an index without the platform): oci_source reports it from the layout */
	if (man.len && oci_manifest_parse(&m, man.data, man.len, err) < 0) {
		error_prefix(err, "manifest of '%s@%s'", oci_registry_name(p.reg), src->oci_digest);
		goto out;
	}
	if (man.len && get_blob(&p, &m.config, err) < 0)
		goto out;
	for (size_t i = 0; i < m.n_layers; i++)
		if (get_blob(&p, &m.layers[i], err) < 0)
			goto out;
	char *top = blob_path(&p, src->oci_digest);
	struct stat st;
	ret = stat(top, &st) < 0 ? error_errno(err, errno, "cannot stat '%s'", top)
		: write_layout_files(&p, layout_dir, top_type, (uint64_t)st.st_size, err);
	free(top);
out:
	oci_manifest_release(&m);
	buf_release(&man);
	free(top_type);
	oci_registry_free(p.reg);
	free(p.blobs);
	return ret;
}
