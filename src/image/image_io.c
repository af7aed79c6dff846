/*
 * image_io: the io_manager the image writer opens its file with.  It is
 * libext2fs' unix_io (whose block cache stays in use) behind one
 * write-combining buffer: consecutive block writes are kept and handed to
 * unix_io as one write.  libext2fs writes block by block; for a large image
 * that is mostly the resize inode, which writes its reserved GDT blocks
 * (1,024 at 64 GiB, 4 MiB) one at a time, so 1,024 pwrite()s become four.
 *
 * Invariant: the buffer holds the newest content of blocks run_start ..
 * run_start + run_len - 1; those blocks may be stale in unix_io and on disk.
 * So any read, zeroout, discard or byte write touching them, a block size
 * change, a flush and the close first write the buffer out, and a write of
 * more than 4 blocks first empties unix_io's cache (see forget_cache).  A failed
 * write reaches the channel's write_error handler (set by image_fs) like a
 * failed unix_io write, through the inner channel's handler.
 *
 * The bytes written are the same as through unix_io alone; only the number
 * of system calls changes, and the "lifetime writes" statistic the
 * superblock records (unix_io counts what it writes, which its own cache
 * used to absorb differently).
 */
#include <stdlib.h>
#include <string.h>

#include "image/image_io.h"
#include "base/util.h"

/* the largest run kept, in bytes: big enough for the 4 MiB of reserved GDT blocks in few writes */
#define RUN_BYTES (1u << 20)
/* unix_io's WRITE_DIRECT_SIZE: it caches writes up to this many blocks, writes longer ones directly */
#define WRITE_DIRECT_BLOCKS 4

struct image_io {
	io_channel inner;             /* the unix_io channel doing the I/O, owned */
	unsigned char *run;           /* RUN_BYTES of pending blocks, owned */
	unsigned long long run_start; /* the first block of the run */
	unsigned long long run_len;   /* blocks in the run (0: empty) */
};

static struct image_io *priv(io_channel channel)
{
	return channel->private_data;
}

/* blocks the run buffer holds at the channel's current block size */
static unsigned long long run_cap(io_channel channel)
{
	return RUN_BYTES / (unsigned)channel->block_size;
}

/*
 * Empty unix_io's block cache (writing its dirty blocks).  Needed before a
 * write of more than WRITE_DIRECT_SIZE (4) blocks: unix_io writes those
 * past its cache and drops only its dirty entries, so a clean entry read
 * earlier would keep serving the old content of a block the write changed.
 * A block size change is the one call that frees the whole cache.
 */
static errcode_t forget_cache(io_channel inner)
{
	int bs = inner->block_size;
	errcode_t rc = io_channel_set_blksize(inner, bs == 1024 ? 2048 : 1024);
	return rc ? rc : io_channel_set_blksize(inner, bs);
}

/* the run's blocks as one write to unix_io */
static errcode_t flush_run(io_channel channel)
{
	struct image_io *io = priv(channel);
	if (!io->run_len)
		return 0;
	errcode_t rc = io->run_len > WRITE_DIRECT_BLOCKS ? forget_cache(io->inner) : 0;
	if (!rc)
		rc = io_channel_write_blk64(io->inner, io->run_start, (int)io->run_len, io->run);
	io->run_len = 0;
	return rc;
}

/* bytes [off, off + len) overlap the run */
static int touches_run(io_channel channel, unsigned long long off, unsigned long long len)
{
	struct image_io *io = priv(channel);
	unsigned long long bs = (unsigned)channel->block_size;
	return io->run_len && off < (io->run_start + io->run_len) * bs && io->run_start * bs < off + len;
}

/* the byte length of a libext2fs count (negative: bytes, else blocks) */
static unsigned long long count_bytes(io_channel channel, int count)
{
	return count < 0 ? (unsigned long long)-(long long)count
			 : (unsigned long long)count * (unsigned)channel->block_size;
}

static errcode_t flush_if_touched(io_channel channel, unsigned long long block, int count)
{
	unsigned long long bs = (unsigned)channel->block_size;
	return touches_run(channel, block * bs, count_bytes(channel, count)) ? flush_run(channel) : 0;
}

/* a failed unix_io write goes to the handler image_fs set on our channel */
static errcode_t forward_write_error(io_channel inner, unsigned long block, int count,
				     const void *data, size_t size, int actual, errcode_t error)
{
	io_channel outer = inner->app_data;
	if (outer && outer->write_error)
		return outer->write_error(outer, block, count, data, size, actual, error);
	return error;
}

static struct struct_io_manager image_io_struct;

static errcode_t io_open(const char *name, int flags, io_channel *out)
{
	io_channel inner = NULL;
	errcode_t rc = unix_io_manager->open(name, flags, &inner);
	if (rc)
		return rc;
	io_channel channel = xcalloc(1, sizeof(*channel));
	struct image_io *io = xcalloc(1, sizeof(*io));
	io->inner = inner;
	io->run = xmalloc(RUN_BYTES);
	inner->app_data = channel;
	inner->write_error = forward_write_error;
	channel->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	channel->manager = &image_io_struct;
	channel->name = xstrdup(name);
	channel->block_size = inner->block_size;
	channel->refcount = 1;
	channel->flags = inner->flags;
	channel->align = inner->align;
	channel->private_data = io;
	*out = channel;
	return 0;
}

static errcode_t io_close(io_channel channel)
{
	if (--channel->refcount > 0)
		return 0;
	struct image_io *io = priv(channel);
	errcode_t rc = flush_run(channel);
	errcode_t rc2 = io_channel_close(io->inner);
	free(io->run);
	free(io);
	free(channel->name);
	free(channel);
	return rc ? rc : rc2;
}

static errcode_t io_set_blksize(io_channel channel, int blksize)
{
	errcode_t rc = flush_run(channel);
	if (!rc)
		rc = io_channel_set_blksize(priv(channel)->inner, blksize);
	if (!rc)
		channel->block_size = blksize;
	return rc;
}

static errcode_t io_read_blk64(io_channel channel, unsigned long long block, int count, void *data)
{
	errcode_t rc = flush_if_touched(channel, block, count);
	return rc ? rc : io_channel_read_blk64(priv(channel)->inner, block, count, data);
}

static errcode_t io_write_blk64(io_channel channel, unsigned long long block, int count,
				const void *data)
{
	struct image_io *io = priv(channel);
	unsigned long long cap = run_cap(channel), bs = (unsigned)channel->block_size;
	errcode_t rc;
	/* joins the run: starts inside it or right after it, and still fits */
	if (count > 0 && io->run_len && block >= io->run_start &&
	    block <= io->run_start + io->run_len && block + (unsigned)count - io->run_start <= cap) {
		memcpy(io->run + (block - io->run_start) * bs, data, (unsigned)count * bs);
		if (block + (unsigned)count - io->run_start > io->run_len)
			io->run_len = block + (unsigned)count - io->run_start;
		return 0;
	}
	if ((rc = flush_if_touched(channel, block, count)))
		return rc;
	if (count <= 0 || (unsigned)count > cap)
		return io_channel_write_blk64(io->inner, block, count, data);
	if ((rc = flush_run(channel)))
		return rc;
	memcpy(io->run, data, (unsigned)count * bs);
	io->run_start = block;
	io->run_len = (unsigned)count;
	return 0;
}

static errcode_t io_read_blk(io_channel channel, unsigned long block, int count, void *data)
{
	return io_read_blk64(channel, block, count, data);
}

static errcode_t io_write_blk(io_channel channel, unsigned long block, int count, const void *data)
{
	return io_write_blk64(channel, block, count, data);
}

static errcode_t io_flush(io_channel channel)
{
	errcode_t rc = flush_run(channel);
	return rc ? rc : io_channel_flush(priv(channel)->inner);
}

static errcode_t io_write_byte(io_channel channel, unsigned long offset, int count,
			       const void *data)
{
	io_channel inner = priv(channel)->inner;
	errcode_t rc = 0;
	if (count > 0 && touches_run(channel, offset, (unsigned)count))
		rc = flush_run(channel);
	if (rc)
		return rc;
	if (!inner->manager->write_byte)
		return EXT2_ET_UNIMPLEMENTED;
	return inner->manager->write_byte(inner, offset, count, data);
}

static errcode_t io_set_option(io_channel channel, const char *option, const char *arg)
{
	io_channel inner = priv(channel)->inner;
	errcode_t rc = flush_run(channel);
	if (rc)
		return rc;
	if (!inner->manager->set_option)
		return EXT2_ET_INVALID_ARGUMENT;
	return inner->manager->set_option(inner, option, arg);
}

static errcode_t io_get_stats(io_channel channel, io_stats *stats)
{
	io_channel inner = priv(channel)->inner;
	if (!inner->manager->get_stats)
		return EXT2_ET_UNIMPLEMENTED;
	return inner->manager->get_stats(inner, stats);
}

static errcode_t io_discard(io_channel channel, unsigned long long block, unsigned long long count)
{
	errcode_t rc = flush_run(channel);
	return rc ? rc : io_channel_discard(priv(channel)->inner, block, count);
}

static errcode_t io_cache_readahead(io_channel channel, unsigned long long block,
				    unsigned long long count)
{
	return io_channel_cache_readahead(priv(channel)->inner, block, count);
}

static errcode_t io_zeroout(io_channel channel, unsigned long long block, unsigned long long count)
{
	errcode_t rc = flush_run(channel);
	return rc ? rc : io_channel_zeroout(priv(channel)->inner, block, count);
}

static struct struct_io_manager image_io_struct = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "mvbuild image I/O manager",
	.open = io_open,
	.close = io_close,
	.set_blksize = io_set_blksize,
	.read_blk = io_read_blk,
	.write_blk = io_write_blk,
	.flush = io_flush,
	.write_byte = io_write_byte,
	.set_option = io_set_option,
	.get_stats = io_get_stats,
	.read_blk64 = io_read_blk64,
	.write_blk64 = io_write_blk64,
	.discard = io_discard,
	.cache_readahead = io_cache_readahead,
	.zeroout = io_zeroout,
};

io_manager image_io_manager = &image_io_struct;
