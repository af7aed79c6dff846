/*
 * image-write: drives the image writer through its C API without a
 * recipe, for the benchmark and for debugging.
 * Usage: image-write OUT.img SIZE|auto LAYER... [--manifest FILE]
 *        [--devices] [--inodes N] [--epoch N] [--key HEX]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "base/util.h"

int main(int argc, char **argv)
{
	struct image img = { 0 };
	struct image_write_opts o = { 0 };
	struct error err = ERROR_INIT;
	const char **layers = xcalloc((size_t)argc, sizeof(*layers));
	size_t n = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: image-write OUT SIZE|auto LAYER... [--manifest F] "
			"[--devices] [--inodes N] [--epoch N] [--key HEX]\n");
		return 2;
	}
	img.name = "bench";
	o.out_path = argv[1];
	o.key = "0000";
	o.epoch = IMAGE_DEFAULT_EPOCH;
	if (!strcmp(argv[2], "auto"))
		img.size_auto = true;
	else if (parse_size(argv[2], &img.size) < 0)
		return fprintf(stderr, "bad size '%s'\n", argv[2]), 2;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--manifest") && i + 1 < argc)
			o.manifest_path = argv[++i];
		else if (!strcmp(argv[i], "--devices"))
			img.allow_devices = true;
		else if (!strcmp(argv[i], "--inodes") && i + 1 < argc)
			img.inodes = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--epoch") && i + 1 < argc)
			o.epoch = strtoll(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--key") && i + 1 < argc)
			o.key = argv[++i];
		else
			layers[n++] = argv[i];
	}
	img.n_layers = n;
	o.layer_paths = layers;
	if (image_write(&img, &o, &err) < 0) {
		fprintf(stderr, "image-write: %s\n", err.msg);
		error_release(&err);
		free(layers);
		return 1;
	}
	free(layers);
	return 0;
}
