/*
 * Unit tests for interrupt and kernel_proc's child loop: a caught SIGINT
 * sets the flag and the self-pipe, kernel_proc_run stops a running child and
 * everything it started (its process group), and the dispositions come back
 * on release.  Real processes (sh, sleep); the signal is raised by a thread.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/interrupt.h"
#include "kernel/kernel_proc.h"
#include "tap.h"
#include "base/util.h"

/* the shell's pid, printed as its first line */
static void first_line(void *arg, const char *line, size_t len)
{
	long *pid = arg;
	if (!*pid)
		*pid = strtol(line, NULL, 10);
}

/* once the child has said its pid, interrupt the process */
static void *raise_later(void *arg)
{
	volatile long *pid = arg;
	while (!*pid)
		usleep(10000);
	kill(getpid(), SIGINT);
	return NULL;
}

/* true once process group pgid has no member left (bounded wait for the kernel to reap) */
static bool group_gone(long pgid)
{
	for (int i = 0; i < 500; i++) {
		if (kill(-(pid_t)pgid, 0) < 0 && errno == ESRCH)
			return true;
		usleep(10000);
	}
	return false;
}

int main(void)
{
	struct error err = ERROR_INIT;
	ok(interrupt_catch(&err) == 0, "SIGINT and SIGTERM are caught");
	ok(!interrupt_pending() && interrupt_fd() >= 0, "nothing pending, a pipe to poll");

	/* a shell that starts a grandchild and waits: both must be stopped */
	char *argv[] = { "sh", "-c", "echo $$; sleep 60 & wait", NULL };
	long pid = 0;
	pthread_t t;
	pthread_create(&t, NULL, raise_later, &pid);
	int status = 0;
	int ret = kernel_proc_run(argv, NULL, -1, first_line, &pid, &status, &err);
	pthread_join(t, NULL);
	ok(ret < 0 && err.kind == ERROR_INTERRUPTED, "kernel_proc_run returns an interrupted error");
	ok(interrupt_pending() && interrupt_signal() == SIGINT, "the flag holds SIGINT");
	ok(interrupt_exit_status() == 130, "the exit status is 130");
	ok(pid > 0 && group_gone(pid), "the child and its grandchild are gone");
	struct pollfd p = { .fd = interrupt_fd(), .events = POLLIN };
	ok(poll(&p, 1, 0) == 1, "the self-pipe stays readable");
	error_release(&err);

	interrupt_release();
	struct sigaction sa;
	sigaction(SIGINT, NULL, &sa);
	ok(sa.sa_handler == SIG_DFL, "release restores the default disposition");
	ok(interrupt_catch(&err) == 0 && !interrupt_pending(), "a new catch forgets the old interrupt");
	interrupt_release();
	return tap_done();
}
