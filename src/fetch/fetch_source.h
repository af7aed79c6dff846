/*
 * fetch_source: the policy for getting one recipe source: which URLs are
 * tried in which order (mirrors by digest, mirrors by file name, then the
 * recipe's urls), falling through on failure, and verifying the declared
 * checksum before anything is kept.  The transfers themselves are fetch.h's.
 */
#ifndef MVBUILD_FETCH_SOURCE_H
#define MVBUILD_FETCH_SOURCE_H

#include <stddef.h>

#include "base/error.h"
#include "fetch/fetch.h"

struct source;
struct progress;

/* what to fetch and where to put it */
struct fetch_source_request {
	const struct source *source;  /* a url source (its checksum, if any, is verified) */
	char *const *mirrors;         /* prefixes tried first (--mirror, $MVBUILD_MIRROR) */
	size_t n_mirrors;
	const char *dest;             /* the file to create; removed again on failure */
	const struct fetch_limits *limits;
	struct progress *progress;    /* may be NULL */
	const char *node_id;          /* "source:NAME" for progress lines, may be NULL */
};

/*
 * The URLs tried for a source, in order: MIRROR/<checksum hex> and
 * MIRROR/<file name> for each mirror, then the recipe's urls.  Plain local
 * paths become file:// URLs (recipe paths resolved beneath the source's
 * base_dir, mirror paths beneath the working directory); duplicates are
 * dropped.  Returns the count; the first *n_from_mirrors come from mirrors.
 * *out is allocated and freed with fetch_source_urls_free().
 */
size_t fetch_source_candidates(const struct source *src, char *const *mirrors, size_t n_mirrors,
			       char ***out, size_t *n_from_mirrors);
/* free what fetch_source_candidates() returned */
void fetch_source_urls_free(char **urls, size_t n);
/* the file name a URL ends in (no query or fragment), newly allocated; NULL when none */
char *fetch_source_url_file_name(const char *url);

/* the absolute path of a local source's file or directory (path, oci-layout, docker-archive); caller frees */
char *fetch_source_local_path(const struct source *src);
/* set the one "checksum mismatch" error for src's content from origin (a URL gets a hint); -1 */
int fetch_source_checksum_mismatch(struct error *err, const struct source *src, const char *origin,
			    const char *got);
/*
 * Download the source into req->dest, trying each candidate URL in turn
 * and verifying the declared checksum.  Returns 0 with res filled (res->content,
 * the content digest, always set), or -1 with err naming each URL tried and why it failed; then
 * req->dest does not exist.
 */
int fetch_source(const struct fetch_source_request *req, struct fetch_result *res,
		 struct error *err);

#endif
