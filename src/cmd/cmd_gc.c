/* cmd_gc: `mvbuild gc [--max-size SIZE] [--max-age DAYS]`. */
#include <stdio.h>
#include <stdlib.h>

#include "cache/cache_gc.h"
#include "cmd/cli.h"
#include "recipe/config.h"

static int parse_max_size(void *base, const char *v, struct error *err)
{
	if (parse_size(v, &((struct gc_options *)base)->max_size) < 0)
		return error_usage(err, "invalid size '%s' (e.g. 10G, 500M)", v);
	return 0;
}

static int parse_max_age(void *base, const char *v, struct error *err)
{
	char *end;
	double days = strtod(v, &end);
	if (!*v || *end || !(days > 0))
		return error_usage(err, "invalid age '%s' (days, e.g. 30)", v);
	((struct gc_options *)base)->max_age_days = days;
	return 0;
}

static const struct cli_option gc_options[] = {
	OPT_PARSE(0, "max-size", "SIZE", parse_max_size,
		"remove least recently used entries until the\nstore is at most SIZE (e.g. 10G, 500M)"),
	OPT_PARSE(0, "max-age", "DAYS", parse_max_age, "remove entries unused for more than DAYS"),
	OPT_END(),
};

static int cmd_gc(struct mvctx *ctx, struct cli_args *args)
{
	struct gc_options *opt = args->opts;
	/* the machine's bound (config cache: {max_size:}) unless the command line names one */
	if (!opt->max_size && ctx->config)
		opt->max_size = ctx->config->cache_max_size;
	struct error err = ERROR_INIT;
	struct gc_stats st;
	if (cache_gc(ctx->cache, opt, &st, &err) < 0)
		return cli_fail(ctx, &err);
	char before[32], after[32];
	format_size(st.bytes_before, before, sizeof(before));
	format_size(st.bytes_after, after, sizeof(after));
	printf("gc: removed %lu action entries, %lu blobs, %lu temp files, %lu kernel trees, "
	       "%lu run directories; store %s -> %s\n",
	       st.actions_removed, st.blobs_removed, st.temps_removed, st.trees_removed,
	       st.runs_removed, before, after);
	return EXIT_OK;
}

const struct command command_gc = {
	.name = "gc",
	.args = "",
	.summary = "remove old cache entries and temp files",
	.help = "Remove stale scratch files and the run directories of runs that are\n"
		"gone, then least-recently-used cache entries until the cache is at\n"
		"most SIZE (default: cache max_size in the config) and no entry is\n"
		"older than DAYS.  Entries that a running build holds are never removed.\n",
	.options = gc_options,
	.opts_size = sizeof(struct gc_options),
	.needs = NEEDS_CACHE,
	.run = cmd_gc,
};
