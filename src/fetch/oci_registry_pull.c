/*
 * oci_registry_pull: an oci: source pulled into an OCI image layout (oci_registry.h).  Not written yet: this is
 * the one place that says so, replaced by the registry client.
 */
#include "fetch/oci_registry.h"

#include "recipe/recipe.h"

int oci_registry_pull(struct build_ctx *b, const struct source *src, const char *layout_dir,
		      struct error *err)
{
	(void)b;
	(void)layout_dir;
	return error_set(err, "cannot pull '%s/%s@%s': registry pulls are not supported yet "
			 "(use 'oci-layout:' or 'docker-archive:')", src->oci_registry,
			 src->oci_repo, src->oci_digest);
}
