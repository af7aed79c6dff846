/*
 * image_entries: a finished image tree listed and sorted for the writers
 * of other formats (see image_entries.h), and its file data read back
 * from the scratch filesystem the tree was built into.
 */
#include "image/image_entries.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "image/image_fs.h"

#define DATA_CHUNK (1 << 16)

static int collect(void *arg, const struct tree_entry *te, struct error *err)
{
	struct image_entries *l = arg;
	(void)err;
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 256;
		l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	struct image_entry *e = &l->v[l->n++];
	e->name = xstrdup(strcmp(te->path, "/") ? te->path + 1 : ".");
	e->ino = te->ino;
	e->mode = te->mode;
	e->target = te->target ? xstrdup(te->target) : NULL;
	return 0;
}

/* the root first (it is "." where every other name is relative), or 0 when neither is */
static int root_first(const struct image_entry *x, const struct image_entry *y)
{
	bool xr = strcmp(x->name, ".") == 0, yr = strcmp(y->name, ".") == 0;
	return yr - xr;
}

/* bytewise by name; a prefix sorts before what extends it */
static int cmp_bytewise(const void *a, const void *b)
{
	const struct image_entry *x = a, *y = b;
	int r = root_first(x, y);
	return r ? r : strcmp(x->name, y->name);
}

/* the rank of byte c in a path: the end, then '/', then every other byte in order */
static unsigned path_rank(unsigned char c)
{
	return c == 0 ? 0 : c == '/' ? 1 : c + 1u;
}

/* bytewise with '/' below every other byte, so "a/c" (inside a) comes before "a-b" */
static int cmp_depth_first(const void *a, const void *b)
{
	const struct image_entry *x = a, *y = b;
	int r = root_first(x, y);
	if (r)
		return r;
	const unsigned char *p = (const unsigned char *)x->name, *q = (const unsigned char *)y->name;
	while (*p && *p == *q)
		p++, q++;
	unsigned cp = path_rank(*p), cq = path_rank(*q);
	return (cp > cq) - (cp < cq);
}

int image_entries_list(struct tree *t, enum image_entries_order order, struct image_entries *l,
		       struct error *err)
{
	if (image_tree_walk(t, collect, l, err) < 0)
		return -1;
	qsort(l->v, l->n, sizeof(*l->v),
	      order == IMAGE_ENTRIES_BYTEWISE ? cmp_bytewise : cmp_depth_first);
	return 0;
}

void image_entries_release(struct image_entries *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].target);
	}
	free(l->v);
	free(l->buf);
	*l = (struct image_entries){ 0 };
}

int image_entries_read(struct image_entries *l, ext2_filsys fs, const struct image_entry *e,
		       uint64_t size, image_entries_data_fn fn, void *arg, struct error *err)
{
	ext2_file_t f;
	errcode_t rc = ext2fs_file_open(fs, e->ino, 0, &f);
	if (rc)
		return image_fs_error(fs, err, rc, "cannot open '/%s'", e->name);
	if (!l->buf)
		l->buf = xmalloc(DATA_CHUNK);
	int ret = 0;
	while (ret == 0 && size) {
		unsigned want = size < DATA_CHUNK ? (unsigned)size : DATA_CHUNK, got = 0;
		rc = ext2fs_file_read(f, l->buf, want, &got);
		if (rc || got == 0)
			ret = image_fs_error(fs, err, rc ? rc : EXT2_ET_SHORT_READ,
					     "cannot read '/%s'", e->name);
		else
			ret = fn(arg, l->buf, got, err);
		size -= got;
	}
	ext2fs_file_close(f);
	return ret;
}
