# ccbuild — plain Makefile.  `make`, `make test`, `make asan`, `make tsan`,
# `make install PREFIX=...`, `make fmt`.
PREFIX ?= /usr/local
CC ?= cc
PKGS = yaml-0.1 libcurl jansson libgit2 libcrypto libarchive
CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Wshadow -Wmissing-prototypes -Wno-unused-parameter -Werror
CPPFLAGS += -std=gnu11 -D_GNU_SOURCE -iquote src $(shell pkg-config --cflags $(PKGS))
LDLIBS += $(shell pkg-config --libs $(PKGS)) -lpthread -lm

LIB_SRC = $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ = $(LIB_SRC:.c=.o)
UNIT_SRC = $(wildcard tests/unit/test-*.c)
UNIT_BIN = $(UNIT_SRC:.c=)

all: ccbuild $(UNIT_BIN)

libccbuild.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

ccbuild: src/main.o libccbuild.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ src/main.o libccbuild.a $(LDLIBS)

tests/unit/test-%: tests/unit/test-%.c tests/unit/tap.h libccbuild.a
	$(CC) $(CPPFLAGS) -iquote tests/unit $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< libccbuild.a $(LDLIBS)

%.o: %.c $(wildcard src/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

# The README's test command runs this target.
test: all
	./tests/run

asan:
	$(MAKE) clean
	$(MAKE) CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" LDFLAGS="-fsanitize=address,undefined" all
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1 ./tests/run
	$(MAKE) clean

tsan:
	$(MAKE) clean
	$(MAKE) CFLAGS="-O1 -g -fsanitize=thread" LDFLAGS="-fsanitize=thread" all
	./tests/run
	$(MAKE) clean

install: ccbuild
	install -D -m 755 ccbuild $(DESTDIR)$(PREFIX)/bin/ccbuild

fmt:
	clang-format -i src/*.c src/*.h tests/unit/*.c

clean:
	rm -f src/*.o libccbuild.a ccbuild $(UNIT_BIN)

.PHONY: all test asan tsan install fmt clean

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

$(FUZZ_DIR)/src/%.o: src/%.c $(wildcard src/*.h) | fuzz-toolchain
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(WARN) -c -o $@ $<

$(FUZZ_DIR)/libccbuild.a: $(FUZZ_OBJ)
	rm -f $@
	$(AR) rcs $@ $(FUZZ_OBJ)

$(FUZZ_DIR)/harness.o: fuzz/harness.c fuzz/harness.h $(wildcard src/*.h) | fuzz-toolchain
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(WARN) -c -o $@ $<

$(FUZZ_DIR)/fuzz-%: fuzz/fuzz-%.c $(FUZZ_DIR)/harness.o $(FUZZ_DIR)/libccbuild.a
	$(FUZZ_CC) $(CPPFLAGS) -iquote fuzz $(FUZZ_CFLAGS) -fsanitize=fuzzer $(WARN) -o $@ $< \
		$(FUZZ_DIR)/harness.o $(FUZZ_DIR)/libccbuild.a $(LDLIBS)

# fuzz-registry compiles src/registry.c itself (its parsers are static).
$(FUZZ_DIR)/fuzz-registry: src/registry.c

fuzz-clean:
	rm -rf $(FUZZ_DIR)

.PHONY: fuzz fuzz-toolchain fuzz-clean
