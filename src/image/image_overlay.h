/*
 * image_overlay: the recipe's overlays (dir, file, content, symlink,
 * mkdir, remove) applied to an image tree, and the walk over the host
 * files an overlay reads, which the image builder also uses to describe
 * them.  Host paths resolve beneath the recipe's directory only.
 */
#ifndef MVBUILD_IMAGE_OVERLAY_H
#define MVBUILD_IMAGE_OVERLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "base/error.h"
#include "image/image_tree.h"
#include "recipe/recipe.h"

/* one host file an overlay reads: rel is "" for the top itself, abs the path to read */
struct overlay_file {
	const char *rel;      /* path beneath the overlay source ("" for the source itself) */
	const char *abs;      /* host path (for digests) */
	int dirfd;            /* directory holding it */
	const char *name;     /* its name in dirfd */
	struct stat st;       /* lstat of it */
};

/*
 * A directory every overlay walk leaves out, known by identity (device and
 * inode, so no spelling of its path matters): the cache, which a `dir: .`
 * overlay would otherwise read, including the image being built.
 */
struct overlay_skip {
	dev_t dev;
	ino_t ino;
	bool set;             /* false: nothing is left out */
	char *skipped;        /* out: the first directory left out, relative to the overlay source (owned) */
};

/* s leaves out the directory dir when it exists (NULL or missing: nothing) */
void image_overlay_skip_init(struct overlay_skip *s, const char *dir);
/* free what a walk recorded in s */
void image_overlay_skip_release(struct overlay_skip *s);

typedef int (*overlay_file_fn)(void *arg, const struct overlay_file *f, struct error *err);

/*
 * Call fn for every host file of a dir or file overlay, in sorted order
 * (directories before their contents); other kinds read no host file.
 * The directory in skip (NULL: none) and everything beneath it are left
 * out, and the first one left out is recorded in skip->skipped.  Returns 0, or -1 when the source escapes its recipe directory
 * ('..', absolute, or a symlink leading out), is unreadable, or fn fails.
 */
int image_overlay_walk(const struct overlay *ov, struct overlay_skip *skip, overlay_file_fn fn,
		 void *arg, struct error *err);

/*
 * Called for every host file an overlay applies, once applied, with the
 * sha256 of its content as read (a regular file's bytes, hashed in the pass
 * that copied them; a symlink's target) or NULL for other kinds, so that the
 * caller can compare it with what its key was computed from; 0, or -1 with err.
 */
typedef int (*overlay_check_fn)(void *arg, const struct overlay *ov, const struct overlay_file *f,
				const char *sha256, struct error *err);

/* an overlay_check_fn and its argument */
struct overlay_check {
	overlay_check_fn fn;
	void *arg;
};

/*
 * apply one overlay to t, leaving out skip (NULL: none); every time written is
 * epoch; check may be NULL; 0 or -1
 */
int image_overlay_apply(struct tree *t, const struct overlay *ov, struct overlay_skip *skip,
			bool allow_devices, int64_t epoch, const struct overlay_check *check,
			struct error *err);

#endif
