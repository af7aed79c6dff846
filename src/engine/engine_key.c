/*
 * engine_key: action keys, cache lookups with verification, and explain.
 *
 * A node's record is: its kind, its builder's name and version, whatever
 * the builder's describe() adds (parameters, local input digests), and one
 * entry per input: a source dependency by its own key (which its declared
 * checksum determines, so no download is needed to key a dependent), any
 * other dependency by the digest of each of its outputs (so a dependency
 * rebuilt into the same bytes changes nothing downstream: early cutoff).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/digest_memo.h"
#include "engine/engine_internal.h"
#include "base/fileutil.h"
#include "base/progress.h"
#include "recipe/recipe.h"
#include "cache/cache_layout.h"
#include "cache/remote.h"

static const char *kind_label[] = { "source", "kernel", "image", "profile" };

/* a pending source is known to its one dependent, which reads it directly */
static bool dep_identity_known(const struct engine *e, const struct node *n,
			       const struct node *dep)
{
	const struct node_state *s = node_state(dep);
	if (s->pending)
		return e->builders[n->kind] && e->builders[n->kind]->reads_sources_directly;
	return dep->kind == NODE_SOURCE ? s->keyed : s->done;
}

/* one entry per input; a pending source has none yet (engine_key_complete() adds it) */
static void describe_inputs(const struct node *n, struct record *rec)
{
	for (size_t i = 0; i < n->n_deps; i++) {
		const struct node *dep = n->deps[i];
		const struct node_state *s = node_state(dep);
		if (s->pending)
			continue;
		if (dep->kind == NODE_SOURCE) {
			char *label = xasprintf("input %s", dep->id);
			record_add(rec, label, "%s", s->key);
			free(label);
			continue;
		}
		for (size_t j = 0; j < s->n_outs; j++) {
			char *label = xasprintf("input %s %s", dep->id, s->outs[j].name);
			record_add(rec, label, "%s", s->outs[j].digest);
			free(label);
		}
	}
}

/* engine_describe(), saying how many entries come before the inputs' */
static int describe_node(struct engine *e, struct node *n, struct record *rec,
			 size_t *n_described, struct error *err)
{
	const struct builder *b = e->builders[n->kind];
	if (!b)
		return error_set(err, "%s: this mvbuild was built without a %s builder", n->id,
				 kind_label[n->kind]);
	record_add(rec, "kind", "%s", kind_label[n->kind]);
	char version[16];
	snprintf(version, sizeof(version), "%d", b->version);
	const char *builder[] = { b->name, version };
	record_add_words(rec, "builder", NULL, builder, ARRAY_SIZE(builder));
	if (b->describe(e->ctx, n, rec, err) < 0)
		return error_prefix(err, "%s", n->id);
	*n_described = rec->n;
	describe_inputs(n, rec);
	return 0;
}

int engine_describe(struct engine *e, struct node *n, struct record *rec, struct error *err)
{
	size_t n_described;
	return describe_node(e, n, rec, &n_described, err);
}

/* a copy of the first n entries of from, wheres and all */
static void record_copy_head(struct record *to, const struct record *from, size_t n)
{
	for (size_t i = 0; i < n && i < from->n; i++) {
		const struct record_entry *en = &from->entries[i];
		if (en->where)
			record_add_at(to, en->label, en->where, "%s", en->value);
		else
			record_add(to, en->label, "%s", en->value);
	}
}

/* whether label is the input line of a dependency of n that may be read directly */
static bool direct_input_label(struct engine *e, const struct node *n, const char *label)
{
	bool direct = false;
	for (size_t j = 0; j < n->n_deps && !direct; j++) {
		const struct node *dep = n->deps[j];
		const struct builder *b = e->builders[dep->kind];
		if (!b || !b->direct_path || strncmp(label, "input ", 6) != 0 ||
		    strcmp(label + 6, dep->id) != 0)
			continue;
		char *path = b->direct_path(dep);
		direct = path != NULL;
		free(path);
	}
	return direct;
}

void engine_seed_key(struct engine *e, const struct node *n, char seed[SHA256_HEX])
{
	const struct record *rec = &node_state(n)->rec;
	struct record seeded = RECORD_INIT;
	/* a pending input has no line yet; a keyed one's goes too, so both give one seed */
	for (size_t i = 0; i < rec->n; i++)
		if (!direct_input_label(e, n, rec->entries[i].label))
			record_add(&seeded, rec->entries[i].label, "%s", rec->entries[i].value);
	/* no builder writes this label: a seed is never another record's key */
	record_add(&seeded, "seed", "%s", "without the inputs read directly");
	record_key(&seeded, seed);
	record_release(&seeded);
}

void engine_key_complete(struct engine *e, struct node *n)
{
	(void)e;
	struct node_state *s = node_state(n);
	struct record rec = RECORD_INIT;
	record_copy_head(&rec, &s->rec, s->n_described);
	describe_inputs(n, &rec);
	record_release(&s->rec);
	s->rec = rec;
	record_key(&s->rec, s->key);
	s->speculative = false;
}

void engine_set_views(struct engine *e, struct node *n)
{
	struct node_state *s = node_state(n);
	s->views = xcalloc(s->n_outs + 1, sizeof(*s->views));
	s->view_paths = xcalloc(s->n_outs + 1, sizeof(*s->view_paths));
	for (size_t i = 0; i < s->n_outs; i++) {
		s->view_paths[i] = cache_blob_path(e->ctx->cache, s->outs[i].digest);
		s->views[i].dep_id = n->id;
		s->views[i].output = s->outs[i].name;
		s->views[i].path = s->view_paths[i];
		s->views[i].digest = s->outs[i].digest;
	}
}

/*
 * True when the output's blob is present, has the size the entry records
 * and (through the memo) its digest; a blob that fails is removed.
 */
static bool output_intact(struct engine *e, const struct node *n, const struct cache_output *o)
{
	char *path = cache_blob_path(e->ctx->cache, o->digest);
	char hex[SHA256_HEX];
	struct error err = ERROR_INIT;
	struct stat st;
	bool missing = stat(path, &st) < 0;
	bool ok = !missing && (uint64_t)st.st_size == o->size &&
		  digest_memo_file(e->ctx->memo, path, hex, &err) == 0 &&
		  strcmp(hex, o->digest) == 0;
	error_release(&err);
	if (!ok && !missing) {
		progress_note(e->ctx->progress, n->id,
			      "cached output '%s' is corrupt (blob %s); rebuilding", o->name, path);
		cache_remove_blob(e->ctx->cache, o->digest);
	}
	free(path);
	return ok;
}

/* take outs as n's outputs (ownership moves to n) */
static void adopt_outputs(struct engine *e, struct node *n, struct cache_output *outs,
			  size_t n_outs)
{
	struct node_state *s = node_state(n);
	cache_outputs_free(s->outs, s->n_outs);
	s->outs = outs;
	s->n_outs = n_outs;
	engine_set_views(e, n);
}

/* look key up in the local cache; a damaged entry is a miss that is said */
static int lookup_local(struct engine *e, struct node *n, struct record *rec,
			struct cache_output **outs, size_t *n_outs)
{
	struct error damage = ERROR_INIT;
	int hit = cache_get_action(e->ctx->cache, node_state(n)->key, rec, outs, n_outs, &damage);
	if (error_is_set(&damage))
		progress_note(e->ctx->progress, n->id, "%s; rebuilding", damage.msg);
	error_release(&damage);
	return hit;
}

int engine_lookup(struct engine *e, struct node *n)
{
	struct record rec = RECORD_INIT;
	struct cache_output *outs;
	size_t n_outs;
	int hit = lookup_local(e, n, &rec, &outs, &n_outs);
	record_release(&rec);
	if (hit <= 0)
		return hit;
	for (size_t i = 0; i < n_outs; i++) {
		if (!output_intact(e, n, &outs[i])) {
			cache_outputs_free(outs, n_outs);
			return 0;
		}
	}
	adopt_outputs(e, n, outs, n_outs);
	cache_touch_action(e->ctx->cache, node_state(n)->key);
	return 1;
}

int engine_fetch(struct engine *e, struct node *n)
{
	struct remote_fetched got = REMOTE_FETCHED_INIT;
	if (!remote_fetch(e->ctx->remote, e->ctx->cache, node_state(n)->key, n->id, &got))
		return 0;
	/*
	 * Downloaded blobs were verified while decoding; only the ones the
	 * local cache already held are checked, as a local hit's are.
	 */
	for (size_t i = 0; i < got.n_outs; i++) {
		if (!got.downloaded[i] && !output_intact(e, n, &got.outs[i])) {
			remote_fetched_release(&got);
			return 0;
		}
	}
	adopt_outputs(e, n, got.outs, got.n_outs);
	free(got.downloaded);
	return 1;
}

int engine_key_node(struct engine *e, struct node *n, struct error *err)
{
	struct node_state *s = node_state(n);
	if (s->keyed)
		return 1;
	bool speculative = false;
	for (size_t i = 0; i < n->n_deps; i++) {
		if (!dep_identity_known(e, n, n->deps[i]))
			return 0;
		speculative |= node_state(n->deps[i])->pending;
	}
	if (s->may_defer && engine_direct_pending(e, n))
		return 1;
	record_release(&s->rec);
	if (describe_node(e, n, &s->rec, &s->n_described, err) < 0)
		return -1;
	s->keyed = true;
	if (speculative) {
		/* no key to look up before it is built (engine_direct.c) */
		s->speculative = true;
		s->key[0] = '\0';
		return 1;
	}
	record_key(&s->rec, s->key);
	/* the remote is asked by a worker (engine_run.c), never here under the scheduler's lock */
	if (engine_lookup(e, n)) {
		s->done = true;
		engine_remember(e, n);
	}
	return 1;
}

static char *last_path(struct engine *e, const struct node *n)
{
	char *id = xstrdup(n->id);
	for (char *p = id; *p; p++)
		if (*p == ':' || *p == '/')
			*p = '_';
	char *path = cache_layout_path(cache_root(e->ctx->cache), CACHE_AREA_LAST, "%s/%s",
				       e->recipe_id, id);
	free(id);
	return path;
}

void engine_remember(struct engine *e, struct node *n)
{
	char *path = last_path(e, n);
	struct buf old = BUF_INIT;
	struct error err = ERROR_INIT;
	const char *key = node_state(n)->key;
	/* write only on change: the no-op build path stays read-only */
	if (read_file(path, 256, &old, &err) < 0 || strcmp(old.data, key) != 0) {
		error_release(&err);
		char *dir = path_dirname(path);
		if (mkdir_p(dir, 0755, &err) == 0)
			write_file_atomic(path, key, strlen(key), 0644, &err);
		free(dir);
	}
	error_release(&err);
	buf_release(&old);
	free(path);
}

int engine_key_closure(struct engine *e, struct node *target, struct error *err)
{
	for (size_t i = 0; i < target->n_deps; i++)
		if (engine_key_closure(e, target->deps[i], err) < 0)
			return -1;
	return engine_key_node(e, target, err) < 0 ? -1 : 0;
}

/* add one node's line: "ID: MESSAGE" to the text, and its state */
static void explain_say(struct explain *x, const struct node *n, const char *state,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void explain_say(struct explain *x, const struct node *n, const char *state,
			const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	buf_addf(&x->text, "%s: %s\n", n->id, msg);
	x->nodes = xrealloc(x->nodes, (x->n_nodes + 1) * sizeof(*x->nodes));
	x->nodes[x->n_nodes++] = (struct explain_node){ xstrdup(n->id), xstrdup(state), msg };
}

static char *strdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* the differences between n's last record and its current one, as text and as changes */
static void explain_diff(struct explain *x, const struct node *n, const struct record *old,
			 const struct record *new)
{
	struct record_change *c;
	size_t count = record_changes(old, new, &c);
	x->changes = xrealloc(x->changes, (x->n_changes + count + 1) * sizeof(*x->changes));
	for (size_t i = 0; i < count; i++)
		x->changes[x->n_changes++] = (struct explain_change){
			xstrdup(n->id), xstrdup(c[i].label), xstrdup(c[i].change),
			strdup_or_null(c[i].old_value), strdup_or_null(c[i].new_value),
			strdup_or_null(c[i].where),
		};
	free(c);
	struct buf diff = BUF_INIT;
	record_diff(old, new, &diff);
	for (char *line = diff.data, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		buf_addf(&x->text, "  %.*s\n", (int)(nl - line), line);
	}
	buf_release(&diff);
}

void engine_explain_release(struct explain *x)
{
	for (size_t i = 0; i < x->n_nodes; i++) {
		free(x->nodes[i].node);
		free(x->nodes[i].state);
		free(x->nodes[i].message);
	}
	for (size_t i = 0; i < x->n_changes; i++) {
		struct explain_change *c = &x->changes[i];
		free(c->node);
		free(c->label);
		free(c->change);
		free(c->old_value);
		free(c->new_value);
		free(c->where);
	}
	free(x->nodes);
	free(x->changes);
	buf_release(&x->text);
	*x = (struct explain)EXPLAIN_INIT;
}

static void explain_against_last(struct engine *e, struct node *n, struct explain *x)
{
	struct node_state *s = node_state(n);
	char *path = last_path(e, n);
	struct buf last = BUF_INIT;
	struct error ignored = ERROR_INIT; /* a missing file; a damaged entry, which is said */
	if (read_file(path, 256, &last, &ignored) < 0 || !hash_hex_is_valid(last.data, 64)) {
		explain_say(x, n, "never_built", "never built with this recipe");
		goto out;
	}
	struct record old = RECORD_INIT;
	struct cache_output *outs;
	size_t n_outs;
	int hit = cache_get_action(e->ctx->cache, last.data, &old, &outs, &n_outs, &ignored);
	if (hit == 0 && error_is_set(&ignored)) {
		explain_say(x, n, "evicted", "its last build is no longer in the cache (%s)",
			    ignored.msg);
	} else if (hit == 0) {
		explain_say(x, n, "evicted", "its last build is no longer in the cache");
	} else if (strcmp(last.data, s->key) == 0) {
		explain_say(x, n, "outputs_missing",
			    "same inputs as its last build, but its outputs are missing or corrupt");
	} else {
		explain_say(x, n, "changed", "stale, since its last build:");
		explain_diff(x, n, &old, &s->rec);
	}
	cache_outputs_free(outs, n_outs);
	record_release(&old);
out:
	error_release(&ignored);
	buf_release(&last);
	free(path);
}

static int explain_node(struct engine *e, struct node *n, struct explain *x, struct error *err)
{
	struct node_state *s = node_state(n);
	if (s->done) {
		explain_say(x, n, "up_to_date", "up to date");
		return 1;
	}
	if (!s->keyed) {
		for (size_t i = 0; i < n->n_deps; i++) {
			if (dep_identity_known(e, n, n->deps[i]))
				continue;
			explain_say(x, n, "needs_stale", "stale, because it needs %s, which is stale",
				    n->deps[i]->id);
			if (explain_node(e, n->deps[i], x, err) < 0)
				return -1;
		}
		return 0;
	}
	if (n->kind == NODE_SOURCE)
		explain_say(x, n, "not_fetched", "not in the cache yet (needs a download or copy)");
	explain_against_last(e, n, x);
	return 0;
}

int engine_explain_report(struct engine *e, struct node *node, struct explain *x,
			  struct error *err)
{
	if (engine_key_closure(e, node, err) < 0)
		return -1;
	return explain_node(e, node, x, err);
}

int engine_explain(struct engine *e, struct node *node, struct buf *out, struct error *err)
{
	struct explain x = EXPLAIN_INIT;
	int ret = engine_explain_report(e, node, &x, err);
	if (x.text.len)
		buf_add(out, x.text.data, x.text.len);
	engine_explain_release(&x);
	return ret;
}

/*
 * store a private copy of path (a regular file), and its plain sha256 and
 * sha512 (the checksums a recipe declares; the blob is named by its content
 * digest); the copy is what all three digests name
 */
static int import_snapshot(struct engine *e, const char *path, struct cache_output *out,
			   char sha256[SHA256_HEX], char sha512[HASH_MAX_HEX], struct error *err)
{
	char *scratch = NULL;
	if (cache_mkscratch(e->ctx->cache, "import", &scratch, err) < 0)
		return -1;
	char *copy = path_join(scratch, "file");
	struct stat st;
	int ret = -1;
	/* one read gives both checksums and the content digest the blob is stored under */
	const enum hash_algo algos[] = { HASH_SHA256, HASH_SHA512, HASH_CONTENT };
	char *const hexes[] = { sha256, sha512, out->digest };
	if (copy_file_sparse_opt(path, copy, 0444, false, err) < 0 ||
	    hash_file_hexes(copy, 3, algos, hexes, err) < 0)
		goto out;
	if (stat(copy, &st) < 0) {
		error_errno(err, errno, "cannot stat '%s'", copy);
		goto out;
	}
	out->size = (uint64_t)st.st_size;
	ret = cache_put_file_hashed(e->ctx->cache, copy, true, out->digest, err);
out:
	remove_tree(scratch);
	free(scratch);
	free(copy);
	return ret;
}

/*
 * The record and key of a source node declaring ALGO HEX: what `cache
 * import` and builder_blob_store() publish under, and what a source with
 * that checksum (or a blob of that sha256) looks up.
 */
static int checksum_key(struct engine *e, enum hash_algo algo, const char *hex,
			struct record *rec, char key[SHA256_HEX], struct error *err)
{
	struct source src = { .name = "import", .kind = SOURCE_URL, .has_checksum = true,
			      .algo = algo, .checksum = (char *)hex };
	struct node n = { .kind = NODE_SOURCE, .id = "source:import", .name = "import" };
	struct node_state s = { 0 };
	n.u.source = &src;
	n.engine_state = &s;
	int r = engine_describe(e, &n, rec, err);
	if (r == 0)
		record_key(rec, key);
	return r;
}

/* publish out (stored already) as the content of any source declaring ALGO HEX */
static int put_checksum_entry(struct engine *e, enum hash_algo algo, const char *hex,
			      const struct cache_output *out, struct error *err)
{
	struct record rec = RECORD_INIT;
	char key[SHA256_HEX];
	int r = checksum_key(e, algo, hex, &rec, key, err);
	if (r == 0)
		r = cache_put_action(e->ctx->cache, key, &rec, out, 1, err);
	record_release(&rec);
	return r;
}

/*
 * Import a file as the content of any source declaring its sha256 or
 * sha512: store the blob, then one action entry per checksum, keyed
 * exactly as a source node with that checksum is keyed.  Both digests are
 * of one private copy, so a file changed meanwhile cannot pair one
 * content's sha512 with another's blob.
 */
int engine_import(struct engine *e, const char *path, char sha256[SHA256_HEX],
		  char sha512[HASH_MAX_HEX], struct error *err)
{
	struct cache_output out = { .name = "file" };
	if (import_snapshot(e, path, &out, sha256, sha512, err) < 0)
		return error_prefix(err, "cannot import '%s'", path);
	const char *digests[] = { sha256, sha512 };
	const enum hash_algo algos[] = { HASH_SHA256, HASH_SHA512 };
	for (size_t i = 0; i < 2; i++)
		if (put_checksum_entry(e, algos[i], digests[i], &out, err) < 0)
			return error_prefix(err, "cannot import '%s'", path);
	return 0;
}

int builder_blob_lock(struct build_ctx *b, const char *sha256, struct error *err)
{
	struct record rec = RECORD_INIT;
	char key[SHA256_HEX];
	int ret = checksum_key(b->engine, HASH_SHA256, sha256, &rec, key, err);
	record_release(&rec);
	return ret < 0 ? -1 : cache_lock_key(b->engine->ctx->cache, key, err);
}

void builder_blob_unlock(int fd)
{
	cache_unlock_key(fd);
}

int builder_blob_find(struct build_ctx *b, const char *sha256, char **path, struct error *err)
{
	struct engine *e = b->engine;
	struct record rec = RECORD_INIT, got = RECORD_INIT;
	char key[SHA256_HEX];
	struct cache_output *outs = NULL;
	size_t n_outs = 0;
	*path = NULL;
	int ret = checksum_key(e, HASH_SHA256, sha256, &rec, key, err);
	record_release(&rec);
	if (ret < 0)
		return -1;
	struct error damage = ERROR_INIT;
	int hit = cache_get_action(e->ctx->cache, key, &got, &outs, &n_outs, &damage);
	if (error_is_set(&damage))
		progress_note(e->ctx->progress, b->node->id, "%s; downloading it again", damage.msg);
	error_release(&damage);
	if (hit == 1 && n_outs == 1 && output_intact(e, b->node, &outs[0]))
		*path = cache_blob_path(e->ctx->cache, outs[0].digest);
	if (hit == 1)
		cache_outputs_free(outs, n_outs);
	record_release(&got);
	return *path ? 0 : 1;
}

int builder_blob_store(struct build_ctx *b, const char *sha256, const char *file,
		       const char content[SHA256_HEX], struct error *err)
{
	struct engine *e = b->engine;
	struct cache_output out = { .name = "file" };
	struct stat st;
	if (stat(file, &st) < 0)
		return error_errno(err, errno, "cannot stat '%s'", file);
	out.size = (uint64_t)st.st_size;
	memcpy(out.digest, content, SHA256_HEX);
	/* moved into the CAS rather than copied: the caller's file comes back as a link */
	if (cache_put_file_hashed(e->ctx->cache, file, true, content, err) < 0)
		return -1;
	if (access(file, F_OK) != 0) {
		char *stored = cache_blob_path(e->ctx->cache, content);
		int r = link(stored, file) == 0 ? 0 : copy_file_sparse_opt(stored, file, 0444, false, err);
		free(stored);
		if (r < 0)
			return -1;
	}
	return put_checksum_entry(e, HASH_SHA256, sha256, &out, err);
}
