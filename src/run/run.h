/*
 * run: booting a built profile.  run_dir.c owns the run directory (the
 * guest's writable copy of the cached image, kept across runs with
 * persist: true); run_supervise.c starts the hypervisor and watches it
 * (signals, console, exit status); run_hv.c turns the cached launch
 * configs into a command line for this host.
 */
#ifndef MVBUILD_RUN_H
#define MVBUILD_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "launch/launch.h"

struct progress;

/*
 * A run directory: <cache>/run/<profile>.XXXXXX for one run (removed by
 * run_dir_release; it holds "pid" and a "lock" held while the run lives,
 * so gc can remove one whose run was killed), or <cache>/run/<recipe-id>-<profile>/ with persist:
 * true, kept, holding root.ext4, image.sha256 (the digest of the cached
 * image it was copied from; a different digest means the image was
 * rebuilt and the copy is replaced) and a lock file held while a VM runs.
 */
struct run_dir {
	char *path;        /* the directory */
	char *image;       /* the guest's writable root image inside it, NULL with no image */
	bool persistent;   /* kept after the run */
	bool reused;       /* persistent and the previous copy was kept */
	int lock_fd;       /* flock held on the directory while the run lives, else -1 */
};

/*
 * Prepare the run directory for profile under cache_root and give it a
 * writable copy of image_src (digest image_digest): reflinked or sparse
 * (image_src NULL: no copy, for a profile with only an initrd).
 * recipe_id names the recipe for persistent directories.  0, or -1.
 */
int run_dir_prepare(struct run_dir *rd, const char *cache_root, const char *recipe_id,
		    const char *profile, bool persist, const char *image_src,
		    const char *image_digest, struct error *err);
/*
 * Extra disk name of rd: a writable copy of the image src (digest; a
 * persistent one is kept while the digest matches) as "image-NAME.ext4",
 * or with src NULL a sparse scratch file of size bytes as "file-NAME" (a
 * persistent one is kept while its size matches).  *path is the file.  0 or -1.
 */
int run_dir_disk(struct run_dir *rd, const char *name, const char *src, const char *digest,
		 uint64_t size, char **path, struct error *err);
/*
 * `run --reset`: empty the persistent run directory of profile (under
 * cache_root, for recipe_id) but for its lock, so the next run starts from
 * fresh copies; refused while a VM uses it.  Nothing to do when it does not
 * exist.  0 or -1.
 */
int run_dir_reset(const char *cache_root, const char *recipe_id, const char *profile,
		  struct error *err);
/* remove a one-run directory, unlock a persistent one, free the struct's strings */
void run_dir_release(struct run_dir *rd);

/* what to start and how to watch it */
struct run_spec {
	char **argv;               /* the hypervisor's argv (argv[0] looked up on PATH) */
	const char *name;          /* "qemu", "firecracker" for messages */
	struct progress *progress; /* for notes, may be NULL */
};

/* how the hypervisor ended */
struct run_result {
	int status;                /* exit status to pass on (128+N for a signal) */
	int signal;                /* the signal that interrupted mvbuild (SIGINT, SIGTERM, SIGHUP), or 0 */
	bool kvm_failure;          /* the console showed a KVM internal or emulation error */
	double seconds;            /* wall time of the VM */
};

/*
 * Start spec->argv with the console on this terminal (output passes
 * through mvbuild, which watches it), and wait for it to end.  The child
 * dies with mvbuild (PR_SET_PDEATHSIG); SIGINT, SIGTERM and SIGHUP to
 * mvbuild stop it; a KVM internal error on its console stops it (qemu
 * spins instead of exiting).  0 with *res filled, or -1 when it could not
 * be started.
 */
int run_supervise(const struct run_spec *spec, struct run_result *res, struct error *err);

/* the paths a launch config's placeholders stand for (NULL: the profile has none) */
struct run_paths {
	const char *kernel;  /* ${kernel} */
	const char *image;   /* ${image}: the run directory's copy of the image */
	const char *initrd;  /* ${initrd}: the cached archive, read only */
};

/*
 * Replace the placeholders ${kernel}, ${image} and ${initrd} in args (in
 * place, each argument reallocated as needed): an argument that is exactly
 * a placeholder takes the path as is, inside a longer one the path's commas
 * are doubled (qemu's option syntax).
 */
void run_substitute_argv(char **args, size_t n, const struct run_paths *paths);
/* the Firecracker config text with "${kernel}" / "${image}" / "${initrd}" replaced by JSON strings */
char *run_substitute_json(const char *text, const struct run_paths *paths);

/* the same for one other placeholder ("${disk0}") in args */
void run_substitute_placeholder(char **args, size_t n, const char *placeholder, const char *path);
/* the config text with the JSON string "PLACEHOLDER" replaced by path as a JSON string */
char *run_substitute_json_placeholder(const char *text, const char *placeholder, const char *path);

/*
 * The absolute path, without symlinks, of share sh's host folder beneath
 * the recipe root; NULL with err when it leads outside the tree, is not a
 * directory or does not exist.  Newly allocated.
 */
char *run_share_resolve(const char *root, const struct profile_share *sh, struct error *err);

/* the full path of an executable found on $PATH (or name itself when it has a '/'), or NULL */
char *run_find_program(const char *name);
/*
 * Run argv (argv[0] looked up on PATH) with no input, capturing its standard
 * output and error into out, for at most a few seconds.  Returns its exit
 * status, or -1 with err when it cannot be run.
 */
int run_capture(char *const argv[], struct buf *out, struct error *err);

/*
 * What `env` says of a tool: "FIRST-LINE-OF-program-flag (PATH)", or
 * "unknown version (PATH)" when it says nothing; NULL when program is not
 * on $PATH.
 */
char *run_tool_version(const char *program, const char *flag);

/*
 * The qemu argv from a parsed qemu.json for accel a, with the paths put in.
 * binary overrides argv[0] (NULL: qemu-system-x86_64, or under KVM the
 * reduced qemu-system-x86_64-microvm when installed).  0, or -1 with err.
 */
struct json;
int run_qemu_argv(const struct json *cfg, enum accel a, const char *binary,
		  const struct run_paths *paths, struct launch_argv *out, struct error *err);
/*
 * Find Firecracker (configured path, else on PATH) and check its version
 * (v1.0 or later).  Fills *path and *version.  0, or -1 with a clear error.
 */
int run_firecracker_find(const char *configured, char **path, char **version,
			 struct error *err);

#endif
