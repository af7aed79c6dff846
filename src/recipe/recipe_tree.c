/*
 * recipe_tree: whether a path a recipe names may be read (recipe_tree.h).
 *
 * A path is first placed lexically: made absolute from the directory of
 * the file that wrote it and cleaned.  One that lands beneath the root is
 * opened relative to the root with RESOLVE_BENEATH, so a symlink (or a
 * "link/.." pair) that leads out fails with EXDEV; a string check alone
 * could not see that.  A path outside (lexically, or through a symlink) is
 * opened as written and judged by where its descriptor really is
 * (/proc/self/fd), so symlinks are followed at every component there too.
 *
 * Everything is opened O_PATH first: opening a FIFO for reading blocks and
 * opening a device can have side effects, so the type is checked before
 * any byte is read.
 */
#include "recipe/recipe_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "recipe/recipe.h"
#include "base/util.h"

#define TREE_MAX_LINKS 40 /* symlinks followed in one walk, as the kernel's limit */

char *recipe_tree_clean(const char *path)
{
	bool absolute = path[0] == '/';
	char *copy = xstrdup(path), *save = NULL;
	const char **parts = xcalloc(strlen(path) + 1, sizeof(*parts));
	size_t n = 0;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0 && n > 0 && strcmp(parts[n - 1], "..") != 0)
			n--;
		else if (!(strcmp(c, "..") == 0 && absolute && n == 0))
			parts[n++] = c;
	}
	struct buf b = BUF_INIT;
	if (absolute)
		buf_addc(&b, '/');
	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "%s%s", i ? "/" : "", parts[i]);
	if (b.len == 0)
		buf_addc(&b, '.');
	free(parts);
	free(copy);
	return buf_detach(&b);
}

char *recipe_tree_path_shown(const char *base_dir, const char *path)
{
	if (path[0] == '/' || !base_dir || !*base_dir || strcmp(base_dir, ".") == 0)
		return xstrdup(path);
	return path_join(base_dir, path);
}

char *recipe_tree_file_url_path(const char *url)
{
	if (strncasecmp(url, "file://", 7) != 0)
		return NULL;
	const char *p = url + 7;
	if (strncasecmp(p, "localhost/", 10) == 0)
		p += 9;
	size_t end = strcspn(p, "?#");
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < end; i++) {
		int hi, lo;
		if (p[i] == '%' && i + 2 < end && (hi = hex_digit_value(p[i + 1], false)) >= 0 &&
		    (lo = hex_digit_value(p[i + 2], false)) >= 0) {
			buf_addc(&b, (char)(hi * 16 + lo));
			i += 2;
		} else {
			buf_addc(&b, p[i]);
		}
	}
	/* a NUL decoded from %00 would cut the path short: keep it visible instead */
	size_t len = b.len;
	char *path = buf_detach(&b);
	return strlen(path) == len ? path : (free(path), xstrdup(url + 7));
}

/* ---- walking beneath a directory ---------------------------------------- */

struct walk {
	int *dirs;      /* open directories from the start down to the current one */
	size_t n, cap;
};

static void walk_push(struct walk *w, int fd)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->dirs = xrealloc(w->dirs, w->cap * sizeof(*w->dirs));
	}
	w->dirs[w->n++] = fd;
}

static void walk_release(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		close(w->dirs[i]);
	free(w->dirs);
}

/* next component of *rest into out (NUL-terminated); false when none is left */
static bool next_component(char **rest, char **out)
{
	char *s = *rest;
	while (*s == '/')
		s++;
	if (!*s)
		return false;
	char *end = strchrnul(s, '/');
	*out = xstrndup(s, (size_t)(end - s));
	*rest = end;
	return true;
}

/*
 * One component c in the current directory: 0 when it was entered (pushed;
 * a later component fails with ENOTDIR unless it is a directory), 1 when it
 * was a symlink spliced into *rest, -1 with errno.
 */
static int walk_step(struct walk *w, const char *c, char **rest, char **owned, int *links)
{
	int cur = w->dirs[w->n - 1];
	int fd = openat(cur, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	if (!S_ISLNK(st.st_mode)) {
		walk_push(w, fd);
		return 0;
	}
	char target[PATH_MAX];
	ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
	close(fd);
	if (n < 0)
		return -1;
	target[n] = '\0';
	if (++*links > TREE_MAX_LINKS)
		return errno = ELOOP, -1;
	if (target[0] == '/')
		return errno = EXDEV, -1; /* an absolute link always leaves */
	char *spliced = xasprintf("%s/%s", target, *rest);
	free(*owned);
	*owned = *rest = spliced;
	return 1;
}

int recipe_tree_walk(int dirfd, const char *rel, int flags)
{
	struct walk w = { 0 };
	int start = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (start < 0)
		return -1;
	walk_push(&w, start);
	char *owned = xstrdup(rel), *rest = owned, *c = NULL;
	int links = 0, ret = -1, saved = 0;
	while (next_component(&rest, &c)) {
		bool last = !*rest || strspn(rest, "/") == strlen(rest);
		int step = 1;
		if (strcmp(c, "..") == 0) {
			if (w.n == 1) {
				errno = EXDEV;
				goto out;
			}
			close(w.dirs[--w.n]);
		} else if (strcmp(c, ".") != 0 && (step = walk_step(&w, c, &rest, &owned, &links)) < 0) {
			goto out;
		}
		if (step == 0 && last) {
			/* the final name, no symlink: open it as asked, never following one */
			int named = w.dirs[--w.n];
			ret = (flags & O_PATH) ? named
			      : openat(w.dirs[w.n - 1], c, flags | O_NOFOLLOW | O_CLOEXEC);
			if (!(flags & O_PATH))
				close(named);
			goto out;
		}
		free(c);
		c = NULL;
	}
	ret = openat(w.dirs[w.n - 1], ".", flags | O_CLOEXEC);
out:
	saved = errno;
	free(c);
	free(owned);
	walk_release(&w);
	errno = saved;
	return ret;
}

/* open rel beneath dirfd: openat2 where the kernel has it, else the walk */
static int open_beneath(int dirfd, const char *rel, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return fd;
	return recipe_tree_walk(dirfd, rel, flags);
}

/* ---- placing a path ----------------------------------------------------- */

/* where a path lands, lexically */
struct placed {
	char *abs_root;  /* cleaned absolute root */
	char *target;    /* cleaned absolute path */
	const char *rel; /* beneath the root: the part below it ("." for the root), else NULL */
};

static void place(const char *root, const struct recipe_tree_path *p, struct placed *pl)
{
	char *abs = path_absolute(root && *root ? root : ".");
	pl->abs_root = recipe_tree_clean(abs);
	free(abs);
	if (p->path[0] == '/') {
		pl->target = recipe_tree_clean(p->path);
	} else {
		char *base = path_absolute(p->base_dir && *p->base_dir ? p->base_dir : ".");
		char *joined = path_join(base, p->path);
		pl->target = recipe_tree_clean(joined);
		free(joined);
		free(base);
	}
	size_t n = strlen(pl->abs_root);
	pl->rel = NULL;
	if (strcmp(pl->target, pl->abs_root) == 0)
		pl->rel = ".";
	else if (n == 1)
		pl->rel = pl->target + 1;
	else if (strncmp(pl->target, pl->abs_root, n) == 0 && pl->target[n] == '/')
		pl->rel = pl->target + n + 1;
}

static void placed_release(struct placed *pl)
{
	free(pl->abs_root);
	free(pl->target);
}

/* the real path of an open descriptor, or NULL */
static char *fd_real_path(int fd)
{
	char link[64], target[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return NULL;
	target[n] = '\0';
	return xstrdup(target);
}

static bool path_beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* fd lies beneath an allowed directory, both judged by their real paths */
static bool in_allowed_dir(int fd, const struct recipe_trust *trust)
{
	char *real = fd_real_path(fd);
	bool found = false;
	for (size_t i = 0; real && trust && i < trust->n_allow && !found; i++) {
		char *dir = realpath(trust->allow[i], NULL);
		found = dir && path_beneath(real, dir);
		free(dir);
	}
	free(real);
	return found;
}

static void describe_allowed(struct buf *b, const struct recipe_trust *trust)
{
	if (!trust || trust->n_allow == 0) {
		buf_adds(b, "none");
		return;
	}
	for (size_t i = 0; i < trust->n_allow; i++)
		buf_addf(b, "%s'%s'", i ? ", " : "", trust->allow[i]);
}

static int refuse_outside(const struct recipe_tree_path *p, const struct placed *pl,
			  const struct recipe_trust *trust, bool via_link, struct error *err)
{
	const char *how = via_link ? "leads outside the recipe tree" : "lies outside the recipe tree";
	if (p->rule == RECIPE_TREE_ONLY)
		return error_usage(err, "%s %s '%s' (includes, overlays, kernel fragments and shared "
				   "folders must lie beneath the directory of the top-level recipe: "
				   "move the file into it)",
				   p->subject, how, pl->abs_root);
	struct buf allowed = BUF_INIT;
	describe_allowed(&allowed, trust);
	error_usage(err, "%s %s '%s' and beneath no allowed directory (allowed: %s); pin its "
		    "content with 'sha256:' or 'sha512:', or allow its directory in the machine "
		    "config with 'paths: { allow: [DIR] }'", p->subject, how, pl->abs_root,
		    allowed.data);
	buf_release(&allowed);
	return -1;
}

static const char *type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFDIR: return "a directory";
	case S_IFLNK: return "a symlink";
	default: return "a regular file";
	}
}

/* the descriptor's type is what p expects, and it is no credential */
static int check_opened(int fd, const struct recipe_tree_path *p, const struct recipe_trust *trust,
			struct error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return error_errno(err, errno, "%s: cannot stat", p->subject);
	if (p->want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return error_usage(err, "%s is %s, not %s", p->subject, type_name(st.st_mode),
				   p->want_dir ? "a directory" : "a regular file");
	char *real = p->want_dir ? fd_real_path(fd) : NULL;
	int ret = 0;
	for (size_t i = 0; trust && i < trust->n_credentials && ret == 0; i++) {
		const struct recipe_credential *c = &trust->credentials[i];
		struct stat cst;
		char *creal = real ? realpath(c->path, NULL) : NULL;
		if (stat(c->path, &cst) == 0 && cst.st_dev == st.st_dev && cst.st_ino == st.st_ino)
			ret = error_usage(err, "%s is the credential file '%s' of the machine config, "
					  "which is never an input", p->subject, c->key);
		else if (creal && path_beneath(creal, real))
			ret = error_usage(err, "%s holds the credential file '%s' of the machine config, "
					  "which is never an input", p->subject, c->key);
		free(creal);
	}
	free(real);
	return ret;
}

/* a path that does not exist yet, named as the recipe wrote it */
static int refuse_missing(const struct recipe_tree_path *p, struct error *err)
{
	char *shown = recipe_tree_path_shown(p->base_dir, p->path);
	error_usage(err, "%s does not exist (no '%s')", p->subject, shown);
	free(shown);
	return -1;
}

/* a missing path beneath an allowed directory, judged by its cleaned text */
static bool lexically_allowed(const char *target, const struct recipe_trust *trust)
{
	bool found = false;
	for (size_t i = 0; trust && i < trust->n_allow && !found; i++) {
		char *abs = path_absolute(trust->allow[i]);
		char *dir = recipe_tree_clean(abs);
		found = path_beneath(target, dir);
		free(dir);
		free(abs);
	}
	return found;
}

/* O_PATH descriptor of p (see recipe_tree_open), or -1 / RECIPE_TREE_MISSING */
static int resolve(const char *root, const struct recipe_trust *trust,
		   const struct recipe_tree_path *p, const struct placed *pl, struct error *err)
{
	bool via_link = false;
	if (pl->rel) {
		int rootfd = open(pl->abs_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			return error_errno(err, errno, "cannot open the recipe tree '%s'", root);
		int fd = open_beneath(rootfd, pl->rel, O_PATH);
		int saved = errno;
		close(rootfd);
		if (fd >= 0)
			return fd;
		if (saved == ENOENT && p->may_be_missing)
			return RECIPE_TREE_MISSING;
		if (saved == ENOENT)
			return refuse_missing(p, err);
		if (saved != EXDEV)
			return error_errno(err, saved, "%s: cannot open '%s'", p->subject, pl->target);
		via_link = true;
	}
	if (p->rule == RECIPE_TREE_ONLY)
		return refuse_outside(p, pl, trust, via_link, err);
	int fd = open(pl->target, O_PATH | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && p->may_be_missing && !via_link)
		return p->rule == RECIPE_TREE_ANYWHERE || lexically_allowed(pl->target, trust)
			? RECIPE_TREE_MISSING : refuse_outside(p, pl, trust, false, err);
	if (fd < 0)
		return error_errno(err, errno, "%s: cannot open '%s'", p->subject, pl->target);
	if (p->rule == RECIPE_TREE_ANYWHERE || in_allowed_dir(fd, trust))
		return fd;
	close(fd);
	return refuse_outside(p, pl, trust, via_link, err);
}

/* reopen an O_PATH descriptor for reading without following anything again */
static int reopen_for_reading(int fd, const struct recipe_tree_path *p, struct error *err)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	int rfd = open(link, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (rfd < 0)
		return error_errno(err, errno, "%s: cannot open for reading", p->subject);
	return rfd;
}

int recipe_tree_open(const char *root, const struct recipe_trust *trust,
		     const struct recipe_tree_path *p, bool for_reading, struct error *err)
{
	struct placed pl;
	place(root, p, &pl);
	int fd = resolve(root, trust, p, &pl, err);
	placed_release(&pl);
	if (fd < 0)
		return fd;
	int ret = check_opened(fd, p, trust, err);
	if (ret == 0 && for_reading) {
		ret = reopen_for_reading(fd, p, err);
		close(fd);
		fd = ret;
	}
	if (ret < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int recipe_tree_check(const char *root, const struct recipe_trust *trust,
		      const struct recipe_tree_path *p, struct error *err)
{
	int fd = recipe_tree_open(root, trust, p, false, err);
	if (fd == RECIPE_TREE_MISSING)
		return 0;
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}
