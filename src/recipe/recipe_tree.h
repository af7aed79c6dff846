/*
 * recipe_tree: the one owner of the recipe-tree boundary.  Every path a
 * recipe names (includes, kernel fragments and base files, overlay files
 * and directories, path sources, file:// URLs) is opened through
 * recipe_tree_open(), which decides whether it may be read:
 *
 *   - beneath the recipe root (the directory of the top-level recipe file),
 *     after following symlinks at every component: openat2(RESOLVE_BENEATH),
 *     or a component-by-component walk where the kernel lacks openat2;
 *   - outside it, only a path source (or file:// URL) that lies, after
 *     following symlinks, beneath a directory the machine config allows
 *     (`paths: { allow: [...] }`), or whose content is pinned by a checksum;
 *   - never a file the machine config names as a credential;
 *   - only a regular file (or a directory where one is expected): FIFOs,
 *     sockets and devices are refused without opening them for reading.
 */
#ifndef MVBUILD_RECIPE_TREE_H
#define MVBUILD_RECIPE_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* a file the machine config names as a credential */
struct recipe_credential {
	const char *key;   /* the config key naming it ("token_file") */
	const char *path;  /* the file */
};

/* what the machine (its config) lets a recipe read outside its tree */
struct recipe_trust {
	char *const *allow;                       /* directories path sources may lie beneath */
	size_t n_allow;
	const struct recipe_credential *credentials; /* files never read as inputs */
	size_t n_credentials;
};

/* where a path may lead */
enum recipe_tree_rule {
	RECIPE_TREE_ONLY,        /* includes, overlays, fragments: beneath the root only */
	RECIPE_TREE_OR_ALLOWED,  /* an unpinned path source: or beneath an allowed directory */
	RECIPE_TREE_ANYWHERE,    /* a pinned path source or file:// URL: anywhere */
};

/* one path a recipe names */
struct recipe_tree_path {
	const char *subject;     /* how messages name it: "fragment 'k.config' of kernel 'x'" */
	const char *base_dir;    /* directory of the recipe file that wrote it (NULL: ".") */
	const char *path;        /* as written (a file:// URL's decoded path) */
	enum recipe_tree_rule rule;
	bool want_dir;           /* a directory (dir overlay), else a regular file */
	bool may_be_missing;     /* a source: it may be generated or downloaded later */
};

#define RECIPE_TREE_MISSING (-2) /* recipe_tree_open: absent, and may_be_missing */

/*
 * A path written in a recipe as messages show it: absolute paths as
 * written, others beneath base_dir (without a "./" prefix when base_dir is
 * ".").  Newly allocated.  Whether it may be read is recipe_tree_open()'s
 * decision alone.
 */
char *recipe_tree_path_shown(const char *base_dir, const char *path);

/*
 * Open p beneath root (NULL trust: none allowed outside, no credentials):
 * an O_PATH descriptor, or with for_reading one opened O_RDONLY|O_NONBLOCK.
 * Returns the descriptor, RECIPE_TREE_MISSING, or -1 with a usage error
 * naming the subject, the rule and how to allow it.
 */
int recipe_tree_open(const char *root, const struct recipe_trust *trust,
		     const struct recipe_tree_path *p, bool for_reading, struct error *err);
/* the same check, closing what it opened: 0, or -1 with err (a missing path allowed is 0) */
int recipe_tree_check(const char *root, const struct recipe_trust *trust,
		      const struct recipe_tree_path *p, struct error *err);
/*
 * The fallback of kernels without openat2 (public for tests): open rel
 * beneath dirfd one component at a time, following symlinks only while
 * they stay beneath it.  A descriptor, or -1 with errno (EXDEV: escapes).
 */
int recipe_tree_walk(int dirfd, const char *rel, int flags);
/* "a/b/../c" -> "a/c", "./x" -> "x"; ".." that climbs above a relative start is kept */
char *recipe_tree_clean(const char *path);
/* the local path of a file:// URL (percent-decoded), or NULL for another URL */
char *recipe_tree_file_url_path(const char *url);
/* the default of `paths: { allow: }`: where distributions install kernel sources */
#define RECIPE_TREE_DEFAULT_ALLOW "/usr/src"

#endif
