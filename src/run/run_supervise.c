/*
 * run_supervise: start the hypervisor and stay with it until it ends.
 *
 * The child keeps the terminal as its standard input (so the console is
 * interactive and Ctrl-C reaches it too), while its standard output and
 * error come back through pipes: mvbuild copies them to its own and scans
 * them, because qemu does not exit after a KVM internal error, it spins;
 * seeing "KVM internal error" or "emulation failure" stops the VM.
 *
 * Signals are taken through a signalfd so the loop sees them in order
 * with the output; SIGINT, SIGTERM and SIGHUP stop the VM (SIGTERM, then
 * SIGKILL after a grace period).  The child asks for SIGKILL when mvbuild
 * dies (PR_SET_PDEATHSIG), so killing mvbuild never orphans a VM.
 */
#include "run/run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "base/progress.h"
#include "base/util.h"

#define GRACE_SECONDS 2.0
#define TAIL 64

static const char *const failure_patterns[] = {
	"KVM internal error",        /* qemu */
	"emulation failure",         /* qemu */
	"KVM_EXIT_INTERNAL_ERROR",   /* Firecracker */
};

/* one output stream of the child: its pipe, where it goes, and a tail for matching */
struct stream {
	int fd;            /* read end, -1 once closed */
	int out;           /* our descriptor it is copied to */
	char tail[TAIL];   /* the last bytes seen, for patterns split across reads */
	size_t tail_len;
};

struct supervisor {
	const struct run_spec *spec;
	pid_t pid;                 /* the child, 0 once reaped */
	int sigfd;                 /* signalfd for SIGINT/SIGTERM/SIGHUP/SIGCHLD */
	struct stream streams[2];  /* stdout, stderr */
	double kill_at;            /* when to SIGKILL after a SIGTERM, 0 when not stopping */
	struct run_result *res;
};

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* our terminal went away: keep draining the child regardless */
		p += w;
		n -= (size_t)w;
	}
}

static bool scan(struct stream *s, const char *data, size_t n)
{
	struct buf b = BUF_INIT;
	buf_add(&b, s->tail, s->tail_len);
	buf_add(&b, data, n);
	bool hit = false;
	for (size_t i = 0; i < ARRAY_SIZE(failure_patterns) && !hit; i++)
		hit = memmem(b.data, b.len, failure_patterns[i], strlen(failure_patterns[i])) != NULL;
	s->tail_len = b.len < TAIL ? b.len : TAIL;
	memcpy(s->tail, b.data + b.len - s->tail_len, s->tail_len);
	buf_release(&b);
	return hit;
}

static void stop_child(struct supervisor *sv)
{
	if (sv->pid <= 0 || sv->kill_at > 0)
		return;
	kill(sv->pid, SIGTERM);
	sv->kill_at = now_monotonic() + GRACE_SECONDS;
}

static void read_stream(struct supervisor *sv, struct stream *s)
{
	char chunk[65536];
	ssize_t n = read(s->fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(s->fd);
		s->fd = -1;
		return;
	}
	write_all(s->out, chunk, (size_t)n);
	if (!sv->res->kvm_failure && scan(s, chunk, (size_t)n)) {
		sv->res->kvm_failure = true;
		progress_note(sv->spec->progress, NULL, "%s hit a KVM failure; stopping it",
			      sv->spec->name);
		stop_child(sv);
	}
}

static void reap(struct supervisor *sv)
{
	int status;
	pid_t r = waitpid(sv->pid, &status, WNOHANG);
	if (r != sv->pid)
		return;
	sv->pid = 0;
	if (WIFEXITED(status))
		sv->res->status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		sv->res->status = 128 + WTERMSIG(status);
}

static void read_signal(struct supervisor *sv)
{
	struct signalfd_siginfo si;
	if (read(sv->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGCHLD) {
		reap(sv);
		return;
	}
	if (!sv->res->signal)
		sv->res->signal = (int)si.ssi_signo;
	stop_child(sv);
}

static void loop(struct supervisor *sv)
{
	while (sv->pid > 0 || sv->streams[0].fd >= 0 || sv->streams[1].fd >= 0) {
		struct pollfd p[3] = {
			{ sv->sigfd, POLLIN, 0 },
			{ sv->streams[0].fd, POLLIN, 0 },
			{ sv->streams[1].fd, POLLIN, 0 },
		};
		int timeout = -1;
		if (sv->kill_at > 0 && sv->pid > 0) {
			double left = sv->kill_at - now_monotonic();
			if (left <= 0) {
				kill(sv->pid, SIGKILL);
				sv->kill_at = now_monotonic() + 3600;
				continue;
			}
			timeout = (int)(left * 1000) + 1;
		}
		/* once the child is gone, drain what is left without waiting for signals */
		int n = poll(sv->pid > 0 ? p : p + 1, sv->pid > 0 ? 3 : 2, timeout);
		if (n < 0 && errno != EINTR)
			break;
		if (sv->pid > 0 && (p[0].revents & POLLIN))
			read_signal(sv);
		for (int i = 0; i < 2; i++)
			if (sv->streams[i].fd >= 0 && (p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				read_stream(sv, &sv->streams[i]);
	}
}

static void exec_child(const struct run_spec *spec, const sigset_t *old_mask, pid_t parent,
		       int out_w, int err_w)
{
	/* die with mvbuild; the check closes the race with a parent that already died */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	if (dup2(out_w, STDOUT_FILENO) < 0 || dup2(err_w, STDERR_FILENO) < 0)
		_exit(127);
	execvp(spec->argv[0], spec->argv);
	dprintf(STDERR_FILENO, "mvbuild: cannot run '%s': %s\n", spec->argv[0], strerror(errno));
	_exit(127);
}

static int start(struct supervisor *sv, const sigset_t *old_mask, struct error *err)
{
	int out[2], errp[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return error_errno(err, errno, "cannot create a pipe for %s", sv->spec->name);
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return error_errno(err, errno, "cannot create a pipe for %s", sv->spec->name);
	}
	pid_t parent = getpid();
	sv->pid = fork();
	if (sv->pid == 0)
		exec_child(sv->spec, old_mask, parent, out[1], errp[1]);
	int saved = errno;
	close(out[1]);
	close(errp[1]);
	sv->streams[0] = (struct stream){ .fd = out[0], .out = STDOUT_FILENO };
	sv->streams[1] = (struct stream){ .fd = errp[0], .out = STDERR_FILENO };
	if (sv->pid < 0) {
		close(out[0]);
		close(errp[0]);
		return error_errno(err, saved, "cannot start %s", sv->spec->name);
	}
	return 0;
}

int run_supervise(const struct run_spec *spec, struct run_result *res, struct error *err)
{
	struct supervisor sv = { .spec = spec, .res = res, .sigfd = -1 };
	memset(res, 0, sizeof(*res));
	sigset_t mask, old_mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	struct termios tio;
	bool tty = tcgetattr(STDIN_FILENO, &tio) == 0;
	void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
	pthread_sigmask(SIG_BLOCK, &mask, &old_mask);
	int ret = -1;
	sv.sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sv.sigfd < 0) {
		error_errno(err, errno, "cannot watch signals");
		goto out;
	}
	/* what mvbuild said so far must come before the console */
	fflush(NULL);
	double t0 = now_monotonic();
	if (start(&sv, &old_mask, err) < 0)
		goto out;
	loop(&sv);
	res->seconds = now_monotonic() - t0;
	ret = 0;
out:
	if (sv.sigfd >= 0)
		close(sv.sigfd);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	signal(SIGPIPE, old_pipe);
	/* a hypervisor killed while the console was raw leaves the terminal raw */
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &tio);
	return ret;
}
