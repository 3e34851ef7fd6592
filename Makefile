# ccbuild — plain Makefile.  `make`, `make test`, `make asan`, `make tsan`,
# `make install PREFIX=...`, `make fmt`.
PREFIX ?= /usr/local
CC ?= cc
PKGS = yaml-0.1 libcurl jansson libgit2 libcrypto libarchive libnghttp2 libzstd
CFLAGS ?= -O2 -g
# -Werror only in development builds (`make DEVELOPER=1`; .ci/run sets it),
# so a user's newer compiler cannot break `make install` with a new warning.
DEVELOPER ?=
WARN = -Wall -Wextra -Wshadow -Wmissing-prototypes -Wno-unused-parameter $(if $(DEVELOPER),-Werror)
# Every source folder is on the quote path, so `#include "error.h"` works
# from anywhere (basenames are unique across folders: scripts/check-layout.sh).
SRC_DIRS = src/cmd $(sort $(dir $(wildcard src/lib/*/*.c src/lib/*/*.h)))
INCLUDES = -iquote src $(addprefix -iquote ,$(SRC_DIRS:%/=%))
CPPFLAGS += -std=gnu11 -D_GNU_SOURCE $(INCLUDES) $(shell pkg-config --cflags $(PKGS))
LDLIBS += $(shell pkg-config --libs $(PKGS)) -lpthread -lm

# Objects and binaries go below BUILD (default: beside the sources);
# `make asan` and `make tsan` build in build/asan and build/tsan, so they
# never touch the normal build.  tests/run takes the same directory from
# $CCBUILD_BUILD_DIR.
BUILD ?=
B = $(if $(BUILD),$(BUILD:%/=%)/)
LIB_SRC = $(wildcard src/lib/*/*.c src/cmd/*.c)
SRC_H = $(wildcard src/*.h src/cmd/*.h src/lib/*/*.h)
LIB_OBJ = $(LIB_SRC:%.c=$(B)%.o)
UNIT_SRC = $(wildcard tests/unit/test-*.c)
UNIT_BIN = $(UNIT_SRC:%.c=$(B)%)

all: $(B)ccbuild $(UNIT_BIN)

$(B)libccbuild.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

$(B)ccbuild: $(B)src/main.o $(B)libccbuild.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(B)src/main.o $(B)libccbuild.a $(LDLIBS)

$(B)tests/unit/test-%: tests/unit/test-%.c tests/unit/tap.h $(B)libccbuild.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -iquote tests/unit $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(B)libccbuild.a $(LDLIBS)

$(B)%.o: %.c $(SRC_H)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

# The README's test command runs this target.
test: all
	./tests/run

# TESTS selects what the sanitizer targets run (tests/run NAME...; "unit"
# for the unit tests): `make tsan TESTS=unit`.
TESTS ?=

asan:
	$(MAKE) BUILD=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" LDFLAGS="-fsanitize=address,undefined" all
	CCBUILD_BUILD_DIR=build/asan ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1 ./tests/run $(TESTS)

# A TSan report makes the program exit 66: the test counts as failed.
tsan:
	$(MAKE) BUILD=build/tsan CFLAGS="-O1 -g -fsanitize=thread" LDFLAGS="-fsanitize=thread" all
	CCBUILD_BUILD_DIR=build/tsan TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" ./tests/run $(TESTS)

install: ccbuild
	install -D -m 755 ccbuild $(DESTDIR)$(PREFIX)/bin/ccbuild

FMT_SRC = src/main.c $(LIB_SRC) $(SRC_H) $(wildcard tests/unit/*.c tests/unit/*.h fuzz/*.c fuzz/*.h)

fmt:
	clang-format -i $(FMT_SRC)

# Fails when `make fmt` would change a file (tests/t0046-format.sh runs it).
fmt-check:
	clang-format --dry-run --Werror $(FMT_SRC)

clean:
	rm -f src/*.o src/cmd/*.o src/lib/*/*.o libccbuild.a ccbuild $(UNIT_SRC:.c=)
	rm -rf build

.PHONY: all test asan tsan install fmt fmt-check clean

# --- fuzzing (docs/testing.md, "Fuzzing") ---------------------------------
# `make fuzz` builds one libFuzzer binary per fuzz/fuzz-NAME.c in build/fuzz/,
# against the library compiled apart by clang with ASan+UBSan and coverage
# (Debian 12 packages: clang, libclang-rt-14-dev, llvm); fuzz/run.sh runs them.
FUZZ_CC = clang
FUZZ_DIR = build/fuzz
FUZZ_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRC = $(wildcard fuzz/fuzz-*.c)
FUZZ_BIN = $(FUZZ_SRC:fuzz/%.c=$(FUZZ_DIR)/%)
FUZZ_OBJ = $(LIB_SRC:src/%.c=$(FUZZ_DIR)/src/%.o)

fuzz: fuzz-toolchain $(FUZZ_BIN)

fuzz-toolchain:
	@bash fuzz/run.sh --check

$(FUZZ_DIR)/src/%.o: src/%.c $(SRC_H) | fuzz-toolchain
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(WARN) -c -o $@ $<

$(FUZZ_DIR)/libccbuild.a: $(FUZZ_OBJ)
	rm -f $@
	$(AR) rcs $@ $(FUZZ_OBJ)

$(FUZZ_DIR)/harness.o: fuzz/harness.c fuzz/harness.h $(SRC_H) | fuzz-toolchain
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(WARN) -c -o $@ $<

$(FUZZ_DIR)/fuzz-%: fuzz/fuzz-%.c $(FUZZ_DIR)/harness.o $(FUZZ_DIR)/libccbuild.a
	$(FUZZ_CC) $(CPPFLAGS) -iquote fuzz $(FUZZ_CFLAGS) -fsanitize=fuzzer $(WARN) -o $@ $< \
		$(FUZZ_DIR)/harness.o $(FUZZ_DIR)/libccbuild.a $(LDLIBS)

# fuzz-registry compiles src/registry.c itself (its parsers are static).
$(FUZZ_DIR)/fuzz-registry: src/lib/registry/registry.c

fuzz-clean:
	rm -rf $(FUZZ_DIR)

.PHONY: fuzz fuzz-toolchain fuzz-clean
