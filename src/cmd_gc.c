/* cmd_gc: `mvbuild gc [--max-size SIZE] [--max-age DAYS]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_gc.h"
#include "cli.h"
#include "config.h"

int cmd_gc(struct mvctx *ctx, int argc, char **argv)
{
	const struct command *cmd = cli_find_command("gc");
	struct gc_options opt = { 0 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--max-size") == 0 && v) {
			if (parse_size(v, &opt.max_size) < 0)
				return cli_usage(cmd, "invalid size '%s' (e.g. 10G, 500M)", v);
			i++;
		} else if (strcmp(a, "--max-age") == 0 && v) {
			char *end;
			opt.max_age_days = strtod(v, &end);
			if (*end || opt.max_age_days <= 0)
				return cli_usage(cmd, "invalid age '%s' (days, e.g. 30)", v);
			i++;
		} else {
			return cli_usage(cmd, "unexpected argument '%s'", a);
		}
	}
	/* the machine's bound (config cache: {max_size:}) unless the command line names one */
	if (!opt.max_size && ctx->config)
		opt.max_size = ctx->config->cache_max_size;
	struct error err = ERROR_INIT;
	if (cli_open_cache(ctx, &err) < 0)
		return cli_fail(ctx, &err);
	struct gc_stats st;
	if (cache_gc(ctx->cache, &opt, &st, &err) < 0)
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
