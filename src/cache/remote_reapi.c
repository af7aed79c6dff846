/*
 * remote_reapi: a minimal protobuf encoder and decoder for the one REAPI
 * message mvbuild stores, written by hand (no libprotobuf).
 *
 * What URL/ac/<key> holds (remote_execution.proto, build.bazel.remote.execution.v2):
 *   ActionResult { repeated OutputFile output_files = 2; }     nothing else is set
 *   OutputFile   { string path = 1; Digest digest = 2; bool is_executable = 4;
 *                  bytes contents = 5; }
 *   Digest       { string hash = 1; int64 size_bytes = 2; }
 * Fields are written in field-number order with proto3's defaults omitted,
 * so `protoc --decode=build.bazel.remote.execution.v2.ActionResult` shows it.
 *
 * Wire format: each field is a varint tag (field number << 3 | wire type),
 * then a varint (type 0), 8 bytes (1), a varint length and that many bytes
 * (2), or 4 bytes (5).  The decoder treats its input as hostile: every
 * length is checked against what is left, varints stop at 10 bytes, groups
 * (types 3 and 4, deprecated) and field number 0 are refused, unknown fields
 * are skipped by their length without being parsed, so nesting never goes
 * deeper than the schema above (3 levels, no recursion), and counts and
 * string lengths have limits.  A repeated singular field follows protobuf's
 * rule: the last value wins (a repeated Digest merges into the first).
 */
#include "cache/remote_reapi.h"

#include <stdlib.h>
#include <string.h>

#define FILES_MAX 4096   /* output files in one ActionResult */
#define PATH_MAX_LEN 4096 /* bytes of one path */

enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };

/* ---- encoding ------------------------------------------------------------ */

static void put_varint(struct buf *out, uint64_t v)
{
	unsigned char b[10];
	size_t n = 0;
	do {
		b[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	buf_add(out, b, n);
}

static void put_tag(struct buf *out, unsigned field, unsigned wire)
{
	put_varint(out, (uint64_t)field << 3 | wire);
}

static void put_bytes(struct buf *out, unsigned field, const void *data, size_t len)
{
	put_tag(out, field, WIRE_LEN);
	put_varint(out, len);
	buf_add(out, data, len);
}

static void encode_file(const struct remote_reapi_file *f, struct buf *out)
{
	struct buf digest = BUF_INIT;
	put_bytes(&digest, 1, f->hash, strlen(f->hash));
	if (f->size) {
		put_tag(&digest, 2, WIRE_VARINT);
		put_varint(&digest, f->size);
	}
	put_bytes(out, 1, f->path, strlen(f->path));
	put_bytes(out, 2, digest.data, digest.len);
	if (f->executable) {
		put_tag(out, 4, WIRE_VARINT);
		put_varint(out, 1);
	}
	if (f->contents)
		put_bytes(out, 5, f->contents, f->contents_len);
	buf_release(&digest);
}

void remote_reapi_encode(const struct remote_reapi_file *files, size_t n, struct buf *out)
{
	struct buf file = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		buf_reset(&file);
		encode_file(&files[i], &file);
		put_bytes(out, 2, file.data, file.len);
	}
	buf_release(&file);
}

/* ---- decoding ------------------------------------------------------------ */

/* a cursor over one message's bytes */
struct pb {
	const unsigned char *p;    /* next byte */
	const unsigned char *end;  /* one past the message's last byte */
};

static int get_varint(struct pb *m, uint64_t *v, struct error *err)
{
	*v = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (m->p == m->end)
			return error_set(err, "a varint runs past the end of its message");
		unsigned char b = *m->p++;
		if (shift == 63 && b > 1)
			return error_set(err, "a varint is longer than 64 bits");
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return error_set(err, "a varint is longer than 10 bytes");
}

/* the next field's number and wire type; -1 with err for field 0 or a group */
static int get_tag(struct pb *m, unsigned *field, unsigned *wire, struct error *err)
{
	uint64_t tag;
	if (get_varint(m, &tag, err) < 0)
		return -1;
	*wire = (unsigned)(tag & 7);
	if (tag >> 3 == 0 || tag >> 3 > 0x1fffffff)
		return error_set(err, "a field number is out of range");
	*field = (unsigned)(tag >> 3);
	if (*wire != WIRE_VARINT && *wire != WIRE_I64 && *wire != WIRE_LEN && *wire != WIRE_I32)
		return error_set(err, "field %u has wire type %u (groups are not accepted)", *field,
				 *wire);
	return 0;
}

/* a length-delimited value as a sub-cursor, bounded by what is left */
static int get_len(struct pb *m, struct pb *sub, struct error *err)
{
	uint64_t len;
	if (get_varint(m, &len, err) < 0)
		return -1;
	if (len > (uint64_t)(m->end - m->p))
		return error_set(err, "a field of %llu bytes runs past the end of its message",
				 (unsigned long long)len);
	sub->p = m->p;
	sub->end = m->p + len;
	m->p += len;
	return 0;
}

/* skip a field of an unknown number without looking inside it */
static int skip(struct pb *m, unsigned wire, struct error *err)
{
	uint64_t v;
	struct pb sub;
	size_t fixed = wire == WIRE_I64 ? 8 : 4;
	switch (wire) {
	case WIRE_VARINT:
		return get_varint(m, &v, err);
	case WIRE_LEN:
		return get_len(m, &sub, err);
	default:
		if ((size_t)(m->end - m->p) < fixed)
			return error_set(err, "a fixed-size field runs past the end of its message");
		m->p += fixed;
		return 0;
	}
}

/* a field's wire type must be the schema's */
static int want(unsigned wire, unsigned expected, const char *name, struct error *err)
{
	if (wire != expected)
		return error_set(err, "%s has wire type %u, not %u", name, wire, expected);
	return 0;
}

static int decode_digest(struct pb m, struct remote_reapi_file *f, struct error *err)
{
	unsigned field, wire;
	while (m.p < m.end) {
		if (get_tag(&m, &field, &wire, err) < 0)
			return -1;
		if (field == 1) {
			struct pb s;
			if (want(wire, WIRE_LEN, "Digest.hash", err) < 0 || get_len(&m, &s, err) < 0)
				return -1;
			size_t n = (size_t)(s.end - s.p);
			if (n != SHA256_HEX - 1)
				return error_set(err, "Digest.hash is %zu bytes, not a sha256", n);
			memcpy(f->hash, s.p, n);
			f->hash[n] = '\0';
		} else if (field == 2) {
			uint64_t v;
			if (want(wire, WIRE_VARINT, "Digest.size_bytes", err) < 0 ||
			    get_varint(&m, &v, err) < 0)
				return -1;
			if (v > INT64_MAX)
				return error_set(err, "Digest.size_bytes is negative");
			f->size = v;
		} else if (skip(&m, wire, err) < 0) {
			return -1;
		}
	}
	if (!hash_hex_is_valid(f->hash, SHA256_HEX - 1))
		return error_set(err, "Digest.hash is not 64 lowercase hex digits");
	return 0;
}

static int decode_path(struct pb *m, unsigned wire, struct remote_reapi_file *f, struct error *err)
{
	struct pb s;
	if (want(wire, WIRE_LEN, "OutputFile.path", err) < 0 || get_len(m, &s, err) < 0)
		return -1;
	size_t n = (size_t)(s.end - s.p);
	if (n == 0 || n > PATH_MAX_LEN || memchr(s.p, '\0', n))
		return error_set(err, "OutputFile.path is empty, longer than %d bytes or holds a "
				 "NUL", PATH_MAX_LEN);
	free(f->path);
	f->path = xstrndup((const char *)s.p, n);
	return 0;
}

static int decode_file(struct pb m, struct remote_reapi_file *f, struct error *err)
{
	unsigned field, wire;
	bool digest = false;
	struct pb s;
	uint64_t v;
	while (m.p < m.end) {
		if (get_tag(&m, &field, &wire, err) < 0)
			return -1;
		if (field == 1) {
			if (decode_path(&m, wire, f, err) < 0)
				return -1;
		} else if (field == 2) {
			if (want(wire, WIRE_LEN, "OutputFile.digest", err) < 0 ||
			    get_len(&m, &s, err) < 0 || decode_digest(s, f, err) < 0)
				return -1;
			digest = true;
		} else if (field == 4) {
			if (want(wire, WIRE_VARINT, "OutputFile.is_executable", err) < 0 ||
			    get_varint(&m, &v, err) < 0)
				return -1;
			f->executable = v != 0;
		} else if (field == 5) {
			if (want(wire, WIRE_LEN, "OutputFile.contents", err) < 0 ||
			    get_len(&m, &s, err) < 0)
				return -1;
			f->contents = (const char *)s.p;
			f->contents_len = (size_t)(s.end - s.p);
		} else if (skip(&m, wire, err) < 0) {
			return -1;
		}
	}
	if (!f->path || !digest)
		return error_set(err, "an OutputFile lacks its path or digest");
	return 0;
}

int remote_reapi_decode(const char *data, size_t len, struct remote_reapi_result *res,
			struct error *err)
{
	struct pb m = { (const unsigned char *)data, (const unsigned char *)data + len };
	unsigned field, wire;
	while (m.p < m.end) {
		struct pb s;
		if (get_tag(&m, &field, &wire, err) < 0)
			goto bad;
		if (field != 2) {
			if (skip(&m, wire, err) < 0)
				goto bad;
			continue;
		}
		if (want(wire, WIRE_LEN, "ActionResult.output_files", err) < 0 ||
		    get_len(&m, &s, err) < 0)
			goto bad;
		if (res->n_files == FILES_MAX) {
			error_set(err, "more than %d output files", FILES_MAX);
			goto bad;
		}
		if ((res->n_files & (res->n_files - 1)) == 0) /* a power of two: double */
			res->files = xrealloc(res->files, (res->n_files ? 2 * res->n_files : 1) *
							  sizeof(*res->files));
		struct remote_reapi_file *f = &res->files[res->n_files++];
		*f = (struct remote_reapi_file){ 0 };
		if (decode_file(s, f, err) < 0)
			goto bad;
	}
	return 0;
bad:
	return error_prefix(err, "not an ActionResult");
}

const struct remote_reapi_file *remote_reapi_find(const struct remote_reapi_result *res,
						  const char *path)
{
	for (size_t i = 0; i < res->n_files; i++)
		if (strcmp(res->files[i].path, path) == 0)
			return &res->files[i];
	return NULL;
}

void remote_reapi_release(struct remote_reapi_result *res)
{
	for (size_t i = 0; i < res->n_files; i++)
		free(res->files[i].path);
	free(res->files);
	*res = (struct remote_reapi_result)REMOTE_REAPI_RESULT_INIT;
}
