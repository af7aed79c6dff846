/*
 * oci_source: container images as sources (oci_source.h).
 */
#include "fetch/oci_source.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "base/util.h"
#include "engine/builder.h"
#include "fetch/oci_registry.h"
#include "recipe/recipe.h"

/* the platform as one record entry: os, arch and the variant when there is one */
static void describe_platform(const struct source *src, struct record *rec)
{
	const char *words[] = { src->platform.os, src->platform.arch, src->platform.variant };
	record_add_words(rec, "platform", NULL, words, src->platform.variant ? 3 : 2);
}

int oci_source_describe(struct mvctx *ctx, const struct source *src, struct record *rec,
			struct error *err)
{
	(void)ctx;
	describe_platform(src, rec);
	if (src->kind == SOURCE_OCI_REGISTRY ||
	    (src->kind == SOURCE_OCI_LAYOUT && src->oci_digest)) {
		record_add(rec, "manifest", "%s", src->oci_digest);
		return 0;
	}
	if (src->kind == SOURCE_OCI_LAYOUT)
		return error_set(err, "source '%s': oci-layout tags are not supported yet",
				 src->name);
	return 0;
}

int oci_source_build(struct build_ctx *b, const struct source *src, struct error *err)
{
	if (src->kind != SOURCE_OCI_REGISTRY)
		return error_set(err, "source '%s': container image sources are not built yet",
				 src->name);
	char *layout = path_join(b->workdir, "pull");
	int ret = mkdir(layout, 0700) < 0 ? error_errno(err, errno, "cannot create '%s'", layout)
		  : oci_registry_pull(b, src, layout, err);
	free(layout);
	return ret;
}
