/*
 * Unit tests for cache_layout: every area has its own name, every path it
 * gives is under the root, a stored script finds the root from a blob's
 * directory, and gc does to each area what the layout's table says (run
 * against a real cache with an old entry in every area).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/util.h"
#include "cache/cache.h"
#include "cache/cache_gc.h"
#include "cache/cache_layout.h"
#include "tap.h"

#define DIGEST "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* names: set, relative, distinct, and none inside another (gc would clean one twice) */
static void test_names(void)
{
	bool ok_names = true, distinct = true;
	for (enum cache_area a = 0; a < CACHE_AREA_COUNT; a++) {
		const char *n = cache_layout_name(a);
		if (!n || !*n || n[0] == '/' || strstr(n, ".."))
			ok_names = false;
		for (enum cache_area b = 0; b < CACHE_AREA_COUNT; b++) {
			const char *m = cache_layout_name(b);
			size_t len = strlen(n);
			if (a != b && (strcmp(n, m) == 0 || (strncmp(n, m, len) == 0 && m[len] == '/')))
				distinct = false;
		}
	}
	ok(ok_names, "every area has a relative name without '..'");
	ok(distinct, "every area has a distinct name, none inside another");
	is_str(cache_layout_name(CACHE_AREA_KBUILD), "kbuild", "kbuild's name");
	is_str(cache_layout_name(CACHE_AREA_CAS), "cas/sha256", "the CAS's name");
}

static void test_paths(void)
{
	const char *root = "/c";
	bool under = true;
	for (enum cache_area a = 0; a < CACHE_AREA_COUNT; a++) {
		char *dir = cache_layout_dir(root, a);
		char *path = cache_layout_path(root, a, "%s-%d", "x", 1);
		char *want_dir = xasprintf("/c/%s", cache_layout_name(a));
		char *want_path = xasprintf("%s/x-1", want_dir);
		if (strcmp(dir, want_dir) != 0 || strcmp(path, want_path) != 0)
			under = false;
		free(dir);
		free(path);
		free(want_dir);
		free(want_path);
	}
	ok(under, "every area's dir and paths are ROOT/NAME[/SUB]");
	char *blob = cache_layout_relpath(CACHE_AREA_CAS, DIGEST);
	char *entry = cache_layout_relpath(CACHE_AREA_AC, DIGEST);
	char *want_blob = xasprintf("cas/sha256/ab/%s", DIGEST + 2);
	is_str(blob, want_blob, "a blob drops the fan-out digits");
	free(want_blob);
	is_str(entry, "ac/ab/" DIGEST, "an action entry keeps them");
	char *via_cache = cache_blob_relpath(DIGEST);
	is_str(via_cache, blob, "cache_blob_relpath is the layout's");
	char *up = cache_layout_root_from(CACHE_AREA_CAS);
	is_str(up, "../../..", "a blob's directory is three levels below the root");
	char *up_ac = cache_layout_root_from(CACHE_AREA_AC);
	is_str(up_ac, "../..", "an entry's directory is two levels below the root");
	free(blob);
	free(entry);
	free(via_cache);
	free(up);
	free(up_ac);
}

static void test_rules(void)
{
	ok(cache_layout_gc_rule(CACHE_AREA_TMP) == CACHE_GC_ALL, "gc empties tmp");
	ok(cache_layout_gc_rule(CACHE_AREA_LOCKS) == CACHE_GC_ALL, "gc empties locks");
	is_str(cache_layout_gc_keep(CACHE_AREA_LOCKS), CACHE_LAYOUT_GC_LOCK, "... but its own lock");
	ok(cache_layout_gc_rule(CACHE_AREA_RUN) == CACHE_GC_GONE_RUNS, "gc removes gone runs");
	ok(cache_layout_gc_rule(CACHE_AREA_AC) == CACHE_GC_ENTRIES, "gc drops entries by age/LRU");
	ok(cache_layout_gc_rule(CACHE_AREA_CAS) == CACHE_GC_UNNAMED, "gc drops unnamed blobs");
	ok(cache_layout_gc_rule(CACHE_AREA_MEMO) == CACHE_GC_NEVER, "gc keeps memo");
	ok(cache_layout_gc_rule(CACHE_AREA_LAST) == CACHE_GC_NEVER, "gc keeps last");
	ok(cache_layout_gc_rule(CACHE_AREA_SRC) == CACHE_GC_BY_AGE, "gc ages out src");
	ok(cache_layout_gc_rule(CACHE_AREA_KBUILD) == CACHE_GC_BY_AGE, "gc ages out kbuild");
}

/* an entry in the area, 30 days old; returns its path */
static char *old_entry(const char *root, enum cache_area a, const char *name, bool dir)
{
	struct error err = ERROR_INIT;
	char *path = cache_layout_path(root, a, "%s", name);
	char *parent = path_dirname(path);
	mkdir_p(parent, 0755, &err);
	if (dir)
		mkdir_p(path, 0755, &err);
	else
		write_file_atomic(path, "x", 1, 0644, &err);
	struct timespec old[2] = { { time(NULL) - 30 * 86400, 0 }, { time(NULL) - 30 * 86400, 0 } };
	utimensat(AT_FDCWD, path, old, AT_SYMLINK_NOFOLLOW);
	error_release(&err);
	free(parent);
	return path;
}

/* a real cache with an old entry in every plain area, then gc without and with an age bound */
static void test_gc(const char *tmp)
{
	struct error err = ERROR_INIT;
	struct cache *c = NULL;
	char *dir = path_join(tmp, "cache");
	ok(cache_open(&c, dir, &err) == 0, "open a new cache");
	const char *root = cache_root(c);
	bool made = true;
	for (enum cache_area a = 0; a < CACHE_AREA_COUNT; a++) {
		char *d = cache_layout_dir(root, a);
		if (exists(d) != cache_layout_made_at_open(a))
			made = false;
		free(d);
	}
	ok(made, "cache_open makes exactly the areas the layout says");

	char *in[CACHE_AREA_COUNT] = { 0 };
	for (enum cache_area a = 0; a < CACHE_AREA_COUNT; a++)
		if (a != CACHE_AREA_CAS && a != CACHE_AREA_AC)
			in[a] = old_entry(root, a, "old", a == CACHE_AREA_RUN || a == CACHE_AREA_SRC ||
					  a == CACHE_AREA_KBUILD);
	/* the run is gone: its pid file is there, no process holds its lock */
	char *pid = path_join(in[CACHE_AREA_RUN], CACHE_LAYOUT_RUN_PID);
	write_file_atomic(pid, "1\n", 2, 0644, &err);
	char *persistent = old_entry(root, CACHE_AREA_RUN, "demo-default", true);

	struct gc_options none = { 0 };
	struct gc_stats st;
	ok(cache_gc(c, &none, &st, &err) == 0, "gc without bounds");
	char *gc_lock = cache_layout_path(root, CACHE_AREA_LOCKS, CACHE_LAYOUT_GC_LOCK);
	ok(exists(gc_lock), "gc keeps its own lock");
	ok(!exists(in[CACHE_AREA_TMP]) && !exists(in[CACHE_AREA_LOCKS]), "gc empties tmp and locks");
	ok(st.temps_removed == 2, "... and counts them (%lu)", st.temps_removed);
	ok(!exists(in[CACHE_AREA_RUN]) && st.runs_removed == 1, "gc removes the gone run's dir");
	ok(exists(persistent), "gc keeps the persistent run dir");
	ok(exists(in[CACHE_AREA_SRC]) && exists(in[CACHE_AREA_KBUILD]),
	   "without an age bound, kernel trees stay");
	ok(exists(in[CACHE_AREA_MEMO]) && exists(in[CACHE_AREA_LAST]), "memo and last stay");

	struct gc_options aged = { .max_age_days = 7 };
	ok(cache_gc(c, &aged, &st, &err) == 0, "gc with a 7-day bound");
	ok(!exists(in[CACHE_AREA_SRC]) && !exists(in[CACHE_AREA_KBUILD]) && st.trees_removed == 2,
	   "30-day-old kernel trees go");
	ok(exists(in[CACHE_AREA_MEMO]) && exists(in[CACHE_AREA_LAST]), "memo and last still stay");

	for (enum cache_area a = 0; a < CACHE_AREA_COUNT; a++)
		free(in[a]);
	free(pid);
	free(persistent);
	free(gc_lock);
	free(dir);
	cache_close(c);
	error_release(&err);
}

int main(void)
{
	char tmp[] = "/tmp/mvbuild-layout.XXXXXX";
	if (!mkdtemp(tmp))
		return 1;
	test_names();
	test_paths();
	test_rules();
	test_gc(tmp);
	remove_tree(tmp);
	return tap_done();
}
