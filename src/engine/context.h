/*
 * context: the one struct passed explicitly through a command's work:
 * options from the command line and environment, the loaded recipe, the
 * cache, and the progress reporter.  No module keeps global state besides
 * what a signal handler needs.
 */
#ifndef MVBUILD_CONTEXT_H
#define MVBUILD_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

struct recipe;
struct cache;
struct progress;
struct digest_memo;
struct config;
struct remote;

/*
 * Remote transfers at once when -j is not given.  A transfer spends most of
 * its time waiting for the remote's answers, not on a core, so the number
 * of cores (the default -j) would make eight fetches from a remote 100 ms
 * away take four times as long as one on a 2-core machine.  Sixteen keeps a
 * few MiB of codec buffers per transfer and no more connections than an
 * HTTP client usually opens to one host.
 */
#define CONTEXT_TRANSFERS 16

struct mvctx {
	const char *recipe_path;   /* -f, default "mvbuild.yaml" */
	const char *cache_dir;     /* --cache, $MVBUILD_CACHE, default "./cache" */
	int jobs;                  /* -j, default the number of online cores */
	int transfers;             /* remote fetches and uploads at once: -j when given,
				      else CONTEXT_TRANSFERS; 0: as jobs */
	bool json;                 /* --json: events as JSON lines on stderr */
	int verbose;               /* -v count */
	char **mirrors;            /* --mirror (repeatable) then $MVBUILD_MIRROR */
	size_t n_mirrors;
	struct recipe *recipe;     /* loaded recipe, or NULL before loading */
	struct cache *cache;       /* opened cache, or NULL before opening */
	struct progress *progress; /* reporter for events, status lines, notes */
	struct digest_memo *memo;  /* memoized file digests, or NULL */
	const char *config_path;   /* --config, or NULL for the default location */
	const char *remote_flag;   /* --remote URL, or NULL */
	bool remote_upload_flag;   /* --remote-upload */
	struct config *config;     /* machine settings (config.h), always loaded */
	struct remote *remote;     /* the remote cache, or NULL when none */
};

#endif
