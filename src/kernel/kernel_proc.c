/*
 * kernel_proc: fork/exec with added environment, output through a pipe
 * into a log and a line callback (see kernel_proc.h).
 */
#include "kernel/kernel_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/interrupt.h"
#include "base/util.h"

/* in the child: add env_add to the environment and exec; never returns */
static void exec_child(char *const argv[], char *const env_add[])
{
	for (size_t i = 0; env_add && env_add[i]; i++)
		putenv(env_add[i]);
	execvp(argv[0], argv);
	_exit(127);
}

static int wait_child(pid_t pid, int *status, const char *name, struct error *err)
{
	int ws;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return error_errno(err, errno, "cannot wait for '%s'", name);
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	if (*status == 127)
		return error_set(err, "cannot run '%s' (not found in PATH?)", name);
	return 0;
}

/* feed complete lines of pending to fn, keeping an unfinished last line */
static void split_lines(struct buf *pending, kproc_line_fn *fn, void *arg, bool flush)
{
	size_t start = 0;
	for (size_t i = 0; i < pending->len; i++) {
		if (pending->data[i] == '\n') {
			if (fn)
				fn(arg, pending->data + start, i - start);
			start = i + 1;
		}
	}
	if (flush && start < pending->len) {
		if (fn)
			fn(arg, pending->data + start, pending->len - start);
		start = pending->len;
	}
	if (start) /* never memmove from a buffer not yet allocated */
		memmove(pending->data, pending->data + start, pending->len - start);
	pending->len -= start;
	if (pending->data)
		pending->data[pending->len] = '\0';
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* a full log disk must not stop the build; make's status decides */
		p += w;
		n -= (size_t)w;
	}
}

/*
 * Wait until the child's output fd has something, or an interrupt came.
 * Returns false on an interrupt.
 */
static bool wait_output(int fd)
{
	struct pollfd fds[2] = { { .fd = fd, .events = POLLIN }, { .fd = interrupt_fd(), .events = POLLIN } };
	for (;;) {
		if (interrupt_pending())
			return false;
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			return true; /* let read() say what is wrong */
		if (fds[0].revents)
			return true;
	}
}

/* stop the child and everything it started (its process group), and reap it */
static int stop_child(pid_t pid, const char *name, struct error *err)
{
	int status;
	kill(-pid, SIGTERM);
	wait_child(pid, &status, name, err);
	return error_setk(err, ERROR_INTERRUPTED, "interrupted: stopped '%s'", name);
}

int kernel_proc_run(char *const argv[], char *const env_add[], int log_fd, kproc_line_fn *fn, void *arg,
	      int *status, struct error *err)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return error_errno(err, errno, "cannot create a pipe for '%s'", argv[0]);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return error_errno(err, errno, "cannot start '%s'", argv[0]);
	}
	if (pid == 0) {
		/* its own process group, so an interrupt stops make and every compiler it runs */
		setpgid(0, 0);
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0)
			_exit(126);
		exec_child(argv, env_add);
	}
	setpgid(pid, pid); /* the child does it too: whoever runs first */
	close(fds[1]);
	struct buf pending = BUF_INIT;
	char chunk[16384];
	bool interrupted = false;
	for (;;) {
		if (!wait_output(fds[0])) {
			interrupted = true;
			break;
		}
		ssize_t r = read(fds[0], chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (log_fd >= 0)
			write_all(log_fd, chunk, (size_t)r);
		buf_add(&pending, chunk, (size_t)r);
		split_lines(&pending, fn, arg, false);
	}
	split_lines(&pending, fn, arg, !interrupted);
	buf_release(&pending);
	close(fds[0]);
	if (interrupted)
		return stop_child(pid, argv[0], err);
	return wait_child(pid, status, argv[0], err);
}

int kernel_proc_run_interactive(char *const argv[], char *const env_add[], int *status, struct error *err)
{
	pid_t pid = fork();
	if (pid < 0)
		return error_errno(err, errno, "cannot start '%s'", argv[0]);
	if (pid == 0)
		exec_child(argv, env_add);
	return wait_child(pid, status, argv[0], err);
}
