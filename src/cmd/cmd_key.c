/* cmd_key: `mvbuild key generate [--output PREFIX]`: an ed25519 pair for signing remote records. */
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "cache/remote_sign.h"

struct key_opts {
	const char *output; /* --output PREFIX */
};

static const struct cli_option key_options[] = {
	OPT_STRING('o', "output", "PREFIX", struct key_opts, output,
		"write PREFIX.key and PREFIX.pub (default:\nmvbuild-signing)"),
	OPT_END(),
};

static int cmd_key(struct mvctx *ctx, struct cli_args *args)
{
	const struct key_opts *o = args->opts;
	const char *prefix = o->output ? o->output : "mvbuild-signing";
	if (strcmp(args->words[0], "generate") != 0)
		return cli_usage(ctx, &command_key, "unknown subcommand '%s' (say 'generate')",
				 args->words[0]);
	struct error err = ERROR_INIT;
	char id[SHA256_HEX];
	if (remote_sign_key_generate(prefix, id, &err) < 0)
		return cli_fail(ctx, &err);
	printf("%s.key\n%s.pub\n", prefix, prefix);
	fprintf(stderr, "key id %s: keep %s.key secret (remote signing_key on the machine that "
		"uploads); list %s.pub in remote trusted_keys on every reader\n", id, prefix, prefix);
	return EXIT_OK;
}

const struct command command_key = {
	.name = "key",
	.args = "generate",
	.summary = "make an ed25519 key pair for signing remote records",
	.help = "Write PREFIX.key (private, mode 0600) and PREFIX.pub (public).  The\n"
		"uploader names PREFIX.key as remote signing_key; readers list PREFIX.pub\n"
		"in remote trusted_keys.\n",
	.options = key_options,
	.opts_size = sizeof(struct key_opts),
	.min_words = 1,
	.max_words = 1,
	.run = cmd_key,
};
