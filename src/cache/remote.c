/*
 * remote: the policy of the shared HTTP cache: what is fetched, verified,
 * installed and uploaded, and what happens when the remote misbehaves.
 *
 * Remote layout (bazel-remote / nginx WebDAV compatible):
 *   URL/ac/<action key>        a REAPI ActionResult (remote_reapi.c) whose output_files
 *                              name each output's blob in URL/cas/ by its digest there,
 *                              plus the output REMOTE_REAPI_RECORD: the signed
 *                              envelope (remote_sign.c), inlined and also in URL/cas/,
 *                              whose payload is
 *                                transit <content digest> <encoded sha256> <encoded size>
 *                                (one line per output)
 *                              followed by the exact local action entry (cache.c)
 *   URL/cas/<sha256>           an output in transit encoding (remote_codec.c), or a
 *                              signed envelope, named by the sha256 of the stored
 *                              bytes, so a server that checks CAS digests accepts it
 *
 * The ActionResult is not signed: only the envelope is trusted, and the
 * ActionResult must list exactly the outputs and transit digests the
 * envelope signs, or the entry is a miss.
 * Reading: the envelope must verify with a trusted key, the parsed record's
 * key must be the requested key, every blob must match its encoded digest
 * and, decoded, its content digest and size; blobs are installed first, the
 * action entry last.  Anything that does not verify is a miss and a warning.
 * Writing (only when enabled and a signing key is set): blobs first, then the
 * envelope, so no reader ever sees a record whose content is missing.
 * The first transport error or unexpected HTTP status disables the remote for
 * the rest of the run, with one warning; the build goes on locally.  So does
 * a request that misses its deadline or finds the run's time budget spent
 * (remote_http.c), so a slow remote costs a bounded time, never a stall.
 */
#include "cache/remote.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/progress.h"
#include "cache/remote_codec.h"
#include "cache/remote_http.h"
#include "cache/remote_reapi.h"
#include "cache/remote_sign.h"
#include "base/util.h"

#define RECORD_MAX (16u << 20)

struct remote {
	struct remote_http *http;      /* the server */
	struct progress *progress;     /* where warnings go */
	bool upload;                   /* uploading enabled (and possible) */
	uint64_t max_upload;           /* larger outputs stay local; 0 = no bound */
	struct remote_key *signing;    /* signs uploaded records, or NULL */
	struct remote_key **trusted;   /* keys whose records are accepted */
	size_t n_trusted;
	int down;                      /* set once it failed: unused for the rest of the run */
	int warned_untrusted;          /* "no trusted keys" said once */
	pthread_mutex_t lock;          /* guards misses */
	char **misses;                 /* keys already found absent or rejected this run */
	size_t n_misses;
};

/* one output's transit line */
struct transit {
	char content[SHA256_HEX];  /* sha256 of the output */
	char encoded[SHA256_HEX];  /* sha256 of its encoded form: the remote CAS name */
	uint64_t size;             /* bytes of the encoded form */
};

static void note(struct remote *r, const char *node_id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(struct remote *r, const char *node_id, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	progress_note(r->progress, node_id, "%s", msg);
	free(msg);
}

static bool usable(struct remote *r)
{
	return !__atomic_load_n(&r->down, __ATOMIC_ACQUIRE);
}

/* disable the remote for this run; the first caller warns */
static void failed(struct remote *r, const char *node_id, const char *why)
{
	int expected = 0;
	if (__atomic_compare_exchange_n(&r->down, &expected, 1, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		note(r, node_id, "remote cache %s: %s; building without it for the rest of this run",
		     remote_http_url(r->http), why);
}

/* true when key was already a miss this run (the engine asks again under its key lock) */
static bool known_miss(struct remote *r, const char *key)
{
	bool found = false;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_misses && !found; i++)
		found = strcmp(r->misses[i], key) == 0;
	pthread_mutex_unlock(&r->lock);
	return found;
}

static void remember_miss(struct remote *r, const char *key)
{
	pthread_mutex_lock(&r->lock);
	r->misses = xrealloc(r->misses, (r->n_misses + 1) * sizeof(*r->misses));
	r->misses[r->n_misses++] = xstrdup(key);
	pthread_mutex_unlock(&r->lock);
}

/*
 * Judge an HTTP result: 1 for a 2xx, 0 for 404 (absent), -1 after disabling
 * the remote for anything else (no answer, a server error, refused auth).
 */
static int judge(struct remote *r, const char *node_id, long status, const char *method,
		 const char *path, struct error *err)
{
	if (status >= 200 && status < 300)
		return 1;
	if (status == 404)
		return 0;
	char *why = status < 0 ? xstrdup(err->msg)
			       : xasprintf("%s %s answered HTTP %ld", method, path, status);
	failed(r, node_id, why);
	free(why);
	error_release(err);
	return -1;
}

static int load_keys(struct remote *r, const struct config *cfg, struct error *err)
{
	if (cfg->signing_key && remote_sign_key_load_private(&r->signing, cfg->signing_key, err) < 0)
		return error_prefix(err, "remote signing_key");
	r->trusted = xcalloc(cfg->n_trusted_keys + 1, sizeof(*r->trusted));
	for (size_t i = 0; i < cfg->n_trusted_keys; i++) {
		if (remote_sign_key_load_public(&r->trusted[i], cfg->trusted_keys[i], err) < 0)
			return error_prefix(err, "remote trusted_keys");
		r->n_trusted++;
	}
	return 0;
}

int remote_open(struct remote **out, const struct config *cfg, struct progress *p,
		struct error *err)
{
	*out = NULL;
	if (!cfg->remote_url || !*cfg->remote_url)
		return 0;
	struct remote *r = xcalloc(1, sizeof(*r));
	r->progress = p;
	pthread_mutex_init(&r->lock, NULL);
	r->max_upload = cfg->max_upload;
	if (remote_http_open(&r->http, cfg->remote_url, cfg, err) < 0 || load_keys(r, cfg, err) < 0) {
		err->kind = ERROR_USAGE; /* unreadable keys or credentials are bad settings */
		remote_close(r);
		return -1;
	}
	r->upload = cfg->remote_upload;
	if (r->upload && !r->signing) {
		note(r, NULL, "remote cache %s: not uploading: records must be signed, and no "
		     "remote signing_key is configured", remote_http_url(r->http));
		r->upload = false;
	}
	*out = r;
	return 0;
}

void remote_close(struct remote *r)
{
	if (!r)
		return;
	remote_http_close(r->http);
	remote_sign_key_free(r->signing);
	for (size_t i = 0; i < r->n_trusted; i++)
		remote_sign_key_free(r->trusted[i]);
	free(r->trusted);
	for (size_t i = 0; i < r->n_misses; i++)
		free(r->misses[i]);
	free(r->misses);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

bool remote_reads(struct remote *r)
{
	return r && usable(r);
}

bool remote_writes(struct remote *r)
{
	return r && r->upload && usable(r);
}

/* ---- fetching ----------------------------------------------------------- */

/* split a verified payload into transit lines and the action entry; -1 with err */
static int parse_payload(const char *p, size_t len, struct transit **tr, size_t *n_tr,
			 struct record *rec, struct cache_output **outs, size_t *n_outs,
			 struct error *err)
{
	const char *end = p + len;
	while (p < end && str_startswith(p, "transit ")) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct transit t;
		char *line = nl ? xstrndup(p, (size_t)(nl - p)) : NULL;
		int ok = line && sscanf(line, "transit %64s %64s %" SCNu64, t.content, t.encoded,
					&t.size) == 3 &&
			 hash_hex_is_valid(t.content, 64) && hash_hex_is_valid(t.encoded, 64);
		free(line);
		if (!ok)
			return error_set(err, "malformed transit line");
		*tr = xrealloc(*tr, (*n_tr + 1) * sizeof(**tr));
		(*tr)[(*n_tr)++] = t;
		p = nl + 1;
	}
	return cache_parse_action(p, (size_t)(end - p), rec, outs, n_outs, err);
}

static const struct transit *transit_for(const struct transit *tr, size_t n, const char *digest)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tr[i].content, digest) == 0)
			return &tr[i];
	return NULL;
}

/*
 * Download, check and install one output.  1 installed, 0 did not verify
 * (warned; a miss), -1 the remote failed (disabled).
 */
static int fetch_blob(struct remote *r, struct cache *c, const char *scratch, const char *node_id,
		      const struct cache_output *o, const struct transit *t)
{
	struct error err = ERROR_INIT;
	char *path = xasprintf("cas/%s", t->encoded);
	char *enc = path_join(scratch, "encoded"), *dec = path_join(scratch, "decoded");
	char got[SHA256_HEX], content[SHA256_HEX];
	uint64_t got_size = 0, content_size = 0;
	unlink(enc);
	unlink(dec);
	int ret = judge(r, node_id, remote_http_get_file(r->http, path, enc, t->size, got, &got_size, &err),
			"GET", path, &err);
	if (ret == 0) {
		note(r, node_id, "remote cache: %s is missing; building instead", path);
		goto out;
	}
	if (ret < 0)
		goto out;
	ret = 0;
	if (strcmp(got, t->encoded) != 0 || got_size != t->size) {
		note(r, node_id, "remote cache: %s does not match its digest; not installed", path);
		goto out;
	}
	if (remote_codec_decode(enc, dec, content, &content_size, &err) < 0 ||
	    strcmp(content, o->digest) != 0 || content_size != o->size) {
		note(r, node_id, "remote cache: output '%s' from %s does not verify%s%s; not installed",
		     o->name, path, err.msg ? ": " : "", err.msg ? err.msg : "");
		goto out;
	}
	/* decoding hashed the content already: install without reading it again */
	if (cache_put_file_hashed(c, dec, true, content, &err) < 0) {
		note(r, node_id, "remote cache: cannot install output '%s': %s", o->name, err.msg);
		goto out;
	}
	ret = 1;
out:
	error_release(&err);
	free(path);
	free(enc);
	free(dec);
	return ret;
}

/*
 * Fetch every output the local cache lacks, marking it in downloaded; 1 all
 * present, 0 or -1 as fetch_blob
 */
static int fetch_blobs(struct remote *r, struct cache *c, const char *node_id,
		       const struct cache_output *outs, size_t n_outs, const struct transit *tr,
		       size_t n_tr, bool *downloaded)
{
	char *scratch = NULL;
	struct error err = ERROR_INIT;
	int ret = 1;
	for (size_t i = 0; i < n_outs && ret == 1; i++) {
		if (cache_has_blob(c, outs[i].digest))
			continue;
		const struct transit *t = transit_for(tr, n_tr, outs[i].digest);
		if (!t) {
			note(r, node_id, "remote cache: record has no transit line for output '%s'",
			     outs[i].name);
			ret = 0;
		} else if (!scratch && cache_mkscratch(c, "remote", &scratch, &err) < 0) {
			note(r, node_id, "remote cache: %s", err.msg);
			ret = 0;
		} else {
			ret = fetch_blob(r, c, scratch, node_id, &outs[i], t);
			downloaded[i] = ret == 1;
		}
	}
	if (scratch)
		remove_tree(scratch);
	free(scratch);
	error_release(&err);
	return ret;
}

/*
 * The signed envelope an ActionResult names: its inlined contents, else
 * URL/cas/<digest> read into fetched; either must match the digest.  1 with
 * *env pointing at it, 0 a miss (warned), -1 the remote failed.
 */
static int envelope_of(struct remote *r, const char *key, const char *node_id,
		       const struct remote_reapi_result *ar, struct buf *fetched,
		       const char **env, size_t *env_len)
{
	struct error err = ERROR_INIT;
	const struct remote_reapi_file *f = remote_reapi_find(ar, REMOTE_REAPI_RECORD);
	char got[SHA256_HEX];
	if (!f) {
		note(r, node_id, "remote cache: ignoring ac/%.16s: its ActionResult has no %s "
		     "(not written by mvbuild)", key, REMOTE_REAPI_RECORD);
		return 0;
	}
	if (f->contents) {
		*env = f->contents;
		*env_len = f->contents_len;
	} else {
		char *path = xasprintf("cas/%s", f->hash);
		int ret = f->size > RECORD_MAX ? 0 :
			judge(r, node_id, remote_http_get_buf(r->http, path, RECORD_MAX, fetched, &err),
			      "GET", path, &err);
		free(path);
		if (ret <= 0) {
			if (ret == 0)
				note(r, node_id, "remote cache: ignoring ac/%.16s: its signed record "
				     "is missing or too large", key);
			return ret;
		}
		*env = fetched->data;
		*env_len = fetched->len;
	}
	hash_buffer_hex(HASH_SHA256, *env, *env_len, got);
	if (strcmp(got, f->hash) != 0 || *env_len != f->size) {
		note(r, node_id, "remote cache: ignoring ac/%.16s: its signed record does not match "
		     "its digest", key);
		return 0;
	}
	return 1;
}

/*
 * True when the (unsigned) ActionResult lists exactly what the signed
 * record holds: each output by its transit digest, and the record itself.
 */
static bool describes(const struct remote_reapi_result *ar, const struct cache_output *outs,
		      size_t n_outs, const struct transit *tr, size_t n_tr)
{
	if (ar->n_files != n_outs + 1)
		return false;
	for (size_t i = 0; i < n_outs; i++) {
		const struct transit *t = transit_for(tr, n_tr, outs[i].digest);
		const struct remote_reapi_file *f = remote_reapi_find(ar, outs[i].name);
		if (!t || !f || strcmp(f->hash, t->encoded) != 0 || f->size != t->size)
			return false;
	}
	return true;
}

/*
 * Check and install a fetched ActionResult; 1 installed (got filled), 0 a
 * miss, -1 the remote failed
 */
static int install_record(struct remote *r, struct cache *c, const char *key, const char *node_id,
			  const struct buf *text, struct remote_fetched *got)
{
	struct error err = ERROR_INIT;
	struct record rec = RECORD_INIT;
	struct cache_output *outs = NULL;
	struct transit *tr = NULL;
	bool *downloaded = NULL;
	size_t n_outs = 0, n_tr = 0, plen;
	const char *payload;
	char got_key[SHA256_HEX];
	struct remote_reapi_result ar = REMOTE_REAPI_RESULT_INIT;
	struct buf fetched = BUF_INIT;
	const char *env;
	size_t env_len;
	int ret = 0;
	if (remote_reapi_decode(text->data, text->len, &ar, &err) < 0) {
		/* entries of mvbuild before the ActionResult format land here too */
		note(r, node_id, "remote cache: ignoring ac/%.16s: %s", key, err.msg);
		goto out;
	}
	if ((ret = envelope_of(r, key, node_id, &ar, &fetched, &env, &env_len)) <= 0)
		goto out;
	ret = 0;
	if (remote_sign_verify(r->trusted, r->n_trusted, env, env_len, &payload, &plen,
			  &err) < 0) {
		note(r, node_id, "remote cache: ignoring ac/%.16s: %s", key, err.msg);
		goto out;
	}
	if (parse_payload(payload, plen, &tr, &n_tr, &rec, &outs, &n_outs, &err) < 0) {
		note(r, node_id, "remote cache: ignoring ac/%.16s: %s", key, err.msg);
		goto out;
	}
	record_key(&rec, got_key);
	if (strcmp(got_key, key) != 0) {
		note(r, node_id, "remote cache: ignoring ac/%.16s: it holds the record of another "
		     "action (%.16s)", key, got_key);
		goto out;
	}
	if (!describes(&ar, outs, n_outs, tr, n_tr)) {
		note(r, node_id, "remote cache: ignoring ac/%.16s: its ActionResult does not list "
		     "exactly the outputs its signed record holds", key);
		goto out;
	}
	downloaded = xcalloc(n_outs + 1, sizeof(*downloaded));
	ret = fetch_blobs(r, c, node_id, outs, n_outs, tr, n_tr, downloaded);
	if (ret == 1 && cache_put_action(c, key, &rec, outs, n_outs, &err) < 0) {
		note(r, node_id, "remote cache: cannot install the record: %s", err.msg);
		ret = 0;
	}
	if (ret == 1) {
		/* the caller gets the outputs, so nothing is read or hashed again */
		*got = (struct remote_fetched){ outs, n_outs, downloaded };
		outs = NULL;
		n_outs = 0;
		downloaded = NULL;
	}
out:
	error_release(&err);
	record_release(&rec);
	cache_outputs_free(outs, n_outs);
	free(downloaded);
	free(tr);
	remote_reapi_release(&ar);
	buf_release(&fetched);
	return ret;
}

void remote_fetched_release(struct remote_fetched *got)
{
	cache_outputs_free(got->outs, got->n_outs);
	free(got->downloaded);
	*got = (struct remote_fetched)REMOTE_FETCHED_INIT;
}

int remote_fetch(struct remote *r, struct cache *c, const char *key, const char *node_id,
		 struct remote_fetched *got)
{
	if (!r || !usable(r) || known_miss(r, key))
		return 0;
	struct error err = ERROR_INIT;
	struct buf text = BUF_INIT;
	char *path = xasprintf("ac/%s", key);
	double start = now_monotonic();
	int ret = judge(r, node_id, remote_http_get_buf(r->http, path, RECORD_MAX, &text, &err),
			"GET", path, &err);
	if (ret <= 0) {
		ret = 0;
		goto out;
	}
	if (r->n_trusted == 0) {
		if (!__atomic_exchange_n(&r->warned_untrusted, 1, __ATOMIC_ACQ_REL))
			note(r, node_id, "remote cache %s: no remote trusted_keys configured, so no "
			     "remote record is trusted", remote_http_url(r->http));
		ret = 0;
		goto out;
	}
	ret = install_record(r, c, key, node_id, &text, got) == 1;
	if (ret)
		progress_event(r->progress, node_id, "fetched", now_monotonic() - start,
			       "from the remote cache");
out:
	if (!ret)
		remember_miss(r, key);
	error_release(&err);
	buf_release(&text);
	free(path);
	return ret;
}

/* ---- uploading ---------------------------------------------------------- */

/* encode and upload one output unless the remote has it; fills t; 1 done, 0 skipped, -1 failed */
static int upload_blob(struct remote *r, struct cache *c, const char *scratch, const char *node_id,
		       const struct cache_output *o, struct transit *t)
{
	struct error err = ERROR_INIT;
	char *blob = cache_blob_path(c, o->digest), *enc = path_join(scratch, "encoded");
	char *path = NULL;
	int ret = 0;
	unlink(enc);
	if (r->max_upload && file_allocated(blob) > r->max_upload) {
		char size[32];
		format_size(file_allocated(blob), size, sizeof(size));
		note(r, node_id, "remote cache: not uploading: output '%s' holds %s, more than "
		     "remote max_upload", o->name, size);
		goto out;
	}
	memcpy(t->content, o->digest, SHA256_HEX);
	if (remote_codec_encode(blob, enc, t->encoded, &t->size, &err) < 0) {
		note(r, node_id, "remote cache: not uploading: %s", err.msg);
		goto out;
	}
	path = xasprintf("cas/%s", t->encoded);
	ret = judge(r, node_id, remote_http_head(r->http, path, &err), "HEAD", path, &err);
	if (ret == 0)
		ret = judge(r, node_id, remote_http_put_file(r->http, path, enc, &err), "PUT", path,
			    &err);
	else if (ret > 0)
		ret = 1;
out:
	error_release(&err);
	free(blob);
	free(enc);
	free(path);
	return ret;
}

/*
 * Upload the signed envelope to URL/cas/ (so servers that check an
 * ActionResult's blobs find it), then the ActionResult naming it and every
 * output's blob (tr) to URL/ac/<key>; 1 done, 0 skipped, -1 failed
 */
static int upload_action_result(struct remote *r, const char *key, const char *node_id,
				const struct buf *envelope, const struct cache_output *outs,
				size_t n_outs, const struct transit *tr)
{
	struct error err = ERROR_INIT;
	struct remote_reapi_file *files = xcalloc(n_outs + 1, sizeof(*files));
	struct remote_reapi_file *rec = &files[n_outs];
	struct buf ar = BUF_INIT;
	for (size_t i = 0; i < n_outs; i++) {
		files[i].path = outs[i].name;
		memcpy(files[i].hash, tr[i].encoded, SHA256_HEX);
		files[i].size = tr[i].size;
	}
	rec->path = xstrdup(REMOTE_REAPI_RECORD);
	hash_buffer_hex(HASH_SHA256, envelope->data, envelope->len, rec->hash);
	rec->size = envelope->len;
	rec->contents = envelope->data; /* inlined: a reader needs no second request */
	rec->contents_len = envelope->len;
	char *cas = xasprintf("cas/%s", rec->hash), *ac = xasprintf("ac/%s", key);
	int ret = judge(r, node_id, remote_http_head(r->http, cas, &err), "HEAD", cas, &err);
	if (ret == 0)
		ret = judge(r, node_id, remote_http_put_buf(r->http, cas, envelope->data,
							    envelope->len, &err), "PUT", cas, &err);
	if (ret > 0) {
		remote_reapi_encode(files, n_outs + 1, &ar);
		ret = judge(r, node_id, remote_http_put_buf(r->http, ac, ar.data, ar.len, &err),
			    "PUT", ac, &err);
	}
	free(rec->path);
	free(files);
	free(cas);
	free(ac);
	buf_release(&ar);
	return ret;
}

/* upload the outputs, then the signed record; 1 done, 0 skipped, -1 failed */
static int upload_entry(struct remote *r, struct cache *c, const char *key, const char *node_id,
			const struct record *rec, const struct cache_output *outs, size_t n_outs)
{
	struct error err = ERROR_INIT;
	struct buf payload = BUF_INIT, envelope = BUF_INIT;
	struct transit *tr = xcalloc(n_outs + 1, sizeof(*tr));
	char *scratch = NULL;
	int ret = 0;
	if (n_outs && cache_mkscratch(c, "remote", &scratch, &err) < 0) {
		note(r, node_id, "remote cache: not uploading: %s", err.msg);
		goto out;
	}
	for (size_t i = 0; i < n_outs; i++)
		if ((ret = upload_blob(r, c, scratch, node_id, &outs[i], &tr[i])) <= 0)
			goto out;
	for (size_t i = 0; i < n_outs; i++)
		buf_addf(&payload, "transit %s %s %" PRIu64 "\n", tr[i].content, tr[i].encoded,
			 tr[i].size);
	cache_format_action(rec, outs, n_outs, &payload);
	if (remote_sign(r->signing, payload.data, payload.len, &envelope, &err) < 0) {
		note(r, node_id, "remote cache: not uploading: %s", err.msg);
		ret = 0;
		goto out;
	}
	ret = upload_action_result(r, key, node_id, &envelope, outs, n_outs, tr);
out:
	if (scratch)
		remove_tree(scratch);
	free(scratch);
	free(tr);
	buf_release(&payload);
	buf_release(&envelope);
	error_release(&err);
	return ret;
}

void remote_upload(struct remote *r, struct cache *c, const char *key, const char *node_id)
{
	if (!r || !r->upload || !usable(r))
		return;
	struct error err = ERROR_INIT;
	struct record rec = RECORD_INIT;
	struct cache_output *outs = NULL;
	size_t n_outs = 0;
	char *path = xasprintf("ac/%s", key);
	double start = now_monotonic();
	/* already there (written by another builder of the same action): nothing to do */
	if (judge(r, node_id, remote_http_head(r->http, path, &err), "HEAD", path, &err) != 0)
		goto out;
	if (cache_get_action(c, key, &rec, &outs, &n_outs, &err) != 1)
		goto out;
	if (upload_entry(r, c, key, node_id, &rec, outs, n_outs) == 1)
		progress_event(r->progress, node_id, "uploaded", now_monotonic() - start,
			       "to the remote cache");
out:
	error_release(&err);
	record_release(&rec);
	cache_outputs_free(outs, n_outs);
	free(path);
}
