/* cmd_key: `mvbuild key generate [--output PREFIX]`: an ed25519 pair for signing remote records. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "remote_sign.h"

int cmd_key(struct mvctx *ctx, int argc, char **argv)
{
	const struct command *cmd = cli_find_command("key");
	const char *prefix = "mvbuild-signing";
	if (argc < 2 || strcmp(argv[1], "generate") != 0)
		return cli_usage(cmd, "expected 'generate'");
	for (int i = 2; i < argc; i++) {
		if ((strcmp(argv[i], "--output") == 0 || strcmp(argv[i], "-o") == 0) && i + 1 < argc)
			prefix = argv[++i];
		else if (str_startswith(argv[i], "--output="))
			prefix = argv[i] + strlen("--output=");
		else
			return cli_usage(cmd, "unexpected argument '%s'", argv[i]);
	}
	struct error err = ERROR_INIT;
	char id[SHA256_HEX];
	if (remote_key_generate(prefix, id, &err) < 0)
		return cli_fail(ctx, &err);
	printf("%s.key\n%s.pub\n", prefix, prefix);
	fprintf(stderr, "key id %s: keep %s.key secret (remote signing_key on the machine that "
		"uploads); list %s.pub in remote trusted_keys on every reader\n", id, prefix, prefix);
	return EXIT_OK;
}
