/*
 * fetch_digest: a ring of FETCH_DIGEST_CHUNKS chunks between the download
 * (producer) and one hashing thread (see fetch_digest.h).  Chunk
 * (head + i) % N for i < queued is full and waits to be hashed, in order;
 * the producer fills chunk (head + queued) % N, which exists only while
 * queued < N, so a full ring makes the producer wait.
 */
#include "fetch_digest.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define FETCH_DIGEST_CHUNKS 4
#define FETCH_DIGEST_CHUNK_SIZE (4u << 20)

struct chunk {
	char *data;     /* FETCH_DIGEST_CHUNK_SIZE bytes */
	size_t len;     /* bytes filled */
};

struct fetch_digest {
	enum hash_algo algo;       /* the main digest */
	bool two;                  /* also sha256 (algo is sha512) */
	struct hash main;          /* algo */
	struct hash sha256;        /* when two */
	struct chunk chunks[FETCH_DIGEST_CHUNKS];
	size_t head;               /* next chunk to hash */
	size_t queued;             /* full chunks waiting, including the one being hashed */
	bool stop;                 /* the thread should exit once the ring is empty */
	int writeback_fd;          /* file to start writeback on, or -1 */
	uint64_t hashed;           /* bytes hashed, i.e. the file offset reached */
	pthread_mutex_t lock;
	pthread_cond_t changed;    /* queued or stop changed */
	pthread_t thread;
};

static void *hasher_main(void *arg)
{
	struct fetch_digest *d = arg;
	pthread_mutex_lock(&d->lock);
	for (;;) {
		while (d->queued == 0 && !d->stop)
			pthread_cond_wait(&d->changed, &d->lock);
		if (d->queued == 0)
			break;
		struct chunk *c = &d->chunks[d->head];
		pthread_mutex_unlock(&d->lock);
		hash_update(&d->main, c->data, c->len);
		if (d->two)
			hash_update(&d->sha256, c->data, c->len);
		if (d->writeback_fd >= 0) /* advisory: errors show up at fsync */
			sync_file_range(d->writeback_fd, (off_t)d->hashed, (off_t)c->len,
					SYNC_FILE_RANGE_WRITE);
		d->hashed += c->len;
		c->len = 0;
		pthread_mutex_lock(&d->lock);
		d->head = (d->head + 1) % FETCH_DIGEST_CHUNKS;
		d->queued--;
		pthread_cond_broadcast(&d->changed);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

static int digests_start(struct fetch_digest *d, struct error *err)
{
	if (hash_init(&d->main, d->algo, err) < 0)
		return -1;
	if (d->two && hash_init(&d->sha256, HASH_SHA256, err) < 0)
		return -1;
	return 0;
}

struct fetch_digest *fetch_digest_new(enum hash_algo algo, bool want_sha256, int writeback_fd,
				      struct error *err)
{
	struct fetch_digest *d = xcalloc(1, sizeof(*d));
	d->writeback_fd = writeback_fd;
	d->algo = algo;
	d->two = want_sha256 && algo != HASH_SHA256;
	for (size_t i = 0; i < FETCH_DIGEST_CHUNKS; i++)
		d->chunks[i].data = xmalloc(FETCH_DIGEST_CHUNK_SIZE);
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->changed, NULL);
	if (digests_start(d, err) < 0) {
		hash_release(&d->main);
		hash_release(&d->sha256);
		goto fail;
	}
	if (pthread_create(&d->thread, NULL, hasher_main, d) != 0) {
		error_set(err, "cannot start the hashing thread");
		goto fail;
	}
	return d;
fail:
	for (size_t i = 0; i < FETCH_DIGEST_CHUNKS; i++)
		free(d->chunks[i].data);
	pthread_cond_destroy(&d->changed);
	pthread_mutex_destroy(&d->lock);
	free(d);
	return NULL;
}

/* hand the producer's chunk to the thread; wait for a free one when the ring is full */
static void queue_current(struct fetch_digest *d)
{
	pthread_mutex_lock(&d->lock);
	d->queued++;
	pthread_cond_broadcast(&d->changed);
	while (d->queued == FETCH_DIGEST_CHUNKS)
		pthread_cond_wait(&d->changed, &d->lock);
	pthread_mutex_unlock(&d->lock);
}

/* the chunk the producer fills (it only changes in queue_current) */
static struct chunk *current(struct fetch_digest *d)
{
	pthread_mutex_lock(&d->lock);
	struct chunk *c = &d->chunks[(d->head + d->queued) % FETCH_DIGEST_CHUNKS];
	pthread_mutex_unlock(&d->lock);
	return c;
}

void fetch_digest_update(struct fetch_digest *d, const void *data, size_t n)
{
	const char *p = data;
	while (n > 0) {
		struct chunk *c = current(d);
		size_t room = FETCH_DIGEST_CHUNK_SIZE - c->len;
		size_t take = n < room ? n : room;
		memcpy(c->data + c->len, p, take);
		c->len += take;
		p += take;
		n -= take;
		if (c->len == FETCH_DIGEST_CHUNK_SIZE)
			queue_current(d);
	}
}

/* queue a partly filled chunk and wait until everything fed is hashed */
static void drain(struct fetch_digest *d)
{
	if (current(d)->len > 0)
		queue_current(d);
	pthread_mutex_lock(&d->lock);
	while (d->queued > 0)
		pthread_cond_wait(&d->changed, &d->lock);
	pthread_mutex_unlock(&d->lock);
}

int fetch_digest_reset(struct fetch_digest *d, struct error *err)
{
	drain(d);
	d->hashed = 0;
	hash_release(&d->main);
	hash_release(&d->sha256);
	return digests_start(d, err);
}

void fetch_digest_final(struct fetch_digest *d, char digest[HASH_MAX_HEX], char sha256[SHA256_HEX])
{
	drain(d);
	hash_final_hex(&d->main, digest);
	if (d->two)
		hash_final_hex(&d->sha256, sha256);
	else if (d->algo == HASH_SHA256)
		memcpy(sha256, digest, SHA256_HEX);
	else
		sha256[0] = '\0';
}

void fetch_digest_free(struct fetch_digest *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_broadcast(&d->changed);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	hash_release(&d->main);
	hash_release(&d->sha256);
	for (size_t i = 0; i < FETCH_DIGEST_CHUNKS; i++)
		free(d->chunks[i].data);
	pthread_cond_destroy(&d->changed);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
