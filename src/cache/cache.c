/*
 * cache: the content-addressed store and the action cache on disk.
 *
 * Layout under the cache root (see docs/cache.md; cache_layout.c names
 * every area and says what gc may remove from it):
 *   VERSION                  "mvbuild-cache 1\n": the marker that makes a
 *                            directory a cache (cache_open adopts nothing
 *                            else; it creates a cache only in an absent or
 *                            empty directory, VERSION first)
 *   cas/sha256/ab/cdef...    blobs named by their content digest (hash.h's
 *                            HASH_CONTENT, docs/cache.md),
 *                            mode 0444, never modified once published
 *   ac/ab/<key>              action entries (format below), mode 0444
 *   tmp/                     scratch: temp files and builders' work dirs
 *   locks/gc.lock            shared by builds, exclusive for gc
 *   locks/<key>              held while one process builds that key
 *   memo/                    memoized digests (digest_memo.c)
 *   last/<recipe-id>/<kind>_<name>  key of a node's last build, for explain
 *   src/, kbuild/            unpacked kernel trees and object dirs (kernel)
 *   run/                     VMs' writable copies (run_dir.c); gc removes
 *                            one-run directories whose run is gone
 *
 * Action entry format:
 *   mvbuild-action 2
 *   output NAME DIGEST SIZE      (one line per output, its content digest;
 *                                NAME is [A-Za-z0-9._-]+)
 *   record
 *   <the action record, record.h's encoding with the wheres>
 *   seal SHA256                  (of every byte above this line)
 *
 * An entry is trusted only whole: its seal must match its bytes (so no
 * output's name, digest or size can be edited, nor two outputs swapped)
 * and its record must hash to the key it is filed under (so no entry can
 * be moved to another key).  Anything else is damaged: the lookup drops it
 * and reports it as a miss, and verify counts it as corrupt.
 *
 * Publishing never exposes a partial file: content goes to a temp file in
 * tmp/, is fsynced, then link()ed to its final name (EEXIST means another
 * process already published the same content), then the directory is
 * fsynced.  A crash leaves at most a stray temp file, which gc removes.
 */
#include "cache/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/util.h"
#include "cache/cache_layout.h"

/* also committed as cache/VERSION, so a checkout's default ./cache is an empty cache */
#define CACHE_VERSION "mvbuild-cache 1\n"
#define ACTION_MAGIC "mvbuild-action 2\n"
#define ACTION_SEAL "seal "
#define ACTION_MAX_SIZE (16u << 20)

struct cache {
	char *root;      /* absolute path of the cache directory */
	int gc_lock_fd;  /* locks/gc.lock, -1 until a lock is taken */
};

static int ensure_layout(const char *root, struct error *err)
{
	for (enum cache_area a = 0; a < CACHE_AREA_COUNT; a++) {
		if (!cache_layout_made_at_open(a))
			continue;
		char *d = cache_layout_dir(root, a);
		int r = mkdir_p(d, 0755, err);
		free(d);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* 1 when root/VERSION holds our marker, 0 when there is none, -1 with err otherwise */
static int read_version(const char *root, const char *shown, struct error *err)
{
	char *vpath = path_join(root, "VERSION");
	struct buf v = BUF_INIT;
	struct stat st;
	int ret = 1;
	if (lstat(vpath, &st) < 0 && (errno == ENOENT || errno == ENOTDIR))
		ret = 0;
	else if (read_file(vpath, 4096, &v, err) < 0)
		ret = error_prefix(err, "cannot open cache '%s'", shown);
	else if (!v.data || strcmp(v.data, CACHE_VERSION) != 0)
		ret = error_usage(err, "'%s' is not an mvbuild cache of this version (its VERSION "
				  "says '%.*s', not '%.*s')", shown,
				  v.data ? (int)strcspn(v.data, "\n") : 0, v.data ? v.data : "",
				  (int)strlen(CACHE_VERSION) - 1, CACHE_VERSION);
	buf_release(&v);
	free(vpath);
	return ret;
}

/*
 * 1 when root holds nothing but VERSION temp files (a concurrent creator's
 * "VERSION.tmp.<pid>", see write_file_atomic), so a cache may be made in it.
 */
static int dir_is_fresh(const char *root, const char *shown, struct error *err)
{
	DIR *d = opendir(root);
	if (!d) {
		if (errno == ENOTDIR)
			return error_usage(err, "'%s' is not an mvbuild cache: it is not a directory",
					   shown);
		return error_errno(err, errno, "cannot open cache '%s'", shown);
	}
	int fresh = 1;
	struct dirent *e;
	while (fresh && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    !str_startswith(e->d_name, "VERSION.tmp."))
			fresh = 0;
	closedir(d);
	return fresh;
}

/*
 * Recognise the cache at root, or make one when root is absent or empty.
 * A directory with anything else in it and no marker is never adopted:
 * gc would otherwise delete whatever it holds under tmp/ or src/.
 */
static int recognise(const char *root, const char *shown, struct error *err)
{
	int r = read_version(root, shown, err);
	if (r != 0)
		return r < 0 ? -1 : 0;
	if (mkdir_p(root, 0755, err) < 0)
		return error_prefix(err, "cannot open cache '%s'", shown);
	int fresh = dir_is_fresh(root, shown, err);
	if (fresh < 0)
		return -1;
	char *vpath = path_join(root, "VERSION");
	/* concurrent creators each rename the same bytes into place: harmless */
	if (fresh && write_file_atomic(vpath, CACHE_VERSION, strlen(CACHE_VERSION), 0644, err) < 0)
		r = error_prefix(err, "cannot create cache '%s'", shown);
	free(vpath);
	/* read again: another process may have made the cache while we looked */
	if (r == 0 && (r = read_version(root, shown, err)) == 0)
		r = error_usage(err, "'%s' is not an mvbuild cache: it is not empty and has no "
				"VERSION file", shown);
	return r < 0 ? -1 : 0;
}

int cache_open(struct cache **out, const char *dir, struct error *err)
{
	*out = NULL;
	char *root = path_absolute(dir);
	if (recognise(root, dir, err) < 0) {
		free(root);
		return -1;
	}
	if (ensure_layout(root, err) < 0) {
		error_prefix(err, "cannot open cache '%s'", dir);
		free(root);
		return -1;
	}
	struct cache *c = xcalloc(1, sizeof(*c));
	c->root = root;
	c->gc_lock_fd = -1;
	*out = c;
	return 0;
}

void cache_close(struct cache *c)
{
	if (!c)
		return;
	if (c->gc_lock_fd >= 0)
		close(c->gc_lock_fd);
	free(c->root);
	free(c);
}

const char *cache_root(const struct cache *c)
{
	return c->root;
}

char *cache_blob_relpath(const char *digest)
{
	return cache_layout_relpath(CACHE_AREA_CAS, digest);
}

char *cache_blob_path(const struct cache *c, const char *digest)
{
	char *rel = cache_blob_relpath(digest);
	char *path = path_join(c->root, rel);
	free(rel);
	return path;
}

static char *action_path(const struct cache *c, const char *key)
{
	char *rel = cache_layout_relpath(CACHE_AREA_AC, key);
	char *path = path_join(c->root, rel);
	free(rel);
	return path;
}

bool cache_has_blob(const struct cache *c, const char *digest)
{
	char *p = cache_blob_path(c, digest);
	bool ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

bool cache_blob_intact(const struct cache *c, const char *digest)
{
	char *p = cache_blob_path(c, digest);
	char hex[HASH_MAX_HEX];
	struct error err = ERROR_INIT;
	bool ok = hash_file_hex(HASH_CONTENT, p, hex, &err) == 0 && strcmp(hex, digest) == 0;
	error_release(&err);
	free(p);
	return ok;
}

void cache_remove_blob(struct cache *c, const char *digest)
{
	char *p = cache_blob_path(c, digest);
	unlink(p);
	free(p);
}

/* link tmp into final (creating its directory); EEXIST is success */
static int publish_link(const char *tmp, const char *final, struct error *err)
{
	char *dir = path_dirname(final);
	int ret = mkdir_p(dir, 0755, err);
	if (ret == 0 && link(tmp, final) < 0 && errno != EEXIST)
		ret = error_errno(err, errno, "cannot publish '%s'", final);
	if (ret == 0)
		fsync_dir(dir);
	free(dir);
	return ret;
}

static char *temp_name(const struct cache *c, const char *what)
{
	static unsigned counter;
	unsigned n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	return cache_layout_path(c->root, CACHE_AREA_TMP, "%s.%d.%u.%ld", what, (int)getpid(), n,
				 (long)time(NULL));
}

int cache_put_file(struct cache *c, const char *path, bool move, char digest[SHA256_HEX],
		   struct error *err)
{
	if (hash_file_hex(HASH_CONTENT, path, digest, err) < 0)
		return -1;
	return cache_put_file_hashed(c, path, move, digest, err);
}

int cache_put_file_hashed(struct cache *c, const char *path, bool move,
			  const char digest[SHA256_HEX], struct error *err)
{
	char *final = cache_blob_path(c, digest);
	char *tmp = temp_name(c, "blob");
	int ret = -1;
	if (access(final, F_OK) == 0) {
		ret = 0; /* already stored; a corrupt one was removed by the caller */
		goto out;
	}
	/*
	 * Rename a file we own (it is in our scratch dir on the same
	 * filesystem) to a temp name first, so a concurrent reader never sees
	 * it writable; otherwise copy, keeping holes.
	 */
	if (!(move && rename(path, tmp) == 0) && copy_file_sparse(path, tmp, 0444, err) < 0)
		goto out;
	if (chmod(tmp, 0444) < 0) {
		error_errno(err, errno, "cannot make '%s' read-only", tmp);
		goto out;
	}
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		error_errno(err, errno, "cannot sync '%s'", tmp);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	ret = publish_link(tmp, final, err);
out:
	unlink(tmp);
	free(tmp);
	free(final);
	return ret;
}

/* output names are builders' constants; this alphabet keeps the line unambiguous */
static bool output_name_valid(const char *s, size_t len)
{
	if (len == 0 || len > 255)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* parse "output NAME SHA256 SIZE" exactly as cache_format_action() writes it */
static int parse_output_line(const char *line, struct cache_output *o)
{
	const char *name = line + strlen("output ");
	const char *sp = strchr(name, ' ');
	if (!sp || !output_name_valid(name, (size_t)(sp - name)) || strlen(sp) < 67 || sp[65] != ' ')
		return -1;
	char digest[SHA256_HEX];
	memcpy(digest, sp + 1, 64);
	digest[64] = '\0';
	const char *size = sp + 66;
	char *end;
	if (!hash_hex_is_valid(digest, 64) || *size < '0' || *size > '9' || (size[0] == '0' && size[1]))
		return -1;
	errno = 0;
	unsigned long long n = strtoull(size, &end, 10);
	if (errno || *end)
		return -1;
	o->name = xstrndup(name, (size_t)(sp - name));
	memcpy(o->digest, digest, SHA256_HEX);
	o->size = n;
	return 0;
}

/* the length of the sealed part of text, or 0 when its seal line is missing or wrong */
static size_t sealed_length(const char *text, size_t len)
{
	size_t seal_len = strlen(ACTION_SEAL) + 64 + 1;
	if (len < seal_len)
		return 0;
	const char *seal = text + len - seal_len;
	if ((seal > text && seal[-1] != '\n') || memcmp(seal, ACTION_SEAL, strlen(ACTION_SEAL)) != 0 ||
	    seal[seal_len - 1] != '\n')
		return 0;
	char want[SHA256_HEX];
	hash_buffer_hex(HASH_SHA256, text, len - seal_len, want);
	return memcmp(want, seal + strlen(ACTION_SEAL), 64) == 0 ? len - seal_len : 0;
}

int cache_parse_action(const char *text, size_t len, struct record *rec,
		       struct cache_output **outs, size_t *n_outs, struct error *err)
{
	if (len < strlen(ACTION_MAGIC) || memcmp(text, ACTION_MAGIC, strlen(ACTION_MAGIC)) != 0)
		return error_set(err, "not an action entry of this mvbuild (want '%.*s')",
				 (int)strlen(ACTION_MAGIC) - 1, ACTION_MAGIC);
	size_t sealed = sealed_length(text, len);
	if (!sealed)
		return error_set(err, "action entry does not match its seal (edited or truncated)");
	const char *p = text + strlen(ACTION_MAGIC), *end = text + sealed;
	while (p < end && str_startswith(p, "output ")) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return error_set(err, "truncated action entry");
		char *line = xstrndup(p, (size_t)(nl - p));
		*outs = xrealloc(*outs, (*n_outs + 1) * sizeof(**outs));
		int r = parse_output_line(line, &(*outs)[*n_outs]);
		free(line);
		if (r < 0)
			return error_set(err, "malformed output line in action entry");
		(*n_outs)++;
		p = nl + 1;
	}
	if ((size_t)(end - p) < strlen("record\n") || memcmp(p, "record\n", strlen("record\n")) != 0)
		return error_set(err, "action entry has no record");
	p += strlen("record\n");
	return record_decode(rec, p, (size_t)(end - p), err);
}

/* parse the entry text filed under key and check that its record hashes to key */
static int check_action(const char *key, const struct buf *text, struct record *rec,
			struct cache_output **outs, size_t *n_outs, struct error *err)
{
	if (cache_parse_action(text->data, text->len, rec, outs, n_outs, err) < 0)
		return -1;
	char got[SHA256_HEX];
	record_key(rec, got);
	if (strcmp(got, key) != 0)
		return error_set(err, "action entry holds the record of another key (%.16s)", got);
	return 0;
}

int cache_get_action(struct cache *c, const char *key, struct record *rec,
		     struct cache_output **outs, size_t *n_outs, struct error *err)
{
	*outs = NULL;
	*n_outs = 0;
	char *path = action_path(c, key);
	struct buf text = BUF_INIT;
	struct error local = ERROR_INIT;
	int ret = 0;
	if (read_file(path, ACTION_MAX_SIZE, &text, &local) < 0) {
		error_release(&local); /* missing or unreadable: a miss */
		goto out;
	}
	if (check_action(key, &text, rec, outs, n_outs, &local) < 0) {
		/* a damaged entry is a miss, said through err; it is replaced when rebuilt */
		error_move(err, &local);
		error_prefix(err, "dropped action entry '%s'", path);
		record_release(rec);
		cache_outputs_free(*outs, *n_outs);
		*outs = NULL;
		*n_outs = 0;
		unlink(path);
		goto out;
	}
	ret = 1;
out:
	buf_release(&text);
	free(path);
	return ret;
}

void cache_format_action(const struct record *rec, const struct cache_output *outs,
			 size_t n_outs, struct buf *out)
{
	size_t start = out->len;
	buf_adds(out, ACTION_MAGIC);
	for (size_t i = 0; i < n_outs; i++)
		buf_addf(out, "output %s %s %llu\n", outs[i].name, outs[i].digest,
			 (unsigned long long)outs[i].size);
	buf_adds(out, "record\n");
	record_encode(rec, true, out);
	char seal[SHA256_HEX];
	hash_buffer_hex(HASH_SHA256, out->data + start, out->len - start, seal);
	buf_addf(out, "%s%s\n", ACTION_SEAL, seal);
}

int cache_put_action(struct cache *c, const char *key, const struct record *rec,
		     const struct cache_output *outs, size_t n_outs, struct error *err)
{
	for (size_t i = 0; i < n_outs; i++)
		if (!output_name_valid(outs[i].name, strlen(outs[i].name)))
			return error_set(err, "cannot store output '%s': names are letters, digits, "
					 "'.', '_' and '-'", outs[i].name);
	struct buf text = BUF_INIT;
	cache_format_action(rec, outs, n_outs, &text);
	char *final = action_path(c, key);
	char *tmp = temp_name(c, "action");
	int ret = write_file_atomic(tmp, text.data, text.len, 0444, err);
	if (ret == 0) {
		/* replace a stale entry for the same key (e.g. one naming a corrupt blob) */
		char *dir = path_dirname(final);
		ret = mkdir_p(dir, 0755, err);
		if (ret == 0 && rename(tmp, final) < 0)
			ret = error_errno(err, errno, "cannot publish '%s'", final);
		if (ret == 0)
			fsync_dir(dir);
		free(dir);
	}
	unlink(tmp);
	free(tmp);
	free(final);
	buf_release(&text);
	return ret;
}

void cache_outputs_free(struct cache_output *outs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(outs[i].name);
	free(outs);
}

int cache_mkscratch(struct cache *c, const char *prefix, char **path, struct error *err)
{
	char *name = xasprintf("%s.XXXXXX", prefix);
	for (char *s = name; *s; s++)
		if (*s == '/' || *s == ':')
			*s = '_';
	char *tmpl = cache_layout_path(c->root, CACHE_AREA_TMP, "%s", name);
	free(name);
	if (!mkdtemp(tmpl)) {
		int e = errno;
		char *dir = cache_layout_dir(c->root, CACHE_AREA_TMP);
		error_errno(err, e, "cannot create a scratch directory in '%s'", dir);
		free(dir);
		free(tmpl);
		return -1;
	}
	*path = tmpl;
	return 0;
}

static int open_lock(struct cache *c, const char *name, struct error *err)
{
	char *p = cache_layout_path(c->root, CACHE_AREA_LOCKS, "%s", name);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		error_errno(err, errno, "cannot open lock '%s'", p);
	free(p);
	return fd;
}

static int take_gc_lock(struct cache *c, int op, struct error *err)
{
	if (c->gc_lock_fd < 0 && (c->gc_lock_fd = open_lock(c, CACHE_LAYOUT_GC_LOCK, err)) < 0)
		return -1;
	while (flock(c->gc_lock_fd, op) < 0) {
		if (errno != EINTR)
			return error_errno(err, errno, "cannot lock cache '%s'", c->root);
	}
	return 0;
}

int cache_lock_shared(struct cache *c, struct error *err)
{
	return take_gc_lock(c, LOCK_SH, err);
}

int cache_lock_exclusive(struct cache *c, struct error *err)
{
	return take_gc_lock(c, LOCK_EX, err);
}

int cache_lock_key(struct cache *c, const char *key, struct error *err)
{
	int fd = open_lock(c, key, err);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			error_errno(err, errno, "cannot lock '%s'", key);
			close(fd);
			return -1;
		}
	}
	return fd;
}

void cache_unlock_key(int fd)
{
	if (fd >= 0)
		close(fd);
}

void cache_touch_action(struct cache *c, const char *key)
{
	char *p = action_path(c, key);
	struct stat st;
	time_t now = time(NULL);
	if (stat(p, &st) == 0 && now - st.st_mtime > 3600)
		utimensat(AT_FDCWD, p, NULL, 0);
	free(p);
}
