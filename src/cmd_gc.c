/* cmd_gc: placeholder until the owning module lands (see issues). */
#include <stdio.h>

#include "cli.h"

int cmd_gc(struct mvctx *ctx, int argc, char **argv)
{
	(void)ctx; (void)argc; (void)argv;
	fprintf(stderr, "mvbuild: 'gc' is not available in this build yet\n");
	return EXIT_USAGE;
}
