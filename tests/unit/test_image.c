/*
 * test_image: the image writer through its C API.  Layers come from
 * tests/image/make-fixtures.py; every image is checked with e2fsck -fn and
 * its contents with debugfs against what the archives hold.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"
#include "image/image_fs.h"
#include "tap.h"
#include "base/util.h"

static char *fx;      /* fixtures directory */
static char *tmp;     /* scratch directory */

/* run a shell command, return its stdout (caller frees) and status */
static char *run(int *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *run(int *status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	struct buf out = BUF_INIT;
	FILE *p = popen(cmd, "r");
	char chunk[4096];
	size_t n;
	while (p && (n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_add(&out, chunk, n);
	int st = p ? pclose(p) : -1;
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	free(cmd);
	buf_adds(&out, "");
	return buf_detach(&out);
}

static bool fsck_clean(const char *img)
{
	int st;
	free(run(&st, "e2fsck -fn '%s' >/dev/null 2>&1", img));
	return st == 0;
}

/* debugfs -R CMD on img */
static char *dbg(const char *img, const char *cmd)
{
	return run(NULL, "debugfs -R '%s' '%s' 2>/dev/null", cmd, img);
}

static bool dbg_has(const char *img, const char *cmd, const char *needle)
{
	char *out = dbg(img, cmd);
	bool found = strstr(out, needle) != NULL;
	if (!found)
		printf("# debugfs '%s' lacks '%s':\n# %s\n", cmd, needle, out);
	free(out);
	return found;
}

static char *sha256(const char *path)
{
	char *out = run(NULL, "sha256sum '%s' | cut -c1-64", path);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

struct build {
	struct image img;
	struct image_write_opts o;
	const char *layers[4];
	struct error err;
};

static void build_init(struct build *b, const char *out, uint64_t size)
{
	memset(b, 0, sizeof(*b));
	b->img.name = "test";
	b->img.size = size;
	b->img.label = "rootfs";
	b->o.out_path = out;
	b->o.layer_paths = b->layers;
	b->o.key = "5f1d0c3a";
	b->o.epoch = 1700000000;
}

static void add_layer(struct build *b, const char *path)
{
	b->layers[b->img.n_layers++] = path;
}

static int build_run(struct build *b)
{
	error_release(&b->err);
	unlink(b->o.out_path);
	return image_write(&b->img, &b->o, &b->err);
}

static void test_rich(void)
{
	struct build b;
	char *img = path_join(tmp, "rich.img");
	char *man = path_join(tmp, "rich.manifest");
	char *layer = path_join(fx, "rich.tar");
	build_init(&b, img, 64 << 20);
	b.img.allow_devices = true;
	b.o.manifest_path = man;
	add_layer(&b, layer);
	ok(build_run(&b) == 0, "rich layer builds (%s)", b.err.msg ? b.err.msg : "ok");
	ok(fsck_clean(img), "rich image passes e2fsck -fn");
	ok(dbg_has(img, "stat /bin/tool", "Mode:  04755"), "setuid mode kept");
	ok(dbg_has(img, "stat /bin/tool", "User:  1234   Group:  5678"), "numeric owner kept");
	ok(dbg_has(img, "stat /bin/tool", "Links: 2"), "hardlink shares the inode (2 links)");
	char *a = dbg(img, "stat /bin/tool"), *l = dbg(img, "stat /bin/link");
	ok(strstr(a, "Inode: ") && !strncmp(strstr(a, "Inode: "), strstr(l, "Inode: "), 12),
	   "hardlink has the same inode number");
	free(a);
	free(l);
	ok(dbg_has(img, "cat /bin/tool", "#!/bin/sh\necho tool\n"), "file bytes are the archive's");
	ok(dbg_has(img, "stat /bin/sg", "Mode:  02711"), "setgid mode kept");
	ok(dbg_has(img, "stat /tmp", "Mode:  01777"), "sticky mode kept");
	ok(dbg_has(img, "stat /bin/sh", "Fast link dest: \"tool\""), "fast symlink target verbatim");
	ok(dbg_has(img, "stat /bin/abs", "Fast link dest: \"/etc/../nowhere/x\""),
	   "absolute dangling symlink stored verbatim");
	ok(dbg_has(img, "cat /bin/long", "a/a/a/") || dbg_has(img, "stat /bin/long", "Size: 123"),
	   "slow symlink (123 bytes) stored");
	ok(dbg_has(img, "stat /dev/null", "Device major/minor number: 01:03"), "char device 1:3");
	ok(dbg_has(img, "stat /dev/sda", "Type: block"), "block device kept");
	ok(dbg_has(img, "stat /dev/big", "Device major/minor number: 300:70000"),
	   "device with large numbers (new encoding)");
	ok(dbg_has(img, "stat /run/fifo", "Type: FIFO"), "FIFO kept");
	ok(dbg_has(img, "stat /run/fifo", "User: 100000   Group: 100000"), "ids above 65535 kept");
	ok(dbg_has(img, "ea_list /usr/bin/ping", "security.capability (20) = 01 00 00 02 00 20"),
	   "security.capability xattr kept");
	ok(dbg_has(img, "stat /etc/future", "mtime: 0x6553f100"), "future mtime clamped to epoch");
	ok(dbg_has(img, "stat /etc/old", "mtime: 0x00000064"), "old mtime kept");
	ok(dbg_has(img, "stat /etc/old", "ctime: 0x6553f100"), "ctime is the epoch");
	ok(dbg_has(img, "stat /var/zeros", "Blockcount: 0"), "a file of zeros is all hole");
	ok(dbg_has(img, "stat /var/mixed", "Blockcount: 16"), "zero blocks inside a file are holes");
	ok(dbg_has(img, "stat /empty", "User:     7   Group:     8"), "directory owner kept");
	ok(dbg_has(img, "stats", "Filesystem volume name:   rootfs"), "label set");
	ok(dbg_has(img, "stats", "metadata_csum") && dbg_has(img, "stats", "64bit") &&
	   dbg_has(img, "stats", "has_journal") && dbg_has(img, "stats", "extent"),
	   "ext4 features as mke2fs gives them");
	char *m = run(NULL, "cat '%s'", man);
	ok(strstr(m, "/bin/link\thardlink\t4755\t1234\t5678\t20\t/bin/tool\n") != NULL,
	   "manifest lists the hardlink with its first path");
	ok(strstr(m, "/bin/sh\tsymlink\t0777\t0\t0\t4\ttool\n") != NULL, "manifest lists symlinks");
	ok(strstr(m, "/dev/null\tchar\t0666\t0\t0\t0\t1:3\n") != NULL, "manifest lists devices");
	free(m);

	/* every compression gives the very same image */
	char *want = sha256(img);
	const char *exts[] = { ".gz", ".xz", ".bz2", ".zst" };
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
		char *z = xasprintf("%s%s", layer, exts[i]);
		b.layers[0] = z;
		b.o.manifest_path = NULL;
		int rc = build_run(&b);
		char *got = rc == 0 ? sha256(img) : xstrdup("failed");
		is_str(got, want, "rich.tar%s gives the same image as rich.tar", exts[i]);
		free(got);
		free(z);
	}
	free(want);
	error_release(&b.err);
	free(img);
	free(man);
	free(layer);
}

static void test_reproducible(void)
{
	char *layer = path_join(fx, "rich.tar.gz");
	char *d1 = path_join(tmp, "one"), *d2 = path_join(tmp, "two");
	mkdir(d1, 0755);
	mkdir(d2, 0755);
	char *i1 = path_join(d1, "rootfs.ext4"), *i2 = path_join(d2, "rootfs.ext4");
	struct build b;
	build_init(&b, i1, 256 << 20);
	b.img.allow_devices = true;
	add_layer(&b, layer);
	int rc1 = build_run(&b);
	sleep(1); /* a second later: wall-clock time must not leak in */
	b.o.out_path = i2;
	int rc2 = build_run(&b);
	char *s1 = sha256(i1), *s2 = sha256(i2);
	ok(rc1 == 0 && rc2 == 0, "two builds succeed");
	is_str(s1, s2, "same inputs in two directories at two times: same sha256");
	struct stat st;
	stat(i1, &st);
	ok((uint64_t)st.st_blocks * 512 < (uint64_t)st.st_size / 20,
	   "image is sparse: %llu bytes allocated of %llu", (unsigned long long)st.st_blocks * 512,
	   (unsigned long long)st.st_size);
	b.o.key = "another key";
	build_run(&b);
	char *s3 = sha256(i2);
	ok(strcmp(s1, s3) != 0, "another key gives another image (UUID from the key)");
	ok(dbg_has(i1, "stats", "Filesystem created:       Tue Nov 14 22:13:20 2023"),
	   "mkfs time is the epoch");
	free(s1);
	free(s2);
	free(s3);
	free(i1);
	free(i2);
	free(d1);
	free(d2);
	free(layer);
	error_release(&b.err);
}

static void test_override(void)
{
	struct build b;
	char *img = path_join(tmp, "over.img");
	char *l1 = path_join(fx, "rich.tar"), *l2 = path_join(fx, "override.tar");
	build_init(&b, img, 64 << 20);
	b.img.allow_devices = true;
	add_layer(&b, l1);
	add_layer(&b, l2);
	ok(build_run(&b) == 0, "two layers build (%s)", b.err.msg ? b.err.msg : "ok");
	ok(fsck_clean(img), "layered image passes e2fsck -fn");
	ok(dbg_has(img, "cat /bin/tool", "replaced"), "later file replaces earlier one");
	ok(dbg_has(img, "cat /bin/link", "echo tool"), "old hardlink keeps the old inode, as tar");
	ok(dbg_has(img, "stat /bin/link", "Links: 1"), "replaced file dropped one link");
	ok(dbg_has(img, "stat /etc/old", "Type: directory"), "directory replaces a file");
	ok(dbg_has(img, "stat /empty", "Type: regular"), "file replaces a directory");
	ok(dbg_has(img, "stat /bin", "Mode:  0750"), "directory over directory takes new mode");
	ok(dbg_has(img, "stat /bin/sh", "Fast link dest"), "directory over directory keeps contents");
	ok(dbg_has(img, "cat /abs/name", "absolute"), "absolute names are made relative");
	free(img);
	free(l1);
	free(l2);
	error_release(&b.err);
}

static void test_sparse(void)
{
	struct build b;
	char *img = path_join(tmp, "sparse.img"), *l = path_join(fx, "sparse.tar");
	build_init(&b, img, 128 << 20);
	add_layer(&b, l);
	ok(build_run(&b) == 0, "GNU sparse layer builds (%s)", b.err.msg ? b.err.msg : "ok");
	ok(fsck_clean(img), "sparse image passes e2fsck -fn");
	ok(dbg_has(img, "stat /disk", "Size: 67108864"), "sparse file has its full size");
	ok(dbg_has(img, "stat /disk", "Blockcount: 16"), "sparse file holes stay holes (2 blocks)");
	char *out = run(NULL, "debugfs -R 'dump /disk %s/disk.out' '%s' 2>/dev/null; "
			"cmp '%s/disk.out' '%s/sparse-src/disk' && echo same", tmp, img, tmp, fx);
	ok(strstr(out, "same") != NULL, "sparse file bytes are the original's");
	free(out);
	free(img);
	free(l);
	error_release(&b.err);
}

/*
 * File data is written in runs of up to 1 MiB of consecutive non-zero
 * blocks (image_tree_file.c): a file longer than several runs, with zero
 * blocks at and next to a run's edge and a short last block, keeps its bytes,
 * its holes and one extent per stretch of data.
 */
static void test_runs(void)
{
	char *src = path_join(tmp, "runs-src"), *tar = path_join(tmp, "runs.tar");
	int st;
	free(run(&st, "mkdir -p '%s' && python3 -c '\n"
		 "import os, random\n"
		 "r = random.Random(16)\n"
		 "b = bytearray(r.randbytes(5 * 1048576 + 1234))\n"
		 "for blk in (256, 257, 511, 1000):\n"
		 "    b[blk * 4096:(blk + 1) * 4096] = bytes(4096)\n"
		 "open(\"%s/big\", \"wb\").write(b)\n"
		 "open(\"%s/one-run\", \"wb\").write(r.randbytes(1048576))\n"
		 "' && tar --numeric-owner -C '%s' -cf '%s' big one-run", src, src, src, src, tar));
	ok(st == 0, "run fixtures made");
	struct build b;
	char *img = path_join(tmp, "runs.img");
	build_init(&b, img, 64 << 20);
	add_layer(&b, tar);
	ok(build_run(&b) == 0, "a layer of multi-run files builds (%s)", b.err.msg ? b.err.msg : "ok");
	ok(fsck_clean(img), "the image of multi-run files passes e2fsck -fn");
	char *out = run(NULL, "debugfs -R 'dump /big %s/big.out' '%s' 2>/dev/null; "
			"debugfs -R 'dump /one-run %s/one-run.out' '%s' 2>/dev/null; "
			"cmp '%s/big.out' '%s/big' && cmp '%s/one-run.out' '%s/one-run' && echo same",
			tmp, img, tmp, img, tmp, src, tmp, src);
	ok(strstr(out, "same") != NULL, "multi-run files keep their bytes");
	free(out);
	/* 1281 blocks, 4 of them zeros: 1277 blocks of 8 sectors */
	ok(dbg_has(img, "stat /big", "Blockcount: 10216"), "zero blocks at a run's edge are holes");
	/* data stretches: 0-255, 258-510, 512-999, 1001-1280 */
	char *ex = dbg(img, "ex /big");
	int lines = 0;
	for (char *c = ex; (c = strstr(c, "\n")); c++)
		lines++;
	ok(lines == 5, "one extent per stretch of data (%d lines of debugfs ex)", lines);
	if (lines != 5)
		printf("# %s\n", ex);
	free(ex);
	ok(dbg_has(img, "ex /one-run", "256"), "a file of exactly one run is one extent of 256 blocks");
	free(img);
	free(src);
	free(tar);
	error_release(&b.err);
}

static void test_hostile(void)
{
	static const struct { const char *file; const char *msg; bool devices; } cases[] = {
		{ "full.tar", "more than the 1024000 free in the image", false },
		{ "dotdot.tar", "'..' in a path is not allowed", false },
		{ "through-symlink.tar", "leads through the symlink '/etc'", false },
		{ "hardlink-missing.tar", "'/nothing' does not exist", false },
		{ "hardlink-dir.tar", "is not a regular file", false },
		{ "hardlink-symlink.tar", "is not a regular file", false },
		{ "hardlink-data.tar", "Damaged tar archive", false },
		{ "huge.tar", "declares 8589934591 bytes", false },
		{ "devices.tar", "does not allow devices: set devices: true", false },
		{ "many.tar", "the image has no free inodes: raise inodes: or size:", false },
		{ "truncated.tar", "Truncated tar archive", true },
		{ "corrupt.tar.gz", "corrupt.tar.gz", true },
		{ "notar.tar", "Unrecognized archive format", false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct build b;
		char *img = path_join(tmp, "hostile.img");
		char *l = xasprintf("%s/hostile/%s", fx, cases[i].file);
		build_init(&b, img, strcmp(cases[i].file, "full.tar") ? 64 << 20 : 12 << 20);
		b.img.inodes = 4096;
		b.img.allow_devices = cases[i].devices;
		add_layer(&b, l);
		int rc = build_run(&b);
		ok(rc < 0 && b.err.msg && strstr(b.err.msg, cases[i].msg),
		   "%s is rejected: %s", cases[i].file, b.err.msg ? b.err.msg : "(accepted)");
		ok(access(img, F_OK) != 0, "%s leaves no image", cases[i].file);
		error_release(&b.err);
		free(img);
		free(l);
	}
}

static struct overlay ov(enum overlay_kind kind, const char *src, const char *to)
{
	struct overlay o;
	memset(&o, 0, sizeof(o));
	o.kind = kind;
	o.src = (char *)src;
	o.base_dir = tmp;
	o.to = (char *)to;
	o.mark.file = "test.yaml";
	o.mark.line = 1;
	o.mark.column = 1;
	return o;
}

static void test_overlays(void)
{
	int st;
	free(run(&st, "cd '%s' && mkdir -p ov/etc/sub && printf 'hello\\n' >ov/etc/motd && "
		 "chmod 0600 ov/etc/motd && ln -s ../motd ov/etc/sub/link && "
		 "printf 'x' >single && ln -s /etc outside && mkdir -p deep && "
		 "ln -s ../../ deep/up", tmp));
	struct overlay ovs[] = {
		ov(OVERLAY_DIR, "ov", "/"),
		ov(OVERLAY_FILE, "single", "/opt/single"),
		ov(OVERLAY_CONTENT, "vm\n", "/etc/hostname"),
		ov(OVERLAY_SYMLINK, "/proc/self/mounts", "/etc/mtab"),
		ov(OVERLAY_MKDIR, NULL, "/srv/data"),
		ov(OVERLAY_REMOVE, NULL, "/bin/long"),
	};
	ovs[2].has_mode = true;
	ovs[2].mode = 0600;
	ovs[4].has_uid = ovs[4].has_gid = true;
	ovs[4].uid = ovs[4].gid = 33;
	struct build b;
	char *img = path_join(tmp, "ov.img"), *l = path_join(fx, "rich.tar");
	build_init(&b, img, 64 << 20);
	b.img.allow_devices = true;
	add_layer(&b, l);
	b.img.overlays = ovs;
	b.img.n_overlays = ARRAY_SIZE(ovs);
	ok(build_run(&b) == 0, "overlays apply (%s)", b.err.msg ? b.err.msg : "ok");
	ok(fsck_clean(img), "overlaid image passes e2fsck -fn");
	ok(dbg_has(img, "cat /etc/motd", "hello"), "dir overlay copies files");
	ok(dbg_has(img, "stat /etc/motd", "Mode:  0600"), "dir overlay keeps host permissions");
	ok(dbg_has(img, "stat /etc/motd", "User:     0   Group:     0"), "overlay files owned by root");
	ok(dbg_has(img, "stat /etc/sub/link", "Fast link dest: \"../motd\""),
	   "symlinks inside a dir overlay are copied, not followed");
	ok(dbg_has(img, "cat /opt/single", "x"), "file overlay, parents made");
	ok(dbg_has(img, "stat /etc/hostname", "Mode:  0600"), "content overlay with mode");
	ok(dbg_has(img, "stat /etc/mtab", "Fast link dest: \"/proc/self/mounts\""), "symlink overlay");
	ok(dbg_has(img, "stat /srv/data", "User:    33   Group:    33"), "mkdir overlay with owner");
	char *out = dbg(img, "stat /bin/long");
	ok(strstr(out, "Inode:") == NULL, "remove overlay removes");
	free(out);

	static const struct { const char *src; const char *msg; } bad[] = {
		{ "../etc", "lies outside the recipe tree" },
		{ "/etc", "lies outside the recipe tree" },
		{ "outside", "leads outside" },
		{ "deep/up/etc", "leads outside" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct overlay one = ov(OVERLAY_DIR, bad[i].src, "/x");
		b.img.overlays = &one;
		b.img.n_overlays = 1;
		int rc = build_run(&b);
		ok(rc < 0 && b.err.msg && strstr(b.err.msg, bad[i].msg),
		   "overlay source '%s' is refused: %s", bad[i].src, b.err.msg ? b.err.msg : "(accepted)");
		ok(access(img, F_OK) != 0, "refused overlay leaves no image");
	}
	error_release(&b.err);
	free(img);
	free(l);
}

static void test_auto_and_big_dir(void)
{
	int st;
	char *tarp = path_join(tmp, "flat.tar");
	free(run(&st, "python3 -c 'import tarfile,io,sys\n"
		 "t=tarfile.open(sys.argv[1],\"w\")\n"
		 "for i in range(3000):\n"
		 "  ti=tarfile.TarInfo(\"flat/file-with-a-longish-name-%%05d\" %% i); d=b\"%%d\\n\" %% i; ti.size=len(d); t.addfile(ti, io.BytesIO(d))\n"
		 "t.close()' '%s'", tarp));
	struct build b;
	char *img = path_join(tmp, "flat.img");
	build_init(&b, img, 0);
	b.img.size_auto = true;
	add_layer(&b, tarp);
	ok(build_run(&b) == 0, "size: auto builds a 3000-entry directory (%s)",
	   b.err.msg ? b.err.msg : "ok");
	ok(fsck_clean(img), "multi-block directory passes e2fsck -fn");
	ok(dbg_has(img, "cat /flat/file-with-a-longish-name-02999", "2999"),
	   "last entry of a big directory is found");
	char *n = run(NULL, "debugfs -R 'ls /flat' '%s' 2>/dev/null | grep -o 'file-with' | wc -l", img);
	ok(atoi(n) == 3000, "big directory lists 3000 entries (%d)", atoi(n));
	free(n);
	error_release(&b.err);
	free(img);
	free(tarp);
}

/* libext2fs codes come out as causes with remedies, never "Unknown code ext2 91" */
static void test_fs_messages(void)
{
	static const struct { errcode_t code; const char *want; } cases[] = {
		{ EXT2_ET_BLOCK_ALLOC_FAIL, "w: the image is full: raise size: or use size: auto" },
		{ EXT2_ET_INODE_ALLOC_FAIL, "w: the image has no free inodes: raise inodes: or size:" },
		{ ENOSPC, "w: no space left on the host disk writing 'the image'" },
		{ EXT2_ET_SHORT_WRITE, "w: no space left on the host disk writing 'the image'" },
		{ EXT2_ET_TOO_MANY_INODES, "w: Cannot create filesystem with requested number of inodes" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct error err = ERROR_INIT;
		image_fs_error(NULL, &err, cases[i].code, "w");
		ok(err.msg && !strcmp(err.msg, cases[i].want), "code %ld reads '%s'",
		   (long)cases[i].code, err.msg);
		error_release(&err);
	}
}

/* a tar rewriting one path 5,000 times fits 4096 inodes: freed inodes are reused */
static void test_rewrite_reuses_inodes(void)
{
	struct build b;
	char *img = path_join(tmp, "rewrite.img");
	char *layer = path_join(tmp, "rewrite.tar");
	int st;
	free(run(&st, "python3 -c 'import io, tarfile\n"
		 "with tarfile.open(\"%s\", \"w\") as t:\n"
		 "    for i in range(5000):\n"
		 "        d = b\"v%%d\\n\" %% i\n"
		 "        ti = tarfile.TarInfo(\"etc/f\"); ti.size = len(d)\n"
		 "        t.addfile(ti, io.BytesIO(d))'", layer));
	ok(st == 0, "rewrite.tar made");
	build_init(&b, img, 64 << 20);
	b.img.inodes = 4096;
	add_layer(&b, layer);
	ok(build_run(&b) == 0, "5,000 rewrites of one path fit 4096 inodes (%s)",
	   b.err.msg ? b.err.msg : "ok");
	char *out = run(NULL, "e2fsck -fn '%s' >/dev/null 2>&1 && echo clean; "
			"debugfs -R 'cat /etc/f' '%s' 2>/dev/null", img, img);
	ok(!strcmp(out, "clean\nv4999\n"), "e2fsck is clean and the last rewrite wins: %s", out);
	free(out);
	error_release(&b.err);
	free(img);
	free(layer);
}

int main(void)
{
	char tmpl[] = "/tmp/test_image.XXXXXX";
	tmp = xstrdup(mkdtemp(tmpl));
	fx = path_join(tmp, "fx");
	const char *srcdir = getenv("REPO_DIR") ? getenv("REPO_DIR") : ".";
	int st;
	free(run(&st, "python3 '%s/tests/image/make-fixtures.py' '%s'", srcdir, fx));
	ok(st == 0, "fixtures made");
	if (st == 0) {
		test_rich();
		test_reproducible();
		test_override();
		test_sparse();
		test_runs();
		test_hostile();
		test_overlays();
		test_auto_and_big_dir();
		test_rewrite_reuses_inodes();
	}
	test_fs_messages();
	free(run(NULL, "rm -rf '%s'", tmp));
	free(fx);
	free(tmp);
	return tap_done();
}
