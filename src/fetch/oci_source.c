/*
 * oci_source: container images as sources (oci_source.h).
 *
 * An image source's outputs (docs/cache.md, "Container images"):
 *   manifest    the image manifest (OCI v1 or Docker schema 2) its layers
 *               come from: for an index, the one the platform selects; for a
 *               docker-archive, an OCI manifest written here from its
 *               manifest.json (layer digests and media types computed)
 *   config      the image config blob
 *   layer-N     the N-th layer blob (from 1, bottom first), as published
 *               (compressed); its media type is the manifest's layers[N-1]
 * Every blob is checked against its sha256 digest and size before any
 * output is declared, so a mismatch publishes nothing.  The CAS names each
 * output by its content digest, so two images sharing a base layer store it
 * once, and gc keeps it while any entry names it.
 *
 * Keys: oci and oci-layout by "manifest" (the digest of the manifest or
 * index the recipe pins; a layout's tag is resolved through index.json,
 * small, on every describe) and "platform"; for a layout also "config" and
 * "layer N" (read from the verified manifest), so explain names the layer
 * that changed.  A docker-archive is keyed like a path source (its checksum
 * or content digest) plus "platform".
 */
#include "fetch/oci_source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/archive_lazy.h"
#include "base/fileutil.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/util.h"
#include "engine/builder.h"
#include "engine/digest_memo.h"
#include "fetch/oci_manifest.h"
#include "fetch/oci_registry.h"
#include "fetch/fetch_source.h"
#include "recipe/recipe.h"

#define MAX_NESTING 4             /* index -> index -> manifest chains followed at most */
#define MAX_ARCHIVE_ENTRIES 100000 /* files in a docker-archive */

/* an image resolved from a layout: the pinned digest and the selected manifest */
struct resolved {
	char *pinned;                /* digest of what ref names (manifest or index) */
	struct buf manifest_text;    /* the selected manifest's bytes (verified) */
	struct oci_manifest manifest;
};

static void resolved_release(struct resolved *r)
{
	free(r->pinned);
	buf_release(&r->manifest_text);
	oci_manifest_release(&r->manifest);
}

/*
 * *out = DIR/REL, which must not lead out of the layout through a symlink:
 * the recipe tree's boundary checked the directory, this keeps its files
 * inside it (a missing file is left for the reader to name).  0, or -1.
 */
static int layout_path(const char *dir, const char *rel, char **out, struct error *err)
{
	*out = path_join(dir, rel);
	char *real = realpath(*out, NULL), *real_dir = real ? realpath(dir, NULL) : NULL;
	size_t n = real_dir ? strlen(real_dir) : 0;
	int ret = 0;
	if (real && (!real_dir || strncmp(real, real_dir, n) != 0 || real[n] != '/'))
		ret = error_set(err, "'%s' leads out of the layout '%s'", *out, dir);
	free(real);
	free(real_dir);
	if (ret < 0) {
		free(*out);
		*out = NULL;
	}
	return ret;
}

/* DIR/blobs/sha256/HEX of a checked digest, beneath DIR */
static int blob_path(const char *dir, const char *digest, char **out, struct error *err)
{
	char *rel = xasprintf("blobs/sha256/%s", digest + strlen("sha256:"));
	int ret = layout_path(dir, rel, out, err);
	free(rel);
	return ret;
}

/* the sha256 and size of len bytes must be the descriptor's */
static int verify_bytes(const char *data, size_t len, const char *digest, uint64_t size,
			const char *what, struct error *err)
{
	char hex[HASH_MAX_HEX];
	hash_buffer_hex(HASH_SHA256, data, len, hex);
	if (len != size)
		return error_set(err, "%s '%s' has %zu bytes, not the %llu its descriptor says", what,
				 digest, len, (unsigned long long)size);
	if (strcmp(hex, digest + strlen("sha256:")) != 0)
		return error_set(err, "%s '%s' does not match its digest (its sha256 is %s)", what,
				 digest, hex);
	return 0;
}

/* read a small blob of the layout and verify it; 0, or -1 with err */
static int read_blob(const char *dir, const char *digest, uint64_t size, size_t max,
		     const char *what, struct buf *out, struct error *err)
{
	if (size > max)
		return error_set(err, "%s '%s' is larger than %zu bytes", what, digest, max);
	char *path;
	if (blob_path(dir, digest, &path, err) < 0)
		return -1;
	int ret = read_file(path, max, out, err);
	free(path);
	if (ret == 0)
		ret = verify_bytes(out->data, out->len, digest, size, what, err);
	return ret;
}

static char *platform_text(const char *os, const char *arch, const char *variant)
{
	return xasprintf("%s/%s%s%s", os ? os : "?", arch ? arch : "?", variant ? "/" : "",
			 variant ? variant : "");
}

/* no entry of idx for the platform: name the ones there are */
static int no_platform(const struct source *src, const struct oci_index *idx, struct error *err)
{
	struct buf have = BUF_INIT;
	for (size_t i = 0; i < idx->n; i++) {
		char *p = platform_text(idx->manifests[i].os, idx->manifests[i].arch,
					idx->manifests[i].variant);
		buf_addf(&have, "%s%s", i ? ", " : "", p);
		free(p);
	}
	char *want = platform_text(src->platform.os, src->platform.arch, src->platform.variant);
	error_set(err, "the image index has no manifest for the platform %s (it has: %s)", want,
		  have.len ? have.data : "none");
	free(want);
	buf_release(&have);
	return -1;
}

/*
 * From the descriptor d (what ref names) down to one image manifest: an
 * index picks the platform's entry, each blob is verified on the way.
 */
static int resolve_descriptor(const struct source *src, const char *dir,
			      const struct oci_descriptor *d, struct resolved *r, struct error *err)
{
	struct oci_index idx = { 0 };
	char *digest = xstrdup(d->digest), *type = d->media_type ? xstrdup(d->media_type) : NULL;
	uint64_t size = d->size;
	int ret = -1;
	for (int depth = 0; depth < MAX_NESTING; depth++) {
		buf_release(&r->manifest_text);
		if (read_blob(dir, digest, size, OCI_MANIFEST_MAX, "manifest", &r->manifest_text,
			      err) < 0)
			goto out;
		if (!oci_manifest_is_index(r->manifest_text.data, r->manifest_text.len, type)) {
			ret = oci_manifest_parse(&r->manifest, r->manifest_text.data,
						 r->manifest_text.len, err);
			if (ret < 0)
				error_prefix(err, "manifest '%s'", digest);
			goto out;
		}
		oci_manifest_index_release(&idx);
		if (oci_manifest_parse_index(&idx, r->manifest_text.data, r->manifest_text.len,
					     err) < 0) {
			error_prefix(err, "index '%s'", digest);
			goto out;
		}
		const struct oci_descriptor *pick = oci_manifest_select(&idx, &src->platform);
		if (!pick) {
			no_platform(src, &idx, err);
			goto out;
		}
		free(digest);
		free(type);
		digest = xstrdup(pick->digest);
		type = pick->media_type ? xstrdup(pick->media_type) : NULL;
		size = pick->size;
	}
	error_set(err, "image indexes nested more than %d deep", MAX_NESTING);
out:
	oci_manifest_index_release(&idx);
	free(digest);
	free(type);
	return ret;
}

/* read a layout's oci-layout and index.json, find ref, resolve it to a manifest */
static int resolve_layout(const struct source *src, const char *dir, const char *ref,
			  struct resolved *r, struct error *err)
{
	struct buf text = BUF_INIT;
	struct oci_index idx = { 0 };
	char *path;
	int ret = layout_path(dir, "oci-layout", &path, err);
	if (ret == 0)
		ret = read_file(path, 4096, &text, err);
	if (ret == 0)
		ret = oci_manifest_check_layout(text.data, text.len, err);
	free(path);
	buf_release(&text);
	if (ret < 0)
		return error_prefix(err, "'%s' is not an OCI image layout", dir);
	ret = layout_path(dir, "index.json", &path, err);
	if (ret == 0)
		ret = read_file(path, OCI_MANIFEST_MAX, &text, err);
	if (ret == 0 && oci_manifest_parse_index(&idx, text.data, text.len, err) < 0)
		ret = error_prefix(err, "'%s'", path);
	const struct oci_descriptor *d = ret == 0 ? oci_manifest_find_ref(&idx, ref) : NULL;
	if (ret == 0 && !d)
		ret = error_set(err, "'%s' has no manifest %s '%s'", path,
				strncmp(ref, "sha256:", 7) == 0 ? "of digest" : "tagged", ref);
	if (ret == 0) {
		r->pinned = xstrdup(d->digest);
		ret = resolve_descriptor(src, dir, d, r, err);
	}
	free(path);
	buf_release(&text);
	oci_manifest_index_release(&idx);
	return ret;
}

/* the platform entry, and for a resolved layout its manifest's blobs, one per entry */
static void describe_platform(const struct source *src, struct record *rec)
{
	const char *words[] = { src->platform.os, src->platform.arch, src->platform.variant };
	record_add_words(rec, "platform", NULL, words, src->platform.variant ? 3 : 2);
}

static void describe_manifest(const struct oci_manifest *m, struct record *rec)
{
	record_add(rec, "config", "%s", m->config.digest);
	for (size_t i = 0; i < m->n_layers; i++) {
		char *label = xasprintf("layer %zu", i + 1);
		record_add(rec, label, "%s", m->layers[i].digest);
		free(label);
	}
}

int oci_source_describe(struct mvctx *ctx, const struct source *src, struct record *rec,
			struct error *err)
{
	(void)ctx;
	describe_platform(src, rec);
	if (src->kind == SOURCE_OCI_REGISTRY) {
		record_add(rec, "manifest", "%s", src->oci_digest);
		return 0;
	}
	if (src->kind != SOURCE_OCI_LAYOUT)
		return 0;
	struct resolved r = { 0 };
	char *dir = fetch_source_local_path(src);
	int ret = resolve_layout(src, dir, src->oci_digest ? src->oci_digest : src->oci_tag, &r, err);
	if (ret == 0) {
		record_add(rec, "manifest", "%s", r.pinned);
		describe_manifest(&r.manifest, rec);
	} else {
		error_prefix(err, "source '%s'", src->name);
	}
	resolved_release(&r);
	free(dir);
	return ret;
}

/* ---- outputs --------------------------------------------------------------- */

static int write_output(struct build_ctx *b, const char *name, const struct buf *text,
			struct error *err)
{
	char *path = path_join(b->workdir, name);
	int ret = write_file_atomic(path, text->data, text->len, 0444, err);
	free(path);
	if (ret == 0)
		builder_output(b, name, name);
	return ret;
}

/* where a blob comes from: a user's file, or one only this build writes */
enum blob_origin {
	BLOB_USERS,   /* a recipe's layout: copied, so what is hashed is what is published */
	BLOB_PRIVATE, /* this build's pull (links to the cache's blobs) or scratch: linked */
};

/*
 * The blob at from as the output name, hashed: its sha256 and size must be
 * digest and size (size UINT64_MAX: not known, any).  Its sha256 goes to
 * sha256_out when that is not NULL.  A user's file is copied and the copy
 * hashed (the file may change under us); a private one is linked (nothing
 * else writes it; a 256 MiB layer is not written twice) and still hashed,
 * so a blob corrupted in the cache is refused here too.
 */
static int blob_as_output(struct build_ctx *b, enum blob_origin origin, const char *from,
		     const char *name, const char *digest, uint64_t size, const char *what,
		     char sha256_out[SHA256_HEX], struct error *err)
{
	char content[SHA256_HEX], sha[SHA256_HEX];
	enum hash_algo algos[] = { HASH_CONTENT, HASH_SHA256 };
	char *const hexes[] = { content, sha };
	char *dest = path_join(b->workdir, name);
	struct stat st;
	int ret = origin == BLOB_PRIVATE && link(from, dest) == 0
			  ? hash_file_hexes(dest, 2, algos, hexes, err)
			  : hash_copy_file_hexes(from, dest, 0444, 2, algos, hexes, err);
	if (ret == 0 && stat(dest, &st) < 0)
		ret = error_errno(err, errno, "cannot stat '%s'", dest);
	if (ret == 0 && size != UINT64_MAX && (uint64_t)st.st_size != size)
		ret = error_set(err, "%s '%s' has %llu bytes, not the %llu its descriptor says", what,
				digest, (unsigned long long)st.st_size, (unsigned long long)size);
	else if (ret == 0 && digest && strcmp(sha, digest + strlen("sha256:")) != 0)
		ret = error_set(err, "%s '%s' does not match its digest (its sha256 is %s)", what,
				digest, sha);
	if (ret == 0)
		builder_output_hashed(b, name, name, content);
	if (ret == 0 && sha256_out)
		memcpy(sha256_out, sha, SHA256_HEX);
	free(dest);
	return ret;
}

int oci_source_read_config(const char *path, struct oci_config *out, struct error *err)
{
	struct buf text = BUF_INIT;
	int ret = read_file(path, OCI_CONFIG_MAX, &text, err);
	if (ret == 0)
		ret = oci_manifest_parse_config(out, text.data, text.len, err);
	buf_release(&text);
	return ret;
}

/*
 * an image that is no index must be of the recipe's platform too: os and
 * architecture, and the variant when both name one (as in an index)
 */
static int check_config(const struct source *src, const char *path, struct error *err)
{
	struct oci_config c;
	int ret = 0;
	if (oci_source_read_config(path, &c, err) < 0)
		return -1;
	if ((c.os && strcmp(c.os, src->platform.os)) || (c.arch && strcmp(c.arch, src->platform.arch)) ||
	    (c.variant && src->platform.variant && strcmp(c.variant, src->platform.variant))) {
		char *have = platform_text(c.os, c.arch, c.variant);
		char *want = platform_text(src->platform.os, src->platform.arch, src->platform.variant);
		ret = error_set(err, "the image is for %s, not the platform %s", have, want);
		free(have);
		free(want);
	}
	oci_manifest_config_release(&c);
	return ret;
}

/* the config and the layers of a verified manifest, from the layout at dir */
static int publish_layout(struct build_ctx *b, const struct source *src, const char *dir,
			  enum blob_origin origin, const struct resolved *r, struct error *err)
{
	const struct oci_manifest *m = &r->manifest;
	char *from;
	int ret = blob_path(dir, m->config.digest, &from, err);
	if (ret == 0)
		ret = blob_as_output(b, origin, from, "config", m->config.digest, m->config.size,
				"config", NULL, err);
	free(from);
	for (size_t i = 0; ret == 0 && i < m->n_layers; i++) {
		char name[32];
		snprintf(name, sizeof(name), "layer-%zu", i + 1);
		ret = blob_path(dir, m->layers[i].digest, &from, err);
		if (ret == 0)
			ret = blob_as_output(b, origin, from, name, m->layers[i].digest,
					m->layers[i].size, "layer", NULL, err);
		free(from);
	}
	if (ret == 0) {
		char *config = path_join(b->workdir, "config");
		ret = check_config(src, config, err);
		free(config);
	}
	return ret == 0 ? write_output(b, "manifest", &r->manifest_text, err) : -1;
}

/* the image of a layout (a recipe's, or a registry pull's) pinned to digest ref */
static int build_layout(struct build_ctx *b, const struct source *src, const char *dir,
			enum blob_origin origin, const char *ref, struct error *err)
{
	struct resolved r = { 0 };
	int ret = resolve_layout(src, dir, ref, &r, err);
	const char *keyed = b->record ? record_get(b->record, "manifest") : NULL;
	/* a tag moved since describe(): the outputs would not be what the key names */
	if (ret == 0 && keyed && strcmp(keyed, r.pinned) != 0)
		ret = error_set(err, "'%s' changed during the build ('%s' is now '%s')", dir, ref,
				r.pinned);
	if (ret == 0)
		ret = publish_layout(b, src, dir, origin, &r, err);
	resolved_release(&r);
	return ret;
}

/* ---- docker-archive -------------------------------------------------------- */

/* the files of a `docker save` archive, written into the scratch directory */
struct archive_files {
	char **names;            /* entry names, cleaned of a leading "./" */
	char **links;            /* a symlink's target resolved to an entry name, else NULL */
	size_t n;
	struct buf manifest;     /* manifest.json */
	bool has_manifest;
};

static void archive_files_release(struct archive_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->names[i]);
		free(f->links[i]);
	}
	free(f->names);
	free(f->links);
	buf_release(&f->manifest);
}

/* "x/../y/layer.tar" seen from "x/layer.tar" -> "y/layer.tar" (one level of "..") */
static char *link_target(const char *name, const char *target)
{
	const char *slash = strrchr(name, '/');
	char *joined = slash ? xasprintf("%.*s/%s", (int)(slash - name), name, target) : xstrdup(target);
	char *dots = strstr(joined, "/../");
	if (dots) {
		char *start = dots;
		while (start > joined && start[-1] != '/')
			start--;
		memmove(start, dots + 4, strlen(dots + 4) + 1);
	}
	return joined;
}

/* write the current entry's data to path (holes kept), or into buf when path is NULL */
static int save_entry(struct archive *a, const char *path, struct buf *buf, struct error *err)
{
	int fd = path ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
	if (path && fd < 0)
		return error_errno(err, errno, "cannot create '%s'", path);
	const void *block;
	size_t len;
	la_int64_t offset;
	int ret = 0, r;
	while (ret == 0 && (r = archive_read_data_block(a, &block, &len, &offset)) != ARCHIVE_EOF) {
		if (r != ARCHIVE_OK)
			ret = error_set(err, "%s", archive_error_string(a) ? archive_error_string(a)
						   : "unreadable archive");
		else if (!path && (offset < 0 || (size_t)offset + len > OCI_MANIFEST_MAX))
			ret = error_set(err, "manifest.json is larger than %u bytes", OCI_MANIFEST_MAX);
		else if (!path) {
			while (buf->len < (size_t)offset)
				buf_addc(buf, 0);
			buf_add(buf, block, len);
		} else if (pwrite(fd, block, len, offset) != (ssize_t)len)
			ret = error_errno(err, errno, "cannot write '%s'", path);
	}
	if (fd >= 0 && close(fd) < 0 && ret == 0)
		ret = error_errno(err, errno, "cannot write '%s'", path);
	return ret;
}

static int read_archive(struct build_ctx *b, const char *path, struct archive_files *f,
			struct error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int ret = 0, r;
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, path, 128 * 1024) != ARCHIVE_OK)
		ret = error_set(err, "%s", archive_error_string(a));
	while (ret == 0 && (r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		const char *name = r == ARCHIVE_OK ? archive_entry_pathname(e) : NULL;
		if (!name) {
			ret = error_set(err, "%s", archive_error_string(a) ? archive_error_string(a)
						   : "an entry without a name");
			break;
		}
		while (name[0] == '.' && name[1] == '/')
			name += 2;
		unsigned type = archive_entry_filetype(e);
		if (strcmp(name, "manifest.json") == 0 && type == AE_IFREG) {
			buf_release(&f->manifest);
			f->has_manifest = true;
			ret = save_entry(a, NULL, &f->manifest, err);
			continue;
		}
		if (type != AE_IFREG && type != AE_IFLNK)
			continue;
		if (f->n == MAX_ARCHIVE_ENTRIES) {
			ret = error_set(err, "more than %d files", MAX_ARCHIVE_ENTRIES);
			break;
		}
		f->names = xrealloc(f->names, (f->n + 1) * sizeof(*f->names));
		f->links = xrealloc(f->links, (f->n + 1) * sizeof(*f->links));
		f->names[f->n] = xstrdup(name);
		f->links[f->n] = NULL;
		if (type == AE_IFLNK) {
			const char *to = archive_entry_symlink(e);
			f->links[f->n++] = link_target(name, to ? to : "");
			continue;
		}
		char *out = xasprintf("%s/entry-%zu", b->workdir, f->n++);
		ret = save_entry(a, out, NULL, err);
		free(out);
	}
	archive_read_free(a);
	if (ret == 0 && !f->has_manifest)
		ret = error_set(err, "it has no manifest.json: not a 'docker save' archive");
	return ret;
}

/* the scratch file holding the archive's entry name (a symlink followed once), or NULL */
static char *archive_entry_file(struct build_ctx *b, const struct archive_files *f, const char *name)
{
	for (int hop = 0; hop < 2; hop++)
		for (size_t i = 0; i < f->n; i++) {
			if (strcmp(f->names[i], name) != 0)
				continue;
			if (!f->links[i])
				return xasprintf("%s/entry-%zu", b->workdir, i);
			name = f->links[i];
			break;
		}
	return NULL;
}

/* the digest an entry's name promises: blobs/sha256/HEX, or a legacy config's HEX.json */
static char *named_digest(const char *name)
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	char *digest = xasprintf("sha256:%.64s", base);
	size_t len = strlen(base);
	if ((len == 64 || (len == 69 && strcmp(base + 64, ".json") == 0)) &&
	    oci_manifest_digest_valid(digest))
		return digest;
	free(digest);
	return NULL;
}

/* a layer's media type by its first bytes: the archive's manifest.json does not say */
static const char *sniff_layer_type(const char *path)
{
	unsigned char magic[4] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, magic, sizeof(magic)) : -1;
	if (fd >= 0)
		close(fd);
	if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
		return "application/vnd.oci.image.layer.v1.tar+gzip";
	if (n == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
		return "application/vnd.oci.image.layer.v1.tar+zstd";
	return "application/vnd.oci.image.layer.v1.tar";
}

/* one entry of the archive as an output, checked against the digest its name holds */
static int publish_entry(struct build_ctx *b, const struct archive_files *f, const char *entry,
			 const char *output, const char *what, struct buf *desc, const char *type,
			 struct error *err)
{
	char *from = archive_entry_file(b, f, entry), *digest = named_digest(entry);
	char sha[SHA256_HEX];
	struct stat st;
	/* the entry's file was written by this build, from its own copy of the archive */
	int ret = from ? blob_as_output(b, BLOB_PRIVATE, from, output, digest, UINT64_MAX, what,
					sha, err)
		       : error_set(err, "manifest.json names '%s', which the archive lacks", entry);
	char *out = path_join(b->workdir, output);
	if (ret == 0 && stat(out, &st) < 0)
		ret = error_errno(err, errno, "cannot stat '%s'", out);
	if (ret == 0) {
		buf_addc(desc, '{');
		json_add_member_string(desc, "mediaType", type ? type : sniff_layer_type(out));
		char *d = xasprintf("sha256:%s", sha);
		json_add_member_string(desc, "digest", d);
		free(d);
		json_add_member_int(desc, "size", (long long)st.st_size);
		buf_addc(desc, '}');
	}
	free(out);
	free(from);
	free(digest);
	return ret;
}

/* the archive's image as the outputs of a layout, its manifest written here */
static int publish_archive(struct build_ctx *b, const struct source *src,
			   const struct archive_files *f, struct error *err)
{
	struct oci_docker_image img;
	struct buf m = BUF_INIT;
	if (oci_manifest_parse_docker(&img, f->manifest.data, f->manifest.len, err) < 0)
		return -1;
	buf_adds(&m, "{\"schemaVersion\":2");
	json_add_member_string(&m, "mediaType", "application/vnd.oci.image.manifest.v1+json");
	json_add_key(&m, "config");
	int ret = publish_entry(b, f, img.config, "config", "config", &m,
				"application/vnd.oci.image.config.v1+json", err);
	if (ret == 0) {
		json_add_key(&m, "layers");
		buf_addc(&m, '[');
	}
	for (size_t i = 0; ret == 0 && i < img.n_layers; i++) {
		char name[32];
		snprintf(name, sizeof(name), "layer-%zu", i + 1);
		if (i)
			buf_addc(&m, ',');
		ret = publish_entry(b, f, img.layers[i], name, "layer", &m, NULL, err);
	}
	buf_adds(&m, "]}");
	if (ret == 0) {
		char *config = path_join(b->workdir, "config");
		ret = check_config(src, config, err);
		free(config);
	}
	if (ret == 0)
		ret = write_output(b, "manifest", &m, err);
	buf_release(&m);
	oci_manifest_docker_release(&img);
	return ret;
}

/*
 * The archive copied first (one read hashing it), checked against its
 * checksum or the content digest its key names, and only that copy read.
 */
static int build_docker_archive(struct build_ctx *b, const struct source *src, struct error *err)
{
	char *from = fetch_source_local_path(src), *copy = path_join(b->workdir, "archive");
	char content[SHA256_HEX], sum[HASH_MAX_HEX];
	enum hash_algo algos[] = { HASH_CONTENT, src->algo };
	char *const hexes[] = { content, sum };
	struct archive_files f = { 0 };
	const char *keyed = b->record ? record_get(b->record, "content") : NULL;
	int ret = hash_copy_file_hexes(from, copy, 0400, src->has_checksum ? 2 : 1, algos, hexes, err);
	if (ret == 0 && src->has_checksum && strcmp(sum, src->checksum) != 0)
		ret = error_set(err, "checksum mismatch for '%s': expected %s %s, got %s", from,
				hash_algo_name(src->algo), src->checksum, sum);
	else if (ret == 0 && !src->has_checksum && (!keyed || strcmp(keyed, content) != 0))
		ret = error_set(err, "'%s' changed during the build", from);
	if (ret == 0 && read_archive(b, copy, &f, err) < 0)
		ret = error_prefix(err, "docker-archive '%s'", from);
	if (ret == 0 && publish_archive(b, src, &f, err) < 0)
		ret = error_prefix(err, "docker-archive '%s'", from);
	archive_files_release(&f);
	free(from);
	free(copy);
	return ret;
}

int oci_source_build(struct build_ctx *b, const struct source *src, struct error *err)
{
	int ret;
	if (src->kind == SOURCE_DOCKER_ARCHIVE) {
		ret = build_docker_archive(b, src, err);
	} else if (src->kind == SOURCE_OCI_LAYOUT) {
		char *dir = fetch_source_local_path(src);
		ret = build_layout(b, src, dir, BLOB_USERS,
				   src->oci_digest ? src->oci_digest : src->oci_tag, err);
		free(dir);
	} else {
		char *layout = path_join(b->workdir, "pull");
		ret = mkdir(layout, 0700) < 0 ? error_errno(err, errno, "cannot create '%s'", layout)
		      : oci_registry_pull(b, src, layout, err);
		if (ret == 0)
			ret = build_layout(b, src, layout, BLOB_PRIVATE, src->oci_digest, err);
		free(layout);
	}
	return ret < 0 ? error_prefix(err, "source '%s'", src->name) : 0;
}
