/*
 * Unit tests for the digest memo's peek and note (engine_direct.c's single
 * read): peek never reads a file, note memoizes a digest only when the
 * file kept its stat during the read, a noted digest is trusted in the
 * same process at once and by another process only by the racy rule.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/hash.h"
#include "engine/digest_memo.h"
#include "tap.h"

static const char fake[SHA256_HEX] =
	"abababababababababababababababababababababababababababababababab";

static void write_text(const char *path, const char *text)
{
	struct error err = ERROR_INIT;
	if (write_file_atomic(path, text, strlen(text), 0644, &err) < 0)
		fprintf(stderr, "# %s\n", err.msg);
	error_release(&err);
}

int main(void)
{
	char tmpl[] = "/tmp/mvbuild-memo.XXXXXX";
	if (!mkdtemp(tmpl))
		return 1;
	struct error err = ERROR_INIT;
	char *file = path_join(tmpl, "layer.tar");
	char hex[SHA256_HEX];
	struct stat before, after;
	write_text(file, "some bytes\n");
	char *memo_dir = path_join(tmpl, "memo");
	mkdir(memo_dir, 0755);
	free(memo_dir);

	struct digest_memo *m = digest_memo_open(tmpl);
	ok(digest_memo_peek(m, file, hex, &before, &err) == 0 && before.st_size == 11,
	   "peek on an unknown file: a miss, with its stat");
	char *missing = path_join(tmpl, "missing");
	ok(digest_memo_peek(m, missing, hex, &after, &err) < 0 && err.msg &&
	   strstr(err.msg, "cannot stat"), "peek on a missing file: an error naming it: %s",
	   err.msg ? err.msg : "none");
	error_release(&err);
	free(missing);

	/* noted with a digest no read could give: what comes back was never read */
	int64_t started = digest_memo_now_ns();
	stat(file, &after);
	ok(digest_memo_note(m, file, &before, &after, started, fake) == 0,
	   "note with the same stat before and after the read: noted");
	ok(digest_memo_peek(m, file, hex, &after, &err) == 1 && strcmp(hex, fake) == 0,
	   "peek then gives the noted digest (the file was just written: racy, yet trusted in "
	   "this process)");
	ok(digest_memo_file(m, file, hex, &err) == 0 && strcmp(hex, fake) == 0,
	   "digest_memo_file gives it too, without reading the file");
	digest_memo_close(m);

	m = digest_memo_open(tmpl);
	ok(digest_memo_peek(m, file, hex, &after, &err) == 0,
	   "another process does not trust it: the file changed within the racy window");
	digest_memo_close(m);

	/* a file that had settled before the read (3 s, past the 2 s window) is trusted next time */
	stat(file, &before);
	m = digest_memo_open(tmpl);
	started = digest_memo_now_ns() + 3000000000LL;
	ok(digest_memo_note(m, file, &before, &before, started, fake) == 0, "noted a settled file");
	digest_memo_close(m);
	m = digest_memo_open(tmpl);
	ok(digest_memo_peek(m, file, hex, &after, &err) == 1 && strcmp(hex, fake) == 0,
	   "the next process trusts a settled file's noted digest");

	/* changed during the read: not noted, and the old entry no longer matches */
	write_text(file, "other bytes, longer\n");
	stat(file, &after);
	ok(digest_memo_note(m, file, &before, &after, started, fake) < 0,
	   "note with another stat after the read: refused (the file changed)");
	ok(digest_memo_peek(m, file, hex, &after, &err) == 0,
	   "and peek misses: the entry does not describe the file as it is");
	char want[SHA256_HEX];
	ok(digest_memo_file(m, file, hex, &err) == 0 && hash_file_hex(HASH_CONTENT, file, want, &err) == 0 &&
	   strcmp(hex, want) == 0, "digest_memo_file then reads and hashes the file");
	digest_memo_close(m);

	error_release(&err);
	free(file);
	remove_tree(tmpl);
	return tap_done();
}
