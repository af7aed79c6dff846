/* cmd_path: placeholder until the owning module lands (see issues). */
#include <stdio.h>

#include "cli.h"

int cmd_path(struct mvctx *ctx, int argc, char **argv)
{
	(void)ctx; (void)argc; (void)argv;
	fprintf(stderr, "mvbuild: 'path' is not available in this build yet\n");
	return EXIT_USAGE;
}
