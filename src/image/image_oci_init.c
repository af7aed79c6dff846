/*
 * image_oci_init: the `init: oci` shim (image_oci_init.h).  Every value
 * from the image config is written single-quoted, so no config can make
 * the shell run anything but the entrypoint it names.
 *
 * Why a shell shim and not init=ENTRYPOINT: the kernel passes init only
 * words without spaces or quotes, cannot set a working directory, and
 * panics when init exits; the shim has none of these limits.  Its own
 * limits (docs/run.md): the image needs /bin/sh, and User is not applied
 * (the entrypoint runs as root; the shim says so when User names another).
 */
#include "image/image_oci_init.h"

#include <stdlib.h>
#include <string.h>

#include "fetch/oci_manifest.h"

/* PATH when the config sets none: what containerd and Docker give a container */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static void add_quoted(struct buf *b, const char *s)
{
	buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_adds(b, "'\\''");
		else
			buf_addc(b, *s);
	}
	buf_addc(b, '\'');
}

static void add_words(struct buf *b, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf_addc(b, ' ');
		add_quoted(b, v[i]);
	}
}

static bool user_is_root(const char *user)
{
	return !user || !*user || !strcmp(user, "root") || !strcmp(user, "0") ||
	       !strncmp(user, "root:", 5) || !strncmp(user, "0:", 2);
}

int image_oci_init_script(const struct oci_config *c, struct buf *out)
{
	if (!c->n_entrypoint && !c->n_cmd)
		return -1;
	bool has_path = false;
	for (size_t i = 0; i < c->n_env; i++)
		has_path |= !strncmp(c->env[i], "PATH=", 5);
	buf_adds(out, "#!/bin/sh\n"
		      "# written by mvbuild for 'init: oci' (docs/run.md): the container image's\n"
		      "# entrypoint as a container runtime would start it, then power off\n"
		      "mount -t proc proc /proc 2>/dev/null\n"
		      "mount -t sysfs sysfs /sys 2>/dev/null\n"
		      "mount -t devtmpfs devtmpfs /dev 2>/dev/null\n");
	if (!has_path)
		buf_adds(out, "export PATH=" DEFAULT_PATH "\n");
	for (size_t i = 0; i < c->n_env; i++)
		if (strchr(c->env[i], '=') && c->env[i][0] != '=') {
			buf_adds(out, "export ");
			add_quoted(out, c->env[i]);
			buf_addc(out, '\n');
		}
	if (!user_is_root(c->user)) {
		char *msg = xasprintf("oci-init: User '%s' is not applied: the entrypoint runs as root",
				      c->user);
		buf_adds(out, "echo ");
		add_quoted(out, msg);
		buf_adds(out, " >&2\n");
		free(msg);
	}
	if (c->working_dir && *c->working_dir) {
		buf_adds(out, "mkdir -p ");
		add_quoted(out, c->working_dir);
		buf_adds(out, " && cd ");
		add_quoted(out, c->working_dir);
		buf_adds(out, " || echo 'oci-init: cannot enter the WorkingDir' >&2\n");
	}
	add_words(out, c->entrypoint, c->n_entrypoint);
	add_words(out, c->cmd, c->n_cmd);
	buf_adds(out, "\nstatus=$?\n"
		      "echo \"oci-init: the entrypoint exited with status $status\"\n"
		      "sync\n"
		      "reboot -f 2>/dev/null || poweroff -f 2>/dev/null\n"
		      "exit \"$status\"\n");
	return 0;
}
