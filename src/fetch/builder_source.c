/*
 * builder_source: the builder of "source:NAME" nodes.  Its one output,
 * "file", is the source's bytes, verified against the declared checksum;
 * a container image (oci, oci-layout, docker-archive) is oci_source's, with
 * the outputs it describes.
 *
 * Key: a source with a checksum is keyed by "checksum" = "ALGO HEX" alone, so
 * changing its URLs or a mirror never rebuilds anything downstream; a local
 * path without a checksum is keyed by its content digest (memoized).
 *
 * Build: a url source is downloaded through fetch_source (mirrors, then
 * urls).  One already imported (`mvbuild cache import`) is never built:
 * the import publishes an entry under exactly this key.  A path source is
 * copied (reflinked where the filesystem can, holes kept) so the cache never
 * shares an inode with a file the user may edit; the copy is hashed in the
 * same read (hash_copy_file_hexes) and compared with the key's digest: a
 * file replaced since describe() fails the node ("'FILE' changed during the
 * build") instead of publishing new bytes under the old key.
 *
 * direct_path(): such a path source may also stay pending during a build
 * (engine_direct.c): its one dependent, an image, reads the user's file and
 * hashes it in that read, and the source is never copied into the cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/builder.h"
#include "engine/digest_memo.h"
#include "base/fileutil.h"
#include "fetch/fetch.h"
#include "fetch/fetch_source.h"
#include "fetch/oci_source.h"
#include "recipe/recipe.h"
#include "base/util.h"

static int source_describe(struct mvctx *ctx, const struct node *node, struct record *rec,
			   struct error *err)
{
	const struct source *src = node->u.source;
	if (recipe_source_is_image(src) && oci_source_describe(ctx, src, rec, err) < 0)
		return -1;
	if (src->kind == SOURCE_OCI_REGISTRY || src->kind == SOURCE_OCI_LAYOUT)
		return 0;
	if (src->has_checksum) {
		const char *words[] = { hash_algo_name(src->algo), src->checksum };
		record_add_words(rec, "checksum", NULL, words, ARRAY_SIZE(words));
		return 0;
	}
	char hex[SHA256_HEX];
	char *path = fetch_source_local_path(src);
	int ret = digest_memo_file(ctx->memo, path, hex, err);
	if (ret == 0)
		record_add(rec, "content", "%s", hex);
	else
		error_prefix(err, "source '%s'", src->name);
	free(path);
	return ret;
}

/*
 * Copy the file into dest, hashing it in the same read, and check the copy:
 * against the declared checksum, else against the content digest the key
 * names (a file edited since describe() fails the node instead of
 * publishing new bytes under the old key).  content gets the copy's digest.
 */
static int build_path_source(struct build_ctx *b, const struct source *src, const char *dest,
			     char content[SHA256_HEX], struct error *err)
{
	char *from = fetch_source_local_path(src);
	char hex[HASH_MAX_HEX];
	enum hash_algo algos[] = { HASH_CONTENT, src->algo };
	char *const hexes[] = { content, hex };
	int ret = hash_copy_file_hexes(from, dest, 0644, src->has_checksum ? 2 : 1, algos, hexes, err);
	const char *keyed = b->record ? record_get(b->record, "content") : NULL;
	if (ret == 0 && src->has_checksum && strcmp(hex, src->checksum) != 0)
		ret = fetch_source_checksum_mismatch(err, src, from, hex);
	else if (ret == 0 && !src->has_checksum && (!keyed || strcmp(keyed, content) != 0))
		ret = error_set(err, "'%s' changed during the build", from);
	if (ret < 0)
		unlink(dest);
	free(from);
	return ret;
}

static int build_url_source(struct build_ctx *b, const struct source *src, const char *dest,
			    char content[SHA256_HEX], struct error *err)
{
	struct fetch_limits limits;
	if (fetch_limits_from_env(&limits, err) < 0)
		return -1;
	struct fetch_source_request req = {
		.source = src,
		.mirrors = b->ctx->mirrors,
		.n_mirrors = b->ctx->n_mirrors,
		.dest = dest,
		.limits = &limits,
		.progress = b->ctx->progress,
		.node_id = b->node->id,
	};
	struct fetch_result res;
	if (fetch_source(&req, &res, err) < 0)
		return -1;
	memcpy(content, res.content, SHA256_HEX);
	return 0;
}

static int source_build(struct build_ctx *b, struct error *err)
{
	const struct source *src = b->node->u.source;
	char *dest = path_join(b->workdir, "file");
	char content[SHA256_HEX] = "";
	int ret = recipe_source_is_image(src) ? oci_source_build(b, src, err)
		  : src->kind == SOURCE_PATH ? build_path_source(b, src, dest, content, err)
		  : build_url_source(b, src, dest, content, err);
	/* the cause is in the recipe (a checksum, a path, a URL): point at it */
	if (ret < 0) {
		error_locate(err, src->mark.file, src->mark.line, src->mark.column);
		error_prefix(err, "%s:%d:%d", src->mark.file, src->mark.line, src->mark.column);
	}
	/* a digest computed on the way in spares the cache a second read of the file */
	if (recipe_source_is_image(src))
		;
	else if (ret == 0 && content[0])
		builder_output_hashed(b, "file", "file", content);
	else if (ret == 0)
		builder_output(b, "file", "file");
	free(dest);
	return ret;
}

/* a path source without a checksum: its output "file" is the user's file, byte for byte */
static char *source_direct_path(const struct node *node)
{
	const struct source *src = node->u.source;
	if (src->kind != SOURCE_PATH || src->has_checksum)
		return NULL;
	return fetch_source_local_path(src);
}

const struct builder source_builder = {
	.kind = NODE_SOURCE,
	.name = "source",
	.version = 1,
	.describe = source_describe,
	.build = source_build,
	.direct_path = source_direct_path,
};
