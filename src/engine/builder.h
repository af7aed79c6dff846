/*
 * builder: the one small interface every builder (source, kernel, image,
 * launch) plugs into.  The engine knows nodes, keys, the cache and the
 * schedule; it knows nothing of downloads, Kconfig or ext4.
 *
 * For each node the engine:
 *   1. asks the builder to describe() the node into a record: every
 *      parameter and the digest of every local input (through the digest
 *      memo, so this is cheap on a no-op build).  The engine adds the node
 *      kind, the builder's name and version, and the output digests of the
 *      node's dependencies, then hashes the record into the action key.
 *   2. looks the key up in the cache; on a hit the node is done.
 *   3. on a miss, makes an empty scratch directory and calls build(), which
 *      writes its outputs there and declares each with builder_output().  The
 *      engine then publishes the outputs into the content-addressed store
 *      and the record plus manifest under the key.
 *
 * One exception to "key first" (engine_direct.c): a source whose file a
 * dependent can read itself (direct_path()), whose digest the memo does not
 * know, stays pending: the dependent (a builder that reads_sources_directly)
 * is built without its key from the user's file, hashing it as it reads
 * (builder_input_hashed()); the engine then completes the key, looks it up
 * (a hit drops the build) and publishes under the full key and record.
 */
#ifndef MVBUILD_BUILDER_H
#define MVBUILD_BUILDER_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/context.h"
#include "base/error.h"
#include "base/hash.h"
#include "cache/record.h"

enum node_kind { NODE_SOURCE, NODE_KERNEL, NODE_IMAGE, NODE_LAUNCH };

struct engine;
struct source;
struct kernel;
struct image;
struct profile;

/* one node of the graph */
struct node {
	enum node_kind kind;        /* what it is */
	char *id;                   /* "source:linux", "kernel:microvm", "image:rootfs", "profile:default" */
	const char *name;           /* the recipe name (points into the recipe) */
	union {
		const struct source *source;
		const struct kernel *kernel;
		const struct image *image;
		const struct profile *profile;
	} u;                        /* the recipe entity this node builds (the graph never writes it) */
	struct node **deps;         /* nodes whose outputs this node reads */
	size_t n_deps;
	void *engine_state;         /* owned by the engine */
};

/* one output of a built dependency, as the builder of a dependent sees it */
struct build_input {
	const char *dep_id;         /* id of the dependency node */
	const char *output;         /* output name ("file", "bzImage", "rootfs.ext4") */
	const char *path;           /* read-only path of the content in the cache, or of the
				       user's file when digest is NULL */
	const char *digest;         /* content digest (hash.h's HASH_CONTENT) of the content; NULL
				       for a pending source's file: the builder hashes what it
				       reads and says it with builder_input_hashed() */
};

struct builder_output {
	char *name;                 /* output name */
	char *path;                 /* file inside the scratch directory */
	char digest[SHA256_HEX];    /* its content digest (HASH_CONTENT) when the builder computed it, else "" */
};

/* what build() gets */
struct build_ctx {
	struct mvctx *ctx;          /* options, recipe, cache, progress */
	struct engine *engine;      /* for builder_blob_find() and builder_blob_store() */
	const struct node *node;    /* the node to build */
	const char *key;            /* its action key (sha256 hex); NULL while a dependency is
				       pending (the key is completed after build()) */
	const char *seed;           /* what an identity derived from the inputs (an image's UUID)
				       is seeded with: the key of the record without the
				       content of the dependencies that may be read directly
				       (direct_path()), so a build reading them directly and one
				       reading the cache's copy give the same bytes; NULL: key */
	const struct record *record; /* the record behind key (without a pending dependency's
					line): what build() reads must match its digests */
	const char *workdir;        /* empty scratch directory, removed after publishing */
	const struct build_input *inputs; /* outputs of every dependency */
	size_t n_inputs;
	struct builder_output *outputs;     /* declared by builder_output() */
	size_t n_outputs;
	char (*hashed)[SHA256_HEX];  /* per input: builder_input_hashed()'s digest, or "" */
};

struct builder {
	enum node_kind kind;        /* which nodes this builds */
	const char *name;           /* "source", "kernel", "image", "launch" */
	int version;                /* enters every key; bump when outputs change for the same inputs */
	/*
	 * Add every parameter and local input digest to rec.  Runs on every
	 * build, including no-op ones: never read a large file here (use
	 * digest_memo_file()).  Returns 0, or -1 with err.
	 */
	int (*describe)(struct mvctx *ctx, const struct node *node, struct record *rec,
			struct error *err);
	/* build the outputs into b->workdir and declare them; 0, or -1 with err */
	int (*build)(struct build_ctx *b, struct error *err);
	/*
	 * Optional: the user's file a dependent may read instead of the
	 * node's output "file" (the same bytes: a local source without a
	 * checksum), or NULL when there is none; caller frees.
	 */
	char *(*direct_path)(const struct node *node);
	/* build() hashes an input of digest NULL as it reads it (see build_input) */
	bool reads_sources_directly;
};

/* declare the file relpath (inside b->workdir) as the output called name */
void builder_output(struct build_ctx *b, const char *name, const char *relpath);
/* the same, for a file whose content digest the builder computed while writing it (not rehashed) */
void builder_output_hashed(struct build_ctx *b, const char *name, const char *relpath,
			 const char *digest);
/*
 * Say the content digest of input in (one of b->inputs, of digest NULL) as
 * build() read it.  0, or -1 with err when it was read before with another
 * digest (the file changed during the build).
 */
int builder_input_hashed(struct build_ctx *b, const struct build_input *in,
			 const char digest[SHA256_HEX], struct error *err);
/* the path of output `output` of dependency dep_id, or NULL when there is none */
const char *builder_input_path(const struct build_ctx *b, const char *dep_id, const char *output);
/* the same input as a struct, or NULL */
const struct build_input *builder_input_find(const struct build_ctx *b, const char *dep_id,
					   const char *output);
/*
 * For an output that must find the cache at run time without holding its
 * absolute path (qemu.sh), the two halves of the way there, which only the
 * cache's layout knows: where input in lives relative to the cache root,
 * and the cache root relative to the directory that will hold any
 * published output ("../../..").  Both caller-freed.
 */
char *builder_input_relpath(const struct build_input *in);
char *builder_root_from_output(void);
/*
 * Blobs known by their sha256 (a container image's layers): the cache's
 * copy of the content of any source declaring sha256 HEX (stored by
 * builder_blob_store(), `mvbuild cache import`, or a url source with that
 * checksum).  0 with *path (caller frees; a read-only file whose size and
 * content digest were checked), 1 when the cache has none, -1 with err.
 */
int builder_blob_find(struct build_ctx *b, const char *sha256_hex, char **path,
		      struct error *err);
/*
 * Lock the blob sha256_hex against a concurrent download of it (another
 * node, or another process, waits, then finds it stored): a lock fd for
 * builder_blob_unlock(), or -1 with err.
 */
int builder_blob_lock(struct build_ctx *b, const char *sha256_hex, struct error *err);
void builder_blob_unlock(int fd);
/*
 * Store file, whose sha256 is sha256_hex (verified by the caller) and whose
 * content digest is content, as the content of any source declaring that
 * sha256, so the next build that needs it finds it.  The file stays (as a
 * read-only link to the stored blob when it could be moved in).  0, or -1.
 */
int builder_blob_store(struct build_ctx *b, const char *sha256_hex, const char *file,
		       const char content[SHA256_HEX], struct error *err);

/* the builders, one per file: builder_source.c, builder_kernel.c, ... */
extern const struct builder source_builder;
extern const struct builder kernel_builder;
extern const struct builder image_builder;
extern const struct builder launch_builder;

#endif
