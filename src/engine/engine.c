/*
 * engine: the dependency graph of a recipe.  Nodes are sources, kernels,
 * images and profiles (launch configs); edges as in docs/architecture.md:
 *   source -> kernel -> profile <- image <- source (layers)
 * Nodes are kept in dependency order so a single forward pass sees every
 * dependency before its dependents.
 */
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "base/fileutil.h"
#include "recipe/recipe.h"
#include "base/suggest.h"
#include "base/util.h"

/* builders are linked in per module; a missing one is reported when needed */
extern const struct builder source_builder __attribute__((weak));
extern const struct builder kernel_builder __attribute__((weak));
extern const struct builder image_builder __attribute__((weak));
extern const struct builder launch_builder __attribute__((weak));

static const char *kind_names[] = { "source", "kernel", "image", "profile" };

static struct node *node_new(struct engine *e, enum node_kind kind, const char *name)
{
	struct node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->name = name;
	n->id = xasprintf("%s:%s", kind_names[kind], name);
	n->engine_state = xcalloc(1, sizeof(struct node_state));
	e->nodes = xrealloc(e->nodes, (e->n_nodes + 1) * sizeof(*e->nodes));
	e->nodes[e->n_nodes++] = n;
	return n;
}

static void node_add_dep(struct node *n, struct node *dep)
{
	for (size_t i = 0; i < n->n_deps; i++)
		if (n->deps[i] == dep)
			return;
	n->deps = xrealloc(n->deps, (n->n_deps + 1) * sizeof(*n->deps));
	n->deps[n->n_deps++] = dep;
}

struct node *engine_find(const struct engine *e, const char *id)
{
	for (size_t i = 0; i < e->n_nodes; i++)
		if (strcmp(e->nodes[i]->id, id) == 0)
			return e->nodes[i];
	return NULL;
}

static struct node *find_kind(const struct engine *e, enum node_kind kind, const char *name)
{
	char *id = xasprintf("%s:%s", kind_names[kind], name);
	struct node *n = engine_find(e, id);
	free(id);
	return n;
}

static void add_nodes(struct engine *e, const struct recipe *r)
{
	for (size_t i = 0; i < r->n_sources; i++)
		node_new(e, NODE_SOURCE, r->sources[i].name)->u.source = &r->sources[i];
	for (size_t i = 0; i < r->n_kernels; i++) {
		struct kernel *k = &r->kernels[i];
		struct node *n = node_new(e, NODE_KERNEL, k->name);
		n->u.kernel = k;
		node_add_dep(n, find_kind(e, NODE_SOURCE, k->source));
	}
	for (size_t i = 0; i < r->n_images; i++) {
		struct image *im = &r->images[i];
		struct node *n = node_new(e, NODE_IMAGE, im->name);
		n->u.image = im;
		for (size_t j = 0; j < im->n_layers; j++)
			node_add_dep(n, find_kind(e, NODE_SOURCE, im->layers[j]));
	}
	for (size_t i = 0; i < r->n_profiles; i++) {
		struct profile *p = &r->profiles[i];
		struct node *n = node_new(e, NODE_LAUNCH, p->name);
		n->u.profile = p;
		node_add_dep(n, find_kind(e, NODE_KERNEL, p->kernel));
		if (p->image)
			node_add_dep(n, find_kind(e, NODE_IMAGE, p->image));
		if (p->initrd)
			node_add_dep(n, find_kind(e, NODE_IMAGE, p->initrd));
		/* extra disks from images: built with the profile, their digests in its key */
		for (size_t j = 0; j < p->n_disks; j++)
			if (p->disks[j].image)
				node_add_dep(n, find_kind(e, NODE_IMAGE, p->disks[j].image));
	}
}

struct engine *engine_new(struct mvctx *ctx)
{
	struct engine *e = xcalloc(1, sizeof(*e));
	e->ctx = ctx;
	e->builders[NODE_SOURCE] = &source_builder;
	e->builders[NODE_KERNEL] = &kernel_builder;
	e->builders[NODE_IMAGE] = &image_builder;
	e->builders[NODE_LAUNCH] = &launch_builder;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->changed, NULL);
	/* names this recipe's last/ directory (never part of a key) */
	if (ctx->recipe)
		recipe_id(ctx->recipe, e->recipe_id);
	else
		strcpy(e->recipe_id, "none");
	/* the loader resolved every reference, so every dependency exists */
	if (ctx->recipe)
		add_nodes(e, ctx->recipe);
	return e;
}

void engine_set_builder(struct engine *e, enum node_kind kind, const struct builder *b)
{
	e->builders[kind] = b;
}

static void node_state_release(struct node_state *s)
{
	record_release(&s->rec);
	cache_outputs_free(s->outs, s->n_outs);
	for (size_t i = 0; i < s->n_outs; i++)
		free(s->view_paths[i]);
	free(s->view_paths);
	free(s->views);
	free(s->direct);
	memset(s, 0, sizeof(*s));
}

static void node_free(struct node *n)
{
	node_state_release(n->engine_state);
	free(n->engine_state);
	free(n->deps);
	free(n->id);
	free(n);
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_nodes; i++)
		node_free(e->nodes[i]);
	free(e->nodes);
	error_release(&e->first_error);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->changed);
	free(e);
}

struct node *engine_variant_profile(struct engine *e, const struct node *of,
				    const struct profile *p, struct error *err)
{
	if (of->kind != NODE_LAUNCH) {
		error_set(err, "internal error: '%s' is not a profile, it has no variant", of->id);
		return NULL;
	}
	/*
	 * Appended after its dependencies, so dependency order holds.  It keeps
	 * of's id: progress, errors and explain's last build name the profile
	 * the user asked for; engine_find still finds of, which comes first.
	 */
	struct node *n = node_new(e, NODE_LAUNCH, of->name);
	n->u.profile = p;
	for (size_t i = 0; i < of->n_deps; i++)
		node_add_dep(n, of->deps[i]);
	return n;
}

void engine_variant_free(struct engine *e, struct node *variant)
{
	for (size_t i = 0; variant && i < e->n_nodes; i++) {
		if (e->nodes[i] != variant)
			continue;
		memmove(&e->nodes[i], &e->nodes[i + 1], (e->n_nodes - i - 1) * sizeof(*e->nodes));
		e->n_nodes--;
		node_free(variant);
		return;
	}
}

size_t engine_nodes(const struct engine *e, struct node *const **nodes)
{
	*nodes = e->nodes;
	return e->n_nodes;
}

static bool has_dependents(const struct engine *e, const struct node *n)
{
	for (size_t i = 0; i < e->n_nodes; i++)
		for (size_t j = 0; j < e->nodes[i]->n_deps; j++)
			if (e->nodes[i]->deps[j] == n)
				return true;
	return false;
}

/* "no target" with the closest id or name, or the ids there are */
static void no_target(const struct engine *e, const char *target, struct error *err)
{
	bool ids = strchr(target, ':') != NULL;
	const char **names = xcalloc(e->n_nodes + 1, sizeof(*names));
	for (size_t i = 0; i < e->n_nodes; i++)
		names[i] = ids ? e->nodes[i]->id : e->nodes[i]->name;
	const char *close = suggest_closest(target, names, e->n_nodes);
	for (size_t i = 0; !close && i < e->n_nodes; i++)
		names[i] = e->nodes[i]->id;
	char *hint = close ? xasprintf(" (did you mean '%s'?)", close)
			   : suggest_hint(target, names, e->n_nodes, "targets");
	error_usage(err, "no target '%s' in recipe '%s'%s", target, e->ctx->recipe->path, hint);
	free(hint);
	free(names);
}

static struct node *resolve_one(const struct engine *e, const char *target, struct error *err)
{
	if (strchr(target, ':')) {
		struct node *n = engine_find(e, target);
		if (!n)
			no_target(e, target, err);
		return n;
	}
	struct node *found = NULL;
	for (size_t i = 0; i < e->n_nodes; i++) {
		if (strcmp(e->nodes[i]->name, target) != 0)
			continue;
		if (found) {
			error_usage(err, "target '%s' is ambiguous: say '%s' or '%s'", target, found->id,
				    e->nodes[i]->id);
			return NULL;
		}
		found = e->nodes[i];
	}
	if (!found)
		no_target(e, target, err);
	return found;
}

int engine_resolve(const struct engine *e, char *const *targets, size_t n,
		   struct node ***out, size_t *n_out, struct error *err)
{
	*out = xcalloc(e->n_nodes + n + 1, sizeof(**out));
	*n_out = 0;
	if (n == 0) {
		for (size_t i = 0; i < e->n_nodes; i++)
			if (!has_dependents(e, e->nodes[i]))
				(*out)[(*n_out)++] = e->nodes[i];
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct node *node = resolve_one(e, targets[i], err);
		if (!node) {
			free(*out);
			*out = NULL;
			*n_out = 0;
			return -1;
		}
		(*out)[(*n_out)++] = node;
	}
	return 0;
}

void engine_graph_dot(const struct engine *e, struct buf *out)
{
	static const char *shapes[] = { "note", "box3d", "cylinder", "component" };
	buf_adds(out, "digraph mvbuild {\n\trankdir=LR;\n");
	for (size_t i = 0; i < e->n_nodes; i++)
		buf_addf(out, "\t\"%s\" [shape=%s];\n", e->nodes[i]->id, shapes[e->nodes[i]->kind]);
	for (size_t i = 0; i < e->n_nodes; i++)
		for (size_t j = 0; j < e->nodes[i]->n_deps; j++)
			buf_addf(out, "\t\"%s\" -> \"%s\";\n", e->nodes[i]->deps[j]->id,
				 e->nodes[i]->id);
	buf_adds(out, "}\n");
}
