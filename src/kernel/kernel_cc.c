/*
 * kernel_cc: kbuild's compiles through ccache and distcc (see kernel_cc.h
 * and docs/kernel.md).
 *
 * ccache: kbuild names the source tree and the object directory by
 * absolute paths, which differ from cache to cache.  base_dir (the
 * directory holding both, the cache root) makes ccache hash and compile
 * with paths relative to the object directory ("../../src/<digest>/..."),
 * which are the same in every cache.  The compiler then sees those relative
 * paths, so kbuild's own "-fmacro-prefix-map=SRC/=" and our debug map of
 * SRC no longer match them: the same maps for the relative spelling
 * (KCPPFLAGS, KCFLAGS) give __FILE__ and debug names exactly as without
 * ccache.  ccache leaves the maps' values out of its hash; they are a
 * function of the relative layout, the same in every cache, and the
 * namespace keeps our entries apart from those of compiles mapped
 * otherwise.
 */
#include "kernel/kernel_cc.h"

#include <stdlib.h>
#include <string.h>

#include "base/fileutil.h"
#include "base/progress.h"
#include "base/util.h"
#include "kernel/kernel_proc.h"
#include "kernel/kernel_toolchain.h"
#include "recipe/config.h"

extern char **environ;

/*
 * Part of every ccache key: bumped whenever what mvbuild makes the
 * compiler see changes (the maps above), so entries written under other
 * rules are never hits.
 */
#define CCACHE_NAMESPACE "mvbuild-kernel-1"
/* the probe's source: a little arithmetic, so code generation shows in the object */
static const char probe_source[] =
	"/* mvbuild's distcc probe: compiled locally and on each host, objects compared */\n"
	"static const double scale[4] = { 1.5, 2.25, 3.125, 4.0625 };\n"
	"unsigned long mvbuild_probe(const unsigned char *p, unsigned long n)\n"
	"{\n"
	"\tunsigned long h = 5381;\n"
	"\tfor (unsigned long i = 0; i < n; i++)\n"
	"\t\th = h * 33 + p[i] + (unsigned long)(scale[i & 3] * i);\n"
	"\treturn h;\n"
	"}\n";
/* the probe's compile: what kbuild's gcc would be asked, on a tiny file */
#define PROBE_FLAGS "-O2", "-fno-strict-aliasing", "-c"

static void add_env(struct kernel_cc *cc, char *entry)
{
	cc->env = xrealloc(cc->env, (cc->n_env + 2) * sizeof(*cc->env));
	cc->env[cc->n_env++] = entry;
	cc->env[cc->n_env] = NULL;
}

/*
 * Remove the caller's CCACHE_* and DISTCC_* variables: ccache reads every
 * setting from its environment first, so a user's CCACHE_SLOPPINESS or
 * CCACHE_NODIRECT would change what a hit means; ours are set after.
 */
static void remove_user_env(struct kernel_cc *cc)
{
	for (char **e = environ; e && *e; e++) {
		if (!str_startswith(*e, "CCACHE_") && !str_startswith(*e, "DISTCC_"))
			continue;
		const char *eq = strchr(*e, '=');
		add_env(cc, eq ? xstrndup(*e, (size_t)(eq - *e)) : xstrdup(*e));
	}
}

/* the deepest directory holding both a and b (absolute, normalized) */
static char *common_dir(const char *a, const char *b)
{
	size_t end = 0, i = 0;
	for (; a[i] && a[i] == b[i]; i++)
		if (a[i] == '/')
			end = i;
	if ((a[i] == '\0' || a[i] == '/') && (b[i] == '\0' || b[i] == '/'))
		end = i; /* one holds the other, or they part at a slash */
	return end ? xstrndup(a, end) : xstrdup("/");
}

/* to, spelled relative to the directory from (both beneath base) */
static char *relative_path(const char *base, const char *from, const char *to)
{
	struct buf rel = BUF_INIT;
	size_t n = strlen(base);
	for (const char *p = from + n; *p; p++)
		if (*p == '/')
			buf_adds(&rel, "../");
	buf_adds(&rel, to[n] == '/' ? to + n + 1 : to + n);
	return buf_detach(&rel);
}

/* a URL as it may be shown: no "user:password@", no ccache attributes (a bearer token) */
static char *url_shown(const char *url)
{
	const char *host = strstr(url, "://");
	host = host ? host + 3 : url;
	size_t end = strcspn(host, "|");
	const char *at = memchr(host, '@', strcspn(host, "/|"));
	const char *from = at ? at + 1 : host;
	return xasprintf("%.*s%.*s", (int)(host - url), url, (int)(end - (size_t)(from - host)), from);
}

/*
 * ccache's configuration, every setting that can change what a compile
 * returns or whether two caches share entries, so no ccache.conf or
 * CCACHE_* of the user's can (docs/kernel.md says why each is set).
 */
static int write_ccache_conf(const struct config *cfg, const char *conf, const char *objdir,
			     const char *base_dir, const char *toolchain, bool distcc,
			     struct error *err)
{
	struct buf b = BUF_INIT;
	char *own_dir = path_join(objdir, "mvbuild-ccache");
	buf_adds(&b, "# written by mvbuild before each kernel build (src/kernel/kernel_cc.c)\n");
	buf_addf(&b, "cache_dir = %s\n", cfg->ccache_dir ? cfg->ccache_dir : own_dir);
	buf_addf(&b, "remote_only = %s\n", cfg->ccache_dir ? "false" : "true");
	if (cfg->ccache_remote)
		buf_addf(&b, "remote_storage = %s%s\n", cfg->ccache_remote,
			 strstr(cfg->ccache_remote, "layout=") ? "" : "|layout=bazel");
	else
		buf_adds(&b, "remote_storage =\n");
	buf_addf(&b, "base_dir = %s\n", strcmp(base_dir, "/") ? base_dir : "");
	buf_addf(&b, "namespace = %s\n", CCACHE_NAMESPACE);
	buf_addf(&b, "compiler_check = string:%s\n", toolchain);
	buf_addf(&b, "prefix_command = %s\n", distcc ? "distcc" : "");
	buf_adds(&b, "hash_dir = false\n"
		     "hard_link = false\n"
		     "sloppiness =\n"
		     "direct_mode = true\n"
		     "depend_mode = false\n"
		     "run_second_cpp = true\n"
		     "keep_comments_cpp = false\n"
		     "extra_files_to_hash =\n"
		     "ignore_options =\n"
		     "ignore_headers_in_manifest =\n"
		     "compiler =\n"
		     "compiler_type = auto\n"
		     "cpp_extension =\n"
		     "prefix_command_cpp =\n"
		     "pch_external_checksum = false\n"
		     "read_only = false\n"
		     "read_only_direct = false\n"
		     "recache = false\n"
		     "reshare = false\n"
		     "disable = false\n"
		     "stats = true\n");
	int ret = write_file_atomic(conf, b.data, b.len, 0644, err);
	buf_release(&b);
	free(own_dir);
	return ret;
}

/* the line of a probe's output for the message: distcc's first ERROR (its cause), else the last */
static void why_line(void *arg, const char *line, size_t len)
{
	char **out = arg;
	if (!len || (*out && strstr(*out, "ERROR")))
		return;
	free(*out);
	*out = xstrndup(line, len);
}

/* run argv with env_add; 0 when it exited 0, else -1 with *why (the last output line) */
static int probe_run(char *const argv[], char *const env_add[], char **why)
{
	struct error err = ERROR_INIT;
	int status = 0;
	char *line = NULL;
	if (kernel_proc_run(argv, env_add, -1, why_line, &line, &status, &err) < 0) {
		*why = xstrdup(err.msg ? err.msg : "cannot run the probe");
		error_release(&err);
		free(line);
		return -1;
	}
	if (status == 0) {
		free(line);
		return 0;
	}
	*why = line ? xasprintf("the probe compile failed: %s", line)
		    : xasprintf("the probe compile failed (exit %d)", status);
	free(line);
	return -1;
}

/* 0 when the files at a and b hold the same bytes */
static int same_bytes(const char *a, const char *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	struct error err = ERROR_INIT;
	int ret = -1;
	if (read_file(a, 1 << 24, &x, &err) == 0 && read_file(b, 1 << 24, &y, &err) == 0)
		ret = x.len == y.len && memcmp(x.data, y.data, x.len) == 0 ? 0 : -1;
	error_release(&err);
	buf_release(&x);
	buf_release(&y);
	return ret;
}

/* the job slots distcc gives host ("HOST[:PORT][/LIMIT][,OPTIONS]"): LIMIT, else 4 (2 for localhost) */
static int host_slots(const char *host)
{
	const char *slash = strchr(host, '/');
	if (slash) {
		int n = atoi(slash + 1);
		if (n > 0)
			return n;
	}
	return str_startswith(host, "localhost") ? 2 : 4;
}

/*
 * Compile the probe on host through distcc, falling back to nothing, and
 * compare its object with the local one.  0, or -1 with *why.
 */
static int probe_host(const char *dir, const char *host, const char *local_obj, size_t i,
		      char **why)
{
	char *src = path_join(dir, "probe.c");
	char *obj = xasprintf("%s/host%zu.o", dir, i);
	char *hosts = xasprintf("DISTCC_HOSTS=%s", host);
	char *argv[] = { "distcc", "gcc", PROBE_FLAGS, src, "-o", obj, NULL };
	/* no local fallback: the probe is about the host; a host that stalls fails in 30 s */
	char *env[] = { hosts, "DISTCC_FALLBACK=0", "DISTCC_SKIP_LOCAL_RETRY=1",
			"DISTCC_IO_TIMEOUT=30", "LC_ALL=C", NULL };
	int ret = probe_run(argv, env, why);
	if (ret == 0 && same_bytes(local_obj, obj) < 0) {
		*why = xstrdup("its compiler differs from the local gcc "
			       "(the probe's object is not the local one byte for byte)");
		ret = -1;
	}
	free(src);
	free(obj);
	free(hosts);
	return ret;
}

/*
 * Keep the hosts of cfg whose probe object equals the local one; their
 * list goes to DISTCC_HOSTS.  Options ("--randomize") are kept unprobed.
 */
static int setup_distcc(struct kernel_cc *cc, const struct config *cfg, const char *objdir,
			struct progress *progress, const char *node_id, struct error *err)
{
	char *dir = path_join(objdir, "mvbuild-distcc");
	char *src = path_join(dir, "probe.c");
	char *local = path_join(dir, "local.o");
	char *why = NULL;
	struct buf kept = BUF_INIT;
	char *argv[] = { "gcc", PROBE_FLAGS, src, "-o", local, NULL };
	char *env[] = { "LC_ALL=C", NULL };
	int ret = -1;
	if (mkdir_p(dir, 0755, err) < 0 ||
	    write_file_atomic(src, probe_source, sizeof(probe_source) - 1, 0644, err) < 0)
		goto out;
	ret = 0; /* from here on, what fails is a warning */
	if (probe_run(argv, env, &why) < 0) {
		progress_note(progress, node_id, "warning: distcc: cannot compile the probe locally: %s; "
			      "building without distcc", why);
		goto out;
	}
	for (size_t i = 0; i < cfg->n_distcc_hosts; i++) {
		const char *host = cfg->distcc_hosts[i];
		bool option = host[0] == '-' || host[0] == '+';
		if (!option && probe_host(dir, host, local, i, &why) < 0) {
			progress_note(progress, node_id, "warning: distcc host '%s' is not used: %s", host,
				      why);
			free(why);
			why = NULL;
			continue;
		}
		buf_addf(&kept, "%s%s", kept.len ? " " : "", host);
		if (!option) {
			cc->distcc_hosts++;
			cc->distcc_slots += host_slots(host);
		}
	}
	if (cc->distcc_hosts)
		add_env(cc, xasprintf("DISTCC_HOSTS=%s", kept.data));
	else
		progress_note(progress, node_id, "warning: no distcc host passed the probe: "
			      "building without distcc");
out:
	free(why);
	free(dir);
	free(src);
	free(local);
	buf_release(&kept);
	return ret;
}

static int setup_ccache(struct kernel_cc *cc, const struct config *cfg, const char *srcdir,
			const char *objdir, const char *toolchain, struct error *err)
{
	char *base = common_dir(srcdir, objdir);
	char *conf = path_join(objdir, "mvbuild-ccache.conf");
	int ret = write_ccache_conf(cfg, conf, objdir, base, toolchain, cc->distcc_hosts > 0, err);
	if (ret == 0) {
		cc->ccache = true;
		add_env(cc, xasprintf("CCACHE_CONFIGPATH=%s", conf));
		/* ccache hashes the locale variables: one value for every user */
		add_env(cc, xstrdup("LANG=C"));
		if (strcmp(base, "/") != 0) {
			char *rel = relative_path(base, objdir, srcdir);
			cc->kcflags = xasprintf("-fdebug-prefix-map=%s=.", rel);
			cc->kcppflags = xasprintf("-fmacro-prefix-map=%s/=", rel);
			free(rel);
		}
	}
	free(base);
	free(conf);
	return ret;
}

/* the note saying through what the compiles go */
static void say_how(const struct kernel_cc *cc, const struct config *cfg,
		    struct progress *progress, const char *node_id)
{
	struct buf how = BUF_INIT;
	if (cc->ccache) {
		char *remote = cfg->ccache_remote ? url_shown(cfg->ccache_remote) : NULL;
		if (cfg->ccache_dir && remote)
			buf_addf(&how, "ccache (local %s, remote %s)", cfg->ccache_dir, remote);
		else if (cfg->ccache_dir)
			buf_addf(&how, "ccache (local %s)", cfg->ccache_dir);
		else
			buf_addf(&how, "ccache (remote %s only)", remote);
		free(remote);
	}
	if (cc->distcc_hosts)
		buf_addf(&how, "%sdistcc (%zu host%s, %d slots)", cc->ccache ? " and " : "",
			 cc->distcc_hosts, cc->distcc_hosts == 1 ? "" : "s", cc->distcc_slots);
	if (how.len)
		progress_note(progress, node_id, "compiling through %s", how.data);
	buf_release(&how);
}

/* is program in PATH?  Else a warning that the build goes on without it */
static bool installed(const char *program, struct progress *progress, const char *node_id)
{
	char *path = kernel_toolchain_find(program);
	if (!path)
		progress_note(progress, node_id, "warning: the config asks for %s but '%s' is not in PATH: "
			      "building without it", program, program);
	free(path);
	return path != NULL;
}

int kernel_cc_setup(struct kernel_cc *cc, const struct config *cfg, const char *srcdir,
		    const char *objdir, const char *toolchain, struct progress *progress,
		    const char *node_id, struct error *err)
{
	*cc = (struct kernel_cc)KERNEL_CC_INIT;
	bool want_ccache = cfg && (cfg->ccache_dir || cfg->ccache_remote);
	bool want_distcc = cfg && cfg->n_distcc_hosts > 0;
	if (!want_ccache && !want_distcc)
		return 0;
	remove_user_env(cc);
	if (want_distcc && installed("distcc", progress, node_id) &&
	    setup_distcc(cc, cfg, objdir, progress, node_id, err) < 0)
		return -1;
	if (want_ccache && installed("ccache", progress, node_id) &&
	    setup_ccache(cc, cfg, srcdir, objdir, toolchain, err) < 0)
		return -1;
	if (cc->ccache)
		cc->cc = xstrdup("ccache gcc"); /* distcc, when on, is ccache's prefix_command */
	else if (cc->distcc_hosts)
		cc->cc = xstrdup("distcc gcc");
	say_how(cc, cfg, progress, node_id);
	return 0;
}

void kernel_cc_release(struct kernel_cc *cc)
{
	for (size_t i = 0; i < cc->n_env; i++)
		free(cc->env[i]);
	free(cc->env);
	free(cc->cc);
	free(cc->kcflags);
	free(cc->kcppflags);
	*cc = (struct kernel_cc)KERNEL_CC_INIT;
}
