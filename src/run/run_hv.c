/*
 * run_hv: from a cached launch config to the command line for this host:
 * placeholder substitution, the qemu binary for the accelerator, finding
 * and version-checking Firecracker, and capturing a tool's version output.
 */
#include "run/run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/json.h"
#include "base/util.h"

static void add_commas_doubled(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == ',')
			buf_addc(b, ',');
		buf_addc(b, *s);
	}
}

/* the placeholder of paths that comes first in s (*at: where), or -1 when none does */
static int next_placeholder(const char *s, const char *const names[], const char **at)
{
	int which = -1;
	*at = NULL;
	for (int i = 0; i < 3; i++) {
		const char *p = strstr(s, names[i]);
		if (p && (!*at || p < *at))
			*at = p, which = i;
	}
	return which;
}

static char *substitute_one(const char *arg, const struct run_paths *paths)
{
	static const char *const names[] = { LAUNCH_KERNEL, LAUNCH_IMAGE, LAUNCH_INITRD };
	const char *values[] = { paths->kernel, paths->image, paths->initrd };
	for (int i = 0; i < 3; i++)
		if (strcmp(arg, names[i]) == 0 && values[i])
			return xstrdup(values[i]);
	struct buf b = BUF_INIT;
	while (*arg) {
		const char *next;
		int which = next_placeholder(arg, names, &next);
		if (which < 0) {
			buf_adds(&b, arg);
			break;
		}
		buf_add(&b, arg, (size_t)(next - arg));
		if (values[which])
			add_commas_doubled(&b, values[which]);
		else /* a path the profile does not have: left as it is */
			buf_adds(&b, names[which]);
		arg = next + strlen(names[which]);
	}
	return buf_detach(&b);
}

void run_substitute_argv(char **args, size_t n, const struct run_paths *paths)
{
	for (size_t i = 0; i < n; i++) {
		char *s = substitute_one(args[i], paths);
		free(args[i]);
		args[i] = s;
	}
}

char *run_substitute_json(const char *text, const struct run_paths *paths)
{
	static const char *const quoted[] = { "\"" LAUNCH_KERNEL "\"", "\"" LAUNCH_IMAGE "\"",
					      "\"" LAUNCH_INITRD "\"" };
	const char *values[] = { paths->kernel, paths->image, paths->initrd };
	struct buf b = BUF_INIT;
	while (*text) {
		const char *next;
		int which = next_placeholder(text, quoted, &next);
		if (which < 0) {
			buf_adds(&b, text);
			break;
		}
		buf_add(&b, text, (size_t)(next - text));
		if (values[which])
			json_add_string(&b, values[which]);
		else
			buf_adds(&b, quoted[which]);
		text = next + strlen(quoted[which]);
	}
	return buf_detach(&b);
}

void run_substitute_placeholder(char **args, size_t n, const char *placeholder, const char *path)
{
	size_t plen = strlen(placeholder);
	for (size_t i = 0; i < n; i++) {
		if (!strstr(args[i], placeholder))
			continue;
		struct buf b = BUF_INIT;
		const char *arg = args[i], *next;
		if (strcmp(arg, placeholder) == 0) {
			buf_adds(&b, path);
		} else {
			while ((next = strstr(arg, placeholder))) {
				buf_add(&b, arg, (size_t)(next - arg));
				add_commas_doubled(&b, path);
				arg = next + plen;
			}
			buf_adds(&b, arg);
		}
		free(args[i]);
		args[i] = buf_detach(&b);
	}
}

char *run_substitute_json_placeholder(const char *text, const char *placeholder, const char *path)
{
	char *quoted = xasprintf("\"%s\"", placeholder);
	struct buf b = BUF_INIT;
	const char *next;
	while ((next = strstr(text, quoted))) {
		buf_add(&b, text, (size_t)(next - text));
		json_add_string(&b, path);
		text = next + strlen(quoted);
	}
	buf_adds(&b, text);
	free(quoted);
	return buf_detach(&b);
}

char *run_find_program(const char *name)
{
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	const char *path = getenv("PATH");
	char *copy = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	char *found = NULL, *save = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *candidate = path_join(*dir ? dir : ".", name);
		if (access(candidate, X_OK) == 0)
			found = candidate;
		else
			free(candidate);
	}
	free(copy);
	return found;
}

static void capture_child(char *const argv[], int out)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(out, STDERR_FILENO) < 0)
		_exit(127);
	execvp(argv[0], argv);
	_exit(127);
}

int run_capture(char *const argv[], struct buf *out, struct error *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return error_errno(err, errno, "cannot run '%s'", argv[0]);
	pid_t pid = fork();
	if (pid == 0)
		capture_child(argv, p[1]);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return error_errno(err, errno, "cannot run '%s'", argv[0]);
	}
	double deadline = now_monotonic() + 10;
	char chunk[4096];
	for (;;) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		int left = (int)((deadline - now_monotonic()) * 1000);
		if (left <= 0 || poll(&pfd, 1, left) <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		ssize_t n = read(p[0], chunk, sizeof(chunk));
		if (n <= 0)
			break;
		if (out->len < (1 << 20))
			buf_add(out, chunk, (size_t)n);
	}
	close(p[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && out->len == 0)
		return error_set(err, "cannot run '%s'", argv[0]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

char *run_tool_version(const char *program, const char *flag)
{
	char *path = run_find_program(program);
	if (!path)
		return NULL;
	char *arg = xstrdup(flag);
	char *argv[] = { path, arg, NULL };
	struct buf out = BUF_INIT;
	struct error err = ERROR_INIT;
	int status = run_capture(argv, &out, &err);
	const char *text = out.data ? out.data : "";
	char *first = xstrndup(text, strcspn(text, "\n"));
	char *value = status < 0 || !*first ? xasprintf("unknown version (%s)", path)
					    : xasprintf("%s (%s)", first, path);
	free(first);
	buf_release(&out);
	error_release(&err);
	free(arg);
	free(path);
	return value;
}

int run_qemu_argv(const struct json *cfg, enum accel a, const char *binary,
		  const struct run_paths *paths, struct launch_argv *out, struct error *err)
{
	const struct json *argv = json_get(json_get(cfg, "argv"), a == ACCEL_KVM ? "kvm" : "tcg");
	if (!argv || argv->type != JSON_ARRAY || argv->n < 2)
		return error_set(err, "qemu.json has no argv for %s", a == ACCEL_KVM ? "kvm" : "tcg");
	for (size_t i = 0; i < argv->n; i++) {
		if (argv->items[i].type != JSON_STRING)
			return error_set(err, "qemu.json: argument %zu is not a string", i);
		launch_argv_add(out, argv->items[i].string);
	}
	char *chosen = binary ? xstrdup(binary) : NULL;
	/* the reduced binary has no TCG, so it is only ever a choice under KVM */
	if (!chosen && a == ACCEL_KVM)
		chosen = run_find_program("qemu-system-x86_64-microvm");
	if (chosen) {
		free(out->v[0]);
		out->v[0] = chosen;
	}
	run_substitute_argv(out->v, out->n, paths);
	return 0;
}

/* "Firecracker v1.14.2" -> major 1; -1 when the text is not Firecracker's */
static int firecracker_major(const char *text)
{
	const char *v = strstr(text, "Firecracker v");
	return v ? atoi(v + strlen("Firecracker v")) : -1;
}

int run_firecracker_find(const char *configured, char **path, char **version,
			 struct error *err)
{
	*path = run_find_program(configured ? configured : "firecracker");
	*version = NULL;
	if (!*path)
		return configured ? error_set(err, "firecracker binary '%s' is not an executable",
					      configured)
				  : error_set(err, "firecracker not found on PATH (install a release "
					      "binary, or set firecracker: {binary: PATH} in the profile)");
	char *argv[] = { *path, "--version", NULL };
	struct buf out = BUF_INIT;
	int status = run_capture(argv, &out, err);
	int major = out.data ? firecracker_major(out.data) : -1;
	if (status == 0 && major >= 1) {
		const char *v = strstr(out.data, "Firecracker v") + strlen("Firecracker ");
		*version = xstrndup(v, strcspn(v, " \n"));
	}
	buf_release(&out);
	if (status < 0)
		return -1;
	if (!*version)
		return error_set(err, "'%s' is not Firecracker v1.0 or later (its --version says "
				 "otherwise)", *path);
	return 0;
}
