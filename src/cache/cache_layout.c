/*
 * cache_layout: the table of areas under a cache root.  Each row is an
 * area's name, its fan-out (blobs and entries sit in one directory per
 * first two hex digits, so no directory grows huge), whether cache_open
 * makes it, and gc's rule for it.  cache_gc.c walks this table; nothing else
 * decides what gc may delete.
 */
#include "cache/cache_layout.h"

#include <stdarg.h>
#include <stdlib.h>

#include "base/util.h"

struct area {
	const char *name;         /* relative to the cache root */
	bool fanout;              /* files sit in one directory per first two hex digits */
	bool short_names;         /* a fanned-out file drops those digits from its name */
	bool at_open;             /* cache_open makes it */
	enum cache_gc_rule gc;    /* what gc may remove */
	const char *keep;         /* a name gc never removes, or NULL */
};

static const struct area areas[CACHE_AREA_COUNT] = {
	[CACHE_AREA_TMP] = { .name = "tmp", .at_open = true, .gc = CACHE_GC_ALL },
	[CACHE_AREA_LOCKS] = { .name = "locks", .at_open = true, .gc = CACHE_GC_ALL,
			       .keep = CACHE_LAYOUT_GC_LOCK },
	[CACHE_AREA_RUN] = { .name = "run", .gc = CACHE_GC_GONE_RUNS },
	[CACHE_AREA_CAS] = { .name = "cas/sha256", .fanout = true, .short_names = true,
			     .at_open = true, .gc = CACHE_GC_UNNAMED },
	[CACHE_AREA_AC] = { .name = "ac", .fanout = true, .at_open = true, .gc = CACHE_GC_ENTRIES },
	[CACHE_AREA_MEMO] = { .name = "memo", .at_open = true, .gc = CACHE_GC_NEVER },
	[CACHE_AREA_LAST] = { .name = "last", .at_open = true, .gc = CACHE_GC_NEVER },
	/* source trees and object dirs are costly to remake: only an age bound removes them */
	[CACHE_AREA_SRC] = { .name = "src", .gc = CACHE_GC_BY_AGE },
	[CACHE_AREA_KBUILD] = { .name = "kbuild", .gc = CACHE_GC_BY_AGE },
};

const char *cache_layout_name(enum cache_area area)
{
	return areas[area].name;
}

enum cache_gc_rule cache_layout_gc_rule(enum cache_area area)
{
	return areas[area].gc;
}

const char *cache_layout_gc_keep(enum cache_area area)
{
	return areas[area].keep;
}

bool cache_layout_made_at_open(enum cache_area area)
{
	return areas[area].at_open;
}

char *cache_layout_dir(const char *root, enum cache_area area)
{
	return path_join(root, areas[area].name);
}

char *cache_layout_path(const char *root, enum cache_area area, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sub = xvasprintf(fmt, ap);
	va_end(ap);
	char *path = xasprintf("%s/%s/%s", root, areas[area].name, sub);
	free(sub);
	return path;
}

char *cache_layout_root_from(enum cache_area area)
{
	/* one ".." per component of the area's name and per fan-out level */
	struct buf b = BUF_INIT;
	buf_adds(&b, "..");
	for (const char *p = areas[area].name; *p; p++)
		if (*p == '/')
			buf_adds(&b, "/..");
	if (areas[area].fanout)
		buf_adds(&b, "/..");
	return buf_detach(&b);
}

char *cache_layout_relpath(enum cache_area area, const char *digest)
{
	const struct area *a = &areas[area];
	if (!a->fanout)
		return path_join(a->name, digest);
	return xasprintf("%s/%.2s/%s", a->name, digest, a->short_names ? digest + 2 : digest);
}

bool cache_layout_short_names(enum cache_area area)
{
	return areas[area].short_names;
}
