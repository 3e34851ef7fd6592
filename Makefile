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
