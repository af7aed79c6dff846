/*
 * engine_direct: each source read once (issue 16).  A path source without
 * a checksum is keyed by its content digest; with the digest memo cold,
 * keying it first would read the whole file, copying it into the cache a
 * second time, and the image a third.  Instead, during `mvbuild build`:
 *
 *   - engine_direct_mark(): a source may stay pending when its builder
 *     names the user's file (direct_path()), it is no target, its one
 *     dependent in the run reads sources directly (the image builder), and
 *     no remote is configured (with one, the key comes first, to ask it);
 *   - engine_direct_pending(): while keying, such a source whose digest the
 *     memo does not know (digest_memo_peek(): a stat, no read) and that is
 *     at least DIRECT_MIN_SIZE stays pending: keyed without content, never
 *     demanded, never copied into the cache;
 *   - its dependent is keyed "speculatively" (its record without the
 *     pending line) and built without a key from the user's file, which the
 *     builder hashes in the read that feeds it (builder_input_hashed());
 *     its UUID comes from the seed key, which is the same either way
 *     (engine_seed_key());
 *   - engine_direct_resolve(): once built, the file must have kept its
 *     stat for the whole build (else "'FILE' changed during the build" and
 *     nothing is published); the digest is noted in the memo, the source
 *     keyed (its describe() finds that digest), the dependent's record and
 *     key completed, its key locked and looked up: a hit (another process,
 *     or a touched file with the same bytes) drops the build, a miss
 *     publishes it under the full key, so an entry always describes exactly
 *     what it holds.
 *
 * `explain`, `key`, `graph`, `check` never mark anything: they key first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/digest_memo.h"
#include "engine/engine_internal.h"
#include "base/util.h"

/*
 * Below this a file is hashed first as before: it costs less than a build
 * dropped because the file was only touched and its image was cached.
 */
#define DIRECT_MIN_SIZE (1u << 20)

/* n's dependents among the run's nodes: their count, the last in *one */
static size_t dependents(const struct engine *e, const struct node *n, const bool *in_closure,
			 const struct node **one)
{
	size_t count = 0;
	for (size_t i = 0; i < e->n_nodes; i++) {
		if (!in_closure[i])
			continue;
		for (size_t j = 0; j < e->nodes[i]->n_deps; j++)
			if (e->nodes[i]->deps[j] == n) {
				count++;
				*one = e->nodes[i];
				break;
			}
	}
	return count;
}

static bool is_target(const struct node *n, struct node **targets, size_t n_targets)
{
	for (size_t i = 0; i < n_targets; i++)
		if (targets[i] == n)
			return true;
	return false;
}

void engine_direct_mark(struct engine *e, struct node **targets, size_t n_targets,
			const bool *in_closure)
{
	if (e->ctx->remote || !e->ctx->memo)
		return;
	for (size_t i = 0; i < e->n_nodes; i++) {
		struct node *n = e->nodes[i];
		struct node_state *s = node_state(n);
		const struct builder *b = e->builders[n->kind];
		const struct node *dep = NULL;
		if (!in_closure[i] || s->keyed || !b || !b->direct_path ||
		    is_target(n, targets, n_targets) || dependents(e, n, in_closure, &dep) != 1 ||
		    !e->builders[dep->kind] || !e->builders[dep->kind]->reads_sources_directly)
			continue;
		free(s->direct);
		s->direct = b->direct_path(n);
		s->may_defer = s->direct != NULL;
	}
}

bool engine_direct_pending(struct engine *e, struct node *n)
{
	struct node_state *s = node_state(n);
	struct error ignored = ERROR_INIT; /* describe() says it */
	struct stat st;
	char hex[SHA256_HEX];
	int known = digest_memo_peek(e->ctx->memo, s->direct, hex, &st, &ignored);
	error_release(&ignored);
	if (known != 0 || !S_ISREG(st.st_mode) || st.st_size < DIRECT_MIN_SIZE)
		return false;
	s->pending = true;
	s->keyed = true;
	s->key[0] = '\0';
	return true;
}

int engine_direct_stat(const struct node *n, struct stat *st, struct error *err)
{
	for (size_t i = 0; i < n->n_deps; i++) {
		const struct node_state *ds = node_state(n->deps[i]);
		if (ds->pending && stat(ds->direct, &st[i]) < 0)
			return error_errno(err, errno, "cannot stat '%s'", ds->direct);
	}
	return 0;
}

/* what b's builder said it read of dep's file, or NULL */
static const char *hashed_digest(const struct build_ctx *b, const struct node *dep)
{
	for (size_t i = 0; i < b->n_inputs; i++)
		if (!b->inputs[i].digest && strcmp(b->inputs[i].dep_id, dep->id) == 0)
			return b->hashed[i][0] ? b->hashed[i] : NULL;
	return NULL;
}

/* the changed-file error for path */
static int changed(struct error *err, const char *path)
{
	return error_set(err, "'%s' changed during the build", path);
}

/* key dep (e->lock held) from what was read of its file; 0, or -1 with err */
static int key_source(struct engine *e, struct node *dep, const struct stat *before,
		      int64_t started_ns, const char *hex, struct error *err)
{
	struct node_state *ds = node_state(dep);
	struct stat after, now;
	char memo_hex[SHA256_HEX];
	if (stat(ds->direct, &after) < 0)
		return error_errno(err, errno, "cannot stat '%s'", ds->direct);
	if (digest_memo_note(e->ctx->memo, ds->direct, before, &after, started_ns, hex) < 0)
		return changed(err, ds->direct);
	ds->pending = false;
	ds->keyed = false;
	if (engine_key_node(e, dep, err) < 0)
		return -1;
	/* describe() took the noted digest only if the file is still as it was read */
	if (digest_memo_peek(e->ctx->memo, ds->direct, memo_hex, &now, err) != 1 ||
	    strcmp(memo_hex, hex) != 0 || digest_memo_note(e->ctx->memo, ds->direct, before, &now,
							   started_ns, hex) < 0)
		return changed(err, ds->direct);
	return 0;
}

int engine_direct_resolve(struct engine *e, struct node *n, struct build_ctx *b,
			  const struct stat *before, int64_t started_ns, int *lock, int *hit,
			  struct error *err)
{
	struct node_state *s = node_state(n);
	int ret = 0;
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < n->n_deps && ret == 0; i++) {
		struct node *dep = n->deps[i];
		if (!node_state(dep)->pending)
			continue;
		const char *hex = hashed_digest(b, dep);
		if (!hex)
			ret = error_set(err, "internal error: '%s' was not read whole",
					node_state(dep)->direct);
		else
			ret = key_source(e, dep, &before[i], started_ns, hex, err);
	}
	if (ret == 0)
		engine_key_complete(e, n);
	pthread_mutex_unlock(&e->lock);
	if (ret < 0)
		return -1;
	if ((*lock = cache_lock_key(e->ctx->cache, s->key, err)) < 0)
		return -1;
	*hit = engine_lookup(e, n);
	return 0;
}
