/*
 * builder_source: the builder of "source:NAME" nodes.  Its one output,
 * "file", is the source's bytes, verified against the declared checksum.
 *
 * Key: a source with a checksum is keyed by "checksum ALGO:HEX" alone, so
 * changing its URLs or a mirror never rebuilds anything downstream; a local
 * path without a checksum is keyed by the sha256 of its content (memoized).
 *
 * Build: a url source is taken from the cache when a blob with its sha256
 * is already there (after `mvbuild cache import`), otherwise downloaded
 * through fetch_source (mirrors, then urls); a path source is copied
 * (reflinked where the filesystem can) so the cache never shares an inode
 * with a file the user may edit.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "builder.h"
#include "cache.h"
#include "digest_memo.h"
#include "fetch.h"
#include "fetch_source.h"
#include "progress.h"
#include "recipe.h"
#include "util.h"

/* the absolute path of a path source; caller frees */
static char *source_local_path(const struct source *src)
{
	if (src->path[0] == '/')
		return xstrdup(src->path);
	char *dir;
	if (src->base_dir && src->base_dir[0] == '/') {
		dir = xstrdup(src->base_dir);
	} else {
		char *cwd = getcwd(NULL, 0);
		dir = src->base_dir ? path_join(cwd ? cwd : ".", src->base_dir) : xstrdup(cwd ? cwd : ".");
		free(cwd);
	}
	char *abs = path_join(dir, src->path);
	free(dir);
	return abs;
}

static int source_describe(struct mvctx *ctx, const struct node *node, struct record *rec,
			   struct error *err)
{
	const struct source *src = node->u.source;
	if (src->has_checksum) {
		record_add(rec, "checksum", "%s:%s", hash_algo_name(src->algo), src->checksum);
		return 0;
	}
	char hex[SHA256_HEX];
	char *path = source_local_path(src);
	int ret = digest_memo_file(ctx->memo, path, hex, err);
	if (ret == 0)
		record_add(rec, "content", "%s", hex);
	else
		error_prefix(err, "source '%s'", src->name);
	free(path);
	return ret;
}

/* copy from to to: a reflink when possible, else copy_file_range, else read/write */
static int copy_file(const char *from, const char *to, struct error *err)
{
	int ret = -1, out = -1;
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return error_errno(err, errno, "cannot open '%s'", from);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		error_errno(err, errno, "cannot create '%s'", to);
		goto out;
	}
	if (ioctl(out, FICLONE, in) == 0) {
		ret = 0;
		goto out;
	}
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
			char block[1 << 16];
			ssize_t r;
			while ((r = read(in, block, sizeof(block))) > 0)
				if (write(out, block, (size_t)r) != r)
					break;
			if (r != 0) {
				error_errno(err, errno, "cannot copy '%s' to '%s'", from, to);
				goto out;
			}
			break;
		}
		if (n < 0) {
			error_errno(err, errno, "cannot copy '%s' to '%s'", from, to);
			goto out;
		}
	}
	ret = 0;
out:
	if (out >= 0 && close(out) < 0 && ret == 0)
		ret = error_errno(err, errno, "cannot write '%s'", to);
	close(in);
	return ret;
}

/* the file at path has the declared checksum; -1 with err naming where it came from */
static int verify_file(const struct source *src, const char *path, const char *origin,
		       struct error *err)
{
	char hex[HASH_MAX_HEX];
	if (!src->has_checksum)
		return 0;
	if (hash_file_hex(src->algo, path, hex, err) < 0)
		return -1;
	if (strcmp(hex, src->checksum) != 0)
		return error_set(err, "checksum mismatch for '%s': expected %s %s, got %s", origin,
				 hash_algo_name(src->algo), src->checksum, hex);
	return 0;
}

static int build_path_source(struct build_ctx *b, const struct source *src, const char *dest,
			     struct error *err)
{
	char *from = source_local_path(src);
	int ret = copy_file(from, dest, err);
	if (ret == 0)
		ret = verify_file(src, dest, from, err);
	if (ret < 0)
		unlink(dest);
	free(from);
	return ret;
}

/* a sha256 source already stored (cache import): take it from there; 1 when taken */
static int take_from_cache(struct build_ctx *b, const struct source *src, const char *dest,
			   struct error *err)
{
	struct cache *cache = b->ctx->cache;
	if (!cache || src->algo != HASH_SHA256 || !cache_has_blob(cache, src->checksum))
		return 0;
	char *blob = cache_blob_path(cache, src->checksum);
	int ret = link(blob, dest) == 0 ? 0 : copy_file(blob, dest, err);
	if (ret == 0)
		ret = verify_file(src, dest, blob, err);
	if (ret == 0)
		progress_note(b->ctx->progress, b->node->id, "found in the cache; not downloading");
	else
		unlink(dest);
	free(blob);
	return ret < 0 ? -1 : 1;
}

static int build_url_source(struct build_ctx *b, const struct source *src, const char *dest,
			    struct error *err)
{
	int taken = take_from_cache(b, src, dest, err);
	if (taken != 0)
		return taken < 0 ? -1 : 0;
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
	return fetch_source(&req, &res, err);
}

static int source_build(struct build_ctx *b, struct error *err)
{
	const struct source *src = b->node->u.source;
	char *dest = path_join(b->workdir, "file");
	int ret = src->kind == SOURCE_PATH ? build_path_source(b, src, dest, err)
					   : build_url_source(b, src, dest, err);
	if (ret == 0)
		build_output(b, "file", "file");
	free(dest);
	return ret;
}

const struct builder source_builder = {
	.kind = NODE_SOURCE,
	.name = "source",
	.version = 1,
	.describe = source_describe,
	.build = source_build,
};
