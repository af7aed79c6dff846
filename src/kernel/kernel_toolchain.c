/*
 * kernel_toolchain: `--version` identities of gcc, ld and make, memoized
 * by (path, size, mtime, inode) of the resolved binary (format in
 * kernel_toolchain.h).
 */
#include "kernel/kernel_toolchain.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "kernel/kernel_proc.h"
#include "base/util.h"

/* the tools in the order they are stored; kbuild runs them by these names */
static const char *const tool_names[] = { "gcc", "ld", "make" };

struct tool {
	char *path;           /* resolved absolute path */
	struct stat st;       /* its stat */
	char *version;        /* first line of `--version` */
};

char *kernel_toolchain_find(const char *name)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	char *copy = xstrdup(path), *save = NULL, *found = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *cand = path_join(*dir ? dir : ".", name);
		if (access(cand, X_OK) == 0)
			found = realpath(cand, NULL);
		free(cand);
	}
	free(copy);
	return found;
}

static char *stat_key(const char *name, const struct tool *t)
{
	return xasprintf("%s\t%s\t%lld\t%lld\t%llu", name, t->path, (long long)t->st.st_size,
			 (long long)t->st.st_mtim.tv_sec * 1000000000LL + t->st.st_mtim.tv_nsec,
			 (unsigned long long)t->st.st_ino);
}

/* the version line memoized for key in memo text, newly allocated, or NULL */
static char *memo_lookup(const char *memo, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = memo; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '\t')
			return xstrndup(p + klen + 1, n - klen - 1);
		p = nl ? nl + 1 : p + n;
	}
	return NULL;
}

static void first_line(void *arg, const char *line, size_t len)
{
	char **out = arg;
	if (!*out)
		*out = xstrndup(line, len);
}

static int run_version(const char *path, char **version, struct error *err)
{
	char *argv[] = { (char *)path, (char *)"--version", NULL };
	int status;
	*version = NULL;
	if (kernel_proc_run(argv, NULL, -1, first_line, version, &status, err) < 0)
		return -1;
	if (status != 0 || !*version) {
		free(*version);
		*version = NULL;
		return error_set(err, "'%s --version' failed (exit %d)", path, status);
	}
	return 0;
}

int kernel_toolchain_identify(const char *memo_path, struct kernel_toolchain *tc, struct error *err)
{
	struct buf memo = BUF_INIT, fresh = BUF_INIT;
	struct error ignored = ERROR_INIT;
	char *versions[ARRAY_SIZE(tool_names)] = { NULL };
	bool changed = false;
	int ret = -1;
	if (read_file(memo_path, 1 << 20, &memo, &ignored) < 0)
		error_release(&ignored); /* no memo yet */
	for (size_t i = 0; i < ARRAY_SIZE(tool_names); i++) {
		struct tool t = { .path = kernel_toolchain_find(tool_names[i]) };
		if (!t.path || stat(t.path, &t.st) < 0) {
			error_set(err, "cannot find '%s' in PATH", tool_names[i]);
			free(t.path);
			goto out;
		}
		char *key = stat_key(tool_names[i], &t);
		versions[i] = memo_lookup(memo.data, key);
		if (!versions[i]) {
			changed = true;
			if (run_version(t.path, &versions[i], err) < 0) {
				free(key);
				free(t.path);
				goto out;
			}
		}
		buf_addf(&fresh, "%s\t%s\n", key, versions[i]);
		free(key);
		free(t.path);
	}
	if (changed && write_file_atomic(memo_path, fresh.data, fresh.len, 0644, &ignored) < 0)
		error_release(&ignored); /* a memo we cannot write only costs time */
	tc->compiler = versions[0];
	tc->binutils = versions[1];
	tc->make = versions[2];
	memset(versions, 0, sizeof(versions));
	ret = 0;
out:
	for (size_t i = 0; i < ARRAY_SIZE(tool_names); i++)
		free(versions[i]);
	buf_release(&memo);
	buf_release(&fresh);
	return ret;
}

char *kernel_toolchain_lto_plugin(void)
{
	char *argv[] = { "gcc", "-print-file-name=liblto_plugin.so", NULL };
	char *env[] = { "LC_ALL=C", "GCC_EXEC_PREFIX", "COMPILER_PATH", NULL };
	struct error err = ERROR_INIT;
	char *line = NULL;
	int status = 0;
	/* gcc prints the bare name when it has no such file */
	if (kernel_proc_run(argv, env, -1, first_line, &line, &status, &err) < 0 || status != 0 ||
	    !line || line[0] != '/' || access(line, R_OK) != 0) {
		error_release(&err);
		free(line);
		return NULL;
	}
	return line;
}

void kernel_toolchain_release(struct kernel_toolchain *tc)
{
	free(tc->compiler);
	free(tc->binutils);
	free(tc->make);
	tc->compiler = tc->binutils = tc->make = NULL;
}
