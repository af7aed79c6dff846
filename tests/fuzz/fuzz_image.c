/*
 * libFuzzer harness for the tarball-to-ext4 translator: each input is an
 * archive (any format libarchive detects) written into an 8 MiB image with
 * devices allowed.  The writer must either refuse it with an error or
 * produce an image that `e2fsck -fn` accepts; anything else aborts, which
 * libFuzzer records as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/image.h"

static char dir[] = "/tmp/mvbuild-fuzz-image.XXXXXX";
static char *layer, *out;

static void cleanup(void)
{
	unlink(layer);
	unlink(out);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!layer) {
		if (!mkdtemp(dir))
			abort();
		if (asprintf(&layer, "%s/layer", dir) < 0 || asprintf(&out, "%s/image.ext4", dir) < 0)
			abort();
		atexit(cleanup);
	}
	FILE *f = fopen(layer, "wb");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	unlink(out);

	char *layers[] = { "fuzz" };
	struct image img = { .name = "fuzz", .size = 8 << 20, .fs = "ext4", .has_epoch = true,
			     .epoch = 1700000000, .allow_devices = true, .layers = layers,
			     .n_layers = 1 };
	const char *paths[] = { layer };
	struct image_write_opts o = { .out_path = out, .layer_paths = paths,
				      .key = "00112233445566778899aabbccddeeff", .epoch = 1700000000 };
	struct error err = ERROR_INIT;
	int r = image_write(&img, &o, &err);
	if (r < 0) {
		if (!err.msg || access(out, F_OK) == 0)
			abort(); /* a failure must say why and leave no image */
	} else {
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "e2fsck -fn '%s' >/dev/null 2>&1", out);
		if (system(cmd) != 0) {
			fprintf(stderr, "e2fsck -fn rejected the image written from this input\n");
			abort();
		}
	}
	error_release(&err);
	return 0;
}
