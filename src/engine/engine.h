/*
 * engine: the dependency graph of a recipe, action keys, staleness,
 * parallel scheduling and explain.  Builders plug in through builder.h.
 */
#ifndef MVBUILD_ENGINE_H
#define MVBUILD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/builder.h"
#include "engine/context.h"
#include "base/error.h"
#include "base/util.h"

struct engine;

/* the graph of ctx->recipe (no nodes when it is NULL); ctx->cache must be open */
struct engine *engine_new(struct mvctx *ctx);
/* free the graph */
void engine_free(struct engine *e);

/* every node, in dependency order (dependencies first) */
size_t engine_nodes(const struct engine *e, struct node *const **nodes);
/* the node with this id ("kernel:microvm"), or NULL */
struct node *engine_find(const struct engine *e, const char *id);
/*
 * A variant of the profile node of that builds p instead of of's profile:
 * a new node with of's id and dependencies, keyed and built on its own
 * (p's values enter its key), so the recipe and the node of are never
 * written.  The node belongs to the caller, who must keep p alive while
 * the node is used and give it back with engine_variant_free().  NULL with
 * err when of is not a profile node.
 */
struct node *engine_variant_profile(struct engine *e, const struct node *of,
				    const struct profile *p, struct error *err);
/* take a variant out of the graph and free it (NULL is fine) */
void engine_variant_free(struct engine *e, struct node *variant);
/*
 * Resolve command-line targets ("kernel:NAME", "image:NAME", "profile:NAME",
 * "source:NAME", or a bare NAME that is unique) into nodes; no targets means
 * every node that has no dependents.  *out is allocated; -1 with a usage error
 * naming the target that does not resolve.
 */
int engine_resolve(const struct engine *e, char *const *targets, size_t n,
		   struct node ***out, size_t *n_out, struct error *err);

/*
 * Bring targets (and everything they need) up to date, in parallel up to
 * ctx->jobs.  Nodes whose key is cached are not built and their inputs are
 * not fetched.  Returns 0, or -1 with the first failure.
 */
int engine_build(struct engine *e, struct node **targets, size_t n, struct error *err);

/*
 * Outputs of a node that is up to date (after engine_build, or when its key
 * is already cached): *outs points at an array owned by the engine.
 * Returns the count, or -1 with err when the node is not built.
 */
int engine_outputs(struct engine *e, struct node *node, const struct build_input **outs,
		   struct error *err);

/*
 * Explain node: append to out whether it is up to date and, if not, each
 * input that differs from its last build.  Returns 1 when up to date, 0
 * when stale, -1 with err.
 */
int engine_explain(struct engine *e, struct node *node, struct buf *out, struct error *err);

/* what explain says about one node (the first word of its state is its kind) */
struct explain_node {
	char *node;    /* the node's id */
	char *state;   /* "up_to_date", "needs_stale", "not_fetched", "never_built",
	                  "evicted", "outputs_missing" or "changed" */
	char *message; /* the human line, without the node id */
};

/* one input that differs from the node's last build */
struct explain_change {
	char *node;                  /* the node's id */
	char *label, *change;        /* record_change's label and "added"/"removed"/"changed" */
	char *old_value, *new_value; /* NULL when added / removed */
	char *where;                 /* the entry's location, or NULL */
};

/* the whole explanation, for --json: the text explain prints and its parts */
struct explain {
	struct buf text;                 /* exactly what engine_explain() appends */
	struct explain_node *nodes;      /* each node explained, in the text's order */
	size_t n_nodes;
	struct explain_change *changes;  /* each difference, in the text's order */
	size_t n_changes;
};

#define EXPLAIN_INIT { BUF_INIT, NULL, 0, NULL, 0 }

/* engine_explain() into x (which starts as EXPLAIN_INIT); 1 up to date, 0 stale, -1 with err */
int engine_explain_report(struct engine *e, struct node *node, struct explain *x,
			  struct error *err);
/* free what x holds */
void engine_explain_release(struct explain *x);

/* replace the builder for a kind (tests use this to plug in their own) */
void engine_set_builder(struct engine *e, enum node_kind kind, const struct builder *b);

/*
 * Store the file at path in the cache so that a source declaring its
 * sha256 or sha512 is satisfied without a download; fills both digests.
 */
int engine_import(struct engine *e, const char *path, char sha256[SHA256_HEX],
		  char sha512[HASH_MAX_HEX], struct error *err);

/* write the graph in Graphviz dot to out */
void engine_graph_dot(const struct engine *e, struct buf *out);

#endif
