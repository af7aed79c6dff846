/*
 * interrupt: the SIGINT/SIGTERM handler and its self-pipe (see
 * interrupt.h).  The handler does only async-signal-safe things: it stores
 * the signal number and writes one byte to a non-blocking pipe that nobody
 * drains, so "interrupted" stays readable for every poll() that asks.
 */
#include "base/interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* what the handler reaches: the signal caught, and the self-pipe */
static volatile sig_atomic_t caught_signal;
static int self_pipe[2] = { -1, -1 };
/* the dispositions to restore; touched only outside the handler */
static struct sigaction old_int, old_term;
static bool int_caught, term_caught;

static void on_signal(int sig)
{
	int saved = errno;
	caught_signal = sig;
	if (self_pipe[1] >= 0) {
		ssize_t w = write(self_pipe[1], "!", 1);
		(void)w; /* a full pipe already says "interrupted" */
	}
	errno = saved;
}

/* the pipe, made once and kept for the process's life; drained of old news */
static int open_pipe(struct error *err)
{
	if (self_pipe[0] < 0 && pipe2(self_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return error_errno(err, errno, "cannot create the interrupt pipe");
	char drain[64];
	while (read(self_pipe[0], drain, sizeof(drain)) > 0)
		;
	return 0;
}

int interrupt_catch(struct error *err)
{
	if (open_pipe(err) < 0)
		return -1;
	caught_signal = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* library code (libext2fs, libarchive) is not written for EINTR; poll() still wakes */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, NULL, &old_int);
	int_caught = old_int.sa_handler != SIG_IGN;
	if (int_caught && sigaction(SIGINT, &sa, NULL) < 0)
		return error_errno(err, errno, "cannot catch SIGINT");
	term_caught = sigaction(SIGTERM, &sa, &old_term) == 0;
	if (!term_caught)
		return error_errno(err, errno, "cannot catch SIGTERM");
	return 0;
}

void interrupt_release(void)
{
	if (int_caught)
		sigaction(SIGINT, &old_int, NULL);
	if (term_caught)
		sigaction(SIGTERM, &old_term, NULL);
	int_caught = term_caught = false;
}

bool interrupt_pending(void)
{
	return caught_signal != 0;
}

int interrupt_signal(void)
{
	return caught_signal;
}

int interrupt_fd(void)
{
	return self_pipe[0];
}

int interrupt_error(struct error *err)
{
	return error_setk(err, ERROR_INTERRUPTED, "interrupted");
}

int interrupt_exit_status(void)
{
	return 128 + (caught_signal ? caught_signal : SIGINT);
}
