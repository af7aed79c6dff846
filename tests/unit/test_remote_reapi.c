/*
 * Unit tests for the ActionResult protobuf codec (remote_reapi.c): a round
 * trip, unknown fields skipped, and hostile inputs refused (truncations,
 * long varints, groups, lengths past the end, bad digests, too many files,
 * an old-format text entry), each without reading past its buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "cache/remote_reapi.h"
#include "tap.h"

#define H1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

/* decode len bytes from a heap copy of exactly that size (ASan sees any overread) */
static int decode(const void *data, size_t len, struct remote_reapi_result *res, char **msg)
{
	struct error err = ERROR_INIT;
	char *copy = xmalloc(len ? len : 1);
	memcpy(copy, data, len);
	int ret = remote_reapi_decode(copy, len, res, &err);
	*msg = err.msg ? xstrdup(err.msg) : NULL;
	error_release(&err);
	/* contents point into copy: drop them, the tests below only look at the rest */
	for (size_t i = 0; i < res->n_files; i++)
		res->files[i].contents = NULL;
	free(copy);
	return ret;
}

static void test_round_trip(void)
{
	struct remote_reapi_file in[2] = {
		{ .path = "rootfs.ext4", .hash = H1, .size = 300 },
		{ .path = REMOTE_REAPI_RECORD, .hash = H2, .size = 5, .executable = true,
		  .contents = "hello", .contents_len = 5 },
	};
	struct buf b = BUF_INIT;
	remote_reapi_encode(in, 2, &b);
	struct remote_reapi_result res = REMOTE_REAPI_RESULT_INIT;
	struct error err = ERROR_INIT;
	ok(remote_reapi_decode(b.data, b.len, &res, &err) == 0 && res.n_files == 2,
	   "an encoded ActionResult decodes to its two files");
	const struct remote_reapi_file *f = remote_reapi_find(&res, "rootfs.ext4");
	ok(f && strcmp(f->hash, H1) == 0 && f->size == 300 && !f->executable && !f->contents,
	   "the output's path, digest and size come back");
	f = remote_reapi_find(&res, REMOTE_REAPI_RECORD);
	ok(f && f->executable && f->contents_len == 5 && memcmp(f->contents, "hello", 5) == 0,
	   "is_executable and inlined contents come back");
	remote_reapi_release(&res);

	/* unknown fields of every wire type, at each level, are skipped */
	struct buf x = BUF_INIT;
	buf_add(&x, "\x20\x07", 2);                 /* exit_code = 7 (varint, field 4) */
	buf_add(&x, "\x4a\x03\x0a\x01z", 5);        /* execution_metadata (field 9) */
	buf_add(&x, "\x59" "12345678", 9);          /* field 11, fixed64 */
	buf_add(&x, "\x65" "1234", 5);              /* field 12, fixed32 */
	buf_add(&x, b.data, b.len);
	ok(remote_reapi_decode(x.data, x.len, &res, &err) == 0 && res.n_files == 2,
	   "unknown fields are skipped");
	remote_reapi_release(&res);
	buf_release(&x);
	buf_release(&b);
	error_release(&err);
}

static void refused(const void *data, size_t len, const char *want, const char *what)
{
	struct remote_reapi_result res = REMOTE_REAPI_RESULT_INIT;
	char *msg = NULL;
	int ret = decode(data, len, &res, &msg);
	ok(ret < 0 && msg && strstr(msg, want), "refused: %s (%s)", what, msg ? msg : "accepted");
	remote_reapi_release(&res);
	free(msg);
}

static void test_hostile(void)
{
	struct remote_reapi_file one = { .path = "a", .hash = H1, .size = 1 };
	struct buf b = BUF_INIT;
	remote_reapi_encode(&one, 1, &b);
	for (size_t n = 1; n < b.len; n++) {
		struct remote_reapi_result res = REMOTE_REAPI_RESULT_INIT;
		char *msg = NULL;
		if (decode(b.data, n, &res, &msg) == 0)
			ok(0, "a truncation to %zu bytes is accepted", n);
		remote_reapi_release(&res);
		free(msg);
	}
	ok(1, "every truncation of an entry is refused");
	refused("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11, "varint", "an 11-byte varint");
	refused("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", 10, "64 bits", "a varint over 64 bits");
	refused("\x13\x14", 2, "wire type 3", "a group");
	refused("\x00\x00", 2, "field number", "field number 0");
	refused("\x12\xff\xff\xff\xff\x0f", 6, "past the end", "a length past the end");
	refused("\x12\x05\x0a\x01" "a\x12\x00", 7, "64 lowercase hex", "an empty digest");
	refused("\x12\x08\x0a\x01" "a\x12\x03\x0a\x01" "b", 10, "not a sha256", "a short hash");
	refused("\x12\x03\x0a\x01" "a", 5, "lacks its path or digest", "a file without digest");
	refused("\x10\x01", 2, "wire type 0", "output_files as a varint");
	const char *old = "mvbuild-signed 1\nkey 00\nsig 00\ntransit x\n";
	refused(old, strlen(old), "not an ActionResult", "an entry of the old text format");

	/* more files than the limit */
	struct buf many = BUF_INIT;
	for (int i = 0; i < 4097; i++)
		buf_add(&many, b.data, b.len);
	refused(many.data, many.len, "more than 4096", "4097 output files");
	buf_release(&many);
	buf_release(&b);
}

int main(void)
{
	test_round_trip();
	test_hostile();
	return tap_done();
}
