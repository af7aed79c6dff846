# mvbuild: plain GNU make.  `make` builds the binary; `make check` builds a
# second copy with -Werror and ASan+UBSan and runs every test.
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR  ?=
CC       ?= cc
PKG_CONFIG ?= pkg-config
PKGS     := yaml-0.1 libarchive ext2fs com_err libcurl libcrypto zlib libsquashfs1
VERSION  := 0.1.0

CFLAGS   ?= -O2 -g
# -Werror only where the compiler is known (make check): a newer compiler's
# new warnings must not break a plain build.
BASE_CFLAGS := -std=c17 -D_GNU_SOURCE -DMVBUILD_VERSION='"$(VERSION)"' -Wall -Wextra \
	-Wno-unused-parameter -Wshadow -Wformat=2 -pthread -Isrc \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# libcurl, libarchive, libsquashfs and libcrypto are compiled against but not
# linked: src/base/curl_lazy.c, archive_lazy.c, squashfs_lazy.c and
# crypto_lazy.c load them on first use, so commands that download, unpack or
# hash no file (a no-op build) don't pay at start-up for them and their
# dependencies (TLS, ICU, libxml2, libstdc++, lzma, lz4, lzo, ...).
LINK_PKGS := $(filter-out libcurl libarchive libsquashfs1 libcrypto,$(PKGS))
LIBS     := $(shell $(PKG_CONFIG) --libs $(LINK_PKGS) 2>/dev/null) -lbz2 -ldl -pthread
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# src/ is one folder per layer (docs/architecture.md); every include names its
# folder ("base/util.h"), resolved from -Isrc.
LAYERS   := base recipe cache engine fetch image kernel launch run cmd
SRCS     := $(sort $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c)))
HDRS     := $(sort $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.h)))
LIB_SRCS := $(filter-out src/cmd/main.c,$(SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))

all: mvbuild

# --- the plain build -------------------------------------------------------
build/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -c -o $@ $<

mvbuild: $(SRCS:src/%.c=build/obj/%.o)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) $(LDFLAGS)

build/obj build/check/obj build/check/unit:
	mkdir -p $@

# --- the checked build (-Werror, sanitizers) -------------------------------
build/check/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -Werror -c -o $@ $<

build/check/mvbuild: $(SRCS:src/%.c=build/check/obj/%.o)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LIBS)

build/check/unit/%: tests/unit/%.c tests/unit/tap.h $(HDRS) $(LIB_SRCS:src/%.c=build/check/obj/%.o) | build/check/unit
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -Werror -o $@ $< $(LIB_SRCS:src/%.c=build/check/obj/%.o) $(LIBS)

UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/check/unit/%)

check-build: build/check/mvbuild $(UNIT_BINS)

# Every test, unit and end-to-end; the last line is "N passed, N failed".
# `make check` and `make demo` install the packages first and only then run a
# second make: the pkg-config flags above are computed when a make parses this
# file, so the make that installed the -dev packages cannot link with them.
check: deps
	-$(MAKE) test-deps
	$(MAKE) check-run

check-run: check-build tests/fixtures
	MVBUILD=$(CURDIR)/build/check/mvbuild UNIT_DIR=$(CURDIR)/build/check/unit \
		tests/run.sh $(TESTS)

# The house rules of src/ (which folder may include which, no circles, file
# sizes, function prefixes), written once in docs/architecture.md; also run by
# `make check` as tests/e2e/house.sh.
layers:
	python3 tests/house/layers.py

# Test inputs made from Debian packages (busybox rootfs tarball).
tests/fixtures: recipes/rootfs/busybox-rootfs.tar.gz
recipes/rootfs/busybox-rootfs.tar.gz: tests/make-busybox-rootfs.sh
	tests/make-busybox-rootfs.sh $@

# --- fuzzing (clang's libFuzzer) -------------------------------------------
FUZZ_CC     ?= clang
FUZZ_FLAGS  := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
FUZZ_SRCS   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS   := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
FUZZ_SECONDS ?= 60

build/fuzz/obj:
	mkdir -p $@

build/fuzz/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_FLAGS) -Wno-unknown-warning-option -c -o $@ $<

build/fuzz/%: tests/fuzz/%.c $(LIB_SRCS:src/%.c=build/fuzz/obj/%.o)
	$(FUZZ_CC) $(BASE_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

fuzz-build: $(FUZZ_BINS)

# Run every harness for FUZZ_SECONDS each (CI: 60); prints inputs and crashes.
fuzz: fuzz-build
	MVBUILD=$(CURDIR)/mvbuild FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/e2e/fuzz.sh

# --- the demo: build the offline recipe and boot it -------------------------
demo: deps
	$(MAKE) demo-run

demo-run: mvbuild recipes/rootfs/busybox-rootfs.tar.gz
	./mvbuild -f recipes/demo.yaml build
	./mvbuild -f recipes/demo.yaml run default

# --- packages ----------------------------------------------------------------
DEB_PACKAGES := build-essential pkg-config libyaml-dev libarchive-dev libext2fs-dev \
	libcurl4-openssl-dev libssl-dev zlib1g-dev libbz2-dev e2fsprogs qemu-system-x86 busybox-static \
	libsquashfs-dev squashfs-tools squashfs-tools-ng \
	ninja-build \
	linux-source-6.1 flex bison libelf-dev bc cpio xz-utils zstd bzip2 gzip \
	nginx python3 python3-jsonschema python3-yaml iproute2 iputils-ping libncurses-dev \
	clang libclang-rt-14-dev curl util-linux strace time file openssl procps mount graphviz \
	protobuf-compiler bazel-bootstrap-source nodejs \
	umoci skopeo docker-registry
# kernel compiles through a compiler cache and over hosts (docs/kernel.md)
DEB_PACKAGES += ccache distcc

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done; command -v npm >/dev/null || echo npm); \
	if [ -z "$$missing" ]; then echo "deps: all packages present"; else \
		echo "deps: installing$$(echo $$missing | sed 's/^/ /')"; \
		if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Test tools that are not Debian packages: npm's s3rver, an S3 server on
# 127.0.0.1 for tests/e2e/remote_s3.sh.  npm comes with nodesource's nodejs
# or Debian's npm package: deps installs the latter when there is no npm
# (never over nodesource's, which conflicts with it).
S3RVER := build/npm/node_modules/.bin/s3rver
test-deps: $(S3RVER)
$(S3RVER):
	npm install --prefix build/npm --no-audit --no-fund s3rver@3.7.1

# --- install -------------------------------------------------------------------
install: mvbuild
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 mvbuild $(DESTDIR)$(BINDIR)/mvbuild
	install -m 0644 docs/mvbuild.1 $(DESTDIR)$(MANDIR)/man1/mvbuild.1
	# the completion script comes from the binary's own option tables
	install -d $(DESTDIR)$(COMPLETIONDIR)
	./mvbuild completion bash >$(DESTDIR)$(COMPLETIONDIR)/mvbuild
	chmod 0644 $(DESTDIR)$(COMPLETIONDIR)/mvbuild

clean:
	rm -rf build mvbuild

.PHONY: all check check-run check-build layers deps test-deps demo demo-run install clean tests/fixtures fuzz fuzz-build
.DELETE_ON_ERROR:
.SECONDARY:
