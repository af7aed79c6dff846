/*
 * digest_memo: memoized file digests (see digest_memo.h).
 *
 * File CACHE/memo/digests: the line MEMO_HEADER, then one entry per line:
 *   DIGEST SIZE MTIME_NS CTIME_NS INODE HASHED_AT_NS PATH
 * PATH is absolute and last on the line, so it may contain spaces; '%',
 * control characters and DEL are written as %XX, so a path holding a
 * newline can never start a line of its own.  A file without the header
 * (an older format, which wrote paths raw) is ignored: it only costs a
 * rehash.
 *
 * Racy timestamps: an entry is trusted only when the file had been still
 * for RACY_WINDOW before it was hashed (max(mtime, ctime) + window <=
 * hashed_at).  A file written within that window could have been modified
 * again without its timestamps changing (coarse clock ticks), so it is
 * hashed again next time, and trusted once it has settled.
 */
#include "engine/digest_memo.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/fileutil.h"
#include "base/util.h"
#include "cache/cache_layout.h"

#define RACY_WINDOW_NS 2000000000LL
#define MEMO_MAX_SIZE (64u << 20)
/* 3: digests are content digests (hash.h's HASH_CONTENT), no longer plain sha256 */
#define MEMO_HEADER "mvbuild digest memo 3"

struct memo_entry {
	char *path;               /* absolute path */
	char digest[SHA256_HEX];  /* content digest (HASH_CONTENT) hex */
	int64_t size, mtime_ns, ctime_ns, hashed_at_ns;
	uint64_t ino;
	bool noted;               /* digest_memo_note()d in this process: trusted racy or not */
};

struct digest_memo {
	char *file;                 /* CACHE/memo/digests */
	struct memo_entry *entries; /* unordered */
	size_t n, alloc;
	size_t *slots;              /* open-addressing table of entry index + 1 */
	size_t n_slots;             /* power of two, >= 2 * n */
	bool dirty;                 /* changed since loaded */
	pthread_mutex_t lock;       /* builders hash in parallel */
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void table_insert(struct digest_memo *m, size_t index)
{
	size_t mask = m->n_slots - 1;
	for (size_t i = str_hash(m->entries[index].path) & mask;; i = (i + 1) & mask) {
		if (!m->slots[i]) {
			m->slots[i] = index + 1;
			return;
		}
	}
}

static void table_rebuild(struct digest_memo *m)
{
	free(m->slots);
	m->n_slots = 64;
	while (m->n_slots < 2 * (m->n + 1))
		m->n_slots *= 2;
	m->slots = xcalloc(m->n_slots, sizeof(*m->slots));
	for (size_t i = 0; i < m->n; i++)
		table_insert(m, i);
}

static struct memo_entry *memo_find(struct digest_memo *m, const char *path)
{
	size_t mask = m->n_slots - 1;
	for (size_t i = str_hash(path) & mask; m->slots[i]; i = (i + 1) & mask) {
		struct memo_entry *e = &m->entries[m->slots[i] - 1];
		if (strcmp(e->path, path) == 0)
			return e;
	}
	return NULL;
}

static struct memo_entry *memo_add(struct digest_memo *m, const char *path)
{
	if (m->n == m->alloc) {
		m->alloc = m->alloc ? 2 * m->alloc : 64;
		m->entries = xrealloc(m->entries, m->alloc * sizeof(*m->entries));
	}
	struct memo_entry *e = &m->entries[m->n++];
	memset(e, 0, sizeof(*e));
	e->path = xstrdup(path);
	if (2 * (m->n + 1) > m->n_slots)
		table_rebuild(m);
	else
		table_insert(m, m->n - 1);
	return e;
}

/* a path as one line can hold it: '%', control characters and DEL as %XX */
static void path_encode(struct buf *b, const char *path)
{
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if (*c == '%' || *c < 0x20 || *c == 0x7f)
			buf_addf(b, "%%%02X", *c);
		else
			buf_addc(b, (char)*c);
	}
}

/* decode path_encode's form in place; -1 when it is not that form */
static int path_decode(char *s)
{
	char *out = s;
	for (char *in = s; *in; in++) {
		if (*in != '%') {
			*out++ = *in;
			continue;
		}
		int hi = hex_digit_value(in[1], true), lo = hi < 0 ? -1 : hex_digit_value(in[2], true);
		if (lo < 0 || (hi == 0 && lo == 0))
			return -1;
		*out++ = (char)(hi * 16 + lo);
		in += 2;
	}
	*out = '\0';
	return 0;
}

static void parse_line(struct digest_memo *m, char *line)
{
	char digest[SHA256_HEX];
	long long size, mt, ct, at;
	unsigned long long ino;
	int off = 0;
	if (sscanf(line, "%64s %lld %lld %lld %llu %lld %n", digest, &size, &mt, &ct, &ino, &at,
		   &off) != 6 || off == 0 || line[off] != '/' || !hash_hex_is_valid(digest, 64))
		return; /* a damaged line only costs a rehash */
	if (path_decode(line + off) < 0 || memo_find(m, line + off))
		return;
	struct memo_entry *e = memo_add(m, line + off);
	memcpy(e->digest, digest, SHA256_HEX);
	e->size = size;
	e->mtime_ns = mt;
	e->ctime_ns = ct;
	e->ino = ino;
	e->hashed_at_ns = at;
}

struct digest_memo *digest_memo_open(const char *cache_dir)
{
	struct digest_memo *m = xcalloc(1, sizeof(*m));
	m->file = cache_layout_path(cache_dir, CACHE_AREA_MEMO, "digests");
	pthread_mutex_init(&m->lock, NULL);
	table_rebuild(m);
	struct buf text = BUF_INIT;
	struct error err = ERROR_INIT;
	if (read_file(m->file, MEMO_MAX_SIZE, &text, &err) == 0 && text.data &&
	    str_startswith(text.data, MEMO_HEADER "\n")) {
		char *save = NULL;
		for (char *line = strtok_r(text.data + strlen(MEMO_HEADER) + 1, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			parse_line(m, line);
	}
	error_release(&err);
	buf_release(&text);
	return m;
}

static int64_t ts_ns(struct timespec ts)
{
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts_ns(ts);
}

/*
 * A noted entry is trusted in this process even when racy: it is the digest
 * of the very bytes a build read while the file's stat stayed the same, and
 * keying that build by it describes exactly what the build holds.  Other
 * processes read it back without the flag, so the racy rule holds for them.
 */
static bool entry_trusted(const struct memo_entry *e, const struct stat *st)
{
	int64_t mt = ts_ns(st->st_mtim), ct = ts_ns(st->st_ctim);
	int64_t latest = mt > ct ? mt : ct;
	return e->size == st->st_size && e->mtime_ns == mt && e->ctime_ns == ct &&
	       e->ino == (uint64_t)st->st_ino &&
	       (e->noted || latest + RACY_WINDOW_NS <= e->hashed_at_ns);
}

/* the same file, as far as a stat can tell */
static bool same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	       ts_ns(a->st_mtim) == ts_ns(b->st_mtim) && ts_ns(a->st_ctim) == ts_ns(b->st_ctim);
}

int digest_memo_peek(struct digest_memo *m, const char *path, char hex[SHA256_HEX],
		     struct stat *st, struct error *err)
{
	char *abs = path_absolute(path);
	int ret = 0;
	if (stat(abs, st) < 0) {
		ret = error_errno(err, errno, "cannot stat '%s'", path);
	} else if (m) {
		pthread_mutex_lock(&m->lock);
		struct memo_entry *e = memo_find(m, abs);
		if (e && entry_trusted(e, st)) {
			memcpy(hex, e->digest, SHA256_HEX);
			ret = 1;
		}
		pthread_mutex_unlock(&m->lock);
	}
	free(abs);
	return ret;
}

int digest_memo_note(struct digest_memo *m, const char *path, const struct stat *before,
		     const struct stat *after, int64_t hashed_at_ns, const char hex[SHA256_HEX])
{
	if (!same_stat(before, after))
		return -1;
	if (!m)
		return 0;
	char *abs = path_absolute(path);
	pthread_mutex_lock(&m->lock);
	struct memo_entry *e = memo_find(m, abs);
	if (!e)
		e = memo_add(m, abs);
	memcpy(e->digest, hex, SHA256_HEX);
	e->size = before->st_size;
	e->mtime_ns = ts_ns(before->st_mtim);
	e->ctime_ns = ts_ns(before->st_ctim);
	e->ino = before->st_ino;
	e->hashed_at_ns = hashed_at_ns;
	e->noted = true;
	m->dirty = true;
	pthread_mutex_unlock(&m->lock);
	free(abs);
	return 0;
}

int64_t digest_memo_now_ns(void)
{
	return now_ns();
}

int digest_memo_file(struct digest_memo *m, const char *path, char hex[SHA256_HEX], struct error *err)
{
	if (!m)
		return hash_file_hex(HASH_CONTENT, path, hex, err);
	char *abs = path_absolute(path);
	struct stat st;
	int ret = -1;
	if (stat(abs, &st) < 0) {
		error_errno(err, errno, "cannot stat '%s'", path);
		goto out;
	}
	pthread_mutex_lock(&m->lock);
	struct memo_entry *e = memo_find(m, abs);
	if (e && entry_trusted(e, &st)) {
		memcpy(hex, e->digest, SHA256_HEX);
		pthread_mutex_unlock(&m->lock);
		ret = 0;
		goto out;
	}
	pthread_mutex_unlock(&m->lock);

	int64_t hashed_at = now_ns();
	struct stat after;
	if (hash_file_hex(HASH_CONTENT, abs, hex, err) < 0)
		goto out;
	/* changed while we read it: the digest is fine for now, but don't memoize */
	if (stat(abs, &after) < 0 || ts_ns(after.st_mtim) != ts_ns(st.st_mtim) ||
	    after.st_size != st.st_size) {
		ret = 0;
		goto out;
	}
	pthread_mutex_lock(&m->lock);
	e = memo_find(m, abs);
	if (!e)
		e = memo_add(m, abs);
	memcpy(e->digest, hex, SHA256_HEX);
	e->size = st.st_size;
	e->mtime_ns = ts_ns(st.st_mtim);
	e->ctime_ns = ts_ns(st.st_ctim);
	e->ino = st.st_ino;
	e->hashed_at_ns = hashed_at;
	e->noted = false;
	m->dirty = true;
	pthread_mutex_unlock(&m->lock);
	ret = 0;
out:
	free(abs);
	return ret;
}

static void memo_write(struct digest_memo *m)
{
	struct buf text = BUF_INIT;
	buf_adds(&text, MEMO_HEADER "\n");
	for (size_t i = 0; i < m->n; i++) {
		struct memo_entry *e = &m->entries[i];
		buf_addf(&text, "%s %lld %lld %lld %llu %lld ", e->digest, (long long)e->size,
			 (long long)e->mtime_ns, (long long)e->ctime_ns, (unsigned long long)e->ino,
			 (long long)e->hashed_at_ns);
		path_encode(&text, e->path);
		buf_addc(&text, '\n');
	}
	struct error err = ERROR_INIT;
	/* losing the memo only costs rehashing, so a write error is not fatal */
	write_file_atomic(m->file, text.data ? text.data : "", text.len, 0644, &err);
	error_release(&err);
	buf_release(&text);
}

void digest_memo_close(struct digest_memo *m)
{
	if (!m)
		return;
	if (m->dirty)
		memo_write(m);
	for (size_t i = 0; i < m->n; i++)
		free(m->entries[i].path);
	free(m->entries);
	free(m->slots);
	free(m->file);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
