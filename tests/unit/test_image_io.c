/*
 * test_image_io: the write-combining io_manager of the image writer.  What
 * is read back through the channel, and what the file holds after the
 * close, is always the newest write, whichever way the writes were
 * combined; consecutive block writes reach the file as one pwrite.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/image_io.h"
#include "tap.h"
#include "base/util.h"

#define BS 4096

static char path[] = "/tmp/test_image_io.XXXXXX";

/* a block filled with byte v */
static void fill(unsigned char *b, int v)
{
	memset(b, v, BS);
}

/* block blk of the channel is all byte v */
static bool reads_as(io_channel ch, unsigned long long blk, int v)
{
	unsigned char b[BS];
	if (io_channel_read_blk64(ch, blk, 1, b))
		return false;
	for (int i = 0; i < BS; i++)
		if (b[i] != v)
			return false;
	return true;
}

/* block blk of the file is all byte v */
static bool file_has(unsigned long long blk, int v)
{
	unsigned char b[BS];
	int fd = open(path, O_RDONLY);
	bool same = fd >= 0 && pread(fd, b, BS, (off_t)(blk * BS)) == BS;
	for (int i = 0; same && i < BS; i++)
		same = b[i] == v;
	if (fd >= 0)
		close(fd);
	return same;
}

static unsigned long long bytes_written(io_channel ch)
{
	io_stats st = NULL;
	if (!ch->manager->get_stats || ch->manager->get_stats(ch, &st) || !st)
		return 0;
	return st->bytes_written;
}

int main(void)
{
	unsigned char b[BS], many[8 * BS];
	io_channel ch = NULL;
	int fd = mkstemp(path);
	ok(fd >= 0 && ftruncate(fd, 64 * BS) == 0, "scratch file");
	close(fd);
	ok(image_io_manager->open(path, IO_FLAG_RW, &ch) == 0, "open");
	ok(io_channel_set_blksize(ch, BS) == 0, "block size");

	/* a clean cached copy (the read) must not survive a combined write over it */
	ok(reads_as(ch, 10, 0), "a hole reads as zeros");
	for (int i = 0; i < 8; i++) {
		fill(b, 0x10 + i);
		io_channel_write_blk64(ch, 8 + i, 1, b);
	}
	unsigned long long before = bytes_written(ch);
	ok(reads_as(ch, 10, 0x12), "a block written inside a run reads back new");
	ok(bytes_written(ch) - before == 8 * BS, "the run of 8 blocks went out as one write");
	ok(reads_as(ch, 8, 0x10) && reads_as(ch, 15, 0x17), "both ends of the run read back");

	/* rewrites inside the run, then a far write, then reads */
	fill(b, 0x21);
	io_channel_write_blk64(ch, 20, 1, b);
	fill(b, 0x22);
	io_channel_write_blk64(ch, 21, 1, b);
	fill(b, 0x23);
	io_channel_write_blk64(ch, 20, 1, b);
	fill(b, 0x30);
	io_channel_write_blk64(ch, 40, 1, b);
	ok(reads_as(ch, 20, 0x23) && reads_as(ch, 21, 0x22), "the last rewrite in a run wins");
	ok(reads_as(ch, 40, 0x30), "a block still pending reads back");

	/* a multi-block write overlapping the pending run */
	for (int i = 0; i < 8; i++)
		memset(many + i * BS, 0x40 + i, BS);
	fill(b, 0x50);
	io_channel_write_blk64(ch, 41, 1, b);
	io_channel_write_blk64(ch, 38, 8, many);
	ok(reads_as(ch, 40, 0x42) && reads_as(ch, 41, 0x43) && reads_as(ch, 45, 0x47),
	   "a later long write over pending blocks wins");

	/* byte writes and a block size change see pending blocks */
	fill(b, 0x60);
	io_channel_write_blk64(ch, 50, 1, b);
	ok(ch->manager->write_byte(ch, 50 * BS + 10, 3, "abc") == 0, "byte write");
	ok(io_channel_set_blksize(ch, 1024) == 0 && io_channel_set_blksize(ch, BS) == 0,
	   "block size change");
	ok(io_channel_read_blk64(ch, 50, 1, b) == 0 && b[9] == 0x60 && !memcmp(b + 10, "abc", 3) &&
	   b[13] == 0x60, "a byte write lands on the pending block");

	/* the close writes what is pending */
	fill(b, 0x70);
	io_channel_write_blk64(ch, 60, 1, b);
	ok(io_channel_close(ch) == 0, "close");
	ok(file_has(10, 0x12) && file_has(20, 0x23) && file_has(41, 0x43) && file_has(60, 0x70),
	   "the file holds the newest content of every block");
	unlink(path);
	return tap_done();
}
