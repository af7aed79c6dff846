/*
 * cache_gc: gc and verify over the layout described in cache.c.
 *
 * What gc may remove from each area is cache_layout.c's table, not this
 * file's: gc visits the areas by rule.  Order: the areas emptied whole
 * (scratch files, key locks: no build runs while we hold the exclusive
 * lock, so none of them is in use) and gone runs' directories (a one-run
 * directory, marked by a pid file, whose lock no process holds; persistent
 * ones are kept), then action entries by age, then the least recently used
 * entries (action entry mtime, refreshed on every hit) until the blobs
 * they keep fit in max_size, then every blob no remaining entry names,
 * then the areas that go by age only (kernel trees).
 *
 * Every deletion walks from the cache root with directory fds and
 * O_NOFOLLOW, so a symlink anywhere in the cache (tmp/ -> $HOME, say) is
 * removed or skipped, never followed.
 */
#include "cache/cache_gc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "cache/cache_layout.h"

struct ac_entry {
	char *rel;                  /* ac/ab/<key>, relative to the cache root */
	time_t mtime;               /* last use */
	struct cache_output *outs;  /* blobs it keeps */
	size_t n_outs;
	bool removed;
};

struct blob {
	char digest[SHA256_HEX];
	uint64_t bytes;   /* allocated on disk */
	unsigned refs;    /* remaining entries naming it */
};

/*
 * Call fn(path, name, arg) for each file of the fanned-out area, ROOT/AREA/
 * <2 hex>/.  name is the digest: the fan-out prefix plus the file name
 * where the area's names are short (cas/sha256/ab/cdef...), the file name
 * alone otherwise (ac/ab/abcdef...).
 */
static void for_each_fanout(const char *root, enum cache_area area,
			    void (*fn)(const char *, const char *, void *), void *arg)
{
	bool prefixed = cache_layout_short_names(area);
	char *dir = cache_layout_dir(root, area);
	/* a symlinked fan-out directory is skipped: what it points at is not the cache */
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		free(dir);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) != 2)
			continue;
		char *sub = path_join(dir, e->d_name);
		int sfd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *s = sfd >= 0 ? fdopendir(sfd) : NULL;
		if (!s && sfd >= 0)
			close(sfd);
		struct dirent *f;
		while (s && (f = readdir(s))) {
			if (f->d_name[0] == '.')
				continue;
			char *path = path_join(sub, f->d_name);
			char *name = xasprintf("%s%s", prefixed ? e->d_name : "", f->d_name);
			fn(path, name, arg);
			free(name);
			free(path);
		}
		if (s)
			closedir(s);
		free(sub);
	}
	closedir(d);
	free(dir);
}

struct gc_state {
	struct cache *c;
	int rootfd;              /* the cache root: every deletion starts here */
	struct ac_entry *acs;
	size_t n_acs;
	struct blob *blobs;
	size_t n_blobs;
};

static void collect_ac(const char *path, const char *name, void *arg)
{
	struct gc_state *g = arg;
	struct stat st;
	if (!hash_hex_is_valid(name, 64) || stat(path, &st) < 0)
		return;
	struct record rec = RECORD_INIT;
	struct ac_entry a = { .rel = cache_layout_relpath(CACHE_AREA_AC, name), .mtime = st.st_mtime };
	struct error err = ERROR_INIT;
	if (cache_get_action(g->c, name, &rec, &a.outs, &a.n_outs, &err) <= 0)
		a.removed = true; /* unreadable entries were dropped by the lookup */
	record_release(&rec);
	error_release(&err);
	g->acs = xrealloc(g->acs, (g->n_acs + 1) * sizeof(*g->acs));
	g->acs[g->n_acs++] = a;
}

static void collect_blob(const char *path, const char *name, void *arg)
{
	struct gc_state *g = arg;
	if (!hash_hex_is_valid(name, 64))
		return;
	g->blobs = xrealloc(g->blobs, (g->n_blobs + 1) * sizeof(*g->blobs));
	struct blob *b = &g->blobs[g->n_blobs++];
	memcpy(b->digest, name, SHA256_HEX);
	b->bytes = file_allocated(path);
	b->refs = 0;
}

static int blob_cmp(const void *a, const void *b)
{
	return strcmp(((const struct blob *)a)->digest, ((const struct blob *)b)->digest);
}

static int ac_by_age(const void *a, const void *b)
{
	time_t ta = ((const struct ac_entry *)a)->mtime, tb = ((const struct ac_entry *)b)->mtime;
	return ta < tb ? -1 : ta > tb;
}

static struct blob *find_blob(struct gc_state *g, const char *digest)
{
	struct blob key;
	memcpy(key.digest, digest, SHA256_HEX);
	return bsearch(&key, g->blobs, g->n_blobs, sizeof(key), blob_cmp);
}

/* drop entry a: its blobs lose a reference; returns bytes freed */
static uint64_t drop_entry(struct gc_state *g, struct ac_entry *a, struct gc_stats *st)
{
	uint64_t freed = 0;
	remove_beneath(g->rootfd, a->rel);
	a->removed = true;
	st->actions_removed++;
	for (size_t i = 0; i < a->n_outs; i++) {
		struct blob *b = find_blob(g, a->outs[i].digest);
		if (b && b->refs && --b->refs == 0)
			freed += b->bytes;
	}
	return freed;
}

/*
 * Remove everything directly under the area older than cutoff (0:
 * everything) but the name the layout keeps; fn, when set, must also
 * agree.  A symlinked area is left alone.
 */
static unsigned long clean_dir(int rootfd, enum cache_area area, time_t cutoff,
			       bool (*fn)(int dirfd, const char *name))
{
	const char *keep = cache_layout_gc_keep(area);
	int fd = dir_open_beneath(rootfd, cache_layout_name(area));
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	unsigned long removed = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (keep && strcmp(e->d_name, keep) == 0))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (cutoff == 0 || st.st_mtime < cutoff) && (!fn || fn(dirfd(d), e->d_name))) {
			remove_tree_at(dirfd(d), e->d_name);
			removed++;
		}
	}
	closedir(d);
	return removed;
}

/*
 * A run directory whose run is gone: a one-run directory (it has a pid
 * file; persistent ones have none and keep the guest's disk) whose lock no
 * process holds.
 */
static bool run_is_stale(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	bool stale = false;
	if (fstatat(fd, CACHE_LAYOUT_RUN_PID, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
		int lock = openat(fd, CACHE_LAYOUT_RUN_LOCK, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		stale = lock < 0 || flock(lock, LOCK_EX | LOCK_NB) == 0;
		if (lock >= 0)
			close(lock);
	}
	close(fd);
	return stale;
}

/* rmdir each fan-out directory of the area that gc emptied (rmdir fails on the others) */
static void remove_empty_fanouts(int rootfd, enum cache_area area)
{
	int fd = dir_open_beneath(rootfd, cache_layout_name(area));
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	if (d)
		closedir(d);
	else if (fd >= 0)
		close(fd);
}

static void gc_state_release(struct gc_state *g)
{
	for (size_t i = 0; i < g->n_acs; i++) {
		free(g->acs[i].rel);
		cache_outputs_free(g->acs[i].outs, g->acs[i].n_outs);
	}
	free(g->acs);
	free(g->blobs);
}

/* clean every area whose gc rule is rule; returns the count removed */
static unsigned long clean_by_rule(int rootfd, enum cache_gc_rule rule, time_t cutoff,
				   bool (*fn)(int dirfd, const char *name))
{
	unsigned long removed = 0;
	for (enum cache_area a = 0; a < CACHE_AREA_COUNT; a++)
		if (cache_layout_gc_rule(a) == rule)
			removed += clean_dir(rootfd, a, cutoff, fn);
	return removed;
}

/*
 * The action cache and the CAS, which go together: entries too old (cutoff)
 * or least recently used beyond max_size, then every blob no entry names.
 */
static void gc_entries(struct gc_state *g, const struct gc_options *opt, time_t cutoff,
		       struct gc_stats *st)
{
	const char *root = cache_root(g->c);
	for_each_fanout(root, CACHE_AREA_CAS, collect_blob, g);
	if (g->n_blobs)
		qsort(g->blobs, g->n_blobs, sizeof(*g->blobs), blob_cmp);
	for_each_fanout(root, CACHE_AREA_AC, collect_ac, g);
	if (g->n_acs)
		qsort(g->acs, g->n_acs, sizeof(*g->acs), ac_by_age);
	for (size_t i = 0; i < g->n_blobs; i++)
		st->bytes_before += g->blobs[i].bytes;
	for (size_t i = 0; i < g->n_acs; i++)
		for (size_t j = 0; !g->acs[i].removed && j < g->acs[i].n_outs; j++) {
			struct blob *b = find_blob(g, g->acs[i].outs[j].digest);
			if (b)
				b->refs++;
		}
	uint64_t kept = 0;
	for (size_t i = 0; i < g->n_blobs; i++)
		if (g->blobs[i].refs)
			kept += g->blobs[i].bytes;

	for (size_t i = 0; i < g->n_acs; i++) {
		struct ac_entry *a = &g->acs[i];
		if (a->removed)
			continue;
		bool too_old = cutoff && a->mtime < cutoff;
		bool too_big = opt->max_size && kept > opt->max_size;
		if (too_old || too_big)
			kept -= drop_entry(g, a, st);
	}
	for (size_t i = 0; i < g->n_blobs; i++) {
		if (g->blobs[i].refs)
			continue;
		char *rel = cache_blob_relpath(g->blobs[i].digest);
		remove_beneath(g->rootfd, rel);
		free(rel);
		st->blobs_removed++;
	}
	st->bytes_after = kept;
	remove_empty_fanouts(g->rootfd, CACHE_AREA_CAS);
	remove_empty_fanouts(g->rootfd, CACHE_AREA_AC);
}

int cache_gc(struct cache *c, const struct gc_options *opt, struct gc_stats *st, struct error *err)
{
	memset(st, 0, sizeof(*st));
	if (cache_lock_exclusive(c, err) < 0)
		return -1;
	const char *root = cache_root(c);
	struct gc_state g = { .c = c, .rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
	if (g.rootfd < 0)
		return error_errno(err, errno, "cannot open cache '%s'", root);
	time_t cutoff = opt->max_age_days > 0 ? time(NULL) - (time_t)(opt->max_age_days * 86400) : 0;
	st->temps_removed = clean_by_rule(g.rootfd, CACHE_GC_ALL, 0, NULL);
	st->runs_removed = clean_by_rule(g.rootfd, CACHE_GC_GONE_RUNS, 0, run_is_stale);
	gc_entries(&g, opt, cutoff, st);
	if (cutoff)
		st->trees_removed = clean_by_rule(g.rootfd, CACHE_GC_BY_AGE, cutoff, NULL);
	gc_state_release(&g);
	close(g.rootfd);
	return 0;
}

struct verify_state {
	struct cache *c;
	struct verify_stats *st;
	struct buf *report;
};

static void verify_blob(const char *path, const char *name, void *arg)
{
	struct verify_state *v = arg;
	char hex[HASH_MAX_HEX];
	struct error err = ERROR_INIT;
	struct stat st;
	v->st->blobs++;
	if (lstat(path, &st) == 0)
		v->st->bytes += (uint64_t)st.st_size;
	if (hash_file_hex(HASH_CONTENT, path, hex, &err) < 0) {
		buf_addf(v->report, "unreadable blob '%s': %s\n", path, err.msg);
		v->st->corrupt++;
	} else if (!hash_hex_is_valid(name, 64) || strcmp(hex, name) != 0) {
		/* a cache written before the content digest names blobs by their plain sha256 */
		char plain[SHA256_HEX];
		if (hash_file_hex(HASH_SHA256, path, plain, &err) == 0 && strcmp(plain, name) == 0)
			buf_addf(v->report, "blob '%s' is from an older mvbuild (named by the plain sha256 "
				 "of its bytes, not by its content digest %s); gc removes it once no "
				 "entry names it\n", path, hex);
		else
			buf_addf(v->report, "corrupt blob '%s': content hashes to %s\n", path, hex);
		v->st->corrupt++;
	} else if (st.st_mode & 0222) {
		buf_addf(v->report, "writable blob '%s' (published blobs are read-only)\n", path);
		v->st->corrupt++;
	}
	error_release(&err);
}

/* an entry is checked whole (seal, key) by the lookup; its blobs must exist with its sizes */
static void verify_action(const char *path, const char *name, void *arg)
{
	struct verify_state *v = arg;
	struct record rec = RECORD_INIT;
	struct cache_output *outs = NULL;
	size_t n = 0;
	struct error err = ERROR_INIT;
	v->st->actions++;
	if (cache_get_action(v->c, name, &rec, &outs, &n, &err) <= 0) {
		buf_addf(v->report, "damaged action entry '%s' (removed): %s\n", path,
			 err.msg ? err.msg : "unreadable");
		v->st->corrupt++;
	}
	for (size_t i = 0; i < n; i++) {
		char *blob = cache_blob_path(v->c, outs[i].digest);
		struct stat st;
		if (stat(blob, &st) < 0) {
			buf_addf(v->report, "action entry '%s': output '%s' blob %s is missing\n", path,
				 outs[i].name, outs[i].digest);
			v->st->missing++;
		} else if ((uint64_t)st.st_size != outs[i].size) {
			buf_addf(v->report, "action entry '%s': output '%s' blob %s has %llu bytes, "
				 "not %llu\n", path, outs[i].name, outs[i].digest,
				 (unsigned long long)st.st_size, (unsigned long long)outs[i].size);
			v->st->corrupt++;
		}
		free(blob);
	}
	record_release(&rec);
	cache_outputs_free(outs, n);
	error_release(&err);
}

int cache_gc_verify(struct cache *c, struct verify_stats *st, struct buf *report, struct error *err)
{
	memset(st, 0, sizeof(*st));
	/* shared: verify reads only, so builds may run, but gc may not */
	if (cache_lock_shared(c, err) < 0)
		return -1;
	struct verify_state v = { c, st, report };
	for_each_fanout(cache_root(c), CACHE_AREA_CAS, verify_blob, &v);
	for_each_fanout(cache_root(c), CACHE_AREA_AC, verify_action, &v);
	return 0;
}
