/*
 * libFuzzer harness for the recipe loader: every input is written to a
 * file and loaded as a recipe.  The loader must return (an error or a
 * recipe) without crashing, leaking or running away, whatever the bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recipe/recipe_load.h"

static char path[] = "/tmp/mvbuild-fuzz-recipe.XXXXXX.yaml";

static void cleanup(void)
{
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		int fd = mkstemps(path, 5);
		if (fd < 0)
			abort();
		close(fd);
		atexit(cleanup);
		ready = 1;
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	struct recipe r;
	memset(&r, 0, sizeof(r));
	struct error err = ERROR_INIT;
	if (recipe_load(&r, path, &err) < 0 && !err.msg)
		abort(); /* a failure must always say why */
	recipe_release(&r);
	error_release(&err);
	return 0;
}
