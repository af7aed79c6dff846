/*
 * Unit tests for progress's --json events: progress_counts() prints the
 * human status line unchanged and, with --json, its numbers as members (the
 * kernel's "objects" with an estimated total here, which the e2e tests
 * cannot reach without building a kernel); progress_error() prints the
 * error once, with its location as members, and escapes what it prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/json.h"
#include "base/progress.h"
#include "tap.h"

/* everything a reporter (json or not) prints for one call of fn */
static char *capture(bool json, void (*fn)(struct progress *p))
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct progress *p = progress_new(out, false, json, 0);
	fn(p);
	progress_free(p);
	fclose(out);
	return text;
}

static void kernel_status(struct progress *p)
{
	struct progress_counts c = PROGRESS_COUNTS_INIT("objects");
	c.done = 412;
	c.total = 2600;
	c.estimated = true;
	c.eta = 61;
	c.elapsed = 31;
	progress_counts(p, "kernel:microvm", &c, "%u objects compiled, %.0f s", 412u, 31.0);
}

static void located_error(struct progress *p)
{
	struct error err = ERROR_INIT;
	error_usage(&err, "r.yaml:3:7: unknown key 'a\"b'");
	error_locate(&err, "r.yaml", 3, 7);
	error_locate(&err, "outer.yaml", 1, 1); /* the inner location stays */
	progress_error(p, &err, 2);
	error_release(&err);
}

static void build_error(struct progress *p)
{
	struct error err = ERROR_INIT;
	error_set(&err, "image 'x': disk full\n");
	progress_error(p, &err, 1);
	error_release(&err);
}

int main(void)
{
	char *text = capture(false, kernel_status);
	is_str(text, "progress kernel:microvm: 412 objects compiled, 31 s\n",
	       "without --json the status line is the human text alone");
	free(text);

	text = capture(true, kernel_status);
	is_str(text, "{\"event\":\"progress\",\"node\":\"kernel:microvm\","
	       "\"message\":\"412 objects compiled, 31 s\",\"unit\":\"objects\",\"done\":412,"
	       "\"total\":2600,\"estimated\":true,\"eta_seconds\":61.000,"
	       "\"elapsed_seconds\":31.000}\n",
	       "with --json the numbers are members");
	struct json j;
	struct error err = ERROR_INIT;
	ok(json_parse(&j, text, strlen(text), &err) == 0, "the progress event is valid JSON");
	json_release(&j);
	free(text);

	text = capture(false, located_error);
	is_str(text, "mvbuild: r.yaml:3:7: unknown key 'a\"b'\n",
	       "without --json the error is the one plain line");
	free(text);
	text = capture(true, located_error);
	is_str(text, "{\"event\":\"error\",\"kind\":\"usage\",\"message\":\"r.yaml:3:7: unknown key "
	       "'a\\\"b'\",\"exit\":2,\"file\":\"r.yaml\",\"line\":3,\"column\":7}\n",
	       "a recipe error: kind usage, exit 2, the innermost location as members");
	free(text);

	text = capture(true, build_error);
	is_str(text, "{\"event\":\"error\",\"kind\":\"failure\",\"message\":\"image 'x': disk full\\n\","
	       "\"exit\":1}\n", "a build failure: kind failure, exit 1, no location, escaped");
	free(text);

	struct error moved = ERROR_INIT, from = ERROR_INIT;
	error_usage(&from, "x");
	error_locate(&from, "f.yaml", 2, 3);
	error_move(&moved, &from);
	ok(moved.file && strcmp(moved.file, "f.yaml") == 0 && moved.line == 2 && !from.file,
	   "error_move moves the location");
	error_set(&moved, "another error");
	ok(!moved.file && moved.line == 0, "setting a new error drops the old location");
	error_release(&moved);
	return tap_done();
}
