/* cmd_kernel: placeholder until the owning module lands (see issues). */
#include <stdio.h>

#include "cli.h"

int cmd_kernel(struct mvctx *ctx, int argc, char **argv)
{
	(void)ctx; (void)argc; (void)argv;
	fprintf(stderr, "mvbuild: 'kernel' is not available in this build yet\n");
	return EXIT_USAGE;
}
