/*
 * run_profile: booting one profile of the recipe, behind one call: the
 * variant the overrides make, the engine bringing its kernel, image and
 * launch config up to date, a run directory, the accelerator, the
 * hypervisor's command line, and its supervision.
 */
#ifndef MVBUILD_RUN_PROFILE_H
#define MVBUILD_RUN_PROFILE_H

#include "base/error.h"
#include "engine/engine.h"
#include "run/run_variant.h"

/*
 * Boot the profile called name (NULL: the one called default) of
 * ctx->recipe with the overrides o, building what is stale with e, and
 * wait for the guest.  Returns the hypervisor's exit status (128+N when a
 * signal stopped it), or -1 with err.
 */
int run_profile(struct mvctx *ctx, struct engine *e, const char *name,
		const struct run_overrides *o, struct error *err);

#endif
