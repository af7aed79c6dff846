/*
 * fetch_digest: a ring of FETCH_DIGEST_CHUNKS chunks between the download
 * (producer) and one hashing thread per digest (see fetch_digest.h), so a
 * source's checksum and its content digest are computed on two cores at once.
 *
 * Counters only grow: `produced` chunks have been queued; hasher k has
 * hashed `done[k]` of them, in order.  Chunk number i lives in slot
 * i % N.  The producer fills chunk `produced`, which may only happen while
 * every hasher is fewer than N chunks behind, so a full ring makes the
 * producer wait and a slot is reused only after every digest has seen it.
 */
#include "fetch/fetch_digest.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define FETCH_DIGEST_CHUNKS 4
#define FETCH_DIGEST_CHUNK_SIZE (4u << 20)

struct fetch_digest;

/* one digest and the thread computing it */
struct hasher {
	struct fetch_digest *d;    /* back pointer for the thread */
	struct hash hash;          /* the digest */
	size_t done;               /* chunks hashed */
	bool writeback;            /* this thread also starts writeback */
	pthread_t thread;
};

struct fetch_digest {
	enum hash_algo algos[3];   /* hashers[k]'s digest; algos[0] is the main one */
	size_t n_hashers;          /* 1 to 3: the main digest, sha256, the content digest */
	struct hasher hashers[3];
	char *slots[FETCH_DIGEST_CHUNKS];   /* FETCH_DIGEST_CHUNK_SIZE bytes each */
	size_t lens[FETCH_DIGEST_CHUNKS];   /* bytes in each queued slot */
	size_t filling;            /* bytes in the slot being filled (producer only) */
	size_t produced;           /* chunks queued */
	bool stop;                 /* threads exit once they have caught up */
	int writeback_fd;          /* file to start writeback on, or -1 */
	uint64_t written_back;     /* writeback started for bytes before this */
	pthread_mutex_t lock;
	pthread_cond_t changed;    /* produced, a done counter or stop changed */
};

static void start_writeback(struct fetch_digest *d, size_t len)
{
	/* advisory: so the fsync when publishing finds little left; errors show up there */
	sync_file_range(d->writeback_fd, (off_t)d->written_back, (off_t)len, SYNC_FILE_RANGE_WRITE);
	d->written_back += len;
}

static void *hasher_main(void *arg)
{
	struct hasher *h = arg;
	struct fetch_digest *d = h->d;
	pthread_mutex_lock(&d->lock);
	for (;;) {
		while (h->done == d->produced && !d->stop)
			pthread_cond_wait(&d->changed, &d->lock);
		if (h->done == d->produced)
			break;
		size_t slot = h->done % FETCH_DIGEST_CHUNKS;
		pthread_mutex_unlock(&d->lock);
		hash_update(&h->hash, d->slots[slot], d->lens[slot]);
		if (h->writeback)
			start_writeback(d, d->lens[slot]);
		pthread_mutex_lock(&d->lock);
		h->done++;
		pthread_cond_broadcast(&d->changed);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

static int digests_start(struct fetch_digest *d, struct error *err)
{
	for (size_t k = 0; k < d->n_hashers; k++)
		if (hash_init(&d->hashers[k].hash, d->algos[k], err) < 0)
			return -1;
	return 0;
}

static void digests_release(struct fetch_digest *d)
{
	for (size_t k = 0; k < d->n_hashers; k++)
		hash_release(&d->hashers[k].hash);
}

static void stop_threads(struct fetch_digest *d, size_t started)
{
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_broadcast(&d->changed);
	pthread_mutex_unlock(&d->lock);
	for (size_t k = 0; k < started; k++)
		pthread_join(d->hashers[k].thread, NULL);
}

static void free_digest(struct fetch_digest *d)
{
	digests_release(d);
	for (size_t i = 0; i < FETCH_DIGEST_CHUNKS; i++)
		free(d->slots[i]);
	pthread_cond_destroy(&d->changed);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

struct fetch_digest *fetch_digest_new(enum hash_algo algo, bool want_sha256, bool want_content,
				      int writeback_fd, struct error *err)
{
	struct fetch_digest *d = xcalloc(1, sizeof(*d));
	d->algos[d->n_hashers++] = algo;
	if (want_sha256 && algo != HASH_SHA256)
		d->algos[d->n_hashers++] = HASH_SHA256;
	if (want_content && algo != HASH_CONTENT)
		d->algos[d->n_hashers++] = HASH_CONTENT;
	d->writeback_fd = writeback_fd;
	for (size_t i = 0; i < FETCH_DIGEST_CHUNKS; i++)
		d->slots[i] = xmalloc(FETCH_DIGEST_CHUNK_SIZE);
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->changed, NULL);
	if (digests_start(d, err) < 0) {
		free_digest(d);
		return NULL;
	}
	for (size_t k = 0; k < d->n_hashers; k++) {
		d->hashers[k].d = d;
		d->hashers[k].writeback = k == 0 && writeback_fd >= 0;
		if (pthread_create(&d->hashers[k].thread, NULL, hasher_main, &d->hashers[k]) != 0) {
			stop_threads(d, k);
			free_digest(d);
			error_set(err, "cannot start a hashing thread");
			return NULL;
		}
	}
	return d;
}

/* the fewest chunks any hasher has done (lock held) */
static size_t slowest(const struct fetch_digest *d)
{
	size_t min = d->hashers[0].done;
	for (size_t k = 1; k < d->n_hashers; k++)
		if (d->hashers[k].done < min)
			min = d->hashers[k].done;
	return min;
}

/* queue the slot being filled; wait until the next slot is free */
static void queue_filling(struct fetch_digest *d)
{
	pthread_mutex_lock(&d->lock);
	d->lens[d->produced % FETCH_DIGEST_CHUNKS] = d->filling;
	d->produced++;
	pthread_cond_broadcast(&d->changed);
	while (d->produced - slowest(d) == FETCH_DIGEST_CHUNKS)
		pthread_cond_wait(&d->changed, &d->lock);
	pthread_mutex_unlock(&d->lock);
	d->filling = 0;
}

void fetch_digest_update(struct fetch_digest *d, const void *data, size_t n)
{
	const char *p = data;
	while (n > 0) {
		/* the slot of chunk `produced` is free: queue_filling() waited for it */
		char *slot = d->slots[d->produced % FETCH_DIGEST_CHUNKS];
		size_t room = FETCH_DIGEST_CHUNK_SIZE - d->filling;
		size_t take = n < room ? n : room;
		memcpy(slot + d->filling, p, take);
		d->filling += take;
		p += take;
		n -= take;
		if (d->filling == FETCH_DIGEST_CHUNK_SIZE)
			queue_filling(d);
	}
}

/* queue a partly filled slot and wait until every digest has seen everything */
static void drain(struct fetch_digest *d)
{
	if (d->filling > 0)
		queue_filling(d);
	pthread_mutex_lock(&d->lock);
	while (slowest(d) != d->produced)
		pthread_cond_wait(&d->changed, &d->lock);
	pthread_mutex_unlock(&d->lock);
}

int fetch_digest_reset(struct fetch_digest *d, struct error *err)
{
	drain(d);
	d->written_back = 0;
	digests_release(d);
	return digests_start(d, err);
}

void fetch_digest_final(struct fetch_digest *d, char digest[HASH_MAX_HEX], char sha256[SHA256_HEX],
			char content[SHA256_HEX])
{
	drain(d);
	sha256[0] = content[0] = '\0';
	hash_final_hex(&d->hashers[0].hash, digest);
	for (size_t k = 1; k < d->n_hashers; k++)
		hash_final_hex(&d->hashers[k].hash, d->algos[k] == HASH_CONTENT ? content : sha256);
	if (d->algos[0] == HASH_SHA256)
		memcpy(sha256, digest, SHA256_HEX);
	else if (d->algos[0] == HASH_CONTENT)
		memcpy(content, digest, SHA256_HEX);
}

void fetch_digest_free(struct fetch_digest *d)
{
	if (!d)
		return;
	stop_threads(d, d->n_hashers);
	free_digest(d);
}
