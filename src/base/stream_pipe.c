/*
 * stream_pipe: see stream_pipe.h.  The reader gets one end of a socket
 * pair; the thread sends decoded blocks into the other.  When the reader
 * closes its end the send fails (MSG_NOSIGNAL, so no SIGPIPE); the thread
 * then either stops (the reader failed: nothing will be published) or
 * keeps decoding into nothing to reach the stream's end and its checks.
 */
#include "base/stream_pipe.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/stream_decode.h"
#include "base/util.h"

struct stream_pipe {
	int file;              /* the compressed file */
	enum stream_format fmt; /* its compression, from its magic */
	int out;               /* the thread's end of the socket pair, or -1 once the reader left */
	int reader;            /* the reader's end, or -1 once closed */
	atomic_bool stop;      /* the reader failed: stop decoding */
	bool halted;           /* the thread stopped because of stop, not an error of its own */
	bool started;          /* the thread runs */
	stream_sink_fn tap;    /* gets the file's own bytes as the thread reads them, or NULL */
	void *tap_arg;
	struct error err;      /* the thread's verdict */
	pthread_t thread;
};

static int send_block(void *arg, const void *data, size_t n, struct error *err)
{
	struct stream_pipe *p = arg;
	const char *at = data;
	while (n && p->out >= 0) {
		ssize_t sent = send(p->out, at, n, MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0) {
			/* the reader has what it wanted; the rest is only decoded, to be checked */
			close(p->out);
			p->out = -1;
			break;
		}
		at += sent;
		n -= (size_t)sent;
	}
	if (atomic_load(&p->stop)) {
		p->halted = true;
		return error_set(err, "decompression stopped");
	}
	return 0;
}

static void *pipe_main(void *arg)
{
	struct stream_pipe *p = arg;
	stream_decode_tapped(p->file, p->fmt, p->tap, p->tap_arg, send_block, p, &p->err);
	if (p->out >= 0) {
		close(p->out);
		p->out = -1;
	}
	return NULL;
}

static void pipe_free(struct stream_pipe *p)
{
	if (p->file >= 0)
		close(p->file);
	if (p->reader >= 0)
		close(p->reader);
	if (p->out >= 0)
		close(p->out);
	error_release(&p->err);
	free(p);
}

struct stream_pipe *stream_pipe_open(const char *path, int *fd, stream_sink_fn tap, void *tap_arg,
				     struct error *err)
{
	struct stream_pipe *p = xcalloc(1, sizeof(*p));
	int fds[2];
	p->out = p->reader = -1;
	if ((p->file = open_regular(path, err)) < 0 || stream_decode_detect(p->file, &p->fmt, err) < 0)
		goto fail;
	p->tap = tap;
	p->tap_arg = tap_arg;
	/* a plain file is read by the reader itself, which taps what it reads (stream_pipe.h) */
	if (p->fmt == STREAM_NONE) {
		*fd = p->file;
		return p;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
		error_errno(err, errno, "cannot make a socket pair");
		goto fail;
	}
	int sndbuf = 1 << 20;
	setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	p->reader = fds[0];
	p->out = fds[1];
	if (pthread_create(&p->thread, NULL, pipe_main, p) != 0) {
		error_set(err, "cannot start a decompression thread");
		goto fail;
	}
	p->started = true;
	*fd = p->reader;
	return p;
fail:
	pipe_free(p);
	return NULL;
}

bool stream_pipe_plain(const struct stream_pipe *p)
{
	return !p->started;
}

int stream_pipe_close(struct stream_pipe *p, bool check, struct error *err)
{
	int ret = 0;
	if (!p)
		return 0;
	if (p->started) {
		atomic_store(&p->stop, !check);
		close(p->reader);
		p->reader = -1;
		pthread_join(p->thread, NULL);
		if (error_is_set(&p->err) && !p->halted) {
			error_move(err, &p->err);
			ret = -1;
		}
	} else if (check && p->tap) {
		/* the reader tapped what it read; the rest of the file (after the tar end) follows */
		ret = stream_decode_rest(p->file, p->tap, p->tap_arg, err);
	}
	pipe_free(p);
	return ret;
}
