/*
 * image_tree_node: the nodes of an image tree (see image_tree_internal.h).
 * Each is found through a hash table keyed by (parent, name), so a lookup
 * costs the path depth, never a directory scan; each directory keeps its
 * children in input order, which is the order they are walked and
 * written in.
 */
#include <string.h>
#include <sys/stat.h>

#include "image/image_dirblocks.h"
#include "image/image_tree.h"
#include "image/image_tree_internal.h"

#define LOST_FOUND_BYTES 16384

/* ---- the (parent, name) table ------------------------------------------ */

static size_t node_hash(const struct tnode *parent, const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)parent;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29));
}

static void table_insert(struct tree *t, struct tnode *n)
{
	if (t->n_hashed + 1 > t->n_buckets) {
		size_t nb = t->n_buckets ? t->n_buckets * 2 : 1024;
		struct tnode **b = xcalloc(nb, sizeof(*b));
		for (size_t i = 0; i < t->n_buckets; i++) {
			struct tnode *c = t->buckets[i], *next;
			for (; c; c = next) {
				next = c->hash_next;
				size_t h = node_hash(c->parent, c->name, strlen(c->name)) & (nb - 1);
				c->hash_next = b[h];
				b[h] = c;
			}
		}
		free(t->buckets);
		t->buckets = b;
		t->n_buckets = nb;
	}
	size_t h = node_hash(n->parent, n->name, strlen(n->name)) & (t->n_buckets - 1);
	n->hash_next = t->buckets[h];
	t->buckets[h] = n;
	t->n_hashed++;
}

void image_tree_node_unhash(struct tree *t, struct tnode *n)
{
	size_t h = node_hash(n->parent, n->name, strlen(n->name)) & (t->n_buckets - 1);
	for (struct tnode **pp = &t->buckets[h]; *pp; pp = &(*pp)->hash_next) {
		if (*pp == n) {
			*pp = n->hash_next;
			t->n_hashed--;
			return;
		}
	}
}

struct tnode *image_tree_node_find(const struct tree *t, const struct tnode *parent,
				   const char *name, size_t len)
{
	if (!t->n_buckets)
		return NULL;
	size_t h = node_hash(parent, name, len) & (t->n_buckets - 1);
	for (struct tnode *c = t->buckets[h]; c; c = c->hash_next)
		if (c->parent == parent && strlen(c->name) == len && !memcmp(c->name, name, len))
			return c;
	return NULL;
}

/* ---- nodes ---------------------------------------------------------------- */

struct tnode *image_tree_node_new(struct tree *t, struct tnode *parent, const char *name,
				  size_t len, uint32_t mode, ext2_ino_t ino)
{
	struct tnode *n = xcalloc(1, sizeof(*n));
	n->name = xstrndup(name, len);
	n->parent = parent ? parent : n;
	n->mode = mode;
	n->ino = ino;
	n->layer = t->layer;
	if (t->n_nodes == t->alloc_nodes) {
		t->alloc_nodes = t->alloc_nodes ? t->alloc_nodes * 2 : 1024;
		t->nodes = xrealloc(t->nodes, t->alloc_nodes * sizeof(*t->nodes));
	}
	t->nodes[t->n_nodes++] = n;
	if (!parent)
		return n;
	if (parent->last_child)
		parent->last_child->next_sibling = n;
	else
		parent->first_child = n;
	parent->last_child = n;
	table_insert(t, n);
	return n;
}

void image_tree_node_dir(struct tree *t, struct tnode *n)
{
	if (t->n_dirs == t->alloc_dirs) {
		t->alloc_dirs = t->alloc_dirs ? t->alloc_dirs * 2 : 256;
		t->dirs = xrealloc(t->dirs, t->alloc_dirs * sizeof(*t->dirs));
	}
	t->dirs[t->n_dirs++] = n;
}

void image_tree_node_release(struct tree *t)
{
	for (size_t i = 0; i < t->n_nodes; i++) {
		free(t->nodes[i]->name);
		free(t->nodes[i]->target);
		free(t->nodes[i]);
	}
	free(t->nodes);
	free(t->buckets);
	free(t->dirs);
}

/* ---- directories ---------------------------------------------------------- */

/* one directory as linear blocks: ".", "..", then the live children in input order */
static int write_dir(struct tree *t, struct tnode *dir, struct error *err)
{
	struct dirblocks d;
	unsigned subdirs = 0;
	image_dirblocks_init(&d, t->fs, dir->ino, dir->parent->ino);
	for (struct tnode *c = dir->first_child; c; c = c->next_sibling) {
		if (c->removed)
			continue;
		image_dirblocks_add(&d, c->ino, c->name, c->mode);
		subdirs += S_ISDIR(c->mode);
	}
	return image_dirblocks_write(&d, subdirs, dir == t->lost_found ? LOST_FOUND_BYTES : 0,
			       dir->name, err);
}

int image_tree_finish(struct tree *t, struct error *err)
{
	for (size_t i = 0; i < t->n_dirs; i++)
		if (!t->dirs[i]->removed && write_dir(t, t->dirs[i], err) < 0)
			return -1;
	return 0;
}

/* ---- walking ------------------------------------------------------------ */

static int walk_node(struct tree *t, struct tnode *n, struct buf *path, tree_walk_fn fn,
		     void *arg, struct error *err)
{
	size_t saved = path->len;
	if (n != t->root) {
		buf_addc(path, '/');
		buf_adds(path, n->name);
	}
	struct tree_entry e = { path->len ? path->data : "/", n->ino, n->mode, n->target };
	if (fn(arg, &e, err) < 0)
		return -1;
	if (S_ISDIR(n->mode))
		for (struct tnode *c = n->first_child; c; c = c->next_sibling)
			if (!c->removed && walk_node(t, c, path, fn, arg, err) < 0)
				return -1;
	path->len = saved;
	if (path->data)
		path->data[saved] = '\0';
	return 0;
}

int image_tree_walk(struct tree *t, tree_walk_fn fn, void *arg, struct error *err)
{
	struct buf path = BUF_INIT;
	int ret = walk_node(t, t->root, &path, fn, arg, err);
	buf_release(&path);
	return ret;
}
