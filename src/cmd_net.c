/* cmd_net: placeholder until the owning module lands (see issues). */
#include <stdio.h>

#include "cli.h"

int cmd_net(struct mvctx *ctx, int argc, char **argv)
{
	(void)ctx; (void)argc; (void)argv;
	fprintf(stderr, "mvbuild: 'net' is not available in this build yet\n");
	return EXIT_USAGE;
}
