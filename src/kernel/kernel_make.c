/*
 * kernel_make: configure and build a kernel with kbuild out of tree (see
 * kernel_make.h).  Every make runs with the same fixed environment, so the
 * only things that shape the output are the source, the config and the
 * toolchain, which is what the action key covers.
 */
#include "kernel/kernel_make.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "kernel/kernel_cc.h"
#include "kernel/kernel_proc.h"
#include "kernel/kernel_progress.h"
#include "base/progress.h"
#include "base/util.h"

/* lines of the log kept for the error message of a failed make */
#define TAIL_LINES 25
/* how often the status line is refreshed, in seconds */
#define STATUS_INTERVAL 0.5

/*
 * The fixed environment: identity strings that kbuild would take from the
 * clock, the user and the host, and the removal (no '=') of variables that
 * would make the child make or Kconfig behave differently from the recipe.
 */
static char *const fixed_env[] = {
	"KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970",
	"KBUILD_BUILD_USER=mvbuild",
	"KBUILD_BUILD_HOST=mvbuild",
	"KBUILD_BUILD_VERSION=1",
	"LC_ALL=C",
	"TZ=UTC",
	"SOURCE_DATE_EPOCH=0",
	"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GNUMAKEFLAGS",
	"KBUILD_OUTPUT", "KCONFIG_CONFIG", "KCONFIG_ALLCONFIG", "KCFLAGS", "KAFLAGS",
	"KCPPFLAGS", "CROSS_COMPILE", "LLVM", "CC", "LD", "INSTALL_PATH",
	/* gcc reads these, and ccache does not hash them: a hit must not depend on them */
	"CPATH", "C_INCLUDE_PATH", "GCC_EXEC_PREFIX", "COMPILER_PATH", "DEPENDENCIES_OUTPUT",
	"SUNPRO_DEPENDENCIES", "GCC_COMPARE_DEBUG",
	NULL,
};

const char *kernel_make_srcarch(const char *arch)
{
	if (strcmp(arch, "x86_64") == 0 || strcmp(arch, "i386") == 0)
		return "x86";
	return arch;
}

const char *kernel_make_base_name(enum kernel_base_kind base)
{
	switch (base) {
	case KBASE_ALLNOCONFIG: return "allnoconfig";
	case KBASE_TINYCONFIG: return "tinyconfig";
	case KBASE_DEFCONFIG: return "defconfig";
	case KBASE_ALLDEFCONFIG: return "alldefconfig";
	case KBASE_FILE: return "file";
	}
	return "unknown";
}

int kernel_make_open_log(struct kmake *m, struct error *err)
{
	m->log_path = path_join(m->objdir, "build.log");
	m->log_fd = open(m->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (m->log_fd < 0)
		return error_errno(err, errno, "cannot create '%s'", m->log_path);
	return 0;
}

void kernel_make_release(struct kmake *m)
{
	if (m->log_fd >= 0)
		close(m->log_fd);
	m->log_fd = -1;
	free(m->log_path);
	m->log_path = NULL;
	free(m->lto_plugin);
	m->lto_plugin = NULL;
}

/* what a running make reports back */
struct watch {
	struct kmake *m;
	double started;       /* when make started */
	double last_status;   /* when the status line was last refreshed */
	unsigned objects;     /* CC and AS lines seen */
	unsigned total;       /* objects expected (kernel_progress), 0 when unknown */
	bool incremental;     /* objects were there before: "recompiled", no total */
	char *tail[TAIL_LINES];  /* the last lines, a ring */
	size_t n_lines;       /* lines seen */
};

static void watch_line(void *arg, const char *line, size_t len)
{
	struct watch *w = arg;
	char **slot = &w->tail[w->n_lines++ % TAIL_LINES];
	free(*slot);
	*slot = xstrndup(line, len);
	if (str_startswith(*slot, "  CC ") || str_startswith(*slot, "  AS "))
		w->objects++;
	double now = now_monotonic();
	if (now - w->last_status >= STATUS_INTERVAL) {
		w->last_status = now;
		struct progress_counts c = PROGRESS_COUNTS_INIT("objects");
		c.done = w->objects;
		c.total = w->incremental ? 0 : w->total;
		c.estimated = c.total > 0;
		c.elapsed = now - w->started;
		c.eta = kernel_progress_eta(w->objects, w->total, w->incremental, c.elapsed);
		char text[96];
		kernel_progress_format(text, sizeof(text), w->objects, w->total, w->incremental, c.elapsed);
		progress_counts(w->m->progress, w->m->node_id, &c, "%s", text);
	}
}

/*
 * make's command line: make -C SRC O=OBJ ARCH=A -jN KCFLAGS=... then args;
 * with ccache or distcc (kernel_cc.h) also CC, and the maps of the source
 * tree's relative spelling, and -j up to distcc's slots
 */
static char **make_argv(const struct kmake *m, char *const args[], size_t n_args)
{
	const struct kernel_cc *cc = m->cc;
	char **argv = xcalloc(n_args + 12, sizeof(*argv));
	size_t n = 0;
	int jobs = m->jobs > 0 ? m->jobs : 1;
	if (cc && cc->distcc_slots > jobs)
		jobs = cc->distcc_slots;
	argv[n++] = xstrdup("make");
	argv[n++] = xstrdup("-C");
	argv[n++] = xstrdup(m->srcdir);
	argv[n++] = xasprintf("O=%s", m->objdir);
	argv[n++] = xasprintf("ARCH=%s", m->arch);
	argv[n++] = xasprintf("-j%d", jobs);
	/* debug info would carry the tree's and object directory's paths: map them away */
	argv[n++] = xasprintf("KCFLAGS=-fdebug-prefix-map=%s=. -fdebug-prefix-map=%s=.%s%s",
			      m->srcdir, m->objdir, cc && cc->kcflags ? " " : "",
			      cc && cc->kcflags ? cc->kcflags : "");
	if (cc && cc->kcppflags)
		argv[n++] = xasprintf("KCPPFLAGS=%s", cc->kcppflags);
	if (cc && cc->cc) /* host programs keep kbuild's HOSTCC: see docs/kernel.md */
		argv[n++] = xasprintf("CC=%s", cc->cc);
	if (m->lto_plugin) /* nm loads gcc's plugin only, not libLLVM per object (kernel_toolchain.h) */
		argv[n++] = xasprintf("NM=nm --plugin %s", m->lto_plugin);
	for (size_t i = 0; i < n_args; i++)
		argv[n++] = xstrdup(args[i]);
	return argv;
}

static void free_argv(char **argv)
{
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* the fixed environment, kernel_cc's and extra (may be NULL), in that order; caller frees the array */
static char **make_env(const struct kmake *m, const char *extra)
{
	size_t n_cc = m->cc ? m->cc->n_env : 0, n = 0;
	char **env = xcalloc(ARRAY_SIZE(fixed_env) + n_cc + 2, sizeof(*env));
	for (size_t i = 0; fixed_env[i]; i++)
		env[n++] = fixed_env[i];
	for (size_t i = 0; i < n_cc; i++)
		env[n++] = m->cc->env[i];
	if (extra) /* last, so it wins over a removal above */
		env[n++] = (char *)extra;
	env[n] = NULL;
	return env;
}

/*
 * Run make with args and extra environment, reporting through w (the
 * caller fills in what it knows of the total); on failure err holds the
 * log's tail.
 */
static int run_make(struct kmake *m, char *const args[], size_t n_args, const char *extra_env,
		    struct watch *w, struct error *err)
{
	char **env = make_env(m, extra_env);
	char **argv = make_argv(m, args, n_args);
	w->m = m;
	w->started = now_monotonic();
	int status = 0, ret = kernel_proc_run(argv, env, m->log_fd, watch_line, w, &status, err);
	if (ret == 0 && status != 0) {
		struct buf msg = BUF_INIT;
		buf_addf(&msg, "make");
		for (size_t i = 0; i < n_args; i++)
			buf_addf(&msg, " %s", args[i]);
		buf_addf(&msg, " failed (exit %d); last lines of '%s':", status, m->log_path);
		size_t first = w->n_lines > TAIL_LINES ? w->n_lines - TAIL_LINES : 0;
		for (size_t i = first; i < w->n_lines; i++)
			buf_addf(&msg, "\n  %s", w->tail[i % TAIL_LINES]);
		error_set(err, "%s", msg.data);
		buf_release(&msg);
		ret = -1;
	}
	for (size_t i = 0; i < TAIL_LINES; i++)
		free(w->tail[i]);
	free_argv(argv);
	free(env);
	return ret;
}

/* append the file at srcdir/rel to out, when it exists */
static int add_tree_file(const struct kmake *m, const char *rel, struct buf *out, struct error *err)
{
	char *path = path_join(m->srcdir, rel);
	int ret = 0;
	if (access(path, F_OK) == 0) {
		buf_addf(out, "# from %s\n", rel);
		ret = read_file(path, KCONF_MAX_FILE, out, err);
		buf_addc(out, '\n');
	}
	free(path);
	return ret;
}

/* the defconfig file kbuild would use for arch */
static char *defconfig_file(const char *arch)
{
	if (strcmp(arch, "x86_64") == 0 || strcmp(arch, "i386") == 0)
		return xasprintf("arch/x86/configs/%s_defconfig", arch);
	return xasprintf("arch/%s/configs/defconfig", arch);
}

/* fill text with what comes before the request, and choose the Kconfig target */
static int base_text(const struct kmake *m, enum kernel_base_kind base, const char *base_file,
		     struct buf *text, const char **target, struct error *err)
{
	char *rel = NULL;
	int ret = 0;
	switch (base) {
	case KBASE_ALLNOCONFIG:
		*target = "allnoconfig";
		break;
	case KBASE_ALLDEFCONFIG:
		*target = "alldefconfig";
		break;
	case KBASE_TINYCONFIG:
		/* what `make tinyconfig` merges, so our fragments can come after it */
		*target = "allnoconfig";
		rel = xasprintf("arch/%s/configs/tiny.config", kernel_make_srcarch(m->arch));
		if (add_tree_file(m, "kernel/configs/tiny-base.config", text, err) < 0 ||
		    add_tree_file(m, "kernel/configs/tiny.config", text, err) < 0 ||
		    add_tree_file(m, rel, text, err) < 0)
			ret = -1;
		break;
	case KBASE_DEFCONFIG:
		/* a defconfig file is a minimal config: alldefconfig over it is `make defconfig` */
		*target = "alldefconfig";
		rel = defconfig_file(m->arch);
		ret = add_tree_file(m, rel, text, err);
		break;
	case KBASE_FILE:
		*target = "olddefconfig";
		ret = read_file(base_file, KCONF_MAX_FILE, text, err);
		buf_addc(text, '\n');
		break;
	}
	free(rel);
	return ret;
}

int kernel_make_configure(struct kmake *m, enum kernel_base_kind base, const char *base_file,
		    const struct kconf *request, struct error *err)
{
	struct buf text = BUF_INIT;
	const char *target = NULL;
	char *allconfig = path_join(m->objdir, "mvbuild.allconfig");
	char *dotconfig = path_join(m->objdir, ".config");
	char *env = NULL;
	int ret = -1;
	if (base_text(m, base, base_file, &text, &target, err) < 0)
		goto out;
	buf_adds(&text, "# the recipe's fragments and config, merged\n");
	kernel_config_write(request, &text);
	/* a full base file is the .config itself; the others go through KCONFIG_ALLCONFIG */
	const char *dest = base == KBASE_FILE ? dotconfig : allconfig;
	if (write_file_atomic(dest, text.data, text.len, 0644, err) < 0)
		goto out;
	if (base != KBASE_FILE)
		env = xasprintf("KCONFIG_ALLCONFIG=%s", allconfig);
	m->base = kernel_make_base_name(base);
	char *args[] = { (char *)target };
	struct watch w = { 0 };
	ret = run_make(m, args, 1, env, &w, err);
out:
	if (ret < 0)
		error_prefix(err, "cannot configure");
	buf_release(&text);
	free(allconfig);
	free(dotconfig);
	free(env);
	return ret;
}

int kernel_make_build(struct kmake *m, char *const targets[], size_t n_targets, struct error *err)
{
	const char *base = m->base ? m->base : "unknown";
	bool cold = kernel_progress_cold(m->objdir);
	struct watch w = { .incremental = !cold,
			   .total = cold ? kernel_progress_estimate(m->objdir, base) : 0 };
	if (run_make(m, targets, n_targets, NULL, &w, err) < 0)
		return -1;
	if (cold)
		kernel_progress_record(m->objdir, base, w.objects);
	return 0;
}

int kernel_make_interactive(struct kmake *m, const char *target, struct error *err)
{
	char **env = make_env(m, NULL);
	char *args[] = { (char *)target };
	char **argv = make_argv(m, args, 1);
	int status = 0, ret = kernel_proc_run_interactive(argv, env, &status, err);
	if (ret == 0 && status != 0)
		ret = error_set(err, "make %s failed (exit %d)", target, status);
	free_argv(argv);
	free(env);
	return ret;
}
