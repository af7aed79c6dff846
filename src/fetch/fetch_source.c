/*
 * fetch_source: mirrors plus recipe urls, in order, each verified against
 * the declared checksum (see fetch_source.h).  A mirror is a prefix: the
 * source is looked for as MIRROR/<hex digest> first (content-addressed, so
 * one directory can serve every version), then as MIRROR/<file name>.
 * Mirror misses are expected and only logged with -v; a failing recipe URL
 * is always reported before the next is tried.
 */
#include "fetch/fetch_source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/progress.h"
#include "recipe/recipe.h"
#include "base/util.h"

static void urls_add(char ***urls, size_t *n, char *url)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*urls)[i], url) == 0) {
			free(url);
			return;
		}
	}
	*urls = xrealloc(*urls, (*n + 1) * sizeof(**urls));
	(*urls)[(*n)++] = url;
}

/* a URL as given, or a plain path resolved beneath base (NULL: the working directory) */
static char *url_or_path(const char *s, const char *base)
{
	if (!fetch_is_local_path(s))
		return xstrdup(s);
	char *joined = s[0] == '/' || !base ? xstrdup(s) : path_join(base, s);
	char *abs = path_absolute(joined);
	free(joined);
	char *url = fetch_file_url(abs);
	free(abs);
	return url;
}

char *fetch_source_url_file_name(const char *url)
{
	size_t end = strcspn(url, "?#");
	char *path = xstrndup(url, end);
	const char *sep = strstr(path, "://");
	const char *start = sep ? strchr(sep + 3, '/') : path;
	const char *slash = start ? strrchr(start, '/') : NULL;
	const char *name = slash ? slash + 1 : start;
	char *out = name && *name ? xstrdup(name) : NULL;
	free(path);
	return out;
}

static char *mirror_join(const char *mirror, const char *name)
{
	size_t len = strlen(mirror);
	while (len > 1 && mirror[len - 1] == '/')
		len--;
	char *prefix = xstrndup(mirror, len);
	char *joined = xasprintf("%s/%s", prefix, name);
	char *url = url_or_path(joined, NULL);
	free(joined);
	free(prefix);
	return url;
}

size_t fetch_source_candidates(const struct source *src, char *const *mirrors, size_t n_mirrors,
			       char ***out, size_t *n_from_mirrors)
{
	char **urls = NULL;
	size_t n = 0;
	for (size_t m = 0; m < n_mirrors; m++) {
		if (src->has_checksum)
			urls_add(&urls, &n, mirror_join(mirrors[m], src->checksum));
		for (size_t i = 0; i < src->n_urls; i++) {
			char *name = fetch_source_url_file_name(src->urls[i]);
			if (name)
				urls_add(&urls, &n, mirror_join(mirrors[m], name));
			free(name);
		}
	}
	*n_from_mirrors = n;
	for (size_t i = 0; i < src->n_urls; i++)
		urls_add(&urls, &n, url_or_path(src->urls[i], src->base_dir));
	*out = urls;
	return n;
}

void fetch_source_urls_free(char **urls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
}

/* one candidate: download and verify; 0, or -1 with err and *final when no other URL can help */
static int fetch_candidate(const struct fetch_source_request *req, const char *url, int fd,
			   struct fetch_result *res, bool *final, struct error *err)
{
	const struct source *src = req->source;
	struct fetch_request fr = {
		.url = url,
		.fd = fd,
		.algo = src->has_checksum ? src->algo : HASH_SHA256,
		.want_content = true, /* names the blob in the cache */
		.write_behind = true,
		.limits = req->limits,
		.progress = req->progress,
		.node_id = req->node_id,
	};
	if (fetch_url(&fr, res, err) < 0) {
		*final = res->status == FETCH_LOCAL;
		return -1;
	}
	if (src->has_checksum && strcmp(res->digest, src->checksum) != 0)
		return fetch_source_checksum_mismatch(err, src, url, res->digest);
	return 0;
}

char *fetch_source_local_path(const struct source *src)
{
	char *joined = src->path[0] == '/' || !src->base_dir ? xstrdup(src->path)
			: path_join(src->base_dir, src->path);
	char *abs = path_absolute(joined);
	free(joined);
	return abs;
}

int fetch_source_checksum_mismatch(struct error *err, const struct source *src, const char *origin,
			    const char *got)
{
	bool url = strstr(origin, "://") != NULL;
	return error_set(err, "checksum mismatch for '%s': expected %s %s, got %s%s%s%s",
			 origin, hash_algo_name(src->algo), src->checksum, got,
			 url ? " (if the new content is the one you want, pin it: mvbuild fetch "
			       "--print-checksums '" : "", url ? origin : "", url ? "')" : "");
}

int fetch_source(const struct fetch_source_request *req, struct fetch_result *res,
		 struct error *err)
{
	char **urls;
	size_t n_mirror_urls;
	size_t n = fetch_source_candidates(req->source, req->mirrors, req->n_mirrors, &urls,
					   &n_mirror_urls);
	struct buf failures = BUF_INIT;
	int ret = -1;
	int fd = open(req->dest, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		error_errno(err, errno, "cannot create '%s'", req->dest);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct error one = ERROR_INIT;
		bool final = false;
		progress_debug(req->progress, req->node_id, "trying '%s'", urls[i]);
		if (fetch_candidate(req, urls[i], fd, res, &final, &one) == 0) {
			ret = 0;
			break;
		}
		buf_addf(&failures, "%s%s", failures.len ? "; " : "", one.msg);
		if (final) {
			error_release(&one);
			break;
		}
		if (i < n_mirror_urls)
			progress_debug(req->progress, req->node_id, "%s", one.msg);
		else if (i + 1 < n)
			progress_note(req->progress, req->node_id, "%s; trying the next URL", one.msg);
		error_release(&one);
	}
	if (ret < 0)
		error_set(err, "cannot fetch source '%s': %s", req->source->name,
			  failures.len ? failures.data : "no URL to try");
	if (close(fd) < 0 && ret == 0)
		ret = error_errno(err, errno, "cannot write '%s'", req->dest);
	if (ret < 0)
		unlink(req->dest);
out:
	buf_release(&failures);
	fetch_source_urls_free(urls, n);
	return ret;
}
