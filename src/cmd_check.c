/* cmd_check: placeholder until the owning module lands (see issues). */
#include <stdio.h>

#include "cli.h"

int cmd_check(struct mvctx *ctx, int argc, char **argv)
{
	(void)ctx; (void)argc; (void)argv;
	fprintf(stderr, "mvbuild: 'check' is not available in this build yet\n");
	return EXIT_USAGE;
}
