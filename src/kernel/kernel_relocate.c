/*
 * kernel_relocate: rewrite kbuild's absolute path records when an object
 * directory moved with its cache (see kernel_relocate.h).
 */
#include "kernel/kernel_relocate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/interrupt.h"
#include "base/util.h"
#include "cache/cache_layout.h"

/* the largest record read; kbuild's biggest .cmd files are a few hundred KiB */
#define MAX_RECORD (64u << 20)
/* what a rewritten record is written to before it is renamed over the record */
#define TMP_SUFFIX ".mvbuild-tmp"

/* one path to replace: from, where it was, to, where it is */
struct move {
	const char *from;
	const char *to;
};

/* the state of one relocation */
struct reloc {
	struct move moves[2];   /* the source tree and the object directory, those that moved */
	size_t n_moves;
	unsigned records;       /* files rewritten so far */
	struct buf path;        /* the path being visited, relative to the object directory */
};

/* true when c may continue a file name, so a path followed by it is another path */
static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* true when path is dir or lies beneath it */
static bool path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/*
 * Append text to out with every old path replaced by its new one: an old
 * path matches where it is followed by '/' or by a character that cannot
 * continue a file name, so ".../kbuild/k-abc" leaves ".../kbuild/k-abc2"
 * alone.  Returns how many were replaced.
 */
static size_t substitute(const struct reloc *rc, const char *text, size_t len, struct buf *out)
{
	size_t replaced = 0, copied = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '/')
			continue;
		for (size_t m = 0; m < rc->n_moves; m++) {
			const struct move *mv = &rc->moves[m];
			size_t n = strlen(mv->from);
			if (n > len - i || memcmp(text + i, mv->from, n) != 0 ||
			    (i + n < len && name_char(text[i + n])))
				continue;
			buf_add(out, text + copied, i - copied);
			buf_adds(out, mv->to);
			copied = i + n;
			i = copied - 1;
			replaced++;
			break;
		}
	}
	buf_add(out, text + copied, len - copied);
	return replaced;
}

/* read the file name in dirfd whole into text; 0, or -1 with err */
static int read_at(int dirfd, const char *name, const char *shown, struct stat *st,
		   struct buf *text, struct error *err)
{
	int fd = open_regular_at(dirfd, name, O_NOFOLLOW, shown, err);
	if (fd < 0)
		return -1;
	int ret = -1;
	if (fstat(fd, st) < 0) {
		error_errno(err, errno, "cannot stat '%s'", shown);
		goto out;
	}
	if ((uint64_t)st->st_size > MAX_RECORD) {
		error_set(err, "'%s' is larger than %u MiB", shown, MAX_RECORD >> 20);
		goto out;
	}
	buf_grow(text, (size_t)st->st_size + 1);
	for (;;) {
		ssize_t got = read(fd, text->data + text->len, text->cap - text->len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			error_errno(err, errno, "cannot read '%s'", shown);
			goto out;
		}
		if (got == 0)
			break;
		text->len += (size_t)got;
		text->data[text->len] = '\0';
		if (text->len + 1 == text->cap)
			buf_grow(text, text->cap);
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

/*
 * Write data as the file name in dirfd through a temp file and rename,
 * with st's mode and times: make compares mtimes, and a record newer than
 * its target must not look like a change.  No fsync: these are kbuild's
 * own records, which kbuild writes without one either.
 */
static int replace_at(int dirfd, const char *name, const char *shown, const struct stat *st,
		      const struct buf *data, struct error *err)
{
	char *tmp = xasprintf("%s%s", name, TMP_SUFFIX);
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	int ret = -1;
	if (fd < 0) {
		error_errno(err, errno, "cannot create '%s%s'", shown, TMP_SUFFIX);
		goto out;
	}
	for (size_t done = 0; done < data->len;) {
		ssize_t n = write(fd, data->data + done, data->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_errno(err, errno, "cannot write '%s%s'", shown, TMP_SUFFIX);
			goto out;
		}
		done += (size_t)n;
	}
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	if (fchmod(fd, st->st_mode & 07777) < 0 || futimens(fd, times) < 0) {
		error_errno(err, errno, "cannot set the mode and times of '%s%s'", shown, TMP_SUFFIX);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		error_errno(err, errno, "cannot write '%s%s'", shown, TMP_SUFFIX);
		goto out;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		error_errno(err, errno, "cannot rename '%s%s' to '%s'", shown, TMP_SUFFIX, shown);
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlinkat(dirfd, tmp, 0);
	free(tmp);
	return ret;
}

/* rewrite the record name in dirfd when it names an old path; 0, or -1 with err */
static int rewrite_at(struct reloc *rc, int dirfd, const char *name, struct error *err)
{
	struct buf text = BUF_INIT, out = BUF_INIT;
	struct stat st;
	int ret = read_at(dirfd, name, rc->path.data, &st, &text, err);
	if (ret == 0 && substitute(rc, text.data ? text.data : "", text.len, &out) > 0) {
		ret = replace_at(dirfd, name, rc->path.data, &st, &out, err);
		rc->records += ret == 0;
	}
	buf_release(&text);
	buf_release(&out);
	return ret;
}

/*
 * True when the file name in directory dir (relative to the object
 * directory with a trailing '/', of length dirlen; empty at the top) is
 * one of kbuild's path records.
 */
static bool is_record(const char *dir, size_t dirlen, const char *name)
{
	if (name[0] == '.' && (str_endswith(name, ".cmd") || str_endswith(name, ".d")))
		return true;
	if (dirlen == 0)
		return strcmp(name, "Makefile") == 0;
	if (strncmp(dir, "tools/", 6) == 0 && str_endswith(name, ".d"))
		return true;
	static const char config[] = "include/config/";
	return dirlen == sizeof(config) - 1 && strncmp(dir, config, dirlen) == 0 &&
	       strcmp(name, "auto.conf.cmd") == 0;
}

static int walk(struct reloc *rc, int dirfd, struct error *err);

/* visit the entry name of the directory open at dirfd, whose own path is rc->path[0..dirlen) */
static int visit(struct reloc *rc, int dirfd, const char *name, unsigned char type, size_t dirlen,
		 struct error *err)
{
	rc->path.len = dirlen;
	buf_adds(&rc->path, name);
	if (type == DT_UNKNOWN) {
		struct stat st;
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return error_errno(err, errno, "cannot stat '%s'", rc->path.data);
		type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
	}
	if (type == DT_DIR) {
		int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return error_errno(err, errno, "cannot open '%s'", rc->path.data);
		buf_addc(&rc->path, '/');
		return walk(rc, sub, err); /* walk closes sub */
	}
	if (type != DT_REG)
		return 0;
	if (str_endswith(name, TMP_SUFFIX)) { /* left by an interrupted relocation */
		unlinkat(dirfd, name, 0);
		return 0;
	}
	return is_record(rc->path.data, dirlen, name) ? rewrite_at(rc, dirfd, name, err) : 0;
}

/* rewrite the records of the directory open at dirfd (closed here) and beneath it */
static int walk(struct reloc *rc, int dirfd, struct error *err)
{
	DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return error_errno(err, errno, "cannot read '%s'", rc->path.data);
	}
	size_t dirlen = rc->path.len;
	int ret = 0;
	struct dirent *de;
	while (ret == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (interrupt_pending())
			ret = interrupt_error(err);
		else
			ret = visit(rc, dirfd, de->d_name, de->d_type, dirlen, err);
	}
	rc->path.len = dirlen;
	if (rc->path.data)
		rc->path.data[dirlen] = '\0';
	closedir(d);
	return ret;
}

/* point OBJDIR/source (kbuild's link to the tree) at the new tree; 0, or -1 with err */
static int repoint_source(struct reloc *rc, const char *objdir, struct error *err)
{
	char *link = path_join(objdir, "source");
	char *tmp = xasprintf("%s%s", link, TMP_SUFFIX);
	char target[4096];
	struct buf want = BUF_INIT;
	int ret = 0;
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		goto out; /* no link (never built, or not yet): nothing to point */
	target[n] = '\0';
	if (substitute(rc, target, (size_t)n, &want) == 0)
		goto out;
	unlink(tmp);
	if (symlink(want.data, tmp) < 0 || rename(tmp, link) < 0) {
		ret = error_errno(err, errno, "cannot point '%s' at '%s'", link, want.data);
		unlink(tmp);
		goto out;
	}
	rc->records++;
out:
	buf_release(&want);
	free(tmp);
	free(link);
	return ret;
}

/* the paths the marker names into *src and *obj (allocated); 0, or -1 when absent or unreadable */
static int read_marker(const char *marker, char **src, char **obj)
{
	struct buf text = BUF_INIT;
	struct error ignored = ERROR_INIT;
	int ret = -1;
	if (read_file(marker, 1 << 16, &text, &ignored) == 0 && text.data) {
		char *nl = strchr(text.data, '\n');
		char *nl2 = nl ? strchr(nl + 1, '\n') : NULL;
		if (nl2 && str_startswith(text.data, "src /") && str_startswith(nl + 1, "obj /")) {
			*src = xstrndup(text.data + 4, (size_t)(nl - text.data - 4));
			*obj = xstrndup(nl + 5, (size_t)(nl2 - nl - 5));
			ret = 0;
		}
	}
	error_release(&ignored);
	buf_release(&text);
	return ret;
}

/*
 * Where an object directory without a marker was built: its source tree is
 * where `source` points, and its own place is the same relative path under
 * that tree's cache root ("ROOT/src/DIGEST" gives "ROOT/kbuild/NAME").
 * Where it is now when there is no link (a new directory) or the link is
 * not a cache's source tree.
 */
static void infer_old(const char *srcdir, const char *objdir, char **src, char **obj)
{
	char *link = path_join(objdir, "source");
	char target[4096];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	const char *digest = strrchr(srcdir, '/') + 1;
	const char *name = strrchr(objdir, '/') + 1;
	char *tail = xasprintf("/%s/%s", cache_layout_name(CACHE_AREA_SRC), digest);
	*src = *obj = NULL;
	if (n > 0) {
		target[n] = '\0';
		size_t root_len = (size_t)n - strlen(tail);
		if (target[0] == '/' && str_endswith(target, tail) && root_len > 0) {
			*src = xstrdup(target);
			*obj = xasprintf("%.*s/%s/%s", (int)root_len, target,
					 cache_layout_name(CACHE_AREA_KBUILD), name);
		}
	}
	if (!*src) {
		*src = xstrdup(srcdir);
		*obj = xstrdup(objdir);
	}
	free(tail);
	free(link);
}

/* add the move from -> to when the path changed */
static void add_move(struct reloc *rc, const char *from, const char *to)
{
	if (strcmp(from, to) != 0)
		rc->moves[rc->n_moves++] = (struct move){ from, to };
}

/* true when a new path lies in an old one: a rewrite resumed after a crash would apply twice */
static bool nested(const struct reloc *rc, const char *srcdir, const char *objdir)
{
	for (size_t m = 0; m < rc->n_moves; m++)
		if (path_within(srcdir, rc->moves[m].from) || path_within(objdir, rc->moves[m].from))
			return true;
	return false;
}

int kernel_relocate(const char *srcdir, const char *objdir, struct kernel_relocation *r,
		    struct error *err)
{
	char *marker = path_join(objdir, KERNEL_RELOCATE_MARKER);
	char *old_src = NULL, *old_obj = NULL;
	struct reloc rc = { .path = BUF_INIT };
	int ret = -1;
	*r = (struct kernel_relocation){ 0 };
	bool have_marker = read_marker(marker, &old_src, &old_obj) == 0;
	if (!have_marker)
		infer_old(srcdir, objdir, &old_src, &old_obj);
	add_move(&rc, old_src, srcdir);
	add_move(&rc, old_obj, objdir);
	if (rc.n_moves == 0 && have_marker) {
		ret = 0;
		goto out;
	}
	if (rc.n_moves > 0) {
		r->from = xstrdup(old_obj);
		r->refused = nested(&rc, srcdir, objdir);
	}
	if (rc.n_moves > 0 && !r->refused) {
		int fd = open(objdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			error_errno(err, errno, "cannot open '%s'", objdir);
			goto out;
		}
		buf_adds(&rc.path, ""); /* paths in messages start relative to the object directory */
		/* the link last: a marker-less resume infers the old place from it */
		if (walk(&rc, fd, err) < 0 || repoint_source(&rc, objdir, err) < 0)
			goto out;
		r->records = rc.records;
	}
	struct buf text = BUF_INIT;
	buf_addf(&text, "src %s\nobj %s\n", srcdir, objdir);
	ret = write_file_atomic(marker, text.data, text.len, 0644, err);
	buf_release(&text);
out:
	if (ret < 0)
		error_prefix(err, "cannot relocate the object directory '%s'", objdir);
	buf_release(&rc.path);
	free(old_src);
	free(old_obj);
	free(marker);
	return ret;
}

void kernel_relocate_release(struct kernel_relocation *r)
{
	free(r->from);
	r->from = NULL;
}
