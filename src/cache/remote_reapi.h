/*
 * remote_reapi: the REAPI ActionResult protobuf (build.bazel.remote.execution.v2)
 * that URL/ac/<key> holds, so servers that validate action entries
 * (bazel-remote, Buildbarn, BuildBuddy) accept mvbuild's.  Only the fields
 * mvbuild writes are read: output_files with path, digest and is_executable
 * and contents; everything else is skipped.  Format at the top of remote_reapi.c.
 */
#ifndef MVBUILD_REMOTE_REAPI_H
#define MVBUILD_REMOTE_REAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/hash.h"
#include "base/util.h"

/* the reserved output path of the signed mvbuild record (no builder output starts with '.') */
#define REMOTE_REAPI_RECORD ".mvbuild-signed-record"

/* one OutputFile */
struct remote_reapi_file {
	char *path;                /* output name, or REMOTE_REAPI_RECORD */
	char hash[SHA256_HEX];     /* digest.hash: sha256 hex of the blob at URL/cas/<hash> */
	uint64_t size;             /* digest.size_bytes: that blob's size */
	bool executable;           /* is_executable */
	const char *contents;      /* inlined bytes (decoded: points into the input), or NULL */
	size_t contents_len;       /* their length */
};

/* a decoded ActionResult's output files */
struct remote_reapi_result {
	struct remote_reapi_file *files;  /* in the order stored */
	size_t n_files;
};
#define REMOTE_REAPI_RESULT_INIT { NULL, 0 }

/* append the ActionResult listing files to out */
void remote_reapi_encode(const struct remote_reapi_file *files, size_t n, struct buf *out);
/*
 * Decode an ActionResult into the empty res (release it also on failure);
 * contents point into data, which must outlive res.  -1 with err on
 * anything malformed or past a limit (hostile input is expected).
 */
int remote_reapi_decode(const char *data, size_t len, struct remote_reapi_result *res,
			struct error *err);
/* the file with this path, or NULL */
const struct remote_reapi_file *remote_reapi_find(const struct remote_reapi_result *res,
						  const char *path);
/* free what remote_reapi_decode filled; res is empty again */
void remote_reapi_release(struct remote_reapi_result *res);

#endif
