/*
 * cmd_fetch: `mvbuild fetch [--print-checksums] [SOURCE...]`: the options,
 * one call into fetch/fetch_checksums.h (sources into the cache, or URLs
 * downloaded and hashed without a recipe), and "NAME sha256 HEX" and
 * "NAME sha512 HEX" lines for each with --print-checksums (an image
 * reference, oci:HOST/REPO:TAG, gets its manifest digest as its sha256).
 */
#include <stdio.h>

#include "cmd/cli.h"
#include "fetch/fetch.h"
#include "fetch/fetch_checksums.h"

struct fetch_opts {
	bool print_checksums; /* --print-checksums */
};

static const struct cli_option fetch_options[] = {
	OPT_FLAG(0, "print-checksums", struct fetch_opts, print_checksums,
		"print 'NAME sha256 HEX' and 'NAME sha512 HEX' per\n"
		"source; with URLs instead of names, download each\n"
		"to a temp file and print 'URL sha256 HEX' and\n'URL sha512 HEX'; with an image reference\n"
		"oci:HOST[:PORT]/REPO:TAG, print 'oci:... sha256 HEX',\nthe digest to pin"),
	OPT_END(),
};

/* the recipe is read only for source names: URLs are fetched without one */
static int cmd_fetch(struct mvctx *ctx, struct cli_args *args)
{
	const struct fetch_opts *o = args->opts;
	struct error err = ERROR_INIT;
	size_t n_urls = 0;
	for (size_t i = 0; i < args->n_words; i++)
		n_urls += !fetch_is_local_path(args->words[i]) ||
			  fetch_checksums_is_image(args->words[i]);
	if (n_urls && (n_urls != args->n_words || !o->print_checksums))
		return cli_usage(ctx, &command_fetch, "URLs are only accepted with --print-checksums, "
				 "and not mixed with source names");
	struct fetch_checksums sums = FETCH_CHECKSUMS_INIT;
	if (n_urls)
		fetch_checksums_urls(&sums, args->words, args->n_words, ctx->config, ctx->progress,
				     &err);
	else if (cli_setup(ctx, args, NEEDS_RECIPE | NEEDS_CACHE | NEEDS_ENGINE, &err) == 0)
		fetch_checksums_sources(args->engine, ctx->recipe, args->words, args->n_words,
					o->print_checksums ? &sums : NULL, &err);
	/* what was fetched before a failure is printed all the same */
	for (size_t i = 0; i < sums.n; i++) {
		printf("%s sha256 %s\n", sums.items[i].name, sums.items[i].sha256);
		if (sums.items[i].sha512[0])
			printf("%s sha512 %s\n", sums.items[i].name, sums.items[i].sha512);
	}
	fetch_checksums_release(&sums);
	return error_is_set(&err) ? cli_fail(ctx, &err) : EXIT_OK;
}

const struct command command_fetch = {
	.name = "fetch",
	.args = "[SOURCE...]",
	.summary = "download sources without building",
	.help = "Bring each SOURCE (NAME or source:NAME; default: every source) into the\n"
		"cache, trying mirrors (--mirror, $MVBUILD_MIRROR) and then the recipe's\n"
		"urls in order, and verifying the declared checksum.  A source already\n"
		"cached under its checksum is not downloaded.\n"
		"With --print-checksums, an image reference oci:HOST[:PORT]/REPO:TAG is\n"
		"resolved on its registry to the manifest digest a recipe pins\n"
		"(oci: HOST[:PORT]/REPO@sha256:HEX).\n"
		"Limits: $MVBUILD_FETCH_TIMEOUT, $MVBUILD_FETCH_LOW_SPEED_TIME,\n"
		"$MVBUILD_FETCH_MAX_SIZE, $MVBUILD_FETCH_RETRIES (see docs/sources.md).\n",
	.options = fetch_options,
	.opts_size = sizeof(struct fetch_opts),
	.max_words = -1,
	.run = cmd_fetch,
};
