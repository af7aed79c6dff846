/*
 * Unit tests for record: the encoding round-trips exactly (so it is
 * injective), keys ignore `where`, explain lines; and for every builder's
 * describe(), many random inputs built from awkward strings (spaces, '=',
 * tabs, newlines, quotes, empty strings, each optional field present or
 * not): inputs that differ give records, and so keys, that differ.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/builder.h"
#include "cache/cache.h"
#include "base/fileutil.h"
#include "recipe/recipe.h"
#include "recipe/recipe_validate.h"
#include "cache/record.h"
#include "tap.h"

/* ---- random awkward strings --------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const atoms[] = {
	"", " ", "=", "\t", "\n", "\"", "'", ":", "0", "1:", "a", "/data", " mode=0700",
	" uid=1000", "%", "%20", "\\", "x y", "4:", "\r", "-", "mode", "\xc3\xa9",
};

/* 0 to 3 atoms; the caller frees */
static char *rnd_str(void)
{
	struct buf b = BUF_INIT;
	for (unsigned i = rnd(4); i > 0; i--)
		buf_adds(&b, atoms[rnd(ARRAY_SIZE(atoms))]);
	return buf_detach(&b);
}

/* the same, or NULL for an absent optional field */
static char *rnd_opt(void)
{
	return rnd(3) ? rnd_str() : NULL;
}

/* prefix and 1 to 3 bytes from "a=%-0x'" plus, unless tap, a quote and a backslash */
static char *rnd_word(const char *prefix, bool tap)
{
	static const char safe[] = "a=%-0x'\"\\";
	struct buf b = BUF_INIT;
	buf_adds(&b, prefix);
	for (unsigned i = 1 + rnd(3); i > 0; i--)
		buf_addc(&b, safe[rnd(sizeof(safe) - (tap ? 3 : 1))]);
	return buf_detach(&b);
}

/* a dump of an input that is trivially injective: every field length-prefixed */
static void dump(struct buf *d, const char *s)
{
	if (s)
		buf_addf(d, "%zu:%s,", strlen(s), s);
	else
		buf_adds(d, "-,");
}

static void dumpu(struct buf *d, unsigned long long v)
{
	buf_addf(d, "%llu,", v);
}

/* ---- the collision check ------------------------------------------------ */

struct sample {
	char key[SHA256_HEX]; /* key of the described record */
	char *input;          /* dump of the input */
};

static int sample_cmp(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->input, y->input);
}

/* report: distinct inputs never share a key, and the generator made many distinct inputs */
static void check_samples(const char *what, struct sample *s, size_t n, size_t want_distinct)
{
	qsort(s, n, sizeof(*s), sample_cmp);
	size_t collisions = 0, distinct = n ? 1 : 0;
	for (size_t i = 1; i < n; i++) {
		bool same_key = strcmp(s[i].key, s[i - 1].key) == 0;
		bool same_input = strcmp(s[i].input, s[i - 1].input) == 0;
		distinct += !same_input;
		if (same_key && !same_input) {
			if (!collisions)
				printf("# %s collision:\n#   %s\n#   %s\n", what, s[i - 1].input, s[i].input);
			collisions++;
		}
	}
	ok(collisions == 0, "%s: %zu distinct random inputs give %zu distinct keys", what, distinct,
	   distinct - collisions);
	ok(distinct >= want_distinct, "%s: the generator made enough distinct inputs (%zu)", what,
	   distinct);
	for (size_t i = 0; i < n; i++)
		free(s[i].input);
}

/* describe node with builder b into a key; -1 when describe() refused it */
static int describe_key(const struct builder *b, struct mvctx *ctx, struct node *node,
			char key[SHA256_HEX], struct error *err)
{
	struct record rec = RECORD_INIT;
	int ret = b->describe(ctx, node, &rec, err);
	if (ret == 0)
		record_key(&rec, key);
	record_release(&rec);
	return ret;
}

/* ---- images ------------------------------------------------------------- */

static void rnd_overlay(struct overlay *ov, struct buf *d)
{
	static const enum overlay_kind kinds[] = { OVERLAY_CONTENT, OVERLAY_SYMLINK, OVERLAY_MKDIR,
						   OVERLAY_REMOVE };
	memset(ov, 0, sizeof(*ov));
	ov->kind = kinds[rnd(ARRAY_SIZE(kinds))];
	ov->mark.file = "r.yaml";
	ov->base_dir = ".";
	ov->to = rnd_str();
	if (ov->kind == OVERLAY_CONTENT || ov->kind == OVERLAY_SYMLINK)
		ov->src = rnd_str();
	if ((ov->has_mode = rnd(2)))
		ov->mode = rnd(2) ? 0700 : 0644;
	if ((ov->has_uid = rnd(2)))
		ov->uid = rnd(2) ? 0 : 1000;
	if ((ov->has_gid = rnd(2)))
		ov->gid = rnd(2) ? 0 : 1000;
	dumpu(d, ov->kind);
	dump(d, ov->to);
	dump(d, ov->src);
	buf_addf(d, "%d%d%d%o,%u,%u;", ov->has_mode, ov->has_uid, ov->has_gid,
		 ov->has_mode ? ov->mode : 0, ov->has_uid ? ov->uid : 0, ov->has_gid ? ov->gid : 0);
}

static void image_free(struct image *img)
{
	for (size_t i = 0; i < img->n_layers; i++)
		free(img->layers[i]);
	for (size_t i = 0; i < img->n_overlays; i++) {
		free(img->overlays[i].to);
		free(img->overlays[i].src);
	}
	free(img->layers);
	free(img->overlays);
	free(img->fs);
	free(img->label);
}

static int image_sample(struct mvctx *ctx, struct sample *s, struct error *err)
{
	struct image img = { .name = "img", .has_epoch = true };
	struct buf d = BUF_INIT;
	img.size_auto = rnd(2);
	img.size = img.size_auto ? 0 : (rnd(2) ? 1 : 512) << 20;
	img.fs = rnd(2) ? xstrdup("ext4") : rnd_word("f", false);
	img.label = rnd_opt();
	img.inodes = rnd(3) * 1000;
	img.epoch = rnd(3);
	img.allow_devices = rnd(2);
	img.n_layers = rnd(3);
	img.layers = xcalloc(img.n_layers + 1, sizeof(*img.layers));
	buf_addf(&d, "%d,%llu,", img.size_auto, (unsigned long long)img.size);
	dump(&d, img.fs);
	dump(&d, img.label);
	buf_addf(&d, "%llu,%lld,%d,", (unsigned long long)img.inodes, (long long)img.epoch,
		 img.allow_devices);
	for (size_t i = 0; i < img.n_layers; i++)
		dump(&d, img.layers[i] = rnd_str());
	buf_adds(&d, "|");
	img.n_overlays = rnd(4);
	img.overlays = xcalloc(img.n_overlays + 1, sizeof(*img.overlays));
	for (size_t i = 0; i < img.n_overlays; i++)
		rnd_overlay(&img.overlays[i], &d);
	struct node node = { .kind = NODE_IMAGE, .id = "image:img", .name = "img" };
	node.u.image = &img;
	int ret = describe_key(&image_builder, ctx, &node, s->key, err);
	s->input = buf_detach(&d);
	image_free(&img);
	return ret;
}

/* the key of an image with one overlay; to, src and the optional fields as given */
static void overlay_key(enum overlay_kind kind, const char *to, const char *src, int mode,
			int uid, char key[SHA256_HEX])
{
	struct overlay ov = { .kind = kind, .to = (char *)to, .src = (char *)src, .base_dir = "." };
	ov.has_mode = mode >= 0;
	ov.mode = mode >= 0 ? (uint32_t)mode : 0;
	ov.has_uid = uid >= 0;
	ov.uid = uid >= 0 ? (uint32_t)uid : 0;
	struct image img = { .name = "img", .fs = "ext4", .has_epoch = true, .size_auto = true,
			     .overlays = &ov, .n_overlays = 1 };
	struct node node = { .kind = NODE_IMAGE, .id = "image:img", .name = "img" };
	node.u.image = &img;
	struct mvctx ctx = { 0 };
	struct error err = ERROR_INIT;
	if (describe_key(&image_builder, &ctx, &node, key, &err) < 0)
		memset(key, 0, SHA256_HEX);
	error_release(&err);
}

static void test_overlay_examples(void)
{
	char a[SHA256_HEX], b[SHA256_HEX];
	overlay_key(OVERLAY_MKDIR, "/data mode=0700", NULL, -1, -1, a);
	overlay_key(OVERLAY_MKDIR, "/data", NULL, 0700, -1, b);
	ok(*a && *b && strcmp(a, b) != 0,
	   "mkdir \"/data mode=0700\" and mkdir /data with mode 0700 have different keys");
	overlay_key(OVERLAY_SYMLINK, "/l", "/t uid=1000", -1, -1, a);
	overlay_key(OVERLAY_SYMLINK, "/l", "/t", -1, 1000, b);
	ok(*a && *b && strcmp(a, b) != 0,
	   "a symlink target ending in ' uid=1000' and uid 1000 have different keys");
}

/* ---- launch configs ----------------------------------------------------- */

static void profile_free(struct profile *p)
{
	free(p->init);
	free(p->cmdline);
	for (size_t i = 0; i < p->n_net; i++) {
		free(p->net[i].tap);
		free(p->net[i].mac);
	}
	for (size_t i = 0; i < p->n_qemu_opts; i++)
		free(p->qemu_opts[i].value);
	free(p->net);
	free(p->qemu_opts);
	free(p->fc_opts);
}

/*
 * gen() until the shared recipe check accepts the value: the records must be
 * injective over every input the loader lets through, so draw from those
 */
static char *rnd_valid(char *(*gen)(void), char *(*validate)(const char *))
{
	for (;;) {
		char *v = gen(), *why = validate(v);
		if (!why)
			return v;
		free(why);
		free(v);
	}
}

/* an absolute path built from the random atoms */
static char *rnd_abs(void)
{
	char *s = rnd_str(), *v = xasprintf("/%s", s);
	free(s);
	return v;
}

static char *rnd_init(void)
{
	return rnd_word("/", false);
}

/* 1 to 3 allow-listed machine properties, or an escaped comma in a value */
static char *rnd_machine(void)
{
	static const char *const props[] = { "x-option-roms=on", "x-option-roms=off", "usb=off",
					     "graphics=off", "smm=auto", "pcie=on", "=", ",," };
	struct buf b = BUF_INIT;
	for (unsigned i = 1 + rnd(3); i > 0; i--)
		buf_addf(&b, "%s%s", b.len ? "," : "", props[rnd(ARRAY_SIZE(props))]);
	return buf_detach(&b);
}

static void rnd_options(struct profile *p, struct buf *d)
{
	static const char *const accel[] = { "auto", "kvm", "tcg" };
	p->qemu_opts = xcalloc(4, sizeof(*p->qemu_opts));
	p->fc_opts = xcalloc(2, sizeof(*p->fc_opts));
	if (rnd(2))
		p->qemu_opts[p->n_qemu_opts++] = (struct option){ .key = "accel", .value = xstrdup(accel[rnd(3)]) };
	if (rnd(2))
		p->qemu_opts[p->n_qemu_opts++] = (struct option){ .key = "binary",
			.value = rnd_valid(rnd_abs, recipe_validate_binary) };
	if (rnd(2))
		p->qemu_opts[p->n_qemu_opts++] = (struct option){ .key = "machine",
			.value = rnd_valid(rnd_machine, recipe_validate_machine) };
	for (size_t i = 0; i < p->n_qemu_opts; i++) {
		dump(d, p->qemu_opts[i].key);
		dump(d, p->qemu_opts[i].value);
	}
	buf_adds(d, "|");
	if (rnd(2) && p->n_qemu_opts) {
		/* the same string as a firecracker binary must not read as a qemu one */
		p->fc_opts[p->n_fc_opts++] = (struct option){ .key = "binary", .value = p->qemu_opts[0].value };
		dump(d, p->fc_opts[0].value);
	}
}

static int launch_sample(struct mvctx *ctx, struct sample *s, struct error *err)
{
	static const char *const macs[] = { NULL, "02:00:00:00:00:01", "02:00:00:00:00:02" };
	struct profile p = { .name = "p", .kernel = "k", .image = "i" };
	struct buf d = BUF_INIT;
	p.hypervisor = HV_QEMU;
	p.mem = rnd(2) ? 128 : 256;
	p.cpus = 1 + rnd(2);
	p.init = rnd(2) ? rnd_valid(rnd_init, recipe_validate_init) : NULL;
	p.cmdline = rnd(3) ? rnd_valid(rnd_str, recipe_validate_cmdline) : NULL;
	p.persist = rnd(2);
	ctx->recipe->name = rnd(2) ? (rnd(2) ? "demo" : "demo demo") : NULL;
	buf_addf(&d, "%u,%u,%d,", p.mem, p.cpus, p.persist);
	dump(&d, p.init);
	dump(&d, p.cmdline);
	dump(&d, ctx->recipe->name);
	p.n_net = rnd(3);
	p.net = xcalloc(p.n_net + 1, sizeof(*p.net));
	for (size_t i = 0; i < p.n_net; i++) {
		p.net[i].tap = rnd_word(i ? "u" : "t", true); /* unique */
		p.net[i].mac = xstrdup(macs[rnd(3)]);
		dump(&d, p.net[i].tap);
		dump(&d, p.net[i].mac);
	}
	buf_adds(&d, "|");
	rnd_options(&p, &d);
	struct node node = { .kind = NODE_LAUNCH, .id = "profile:p", .name = "p" };
	node.u.profile = &p;
	int ret = describe_key(&launch_builder, ctx, &node, s->key, err);
	s->input = buf_detach(&d);
	profile_free(&p);
	return ret;
}

/* ---- kernels ------------------------------------------------------------ */

static int kernel_sample(struct mvctx *ctx, struct sample *s, struct error *err)
{
	static const char *const symbols[] = { "CONFIG_A", "CONFIG_B", "CONFIG_A_B", "CONFIG_AB" };
	struct kernel k = { .name = "k" };
	struct buf d = BUF_INIT;
	k.base = (enum kernel_base_kind)rnd(KBASE_FILE);
	k.arch = rnd(2) ? xstrdup("x86_64") : rnd_str();
	k.target_bzimage = rnd(2);
	k.target_vmlinux = rnd(2);
	buf_addf(&d, "%d,%d,%d,", k.base, k.target_bzimage, k.target_vmlinux);
	dump(&d, k.arch);
	/* symbols in sorted order, each at most once: the merged request */
	k.config = xcalloc(ARRAY_SIZE(symbols), sizeof(*k.config));
	static const size_t sorted[] = { 0, 2, 3, 1 };
	for (size_t i = 0; i < ARRAY_SIZE(symbols); i++) {
		if (rnd(2))
			continue;
		struct kconfig_value *v = &k.config[k.n_config++];
		v->symbol = (char *)symbols[sorted[i]];
		v->value = rnd(2) ? xstrdup(rnd(2) ? "y" : "n") : rnd_str();
		v->mark.file = "r.yaml";
		dump(&d, v->symbol);
		dump(&d, v->value);
	}
	struct node node = { .kind = NODE_KERNEL, .id = "kernel:k", .name = "k" };
	node.u.kernel = &k;
	int ret = describe_key(&kernel_builder, ctx, &node, s->key, err);
	s->input = buf_detach(&d);
	for (size_t i = 0; i < k.n_config; i++)
		free(k.config[i].value);
	free(k.config);
	free(k.arch);
	return ret;
}

/* ---- sources ------------------------------------------------------------ */

static int source_sample(struct mvctx *ctx, struct sample *s, struct error *err)
{
	struct source src = { .name = "s", .has_checksum = true };
	src.algo = rnd(2) ? HASH_SHA256 : HASH_SHA512;
	size_t len = src.algo == HASH_SHA256 ? 64 : 128;
	src.checksum = xcalloc(len + 1, 1);
	for (size_t i = 0; i < len; i++)
		src.checksum[i] = "0123456789abcdef"[i < 4 ? rnd(16) : 0];
	struct buf d = BUF_INIT;
	dumpu(&d, src.algo);
	dump(&d, src.checksum);
	struct node node = { .kind = NODE_SOURCE, .id = "source:s", .name = "s" };
	node.u.source = &src;
	int ret = describe_key(&source_builder, ctx, &node, s->key, err);
	s->input = buf_detach(&d);
	free(src.checksum);
	return ret;
}

/* run sample() n times and check the keys */
static void test_builder(const char *what, struct mvctx *ctx, size_t n, size_t want_distinct,
			 int (*sample)(struct mvctx *, struct sample *, struct error *))
{
	struct sample *s = xcalloc(n, sizeof(*s));
	struct error err = ERROR_INIT;
	size_t refused = 0;
	for (size_t i = 0; i < n; i++) {
		if (sample(ctx, &s[i], &err) < 0) {
			if (!refused++)
				printf("# %s: describe() refused '%s': %s\n", what, s[i].input, err.msg);
			error_release(&err);
		}
	}
	ok(refused == 0, "%s: describe() takes all %zu random inputs", what, n);
	check_samples(what, s, n, want_distinct);
	free(s);
}

/* ---- the record encoding itself ----------------------------------------- */

static bool records_equal(const struct record *a, const struct record *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct record_entry *x = &a->entries[i], *y = &b->entries[i];
		if (strcmp(x->label, y->label) || strcmp(x->value, y->value) ||
		    !x->where != !y->where || (x->where && strcmp(x->where, y->where)))
			return false;
	}
	return true;
}

static void rnd_record(struct record *rec)
{
	for (unsigned i = rnd(5); i > 0; i--) {
		char *label = rnd_str(), *value = rnd_str(), *where = rnd_opt();
		if (!record_get(rec, label))
			record_add_at(rec, label, where, "%s", value);
		free(label);
		free(value);
		free(where);
	}
}

static void test_round_trip(void)
{
	size_t bad = 0, bad_key = 0, n = 3000;
	struct sample *s = xcalloc(n, sizeof(*s));
	for (size_t i = 0; i < n; i++) {
		struct record rec = RECORD_INIT, back = RECORD_INIT, keyed = RECORD_INIT;
		struct buf text = BUF_INIT, again = BUF_INIT, key_text = BUF_INIT;
		struct error err = ERROR_INIT;
		rnd_record(&rec);
		record_encode(&rec, true, &text);
		record_encode(&rec, false, &key_text);
		if (record_decode(&back, text.data, text.len, &err) < 0 || !records_equal(&rec, &back))
			bad++;
		record_encode(&back, true, &again);
		if (again.len != text.len || memcmp(again.data, text.data, text.len) != 0)
			bad++;
		/* the key text decodes to the same labels and values */
		if (record_decode(&keyed, key_text.data, key_text.len, &err) < 0 || keyed.n != rec.n)
			bad_key++;
		for (size_t j = 0; j < keyed.n && j < rec.n; j++)
			if (strcmp(keyed.entries[j].label, rec.entries[j].label) ||
			    strcmp(keyed.entries[j].value, rec.entries[j].value) || keyed.entries[j].where)
				bad_key++;
		record_key(&rec, s[i].key);
		struct buf d = BUF_INIT;
		for (size_t j = 0; j < rec.n; j++) {
			dump(&d, rec.entries[j].label);
			dump(&d, rec.entries[j].value);
		}
		s[i].input = buf_detach(&d);
		error_release(&err);
		record_release(&rec);
		record_release(&back);
		record_release(&keyed);
		buf_release(&text);
		buf_release(&again);
		buf_release(&key_text);
	}
	ok(bad == 0, "decode(encode(r)) == r and encode(decode(b)) == b for %zu random records", n);
	ok(bad_key == 0, "the key text decodes to the same labels and values, without wheres");
	check_samples("records", s, n, n / 2);
	free(s);
}

static void test_words(void)
{
	size_t bad = 0, n = 3000;
	for (size_t i = 0; i < n; i++) {
		struct record rec = RECORD_INIT;
		size_t nw = rnd(4);
		char *words[4];
		for (size_t j = 0; j < nw; j++)
			words[j] = rnd_str();
		record_add_words(&rec, "w", NULL, (const char *const *)words, nw);
		char **back;
		size_t nb;
		if (record_split_words(record_get(&rec, "w"), &back, &nb) < 0 || nb != nw)
			bad++;
		else
			for (size_t j = 0; j < nw; j++)
				bad += strcmp(back[j], words[j]) != 0;
		for (size_t j = 0; j < nw; j++)
			free(words[j]);
		if (back)
			for (size_t j = 0; j < nb; j++)
				free(back[j]);
		free(back);
		record_release(&rec);
	}
	ok(bad == 0, "record_split_words() inverts record_add_words() for %zu random lists", n);
	const char *empty[] = { "" }, *two[] = { "a b", "%" };
	struct record rec = RECORD_INIT;
	record_add_words(&rec, "none", NULL, NULL, 0);
	record_add_words(&rec, "empty", NULL, empty, 1);
	record_add_words(&rec, "two", NULL, two, 2);
	is_str(record_get(&rec, "none"), "", "no words is an empty value");
	is_str(record_get(&rec, "empty"), "%", "one empty word is '%%'");
	is_str(record_get(&rec, "two"), "a%20b %25", "spaces and percent signs inside words are escaped");
	char **w;
	size_t nw;
	ok(record_split_words("a%2", &w, &nw) < 0 && record_split_words("a%41", &w, &nw) < 0 &&
	   record_split_words("a  b", &w, &nw) < 0, "words not written by record_add_words() are refused");
	record_release(&rec);
}

static void test_decode_refuses(void)
{
	static const char *const bad[] = {
		"mvbuild-record 2\n",               /* an old version */
		"mvbuild-record 3\n1:a 1:b",         /* no newline */
		"mvbuild-record 3\n01:a 1:b\n",      /* a leading zero */
		"mvbuild-record 3\n1:a 2:b\n",       /* a length past the field */
		"mvbuild-record 3\n1:a 1:b\n1:a 1:c\n", /* a duplicate label */
		"mvbuild-record 3\n1:a 1:b 1:c 1:d\n",  /* a fourth field */
		"mvbuild-record 3\n1:a\t1:b\n",      /* not a space */
		"mvbuild-record 3\n99999999999999999999999:a 1:b\n",
	};
	size_t refused = 0;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct record rec = RECORD_INIT;
		struct error err = ERROR_INIT;
		refused += record_decode(&rec, bad[i], strlen(bad[i]), &err) < 0;
		error_release(&err);
		record_release(&rec);
	}
	ok(refused == ARRAY_SIZE(bad), "decode refuses every text encode() never writes (%zu of %zu)",
	   refused, ARRAY_SIZE(bad));
	struct record rec = RECORD_INIT;
	struct error err = ERROR_INIT;
	const char nul[] = "mvbuild-record 3\n3:a\0b 1:c\n";
	ok(record_decode(&rec, nul, sizeof(nul) - 1, &err) < 0, "decode refuses a NUL inside a field");
	error_release(&err);
	record_release(&rec);
}

static void test_where_and_explain(void)
{
	struct record a = RECORD_INIT, b = RECORD_INIT;
	char ka[SHA256_HEX], kb[SHA256_HEX];
	record_add(&a, "param size", "%s", "512M");
	record_add_at(&a, "CONFIG_IPV6", "fragment net.config:3", "y");
	record_add(&b, "param size", "%s", "512M");
	record_add_at(&b, "CONFIG_IPV6", "fragment net.config:7", "y");
	record_key(&a, ka);
	record_key(&b, kb);
	is_str(ka, kb, "where does not enter the key");

	struct buf diff = BUF_INIT;
	struct record old = RECORD_INIT, new = RECORD_INIT;
	record_add(&old, "overlay file overlay/etc/motd", "%064d", 1);
	record_add(&new, "overlay file overlay/etc/motd", "%064d", 2);
	record_add_at(&new, "CONFIG_IPV6", "fragment recipes/kernel/net.config:3", "y");
	record_add(&old, "param size", "512M");
	record_add(&new, "param size", "1G");
	ok(record_diff(&old, &new, &diff) == 3, "three differences");
	is_str(diff.data,
	       "overlay file overlay/etc/motd changed\n"
	       "fragment recipes/kernel/net.config:3 added CONFIG_IPV6=y\n"
	       "param size changed from 512M to 1G\n",
	       "explain lines");
	struct record_change *c;
	record_add_at(&old, "CONFIG_NET", "fragment a.config:1", "y");
	size_t nc = record_changes(&old, &new, &c);
	ok(nc == 4, "record_changes: four changes");
	ok(nc == 4 && strcmp(c[1].change, "added") == 0 && !c[1].old_value &&
	   strcmp(c[1].new_value, "y") == 0 && strcmp(c[1].where, "fragment recipes/kernel/net.config:3") == 0,
	   "record_changes: an added entry, its new value and where, no old value");
	ok(nc == 4 && strcmp(c[2].change, "changed") == 0 && strcmp(c[2].old_value, "512M") == 0 &&
	   strcmp(c[2].new_value, "1G") == 0 && !c[2].where,
	   "record_changes: a changed entry, both values");
	ok(nc == 4 && strcmp(c[3].change, "removed") == 0 && strcmp(c[3].label, "CONFIG_NET") == 0 &&
	   !c[3].new_value && strcmp(c[3].where, "fragment a.config:1") == 0,
	   "record_changes: a removed entry keeps its old where");
	free(c);
	record_release(&a);
	record_release(&b);
	record_release(&old);
	record_release(&new);
	buf_release(&diff);
}

int main(void)
{
	test_where_and_explain();
	test_round_trip();
	test_words();
	test_decode_refuses();
	test_overlay_examples();

	char tmpl[] = "/tmp/mvbuild-test-record.XXXXXX";
	struct recipe recipe = { 0 };
	struct mvctx ctx = { .recipe = &recipe };
	struct error err = ERROR_INIT;
	ok(mkdtemp(tmpl) && cache_open(&ctx.cache, tmpl, &err) == 0, "a cache for the toolchain memo");
	test_builder("image", &ctx, 2000, 1000, image_sample);
	test_builder("launch", &ctx, 2000, 1000, launch_sample);
	test_builder("kernel", &ctx, 400, 200, kernel_sample);
	test_builder("source", &ctx, 400, 200, source_sample);
	cache_close(ctx.cache);
	remove_tree(tmpl);
	error_release(&err);
	return tap_done();
}
