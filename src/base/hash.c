#include "base/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * libcrypto's SHA256_* / SHA512_* functions, not EVP: the same assembly
 * (SHA-NI, AVX2), but no provider to fetch.  EVP's first digest reads
 * openssl.cnf and builds the provider's name map of every algorithm: 2 to
 * 3 ms of CPU per process here, a fifth of a no-op build
 * (docs/performance.md).  libcrypto itself is loaded on first use
 * (crypto_lazy.h); short buffers never load it (hash_buffer_hex).
 */
#include "base/crypto_lazy.h"
#include "base/sha256_builtin.h"

#include "base/fileutil.h"
#include "base/util.h"

/* what md_ctx points to: the state of whichever algorithm was started */
union hash_state {
	SHA256_CTX sha256;
	SHA512_CTX sha512;
};

/* (not SHA256() and SHA512(): in OpenSSL 3 those go through EVP) */
static int state_init(union hash_state *st, enum hash_algo algo)
{
	return algo == HASH_SHA512 ? SHA512_Init(&st->sha512) : SHA256_Init(&st->sha256);
}

static void state_update(union hash_state *st, enum hash_algo algo, const void *data, size_t n)
{
	if (algo == HASH_SHA512)
		SHA512_Update(&st->sha512, data, n);
	else
		SHA256_Update(&st->sha256, data, n);
}

void hash_hex_encode(const unsigned char *bytes, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[bytes[i] >> 4];
		hex[2 * i + 1] = digits[bytes[i] & 15];
	}
	hex[2 * n] = '\0';
}

static void state_final_hex(union hash_state *st, enum hash_algo algo, char *hex)
{
	unsigned char md[SHA512_DIGEST_LENGTH];
	size_t len = algo == HASH_SHA512 ? SHA512_DIGEST_LENGTH : SHA256_DIGEST_LENGTH;
	if (algo == HASH_SHA512)
		SHA512_Final(md, &st->sha512);
	else
		SHA256_Final(md, &st->sha256);
	hash_hex_encode(md, len, hex);
}

/* the raw 32 bytes of a chunk's SHA-256 */
static void chunk_final(union hash_state *st, unsigned char *md)
{
	SHA256_Final(md, &st->sha256);
}

#define CONTENT_TAG "mvbuild content digest 1\n"

/* zeros to feed a chunk's leading zero run once a non-zero byte shows up */
static const char zero_block[64 << 10];

/* HASH_CONTENT's outer digest and its chunks are SHA-256; the state functions
 * above treat every algorithm but HASH_SHA512 as SHA-256 */
int hash_init(struct hash *h, enum hash_algo algo, struct error *err)
{
	(void)err; /* starting a digest only sets its initial values: it cannot fail */
	*h = (struct hash){ .algo = algo };
	h->md_ctx = xmalloc(sizeof(union hash_state));
	state_init(h->md_ctx, algo);
	if (algo == HASH_CONTENT) {
		h->chunk_ctx = xmalloc(sizeof(union hash_state));
		state_init(h->chunk_ctx, HASH_SHA256);
		state_update(h->md_ctx, algo, CONTENT_TAG, strlen(CONTENT_TAG));
	}
	return 0;
}

static void put_u64be(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

/* true when the n bytes at p are all zero */
static bool all_zero(const unsigned char *p, size_t n)
{
	/* memcmp against itself shifted by one: libc's vectorized compare does the scan */
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* the chunk holding byte size - 1 is complete: add it to the outer digest unless all zero */
static void content_end_chunk(struct hash *h)
{
	if (h->chunk_data) {
		unsigned char rec[8 + SHA256_DIGEST_LENGTH];
		put_u64be(rec, (h->size - 1) / HASH_CONTENT_CHUNK);
		chunk_final(h->chunk_ctx, rec + 8);
		if (h->records)
			buf_add(h->records, rec, sizeof(rec));
		else
			state_update(h->md_ctx, h->algo, rec, sizeof(rec));
		state_init(h->chunk_ctx, HASH_SHA256);
	}
	h->chunk_data = 0;
	h->zero_run = 0;
}

/* feed n bytes that all lie in the current chunk; data NULL means zeros */
static void content_piece(struct hash *h, const unsigned char *data, size_t n)
{
	if (!h->chunk_data && (!data || all_zero(data, n))) {
		h->zero_run += n; /* hashed only if the chunk turns out to hold data */
	} else {
		if (!h->chunk_data) {
			h->chunk_data = 1;
			for (uint64_t z = h->zero_run; z > 0;) {
				size_t k = z < sizeof(zero_block) ? (size_t)z : sizeof(zero_block);
				state_update(h->chunk_ctx, HASH_SHA256, zero_block, k);
				z -= k;
			}
		}
		for (size_t done = 0; !data && done < n;) {
			size_t k = n - done < sizeof(zero_block) ? n - done : sizeof(zero_block);
			state_update(h->chunk_ctx, HASH_SHA256, zero_block, k);
			done += k;
		}
		if (data)
			state_update(h->chunk_ctx, HASH_SHA256, data, n);
	}
	h->size += n;
	if (h->size % HASH_CONTENT_CHUNK == 0)
		content_end_chunk(h);
}

/* feed n bytes (data NULL: zeros) to a content digest, chunk by chunk */
static void content_update(struct hash *h, const unsigned char *data, uint64_t n)
{
	while (n > 0) {
		if (!data && !h->chunk_data && h->size % HASH_CONTENT_CHUNK == 0 &&
		    n >= HASH_CONTENT_CHUNK) {
			/* whole zero chunks add nothing: a hole of any length costs O(1) */
			uint64_t whole = n - n % HASH_CONTENT_CHUNK;
			h->size += whole;
			n -= whole;
			continue;
		}
		uint64_t room = HASH_CONTENT_CHUNK - h->size % HASH_CONTENT_CHUNK;
		size_t k = (size_t)(n < room ? n : room);
		content_piece(h, data, k);
		if (data)
			data += k;
		n -= k;
	}
}

void hash_update(struct hash *h, const void *data, size_t n)
{
	if (h->algo == HASH_CONTENT)
		content_update(h, data, n);
	else
		state_update(h->md_ctx, h->algo, data, n);
}

void hash_update_zeros(struct hash *h, uint64_t n)
{
	if (h->algo == HASH_CONTENT) {
		content_update(h, NULL, n);
		return;
	}
	for (; n > 0;) {
		size_t k = n < sizeof(zero_block) ? (size_t)n : sizeof(zero_block);
		state_update(h->md_ctx, h->algo, zero_block, k);
		n -= k;
	}
}

void hash_final_hex(struct hash *h, char *hex)
{
	if (h->algo == HASH_CONTENT) {
		unsigned char size[8];
		if (h->size % HASH_CONTENT_CHUNK != 0)
			content_end_chunk(h); /* the short last chunk */
		put_u64be(size, h->size);
		state_update(h->md_ctx, h->algo, size, sizeof(size));
	}
	state_final_hex(h->md_ctx, h->algo, hex);
	hash_release(h);
}

void hash_release(struct hash *h)
{
	free(h->md_ctx);
	free(h->chunk_ctx);
	h->md_ctx = NULL;
	h->chunk_ctx = NULL;
}
size_t hash_hex_len(enum hash_algo algo)
{
	return algo == HASH_SHA512 ? 128 : 64;
}

const char *hash_algo_name(enum hash_algo algo)
{
	return algo == HASH_SHA512 ? "sha512" : algo == HASH_CONTENT ? "content" : "sha256";
}

void hash_buffer_hex(enum hash_algo algo, const void *data, size_t n, char *hex)
{
	if (algo == HASH_SHA256 && n <= HASH_BUILTIN_MAX) {
		unsigned char md[SHA256_BUILTIN_LEN];
		sha256_builtin(data, n, md);
		hash_hex_encode(md, sizeof(md), hex);
		return;
	}
	struct hash h;
	hash_init(&h, algo, NULL); /* cannot fail */
	hash_update(&h, data, n);
	hash_final_hex(&h, hex);
}

/* where a hashing pass also writes what it reads (out < 0: nowhere) */
struct hash_sink {
	int out;
	const char *path;       /* for messages */
	off_t written_back;     /* writeback has been started up to here */
};

/* start writeback of every whole 16 MiB written so far, so the final fsync waits for little */
#define HASH_WRITEBACK_STEP ((off_t)16 << 20)

static int sink_write(struct hash_sink *s, const char *block, size_t len, off_t at,
		      struct error *err)
{
	for (size_t done = 0; done < len;) {
		ssize_t w = pwrite(s->out, block + done, len - done, at + (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return error_errno(err, errno, "cannot write '%s'", s->path);
		done += (size_t)w;
	}
	off_t end = at + (off_t)len;
	if (end - s->written_back >= HASH_WRITEBACK_STEP) {
		sync_file_range(s->out, s->written_back, end - s->written_back, SYNC_FILE_RANGE_WRITE);
		s->written_back = end;
	}
	return 0;
}

/* feed bytes start..end of fd to each of the n digests (and to the sink, if any) */
static int hash_range(struct hash *h, size_t n, int fd, off_t start, off_t end, char *block,
		      size_t blocksize, const char *path, struct hash_sink *sink, struct error *err)
{
	while (start < end) {
		size_t want = (size_t)(end - start) < blocksize ? (size_t)(end - start) : blocksize;
		ssize_t got = pread(fd, block, want, start);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return error_errno(err, errno, "cannot read '%s'", path);
		if (got == 0)
			return error_set(err, "cannot read '%s': file shrank while hashing", path);
		for (size_t i = 0; i < n; i++)
			hash_update(&h[i], block, (size_t)got);
		if (sink->out >= 0 && sink_write(sink, block, (size_t)got, start, err) < 0)
			return -1;
		start += got;
	}
	return 0;
}

/* feed bytes from..to of fd to the n digests, holes as zeros; each data range also goes to sink */
static int hash_fd_feed(struct hash *h, size_t n, int fd, const char *path, off_t from, off_t to,
			char *block, size_t blocksize, struct hash_sink *sink, struct error *err)
{
	off_t pos = from;
	while (pos < to) {
		off_t data = lseek(fd, pos, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			data = to; /* only a hole remains */
		else if (data < 0)
			data = pos;  /* no SEEK_DATA support: read everything */
		if (data > to)
			data = to;
		for (size_t i = 0; i < n; i++)
			hash_update_zeros(&h[i], (uint64_t)(data - pos));
		if (data >= to)
			break;
		off_t hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || hole > to)
			hole = to;
		if (hash_range(h, n, fd, data, hole, block, blocksize, path, sink, err) < 0)
			return -1;
		pos = hole;
	}
	return 0;
}

/* the digests of fd's first size bytes, holes skipped; each data range also goes to sink */
static int hash_fd_pass(int fd, const char *path, off_t size, size_t n, const enum hash_algo *algos,
			char *const *hexes, struct hash_sink *sink, struct error *err)
{
	struct hash h[HASH_MAX_AT_ONCE];
	if (n == 0 || n > HASH_MAX_AT_ONCE)
		return error_set(err, "cannot hash '%s' %zu ways at once", path, n);
	for (size_t i = 0; i < n; i++)
		hash_init(&h[i], algos[i], err); /* cannot fail */
	const size_t blocksize = 1 << 20;
	char *block = xmalloc(blocksize);
	int ret = hash_fd_feed(h, n, fd, path, 0, size, block, blocksize, sink, err);
	for (size_t i = 0; ret == 0 && i < n; i++)
		hash_final_hex(&h[i], hexes[i]);
	for (size_t i = 0; i < n; i++)
		hash_release(&h[i]);
	free(block);
	return ret;
}

/*
 * The parallel content digest: the file is cut into slices of whole chunks,
 * taken in turn by the threads; each slice's chunk records (index, digest)
 * are kept, and the outer digest takes them in slice order, so the result is
 * the one hash_fd_pass gives.
 */
#define SLICE ((off_t)4 << 20)
#define PARALLEL_MIN ((off_t)8 << 20)
#define PARALLEL_MAX_THREADS 4

struct slices {
	int fd;
	const char *path;
	off_t size;
	size_t n_slices;
	struct buf *records;     /* per slice */
	size_t next;             /* the next slice to take (atomic) */
	int failed;              /* a thread failed (atomic); err holds why */
	struct error *err;
	pthread_mutex_t err_lock;
};

static void *slices_worker(void *arg)
{
	struct slices *s = arg;
	char *block = xmalloc(1 << 20);
	struct hash_sink none = { .out = -1 };
	for (;;) {
		size_t i = __atomic_fetch_add(&s->next, 1, __ATOMIC_RELAXED);
		if (i >= s->n_slices || __atomic_load_n(&s->failed, __ATOMIC_RELAXED))
			break;
		off_t from = (off_t)i * SLICE, to = from + SLICE < s->size ? from + SLICE : s->size;
		/*
		 * No data before `data`: this slice and the untaken ones before that offset hold
		 * no record, so skip them at once (a sparse 64 GiB image is 16,384 slices).
		 */
		off_t data = lseek(s->fd, from, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			data = s->size;
		if (data >= to) {
			size_t skip_to = data >= s->size ? s->n_slices : (size_t)(data / SLICE);
			size_t cur = __atomic_load_n(&s->next, __ATOMIC_RELAXED);
			while (cur < skip_to && !__atomic_compare_exchange_n(&s->next, &cur, skip_to, false,
									      __ATOMIC_RELAXED, __ATOMIC_RELAXED))
				;
			continue;
		}
		struct hash h;
		hash_init(&h, HASH_CONTENT, NULL); /* cannot fail */
		h.size = (uint64_t)from;
		h.records = &s->records[i];
		struct error e = ERROR_INIT;
		int r = hash_fd_feed(&h, 1, s->fd, s->path, from, to, block, 1 << 20, &none, &e);
		if (r == 0 && h.size % HASH_CONTENT_CHUNK != 0)
			content_end_chunk(&h); /* the file's short last chunk */
		hash_release(&h);
		if (r < 0) {
			pthread_mutex_lock(&s->err_lock);
			if (!__atomic_exchange_n(&s->failed, 1, __ATOMIC_RELAXED) && s->err)
				error_move(s->err, &e);
			pthread_mutex_unlock(&s->err_lock);
			error_release(&e);
		}
	}
	free(block);
	return NULL;
}

static int hash_content_parallel(int fd, const char *path, off_t size, char *hex, struct error *err)
{
	struct slices s = { .fd = fd, .path = path, .size = size, .err = err };
	s.n_slices = (size_t)((size + SLICE - 1) / SLICE);
	s.records = xcalloc(s.n_slices, sizeof(*s.records));
	pthread_mutex_init(&s.err_lock, NULL);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int n = cores < 2 ? 1 : cores > PARALLEL_MAX_THREADS ? PARALLEL_MAX_THREADS : (int)cores;
	pthread_t tids[PARALLEL_MAX_THREADS];
	int started = 0;
	for (int i = 1; i < n; i++)
		if (pthread_create(&tids[started], NULL, slices_worker, &s) == 0)
			started++;
	slices_worker(&s); /* this thread works too */
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	int ret = s.failed ? -1 : 0;
	if (ret == 0) {
		union hash_state outer;
		unsigned char be[8];
		state_init(&outer, HASH_CONTENT);
		state_update(&outer, HASH_CONTENT, CONTENT_TAG, strlen(CONTENT_TAG));
		for (size_t i = 0; i < s.n_slices; i++)
			state_update(&outer, HASH_CONTENT, s.records[i].data, s.records[i].len);
		put_u64be(be, (uint64_t)size);
		state_update(&outer, HASH_CONTENT, be, sizeof(be));
		state_final_hex(&outer, HASH_CONTENT, hex);
	}
	for (size_t i = 0; i < s.n_slices; i++)
		buf_release(&s.records[i]);
	free(s.records);
	pthread_mutex_destroy(&s.err_lock);
	return ret;
}

int hash_fd_hexes(int fd, const char *path, size_t n, const enum hash_algo *algos,
		  char *const *hexes, struct error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return error_errno(err, errno, "cannot stat '%s'", path);
	/* by the data the file holds (st_blocks), not its size: a sparse 64 GiB image with
	 * 7 MiB of data is hashed faster by one thread than its 16,384 slices by several */
	if (n == 1 && algos[0] == HASH_CONTENT && st.st_size >= PARALLEL_MIN &&
	    (off_t)st.st_blocks * 512 >= PARALLEL_MIN && sysconf(_SC_NPROCESSORS_ONLN) > 1)
		return hash_content_parallel(fd, path, st.st_size, hexes[0], err);
	struct hash_sink none = { .out = -1 };
	return hash_fd_pass(fd, path, st.st_size, n, algos, hexes, &none, err);
}

int hash_copy_file_hexes(const char *src, const char *dst, unsigned mode, size_t n,
			 const enum hash_algo *algos, char *const *hexes, struct error *err)
{
	struct file_copy c;
	if (file_copy_begin(&c, src, dst, err) < 0)
		return -1;
	int ret;
	if (ioctl(c.out, FICLONE, c.in) == 0) {
		/* a reflink costs no read: hash the copy, which is ours alone */
		ret = hash_fd_hexes(c.out, dst, n, algos, hexes, err);
	} else {
		/* one read of src feeds the digests and the copy; the copy's bytes are the hashed ones */
		struct hash_sink sink = { .out = c.out, .path = dst, .written_back = 0 };
		ret = hash_fd_pass(c.in, src, c.st.st_size, n, algos, hexes, &sink, err);
		if (ret == 0 && ftruncate(c.out, c.st.st_size) < 0) /* a trailing hole */
			ret = error_errno(err, errno, "cannot write '%s'", dst);
	}
	return file_copy_end(&c, ret, mode, true, err);
}

int hash_fd_hex(enum hash_algo algo, int fd, const char *path, char *hex, struct error *err)
{
	return hash_fd_hexes(fd, path, 1, &algo, &hex, err);
}

int hash_file_hexes(const char *path, size_t n, const enum hash_algo *algos, char *const *hexes,
		    struct error *err)
{
	int fd = open_regular(path, err);
	if (fd < 0)
		return -1;
	int ret = hash_fd_hexes(fd, path, n, algos, hexes, err);
	close(fd);
	return ret;
}

int hash_file_hex(enum hash_algo algo, const char *path, char *hex, struct error *err)
{
	int fd = open_regular(path, err);
	if (fd < 0)
		return -1;
	int ret = hash_fd_hex(algo, fd, path, hex, err);
	close(fd);
	return ret;
}

int hash_hex_is_valid(const char *s, size_t len)
{
	if (strlen(s) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}
