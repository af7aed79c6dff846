/*
 * engine_internal: the engine's state shared by its files (engine.c: the
 * graph; engine_key.c: action keys, lookups and explain; engine_run.c: the
 * scheduler and the builder glue).  Not for other modules.
 */
#ifndef MVBUILD_ENGINE_INTERNAL_H
#define MVBUILD_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>

#include "cache/cache.h"
#include "engine/engine.h"

/* where a node stands during one engine run */
struct node_state {
	bool keyed;                  /* key computed and looked up */
	bool done;                   /* outputs are in the cache and known */
	bool demanded;               /* must be done (a target, or a dependent builds) */
	bool running;                /* a worker is fetching or building it */
	bool failed;                 /* it or a dependency failed */
	bool built;                  /* built in this run (not a cache hit) */
	bool interrupted;            /* its build was stopped by SIGINT/SIGTERM */
	bool remote_asked;           /* the remote was asked for key (or is not there) */
	bool upload_due;             /* done here: the remote should get it */
	char key[SHA256_HEX];        /* action key, once keyed */
	struct record rec;           /* the record behind key */
	struct cache_output *outs;   /* outputs, once done */
	size_t n_outs;
	struct build_input *views;   /* outs as build_inputs (paths into the CAS) */
	char **view_paths;           /* owned paths behind views */
	/* reading a source once (engine_direct.c) */
	bool may_defer;              /* a source this run may leave pending */
	bool pending;                /* keyed without its content: its one dependent reads
					direct and hashes it; never demanded or copied */
	bool speculative;            /* keyed without a pending dependency's line: built
					first, its key completed after (key is "" until then) */
	char *direct;                /* may_defer: the user's file (builder direct_path()) */
	size_t n_described;          /* entries of rec before its inputs' */
};

struct engine {
	struct mvctx *ctx;               /* options, recipe, cache */
	struct node **nodes;             /* dependency order */
	size_t n_nodes;
	const struct builder *builders[4]; /* by enum node_kind */
	char recipe_id[17];              /* names this recipe's last/ directory */
	pthread_mutex_t lock;            /* guards node states during a run */
	pthread_cond_t changed;          /* a worker finished */
	struct error first_error;        /* the first failure of a run */
};

static inline struct node_state *node_state(const struct node *n)
{
	return n->engine_state;
}

/* compute n's key if its dependencies allow; 1 keyed, 0 not yet, -1 error */
int engine_key_node(struct engine *e, struct node *n, struct error *err);
/* key every node of target's closure that can be keyed without building */
int engine_key_closure(struct engine *e, struct node *target, struct error *err);
/*
 * Look n's key up in the local cache, verifying blobs; 1 hit (outputs set;
 * the caller marks n done), 0 miss (a damaged entry is said).  Never asks the
 * remote.
 */
int engine_lookup(struct engine *e, struct node *n);
/*
 * Fetch n's key from the remote (slow: called by a worker, without e->lock);
 * 1 installed (outputs set; the caller marks n done), 0 not.
 */
int engine_fetch(struct engine *e, struct node *n);
/* fill n's output views from its outs */
void engine_set_views(struct engine *e, struct node *n);
/* remember n's key as its last build, for explain */
void engine_remember(struct engine *e, struct node *n);
/* the record builder for n (kind, builder, parameters, inputs); 0 or -1 */
int engine_describe(struct engine *e, struct node *n, struct record *rec, struct error *err);
/* the seed key of keyed n (builder.h's build_ctx.seed) */
void engine_seed_key(struct engine *e, const struct node *n, char seed[SHA256_HEX]);
/* a speculative n whose pending dependencies are keyed now: its full record and key */
void engine_key_complete(struct engine *e, struct node *n);

/* engine_direct.c: reading a source once */
/* mark the sources of the closure this run may leave pending (before keying) */
void engine_direct_mark(struct engine *e, struct node **targets, size_t n_targets,
			const bool *in_closure);
/* for a may_defer source being keyed: true when it is left pending (keyed, no content) */
bool engine_direct_pending(struct engine *e, struct node *n);
/*
 * After a speculative n was built into b (key unlocked): check that each
 * pending dependency's file was read whole and unchanged, key the
 * dependencies and n, take n's key lock (*lock) and look the key up: *hit
 * when the cache has it already (b's outputs are dropped).  0, or -1 with err.
 */
int engine_direct_resolve(struct engine *e, struct node *n, struct build_ctx *b,
			  const struct stat *before, int64_t started_ns, int *lock, int *hit,
			  struct error *err);
/* each pending dependency's stat before a speculative build of n reads it; 0 or -1 with err */
int engine_direct_stat(const struct node *n, struct stat *st, struct error *err);

#endif
