/*
 * run_share: a profile's shared host folders, resolved for one run.  The
 * folder the recipe names is opened through recipe_tree (beneath the
 * recipe root after following symlinks, the rule of includes and overlays:
 * a share is live access to the host, so no allowed directory or pin lets
 * it out), and qemu gets the path that open reached, with no symlink left
 * in it.
 */
#include "run/run.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"
#include "recipe/recipe_tree.h"

char *run_share_resolve(const char *root, const struct profile_share *sh, struct error *err)
{
	char *subject = xasprintf("host folder '%s' of share '%s'", sh->host.path, sh->tag);
	struct recipe_tree_path tp = { subject, sh->host.base_dir, sh->host.path, RECIPE_TREE_ONLY,
				       true, true };
	char *resolved = NULL;
	int fd = recipe_tree_open(root, NULL, &tp, false, err);
	if (fd == RECIPE_TREE_MISSING) {
		char *shown = recipe_tree_path_shown(sh->host.base_dir, sh->host.path);
		error_set(err, "%s does not exist: create it (mkdir -p '%s')", subject, shown);
		free(shown);
	} else if (fd >= 0) {
		char link[64], target[PATH_MAX];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			error_errno(err, errno, "cannot resolve %s", subject);
		else
			resolved = xstrndup(target, (size_t)n);
		close(fd);
	}
	free(subject);
	return resolved;
}
