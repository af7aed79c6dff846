/*
 * recipe_load: the entry of the recipe module: recipe_load() reads the top
 * file and every file it includes (depth first, each file's own
 * definitions before its includes), then resolves references.  A file
 * included twice without a cycle (a diamond) is loaded once; an include
 * cycle is an error naming both places.  Every include is opened through
 * the recipe-tree boundary (recipe_tree.c), and path sources and file://
 * URLs are checked against it once every file is read.  Reading and
 * validation live below it: recipe_yaml.c (the node tree),
 * recipe_parse_file.c (one file's keys, with one recipe_parse_ENTITY.c per
 * entity) and recipe_resolve.c (references).
 */
#include "recipe/recipe_load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "recipe/recipe_parse_file.h"
#include "recipe/recipe_resolve.h"
#include "recipe/recipe_tree.h"
#include "recipe/recipe_yaml.h"
#include "base/util.h"

#define RECIPE_MAX_FILES 64 /* files in one recipe, includes counted */

/* a file being loaded, with the include entry it is following right now */
struct open_file {
	dev_t dev;
	ino_t ino;
	const char *file;         /* its name in marks */
	struct mark via;          /* the include entry being followed */
	const char *via_path;     /* that entry's path as written */
};

struct loader {
	struct recipe *r;
	struct open_file stack[RECIPE_MAX_FILES]; /* the include chain */
	size_t depth;
	struct { dev_t dev; ino_t ino; } done[RECIPE_MAX_FILES]; /* files loaded */
	size_t n_done;
	const struct recipe_trust *trust; /* what the machine allows outside the tree */
	struct error *err;
};

static int cannot_open(struct loader *l, const char *file, const struct mark *from, int errnum)
{
	if (from)
		return recipe_yaml_fail(l->err, from, "cannot open included file '%s': %s", file,
				   strerror(errnum));
	return error_usage(l->err, "cannot open '%s': %s", file, strerror(errnum));
}

/* 1: already loaded (skip), 0: load it, -1: a cycle or too many files */
static int check_seen(struct loader *l, const struct stat *st, const char *file,
		      const struct mark *from)
{
	for (size_t i = 0; i < l->depth; i++) {
		const struct open_file *o = &l->stack[i];
		if (o->dev != st->st_dev || o->ino != st->st_ino)
			continue;
		if (i + 1 == l->depth)
			return recipe_yaml_fail(l->err, from, "include cycle: '%s' includes itself", file);
		return recipe_yaml_fail(l->err, from, "include cycle: '%s' is already being loaded "
				   "(%s:%d:%d includes '%s')", file, o->via.file, o->via.line,
				   o->via.column, o->via_path);
	}
	for (size_t i = 0; i < l->n_done; i++)
		if (l->done[i].dev == st->st_dev && l->done[i].ino == st->st_ino)
			return 1;
	if (l->r->n_files >= RECIPE_MAX_FILES)
		return recipe_yaml_fail(l->err, from, "too many recipe files (at most %d with includes)",
				   RECIPE_MAX_FILES);
	return 0;
}

/* parse one open file into the recipe; its include: entries are left in p */
static int parse_one(struct loader *l, const char *name, int fd, struct recipe_parser *p)
{
	struct recipe *r = l->r;
	r->files = xrealloc(r->files, (r->n_files + 1) * sizeof(*r->files));
	r->files[r->n_files] = xstrdup(name);
	const char *file = r->files[r->n_files++];
	p->r = r;
	p->file = file;
	p->base_dir = path_dirname(file);
	p->trust = l->trust;
	p->err = l->err;
	struct ynode *root = NULL;
	int ret = recipe_yaml_parse_fd(fd, file, &root, l->err);
	if (ret == 0)
		ret = recipe_parse_file(p, root);
	recipe_yaml_free(root); /* includes were copied out: one tree alive at a time */
	return ret;
}

/*
 * Open a recipe file for reading: the top one as given, an include only
 * through the recipe-tree boundary (so it is never outside the tree, a
 * credential, or a FIFO that would block).  A descriptor or -1.
 */
static int open_recipe_file(struct loader *l, const char *name, const char *base_dir,
			    const char *written, const struct mark *from)
{
	if (!from) {
		int fd = open(name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		return fd < 0 ? cannot_open(l, name, NULL, errno) : fd;
	}
	char *subject = xasprintf("included file '%s'", name);
	struct recipe_tree_path tp = { subject, base_dir, written, RECIPE_TREE_ONLY, false, true };
	int fd = recipe_tree_open(l->r->dir, l->trust, &tp, true, l->err);
	free(subject);
	if (fd == RECIPE_TREE_MISSING)
		return cannot_open(l, name, from, ENOENT);
	if (fd < 0) {
		error_locate(l->err, from->file, from->line, from->column);
		return error_prefix(l->err, "%s:%d:%d", from->file, from->line, from->column);
	}
	return fd;
}

static int load_file(struct loader *l, const char *name, const char *base_dir,
		     const char *written, const struct mark *from)
{
	struct stat st;
	int fd = open_recipe_file(l, name, base_dir, written, from);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		int saved = errno;
		close(fd);
		return cannot_open(l, name, from, saved);
	}
	int seen = check_seen(l, &st, name, from);
	if (seen != 0) {
		close(fd);
		return seen < 0 ? -1 : 0;
	}
	struct recipe_parser p = { 0 };
	int ret = parse_one(l, name, fd, &p);
	close(fd);
	struct open_file *o = &l->stack[l->depth++];
	o->dev = st.st_dev;
	o->ino = st.st_ino;
	o->file = p.file;
	for (size_t i = 0; ret == 0 && i < p.n_includes; i++) {
		o->via = p.includes[i].mark;
		o->via_path = p.includes[i].path;
		char *joined = recipe_tree_path_shown(p.base_dir, p.includes[i].path);
		char *target = recipe_tree_clean(joined);
		ret = load_file(l, target, p.base_dir, p.includes[i].path, &p.includes[i].mark);
		free(target);
		free(joined);
	}
	l->depth--;
	l->done[l->n_done].dev = st.st_dev;
	l->done[l->n_done].ino = st.st_ino;
	l->n_done++;
	recipe_parse_release(&p);
	return ret;
}

/* one path a source reads, against the boundary; 0 or -1 with the source's mark */
static int check_source_path(struct loader *l, const struct source *s, const char *what,
			     const char *written, const char *path)
{
	char *subject = xasprintf("%s '%s' of source '%s'", what, written, s->name);
	/* an OCI layout is a directory, and its many blobs are pinned by its manifest */
	struct recipe_tree_path tp = { subject, s->base_dir, path,
				       s->has_checksum ? RECIPE_TREE_ANYWHERE : RECIPE_TREE_OR_ALLOWED,
				       s->kind == SOURCE_OCI_LAYOUT, true };
	int ret = recipe_tree_check(l->r->dir, l->trust, &tp, l->err);
	free(subject);
	if (ret < 0) {
		error_locate(l->err, s->mark.file, s->mark.line, s->mark.column);
		error_prefix(l->err, "%s:%d:%d", s->mark.file, s->mark.line, s->mark.column);
	}
	return ret;
}

/* local sources and file:// URLs lie where the boundary lets a recipe read */
static int check_sources(struct loader *l)
{
	for (size_t i = 0; i < l->r->n_sources; i++) {
		const struct source *s = &l->r->sources[i];
		static const char *const what[] = { [SOURCE_PATH] = "path",
			[SOURCE_OCI_LAYOUT] = "oci-layout", [SOURCE_DOCKER_ARCHIVE] = "docker-archive" };
		if (recipe_source_is_local(s) && check_source_path(l, s, what[s->kind], s->path,
								     s->path) < 0)
			return -1;
		for (size_t j = 0; s->kind == SOURCE_URL && j < s->n_urls; j++) {
			char *path = recipe_tree_file_url_path(s->urls[j]);
			int ret = path ? check_source_path(l, s, "URL", s->urls[j], path) : 0;
			free(path);
			if (ret < 0)
				return -1;
		}
	}
	return 0;
}

int recipe_load_trusted(struct recipe *r, const char *path, const struct recipe_trust *trust,
			struct error *err)
{
	static char *const default_allow[] = { RECIPE_TREE_DEFAULT_ALLOW };
	static const struct recipe_trust defaults = { default_allow, 1, NULL, 0 };
	memset(r, 0, sizeof(*r));
	r->path = xstrdup(path);
	r->dir = path_dirname(path);
	struct loader l = { .r = r, .trust = trust ? trust : &defaults, .err = err };
	if (load_file(&l, path, NULL, path, NULL) < 0 || recipe_resolve(r, err) < 0 ||
	    check_sources(&l) < 0)
		return -1;
	return 0;
}

int recipe_load(struct recipe *r, const char *path, struct error *err)
{
	return recipe_load_trusted(r, path, NULL, err);
}
