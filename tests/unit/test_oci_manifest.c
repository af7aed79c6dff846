/*
 * Unit tests for fetch/oci_manifest: image indexes, manifests, configs, an
 * OCI layout's files and a docker-archive's manifest.json parsed into
 * structs; hostile inputs (wrong types, bad digests, sizes that are no
 * integers, unknown media types, deep nesting, oversized documents, too
 * many entries) refused with a message, never crashing or half-filled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "fetch/oci_manifest.h"
#include "recipe/recipe.h"
#include "tap.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define OCI_M "application/vnd.oci.image.manifest.v1+json"
#define OCI_CFG "application/vnd.oci.image.config.v1+json"
#define TGZ "application/vnd.oci.image.layer.v1.tar+gzip"

static int parse_m(const char *text, struct oci_manifest *m, struct error *err)
{
	return oci_manifest_parse(m, text, strlen(text), err);
}

/* a manifest whose one layer has the given descriptor members */
static char *manifest_with_layer(const char *layer)
{
	return xasprintf("{\"schemaVersion\":2,\"mediaType\":\"" OCI_M "\",\"config\":{\"mediaType\":\""
			 OCI_CFG "\",\"digest\":\"" D1 "\",\"size\":10},\"layers\":[%s]}", layer);
}

/* the manifest must be refused with a message containing want */
static void refused(const char *name, const char *text, const char *want)
{
	struct oci_manifest m;
	struct error err = ERROR_INIT;
	int r = parse_m(text, &m, &err);
	ok(r < 0 && err.msg && strstr(err.msg, want), "%s: refused (%s)", name,
	   err.msg ? err.msg : "no error");
	error_release(&err);
}

static void test_manifest(void)
{
	struct oci_manifest m;
	struct error err = ERROR_INIT;
	char *t = manifest_with_layer("{\"mediaType\":\"" TGZ "\",\"digest\":\"" D2 "\",\"size\":42},"
				      "{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar\","
				      "\"digest\":\"" D1 "\",\"size\":0}");
	ok(parse_m(t, &m, &err) == 0, "an OCI manifest parses");
	ok(m.n_layers == 2 && m.layers[0].size == 42 && strcmp(m.layers[0].digest, D2) == 0 &&
	   m.formats[0] == OCI_LAYER_GZIP && m.formats[1] == OCI_LAYER_TAR, "layers, sizes, formats");
	ok(strcmp(m.config.digest, D1) == 0 && m.config.size == 10, "the config descriptor");
	oci_manifest_release(&m);
	free(t);

	char *cases[][3] = {
		{ "an unknown layer media type", manifest_with_layer("{\"mediaType\":\"application/x-foo\","
		  "\"digest\":\"" D2 "\",\"size\":1}"), "layer media type 'application/x-foo'" },
		{ "a digest of another algorithm", manifest_with_layer("{\"mediaType\":\"" TGZ "\","
		  "\"digest\":\"sha512:11\",\"size\":1}"), "is not sha256:" },
		{ "an uppercase digest", manifest_with_layer("{\"mediaType\":\"" TGZ "\",\"digest\":"
		  "\"sha256:AAAA111111111111111111111111111111111111111111111111111111111111\",\"size\":1}"),
		  "is not sha256:" },
		{ "a digest with a path in it", manifest_with_layer("{\"mediaType\":\"" TGZ "\",\"digest\":"
		  "\"sha256:../../../../etc/passwd\",\"size\":1}"), "is not sha256:" },
		{ "a negative size", manifest_with_layer("{\"mediaType\":\"" TGZ "\",\"digest\":\"" D2
		  "\",\"size\":-1}"), "size is not a number of bytes" },
		{ "a fractional size", manifest_with_layer("{\"mediaType\":\"" TGZ "\",\"digest\":\"" D2
		  "\",\"size\":1.5}"), "size is not a number of bytes" },
		{ "a huge size", manifest_with_layer("{\"mediaType\":\"" TGZ "\",\"digest\":\"" D2
		  "\",\"size\":1e300}"), "size is not a number of bytes" },
		{ "a size as a string", manifest_with_layer("{\"mediaType\":\"" TGZ "\",\"digest\":\"" D2
		  "\",\"size\":\"1\"}"), "size is not a number of bytes" },
		{ "a layer without a media type", manifest_with_layer("{\"digest\":\"" D2 "\",\"size\":1}"),
		  "has no media type" },
		{ "a layer that is a string", manifest_with_layer("\"x\""), "is not an object" },
		{ "a media type that is a number", manifest_with_layer("{\"mediaType\":7,\"digest\":\"" D2
		  "\",\"size\":1}"), "'mediaType' is not a string" },
		{ "schema version 1", xstrdup("{\"schemaVersion\":1,\"layers\":[]}"), "schemaVersion is not 2" },
		{ "no config", xstrdup("{\"schemaVersion\":2,\"layers\":[]}"), "has no config" },
		{ "an artifact's config", xstrdup("{\"schemaVersion\":2,\"config\":{\"mediaType\":"
		  "\"application/vnd.cncf.helm.config.v1+json\",\"digest\":\"" D1 "\",\"size\":1},"
		  "\"layers\":[]}"), "is not a container image's" },
		{ "an index given as a manifest", xstrdup("{\"schemaVersion\":2,\"mediaType\":"
		  "\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}"), "is not an OCI or Docker" },
		{ "a manifest of an unknown media type", xstrdup("{\"schemaVersion\":2,\"mediaType\":"
		  "\"application/vnd.example.manifest.v9+json\",\"config\":{\"mediaType\":\"" OCI_CFG
		  "\",\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]}"),
		  "'application/vnd.example.manifest.v9+json' is not an OCI or Docker" },
		{ "layers that are an object", xstrdup("{\"schemaVersion\":2,\"config\":{\"mediaType\":\""
		  OCI_CFG "\",\"digest\":\"" D1 "\",\"size\":1},\"layers\":{}}"), "'layers' is not a list" },
		{ "not JSON", xstrdup("{\"schemaVersion\":2,"), "is not JSON" },
		{ "a JSON array", xstrdup("[]"), "is not a JSON object" },
		{ "trailing bytes", xstrdup("{} {}"), "is not JSON" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		refused(cases[i][0], cases[i][1], cases[i][2]);
		free(cases[i][1]);
	}

	/* depth: 100 nested arrays inside a member */
	struct buf deep = BUF_INIT;
	buf_adds(&deep, "{\"schemaVersion\":2,\"x\":");
	for (int i = 0; i < 100; i++)
		buf_addc(&deep, '[');
	for (int i = 0; i < 100; i++)
		buf_addc(&deep, ']');
	buf_addc(&deep, '}');
	refused("nesting 100 deep", deep.data, "nested too deeply");
	buf_release(&deep);

	/* size: a document over OCI_MANIFEST_MAX is refused before it is parsed */
	char *big = xcalloc(OCI_MANIFEST_MAX + 2, 1);
	memset(big, ' ', OCI_MANIFEST_MAX + 1);
	big[0] = '{';
	big[OCI_MANIFEST_MAX] = '}';
	refused("a document over 4 MiB", big, "larger than");
	free(big);

	/* count: more layers than OCI_MAX_ENTRIES */
	struct buf many = BUF_INIT;
	for (int i = 0; i <= OCI_MAX_ENTRIES; i++)
		buf_adds(&many, i ? ",{}" : "{}");
	char *tm = manifest_with_layer(many.data);
	refused("more than 4096 layers", tm, "at most 4096");
	free(tm);
	buf_release(&many);
}

static void test_index(void)
{
	const char *text = "{\"schemaVersion\":2,\"manifests\":["
		"{\"mediaType\":\"" OCI_M "\",\"digest\":\"" D1 "\",\"size\":5,"
		"\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
		"{\"mediaType\":\"" OCI_M "\",\"digest\":\"" D2 "\",\"size\":6,"
		"\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"},"
		"\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}";
	struct oci_index idx;
	struct error err = ERROR_INIT;
	ok(oci_manifest_parse_index(&idx, text, strlen(text), &err) == 0 && idx.n == 2,
	   "an index parses");
	struct source_platform amd = { "linux", "amd64", NULL }, arm = { "linux", "arm64", "v8" },
			       arm7 = { "linux", "arm64", "v7" }, s390 = { "linux", "s390x", NULL };
	const struct oci_descriptor *d = oci_manifest_select(&idx, &amd);
	ok(d && strcmp(d->digest, D2) == 0, "linux/amd64 is selected");
	d = oci_manifest_select(&idx, &arm);
	ok(d && strcmp(d->digest, D1) == 0, "linux/arm64/v8 is selected");
	ok(!oci_manifest_select(&idx, &arm7), "a variant that differs is not selected");
	ok(!oci_manifest_select(&idx, &s390), "a platform the index lacks is not selected");
	d = oci_manifest_find_ref(&idx, "v1");
	ok(d && strcmp(d->digest, D2) == 0, "a tag is found by its ref.name annotation");
	ok(oci_manifest_find_ref(&idx, D1) == &idx.manifests[0], "a digest is found");
	ok(!oci_manifest_find_ref(&idx, "v2"), "an unknown tag is not found");
	oci_manifest_index_release(&idx);

	const char *bad = "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"" D1 "\",\"size\":5,"
			  "\"platform\":\"linux/amd64\"}]}";
	ok(oci_manifest_parse_index(&idx, bad, strlen(bad), &err) < 0 && err.msg &&
	   strstr(err.msg, "platform is not an object"), "a platform that is a string is refused");
	const char *ann = "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"" D1 "\",\"size\":5,"
			  "\"annotations\":{\"org.opencontainers.image.ref.name\":5}}]}";
	ok(oci_manifest_parse_index(&idx, ann, strlen(ann), &err) < 0, "a ref.name that is a number is refused");
	ok(oci_manifest_is_index_type("application/vnd.docker.distribution.manifest.list.v2+json") &&
	   !oci_manifest_is_index_type(OCI_M) && !oci_manifest_is_index_type(NULL),
	   "index media types");
	error_release(&err);
}

static void test_config_layout_docker(void)
{
	const char *cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"A=1\"],"
			  "\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":null,\"WorkingDir\":\"/w\","
			  "\"User\":\"1000:1000\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	struct oci_config c;
	struct error err = ERROR_INIT;
	ok(oci_manifest_parse_config(&c, cfg, strlen(cfg), &err) == 0 && c.n_env == 1 &&
	   c.n_entrypoint == 2 && !c.cmd && strcmp(c.working_dir, "/w") == 0 &&
	   strcmp(c.user, "1000:1000") == 0 && strcmp(c.arch, "amd64") == 0, "a config parses");
	oci_manifest_config_release(&c);
	const char *bad = "{\"config\":{\"Env\":[1]}}";
	ok(oci_manifest_parse_config(&c, bad, strlen(bad), &err) < 0 && strstr(err.msg, "item 1 of 'Env'"),
	   "an Env item that is a number is refused");

	const char *v1 = "{\"imageLayoutVersion\":\"1.0.0\"}";
	ok(oci_manifest_check_layout(v1, strlen(v1), &err) == 0,
	   "oci-layout 1.0.0");
	const char *v2 = "{\"imageLayoutVersion\":\"2.0.0\"}";
	ok(oci_manifest_check_layout(v2, strlen(v2), &err) < 0 && strstr(err.msg, "'2.0.0'"),
	   "another layout version is refused");

	const char *dm = "[{\"Config\":\"abc.json\",\"RepoTags\":[\"a:b\"],\"Layers\":[\"x/layer.tar\"]}]";
	struct oci_docker_image d;
	ok(oci_manifest_parse_docker(&d, dm, strlen(dm), &err) == 0 && d.n_layers == 1 &&
	   strcmp(d.config, "abc.json") == 0 && d.n_repo_tags == 1, "a docker manifest.json parses");
	oci_manifest_docker_release(&d);
	const char *two = "[{\"Config\":\"a\",\"Layers\":[]},{\"Config\":\"b\",\"Layers\":[]}]";
	ok(oci_manifest_parse_docker(&d, two, strlen(two), &err) < 0 && strstr(err.msg, "exactly one"),
	   "a manifest.json of two images is refused");
	const char *nolayers = "[{\"Config\":\"a\"}]";
	ok(oci_manifest_parse_docker(&d, nolayers, strlen(nolayers), &err) < 0,
	   "a manifest.json without Layers is refused");
	const char *notobj = "[7]";
	ok(oci_manifest_parse_docker(&d, notobj, strlen(notobj), &err) < 0 && err.msg,
	   "a manifest.json image that is a number is refused");
	error_release(&err);

	const char *doc = "{\"mediaType\":\"x\"}";
	char *mt = oci_manifest_media_type(doc, strlen(doc));
	ok(mt && strcmp(mt, "x") == 0, "the media type of a document");
	free(mt);
	ok(!oci_manifest_media_type("[", 1), "no media type for a broken document");
	const char *untyped = "{\"schemaVersion\":2,\"manifests\":[]}";
	ok(oci_manifest_is_index(untyped, strlen(untyped), NULL), "an untyped document with manifests is an index");
	ok(!oci_manifest_is_index(untyped, strlen(untyped), OCI_M), "unless its descriptor says manifest");
	ok(!oci_manifest_is_index(doc, strlen(doc), NULL), "a document of another type is none");
	ok(oci_manifest_digest_valid(D1) && !oci_manifest_digest_valid("sha256:11") &&
	   !oci_manifest_digest_valid(NULL), "digest check");
}

int main(void)
{
	test_manifest();
	test_index();
	test_config_layout_docker();
	return tap_done();
}
