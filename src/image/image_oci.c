/*
 * image_oci: container image sources as layers (image_oci.h).  A source
 * node of an image kind publishes "manifest", "config" and "layer-N"
 * (fetch/oci_source.c); this reads the manifest again (it is verified in
 * the cache like every blob) to know how many layers there are and their
 * media types, and writes the image config's runtime fields as JSON:
 *   {"source":NAME,"Env":[...],"Entrypoint":[...],"Cmd":[...],
 *    "WorkingDir":"...","User":"..."}
 * (a member absent from the config is absent here), for the topmost image.
 */
#include "image/image_oci.h"
#include "image/image_oci_init.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileutil.h"
#include "base/json.h"
#include "engine/builder.h"
#include "fetch/oci_manifest.h"
#include "fetch/oci_source.h"
#include "recipe/recipe.h"

static void add(struct image_oci_layers *l, const char *path, char *name, bool whiteouts,
		const struct build_input *in)
{
	l->paths = xrealloc(l->paths, (l->n + 1) * sizeof(*l->paths));
	l->names = xrealloc(l->names, (l->n + 1) * sizeof(*l->names));
	l->whiteouts = xrealloc(l->whiteouts, (l->n + 1) * sizeof(*l->whiteouts));
	l->inputs = xrealloc(l->inputs, (l->n + 1) * sizeof(*l->inputs));
	l->paths[l->n] = path;
	l->names[l->n] = name;
	l->inputs[l->n] = in;
	l->whiteouts[l->n++] = whiteouts;
}

static void add_strings(struct buf *b, const char *key, char **v, size_t n)
{
	if (!v)
		return;
	json_add_key(b, key);
	buf_addc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(b, ',');
		json_add_string(b, v[i]);
	}
	buf_addc(b, ']');
}

/*
 * The config's runtime fields as the oci-config output, and the init: oci
 * shim when want_init; the topmost image's replace a lower one's.
 */
static int write_config(struct image_oci_layers *l, const char *source, const char *path,
			bool want_init, struct error *err)
{
	struct oci_config c;
	if (oci_source_read_config(path, &c, err) < 0)
		return -1;
	buf_release(&l->config);
	buf_addc(&l->config, '{');
	json_add_member_string(&l->config, "source", source);
	add_strings(&l->config, "Env", c.env, c.n_env);
	add_strings(&l->config, "Entrypoint", c.entrypoint, c.n_entrypoint);
	add_strings(&l->config, "Cmd", c.cmd, c.n_cmd);
	json_add_member_string(&l->config, "WorkingDir", c.working_dir);
	json_add_member_string(&l->config, "User", c.user);
	buf_adds(&l->config, "}\n");
	buf_release(&l->init);
	if (want_init)
		image_oci_init_script(&c, &l->init); /* none to run: image_oci_layers says so */
	oci_manifest_config_release(&c);
	return 0;
}

/* the layers of one image source, bottom first */
static int add_image(const struct build_ctx *b, struct image_oci_layers *l, const char *name,
		     const char *dep, bool want_init, struct error *err)
{
	const char *mpath = builder_input_path(b, dep, "manifest");
	const char *cpath = builder_input_path(b, dep, "config");
	struct buf text = BUF_INIT;
	struct oci_manifest m;
	if (!mpath || !cpath)
		return error_set(err, "layer '%s' has no manifest or config", name);
	int ret = read_file(mpath, OCI_MANIFEST_MAX, &text, err);
	if (ret == 0)
		ret = oci_manifest_parse(&m, text.data, text.len, err);
	buf_release(&text);
	if (ret < 0)
		return error_prefix(err, "layer '%s'", name);
	for (size_t i = 0; ret == 0 && i < m.n_layers; i++) {
		char out[32];
		snprintf(out, sizeof(out), "layer-%zu", i + 1);
		const char *path = builder_input_path(b, dep, out);
		if (path)
			add(l, path, xasprintf("%s layer %zu (%s)", name, i + 1, m.layers[i].digest),
			    true, NULL);
		else
			ret = error_set(err, "layer '%s' has no output '%s'", name, out);
	}
	oci_manifest_release(&m);
	return ret == 0 ? write_config(l, name, cpath, want_init, err) : -1;
}

int image_oci_layers(const struct build_ctx *b, const struct image *img,
		     struct image_oci_layers *out, struct error *err)
{
	memset(out, 0, sizeof(*out));
	const char *top = NULL; /* the topmost container image, whose config counts */
	for (size_t i = 0; i < img->n_layers; i++) {
		char *dep = xasprintf("source:%s", img->layers[i]);
		int ret = 0;
		/* an image put together by hand (tests) may have no resolved sources: plain */
		if (img->layer_refs && img->layer_refs[i] &&
		    recipe_source_is_image(img->layer_refs[i])) {
			ret = add_image(b, out, img->layers[i], dep, img->oci_init, err);
		} else {
			const struct build_input *in = builder_input_find(b, dep, "file");
			if (in)
				add(out, in->path, xstrdup(img->layers[i]), false, in);
			else
				ret = error_set(err, "layer '%s' has no file", img->layers[i]);
		}
		free(dep);
		if (ret == 0 && img->layer_refs && img->layer_refs[i] &&
		    recipe_source_is_image(img->layer_refs[i]))
			top = img->layers[i];
		if (ret < 0) {
			image_oci_layers_release(out);
			return error_prefix(err, "image '%s'", img->name);
		}
	}
	if (img->oci_init && !out->init.len) {
		error_set(err, "image '%s': container image '%s' has no Entrypoint and no Cmd: "
			  "'init: oci' has nothing to run", img->name, top ? top : "");
		image_oci_layers_release(out);
		return -1;
	}
	return 0;
}

void image_oci_layers_release(struct image_oci_layers *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->paths);
	free(l->names);
	free(l->whiteouts);
	free(l->inputs);
	buf_release(&l->config);
	buf_release(&l->init);
	memset(l, 0, sizeof(*l));
}
