/*
 * engine_run: bringing targets up to date.  The main thread walks the
 * graph in dependency order, keys what it can, and starts a worker thread
 * for each node that must be built once all its inputs are in the cache,
 * up to ctx->jobs at once.  Sources are demanded lazily: only when a
 * dependent misses the cache (or the source is itself a target) is it
 * looked up, and fetched if absent.
 *
 * Each worker takes the key's lock in the cache first, so two processes
 * building the same key don't both build: the second waits, then finds
 * the first one's entry.
 *
 * The remote cache is never asked under the scheduler's lock: keying looks
 * in the local cache only, and a node that must be done and missed it is
 * first handed to a fetch worker; only when the remote does not have it are
 * its inputs demanded and is it built.  A node done here (built, or found
 * in the local cache) is handed to an upload worker.  Fetches and uploads
 * wait on the network, not on a core, so they have their own pool beside
 * the builders' (transfer_slots).
 *
 * SIGINT and SIGTERM are caught for the run (interrupt.h): the scheduler
 * starts nothing more, the running builders stop at their next check (a
 * child make is killed), nothing they made is published, their scratch
 * directories are removed, and the run fails with ERROR_INTERRUPTED.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "recipe/config.h"
#include "engine/digest_memo.h"
#include "engine/engine_internal.h"
#include "base/fileutil.h"
#include "base/interrupt.h"
#include "base/progress.h"
#include "recipe/recipe.h"
#include "cache/cache_layout.h"
#include "cache/remote.h"
#include "base/util.h"

/* what a worker thread does for its node */
enum job {
	JOB_BUILD,   /* look it up under its key lock, and build it on a miss */
	JOB_FETCH,   /* ask the remote for it */
	JOB_UPLOAD,  /* send it to the remote */
};

struct worker {
	struct engine *e;   /* the engine */
	struct node *n;     /* node worked on, or NULL when the slot is free */
	enum job job;       /* what for */
	bool finished;      /* the thread is done and may be joined (under e->lock) */
	pthread_t thread;   /* running it */
};

/* threads started and not yet joined, by pool */
struct pools {
	size_t builds;      /* JOB_BUILD: up to -j */
	size_t transfers;   /* JOB_FETCH and JOB_UPLOAD: up to transfer_slots() more */
};

/* the size of the transfer pool (context.h: CONTEXT_TRANSFERS unless -j is given) */
static size_t transfer_slots(const struct engine *e)
{
	return (size_t)(e->ctx->transfers > 0 ? e->ctx->transfers : e->ctx->jobs);
}

void builder_output(struct build_ctx *b, const char *name, const char *relpath)
{
	b->outputs = xrealloc(b->outputs, (b->n_outputs + 1) * sizeof(*b->outputs));
	b->outputs[b->n_outputs].name = xstrdup(name);
	b->outputs[b->n_outputs].path = path_join(b->workdir, relpath);
	b->outputs[b->n_outputs].digest[0] = '\0';
	b->n_outputs++;
}

void builder_output_hashed(struct build_ctx *b, const char *name, const char *relpath,
			 const char *digest)
{
	builder_output(b, name, relpath);
	snprintf(b->outputs[b->n_outputs - 1].digest, SHA256_HEX, "%s", digest);
}

const struct build_input *builder_input_find(const struct build_ctx *b, const char *dep_id,
					   const char *output)
{
	for (size_t i = 0; i < b->n_inputs; i++)
		if (strcmp(b->inputs[i].dep_id, dep_id) == 0 &&
		    strcmp(b->inputs[i].output, output) == 0)
			return &b->inputs[i];
	return NULL;
}

int builder_input_hashed(struct build_ctx *b, const struct build_input *in,
			 const char digest[SHA256_HEX], struct error *err)
{
	char *mine = b->hashed[in - b->inputs];
	if (mine[0] && strcmp(mine, digest) != 0)
		return error_set(err, "'%s' changed during the build", in->path);
	memcpy(mine, digest, SHA256_HEX);
	return 0;
}

const char *builder_input_path(const struct build_ctx *b, const char *dep_id, const char *output)
{
	const struct build_input *in = builder_input_find(b, dep_id, output);
	return in ? in->path : NULL;
}

char *builder_input_relpath(const struct build_input *in)
{
	return cache_blob_relpath(in->digest);
}

char *builder_root_from_output(void)
{
	/* outputs are published as blobs */
	return cache_layout_root_from(CACHE_AREA_CAS);
}

/*
 * every output of every dependency, as one array the builder can search; a
 * pending source as its user's file, without a digest (builder.h)
 */
static struct build_input *collect_inputs(const struct node *n, size_t *count)
{
	size_t total = 0;
	for (size_t i = 0; i < n->n_deps; i++)
		total += node_state(n->deps[i])->n_outs + 1;
	struct build_input *in = xcalloc(total + 1, sizeof(*in));
	*count = 0;
	for (size_t i = 0; i < n->n_deps; i++) {
		const struct node_state *s = node_state(n->deps[i]);
		if (s->pending)
			in[(*count)++] = (struct build_input){ n->deps[i]->id, "file", s->direct, NULL };
		for (size_t j = 0; j < s->n_outs; j++)
			in[(*count)++] = s->views[j];
	}
	return in;
}

/*
 * A local source (path, oci-layout, docker-archive) may be private, so it reaches a shared
 * remote only when the machine config says remote: {upload_sources: true}.
 * Readers never need it when the outputs built from it are there.
 */
static bool may_upload(const struct engine *e, const struct node *n)
{
	if (n->kind != NODE_SOURCE || !recipe_source_is_local(n->u.source))
		return true;
	return e->ctx->config && e->ctx->config->upload_sources;
}

/* whether n, just done here (not fetched), is to be sent to the remote */
static bool upload_wanted(const struct engine *e, const struct node *n)
{
	return remote_writes(e->ctx->remote) && may_upload(e, n);
}

/* store each declared output in the CAS and publish the action entry */
static int publish(struct engine *e, struct node *n, struct build_ctx *b, struct error *err)
{
	struct node_state *s = node_state(n);
	struct cache_output *outs = xcalloc(b->n_outputs + 1, sizeof(*outs));
	int ret = 0;
	for (size_t i = 0; i < b->n_outputs && ret == 0; i++) {
		struct stat st;
		outs[i].name = xstrdup(b->outputs[i].name);
		if (stat(b->outputs[i].path, &st) < 0 || !S_ISREG(st.st_mode)) {
			ret = error_set(err, "builder declared output '%s' but wrote no file '%s'",
					b->outputs[i].name, b->outputs[i].path);
			break;
		}
		outs[i].size = (uint64_t)st.st_size;
		if (b->outputs[i].digest[0]) {
			memcpy(outs[i].digest, b->outputs[i].digest, SHA256_HEX);
			ret = cache_put_file_hashed(e->ctx->cache, b->outputs[i].path, true,
						    outs[i].digest, err);
		} else {
			ret = cache_put_file(e->ctx->cache, b->outputs[i].path, true, outs[i].digest, err);
		}
	}
	if (ret == 0)
		ret = cache_put_action(e->ctx->cache, s->key, &s->rec, outs, b->n_outputs, err);
	if (ret < 0) {
		cache_outputs_free(outs, b->n_outputs);
		return -1;
	}
	s->outs = outs;
	s->n_outs = b->n_outputs;
	engine_set_views(e, n);
	return 0;
}

static void build_ctx_release(struct build_ctx *b)
{
	for (size_t i = 0; i < b->n_outputs; i++) {
		free(b->outputs[i].name);
		free(b->outputs[i].path);
	}
	free(b->outputs);
	free((void *)b->inputs);
	free(b->hashed);
}

/*
 * Build n and publish it: its key is locked by the caller (*lock), or for
 * a speculative n, locked here once the key is complete, and *hit when the
 * cache had it by then.  0, or -1 with err.
 */
static int build_node(struct engine *e, struct node *n, int *lock, int *hit, struct error *err)
{
	struct node_state *s = node_state(n);
	char *workdir = NULL;
	char seed[SHA256_HEX];
	struct stat *before = xcalloc(n->n_deps + 1, sizeof(*before));
	int64_t started = digest_memo_now_ns();
	if ((s->speculative && engine_direct_stat(n, before, err) < 0) ||
	    cache_mkscratch(e->ctx->cache, n->id, &workdir, err) < 0) {
		free(before);
		return -1;
	}
	/* after the stat: a file changed once the build is seen started is a change during it */
	progress_event(e->ctx->progress, n->id, "started", -1, NULL);
	engine_seed_key(e, n, seed);
	struct build_ctx b = { .ctx = e->ctx, .engine = e, .node = n,
			       .key = s->speculative ? NULL : s->key, .seed = seed,
			       .record = &s->rec, .workdir = workdir };
	b.inputs = collect_inputs(n, &b.n_inputs);
	b.hashed = xcalloc(b.n_inputs + 1, sizeof(*b.hashed));
	int ret = e->builders[n->kind]->build(&b, err);
	/* a build that raced the signal may be whole, but the user asked us to stop */
	if (ret == 0 && interrupt_pending())
		ret = interrupt_error(err);
	if (ret == 0 && s->speculative)
		ret = engine_direct_resolve(e, n, &b, before, started, lock, hit, err);
	if (ret == 0 && !*hit)
		ret = publish(e, n, &b, err);
	free(before);
	build_ctx_release(&b);
	remove_tree(workdir);
	free(workdir);
	return ret;
}

/* the end of every job (e->lock held): the slot may be joined, the scheduler looks again */
static void job_finished(struct engine *e, struct worker *w)
{
	w->finished = true;
	pthread_cond_signal(&e->changed);
}

static void *build_main(void *arg)
{
	struct worker *w = arg;
	struct engine *e = w->e;
	struct node *n = w->n;
	struct node_state *s = node_state(n);
	struct error err = ERROR_INIT;
	double start = now_monotonic();
	int ret = -1, hit = 0, lock = -1;
	if (s->speculative) {
		/* no key yet: built first, then keyed, locked and looked up (engine_direct.c) */
		ret = build_node(e, n, &lock, &hit, &err);
	} else if ((lock = cache_lock_key(e->ctx->cache, s->key, &err)) >= 0) {
		/* another process may have built it while we waited for the lock */
		hit = engine_lookup(e, n);
		if (hit == 0) {
			ret = build_node(e, n, &lock, &hit, &err);
		} else {
			ret = 0;
		}
	}
	if (lock >= 0)
		cache_unlock_key(lock);
	double secs = now_monotonic() - start;
	if (ret < 0)
		error_prefix(&err, "%s", n->id);
	pthread_mutex_lock(&e->lock);
	s->running = false;
	if (ret < 0 && interrupt_pending()) {
		/* not a failure of the node: the run reports the interrupt once */
		s->failed = true;
		s->interrupted = true;
	} else if (ret < 0) {
		s->failed = true;
		/* the first error is the one the build returns, for the command to print */
		bool first = !error_is_set(&e->first_error);
		progress_failed(e->ctx->progress, n->id, secs, err.msg, first);
		if (first)
			error_move(&e->first_error, &err);
	} else {
		progress_event(e->ctx->progress, n->id, hit ? "cached" : "built", secs, NULL);
		s->done = true;
		s->built = !hit;
		s->upload_due = upload_wanted(e, n);
	}
	job_finished(e, w);
	pthread_mutex_unlock(&e->lock);
	if (ret == 0)
		engine_remember(e, n);
	error_release(&err);
	return NULL;
}

/* a remote miss is not a failure: the scheduler goes on to build the node */
static void *fetch_main(void *arg)
{
	struct worker *w = arg;
	struct engine *e = w->e;
	struct node *n = w->n;
	struct node_state *s = node_state(n);
	double start = now_monotonic();
	int hit = engine_fetch(e, n);
	pthread_mutex_lock(&e->lock);
	s->running = false;
	s->remote_asked = true;
	if (hit) {
		progress_event(e->ctx->progress, n->id, "cached", now_monotonic() - start, NULL);
		s->done = true;
	}
	job_finished(e, w);
	pthread_mutex_unlock(&e->lock);
	if (hit)
		engine_remember(e, n);
	return NULL;
}

/* the node is done already: its dependents need not wait for this */
static void *upload_main(void *arg)
{
	struct worker *w = arg;
	struct engine *e = w->e;
	remote_upload(e->ctx->remote, e->ctx->cache, node_state(w->n)->key, w->n->id);
	pthread_mutex_lock(&e->lock);
	job_finished(e, w);
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

/* start job for n in slot w; 0, or the pthread_create error (the slot stays free) */
static int start_job(struct engine *e, struct worker *w, struct node *n, enum job job,
		     struct pools *pools)
{
	static void *(*const mains[])(void *) = { build_main, fetch_main, upload_main };
	*w = (struct worker){ .e = e, .n = n, .job = job };
	int rc = pthread_create(&w->thread, NULL, mains[job], w);
	if (rc != 0) {
		w->n = NULL;
		return rc;
	}
	if (job == JOB_BUILD)
		pools->builds++;
	else
		pools->transfers++;
	return 0;
}

/* mark target and what it needs: non-source nodes of its closure must be done */
static void mark_closure(struct node *n, bool *in_closure, struct engine *e)
{
	for (size_t i = 0; i < e->n_nodes; i++)
		if (e->nodes[i] == n) {
			if (in_closure[i])
				return;
			in_closure[i] = true;
		}
	if (n->kind != NODE_SOURCE)
		node_state(n)->demanded = true;
	for (size_t i = 0; i < n->n_deps; i++)
		mark_closure(n->deps[i], in_closure, e);
}

/* a pending source is never done: its one dependent reads it directly */
static bool deps_done(const struct node *n)
{
	for (size_t i = 0; i < n->n_deps; i++)
		if (!node_state(n->deps[i])->done && !node_state(n->deps[i])->pending)
			return false;
	return true;
}

static bool dep_failed(const struct node *n)
{
	for (size_t i = 0; i < n->n_deps; i++)
		if (node_state(n->deps[i])->failed)
			return true;
	return false;
}

/* true while the scheduler may start more work of the kind: no failure, no interrupt */
static bool may_start(const struct engine *e)
{
	return !error_is_set(&e->first_error) && !interrupt_pending();
}

/*
 * Start n's upload if it is due and a transfer slot is free.  Uploads go
 * on after a failed node (what was done stays useful to others), not
 * after an interrupt.  Returns 1 when started.
 */
static int schedule_upload(struct engine *e, struct node *n, struct worker *w,
			   struct pools *pools)
{
	struct node_state *s = node_state(n);
	if (!s->upload_due || pools->transfers >= transfer_slots(e) ||
	    interrupt_pending())
		return 0;
	s->upload_due = false;
	return start_job(e, w, n, JOB_UPLOAD, pools) == 0;
}

/*
 * Before n (keyed, demanded, missed locally) is built, a fetch worker asks
 * the remote for it, and its inputs are not demanded meanwhile: a node the
 * remote has needs none of them.  Returns 1 while n waits for the remote
 * (a fetch started or queued), 0 when it is to be built.
 */
static int schedule_fetch(struct engine *e, struct node *n, struct worker *w,
			  struct pools *pools, int *changes)
{
	struct node_state *s = node_state(n);
	if (s->remote_asked)
		return 0;
	if (!remote_reads(e->ctx->remote)) {
		s->remote_asked = true;
		return 0;
	}
	if (pools->transfers >= transfer_slots(e) || !may_start(e))
		return 1;
	if (start_job(e, w, n, JOB_FETCH, pools) != 0) {
		s->remote_asked = true; /* no thread: build it instead */
		return 0;
	}
	s->running = true;
	(*changes)++;
	return 1;
}

/*
 * One pass over the graph (e->lock held): key what can be keyed (looking
 * in the local cache only), start fetches, demand the inputs of nodes that
 * must be built, start ready nodes and uploads.  Returns the number of
 * state changes, or -1 on a keying error.
 */
static int schedule_pass(struct engine *e, const bool *in_closure, struct worker *workers,
			 struct pools *pools)
{
	int changes = 0;
	for (size_t i = 0; i < e->n_nodes; i++) {
		struct node *n = e->nodes[i];
		struct node_state *s = node_state(n);
		/* a slot still held (a job finished but not joined, an upload) has nothing to start */
		if (!in_closure[i] || workers[i].n)
			continue;
		if (s->done)
			changes += schedule_upload(e, n, &workers[i], pools);
		if (s->done || s->failed || s->running)
			continue;
		if (dep_failed(n)) {
			s->failed = true;
			progress_event(e->ctx->progress, n->id, "skipped", -1, "a dependency failed");
			changes++;
			continue;
		}
		if (!s->keyed) {
			int r = engine_key_node(e, n, &e->first_error);
			if (r < 0)
				return -1;
			if (r == 0)
				continue;
			changes++;
			if (s->done && s->demanded)
				progress_event(e->ctx->progress, n->id, "cached", -1, NULL);
			if (s->done) {
				s->upload_due = upload_wanted(e, n);
				continue;
			}
		}
		if (!s->demanded || schedule_fetch(e, n, &workers[i], pools, &changes))
			continue;
		for (size_t j = 0; j < n->n_deps; j++) {
			struct node_state *ds = node_state(n->deps[j]);
			if (!ds->demanded && !ds->pending) {
				ds->demanded = true;
				changes++;
			}
		}
		if (!deps_done(n) || pools->builds >= (size_t)e->ctx->jobs || !may_start(e))
			continue;
		int rc = start_job(e, &workers[i], n, JOB_BUILD, pools);
		if (rc != 0) {
			/* no thread, no build: fail the node rather than wait for it forever */
			s->failed = true;
			error_errno(&e->first_error, rc, "%s: cannot start a build thread", n->id);
			progress_failed(e->ctx->progress, n->id, -1, e->first_error.msg, true);
			changes++;
			continue;
		}
		s->running = true;
		changes++;
	}
	return changes;
}

static bool targets_settled(struct node **targets, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct node_state *s = node_state(targets[i]);
		if (!s->done && !s->failed)
			return false;
	}
	return true;
}

static void join_finished(struct engine *e, struct worker *workers, struct pools *pools)
{
	for (size_t i = 0; i < e->n_nodes; i++) {
		if (workers[i].n && workers[i].finished) {
			pthread_join(workers[i].thread, NULL);
			workers[i].n = NULL;
			if (workers[i].job == JOB_BUILD)
				pools->builds--;
			else
				pools->transfers--;
		}
	}
}

/* how long the scheduler sleeps at most before it looks at the interrupt flag */
#define INTERRUPT_CHECK_NS 100000000L

/* wait (e->lock held) until a worker finishes, or a short while for the interrupt flag */
static void wait_for_change(struct engine *e)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += INTERRUPT_CHECK_NS;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&e->changed, &e->lock, &until);
}

/* "interrupted: stopped building image:rootfs (and 2 others)" */
static int interrupted_error(struct engine *e, struct error *err)
{
	const char *first = NULL;
	size_t others = 0;
	for (size_t i = 0; i < e->n_nodes; i++) {
		if (!node_state(e->nodes[i])->interrupted)
			continue;
		if (!first)
			first = e->nodes[i]->id;
		else
			others++;
	}
	interrupt_error(err);
	if (!first)
		return -1;
	if (others)
		return error_setk(err, ERROR_INTERRUPTED, "interrupted: stopped building %s "
				  "(and %zu other%s)", first, others, others == 1 ? "" : "s");
	return error_setk(err, ERROR_INTERRUPTED, "interrupted: stopped building %s", first);
}

/* the scheduler's loop, with e->lock taken */
static void run_until_settled(struct engine *e, const bool *in_closure, struct worker *workers)
{
	struct pools pools = { 0, 0 };
	for (;;) {
		int changes = interrupt_pending() ? 0 : schedule_pass(e, in_closure, workers, &pools);
		size_t running = pools.builds + pools.transfers;
		if (changes < 0 && running == 0)
			break;
		if (changes > 0)
			continue;
		if (running == 0)
			break; /* settled, stuck after a failure, or interrupted */
		wait_for_change(e);
		join_finished(e, workers, &pools);
	}
}

int engine_build(struct engine *e, struct node **targets, size_t n, struct error *err)
{
	if (cache_lock_shared(e->ctx->cache, err) < 0 || interrupt_catch(err) < 0)
		return -1;
	bool *in_closure = xcalloc(e->n_nodes + 1, sizeof(bool));
	struct worker *workers = xcalloc(e->n_nodes + 1, sizeof(*workers));
	for (size_t i = 0; i < n; i++) {
		mark_closure(targets[i], in_closure, e);
		node_state(targets[i])->demanded = true;
	}
	engine_direct_mark(e, targets, n, in_closure);
	pthread_mutex_lock(&e->lock);
	run_until_settled(e, in_closure, workers);
	pthread_mutex_unlock(&e->lock);
	interrupt_release();
	free(workers);
	free(in_closure);
	if (interrupt_pending()) {
		error_release(&e->first_error);
		return interrupted_error(e, err);
	}
	if (!error_is_set(&e->first_error) && !targets_settled(targets, n))
		error_set(&e->first_error, "internal error: build stopped with targets pending");
	if (error_is_set(&e->first_error)) {
		error_move(err, &e->first_error);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!node_state(targets[i])->done)
			return error_set(err, "%s was not built", targets[i]->id);
	return 0;
}

int engine_outputs(struct engine *e, struct node *node, const struct build_input **outs,
		   struct error *err)
{
	struct node_state *s = node_state(node);
	if (!s->done) {
		if (engine_key_closure(e, node, err) < 0)
			return -1;
		if (!s->done)
			return error_set(err, "%s is not built (run 'mvbuild build %s')", node->id,
					 node->id);
	}
	*outs = s->views;
	return (int)s->n_outs;
}
