/*
 * fetch_checksums: `mvbuild fetch`'s work.  Recipe sources are brought into
 * the cache through the engine (mirrors, checksum verification and the
 * cache are the source builder's), optionally hashed as stored; URLs not in
 * any recipe are downloaded into a temp file, hashed and removed, so the
 * checksums of a new source can be learnt before it is written down.
 */
#ifndef MVBUILD_FETCH_CHECKSUMS_H
#define MVBUILD_FETCH_CHECKSUMS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/hash.h"

struct config;
struct engine;
struct progress;
struct recipe;

/* the checksums of one download */
struct fetch_checksum {
	char *name;                 /* the source's name, or the URL */
	char sha256[HASH_MAX_HEX];  /* sha256 hex */
	char sha512[HASH_MAX_HEX];  /* sha512 hex, "" for an image reference */
};

/* checksums in the order they were computed */
struct fetch_checksums {
	struct fetch_checksum *items;
	size_t n;
	size_t alloc;
};

#define FETCH_CHECKSUMS_INIT { NULL, 0, 0 }

/*
 * Download each URL into a temp file under $TMPDIR (or /tmp), which is
 * removed again, adding its checksums to out.  0, or -1 with err at the
 * first failure (out keeps the URLs done before it).
 */
int fetch_checksums_urls(struct fetch_checksums *out, char *const *urls, size_t n,
			 const struct config *cfg, struct progress *progress, struct error *err);
/*
 * true when word is a container image reference, "oci:HOST[:PORT]/REPO:TAG":
 * fetch_checksums_urls() resolves it to the digest its registry has for it
 * now (sha256 only: sha512 is left empty), downloading nothing else
 */
bool fetch_checksums_is_image(const char *word);
/*
 * Bring the named sources (NAME or source:NAME; every source of r when n is
 * 0) into the cache through e; with out, add the checksums of each one's
 * stored content.  0, or -1 with err (an unknown name gets a usage error
 * with the closest one).
 */
int fetch_checksums_sources(struct engine *e, const struct recipe *r, char *const *names, size_t n,
			    struct fetch_checksums *out, struct error *err);
/* free the items */
void fetch_checksums_release(struct fetch_checksums *c);

#endif
