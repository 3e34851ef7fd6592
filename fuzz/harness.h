/* harness: what the libFuzzer harnesses fuzz/fuzz-NAME.c share (see
 * docs/testing.md, "Fuzzing").
 *
 * An input that stands for several files is split at FUZZ_SEP lines
 * ("\n%%\n"): part 0 is the first file, and in harnesses that take a
 * project each further part starts with its file name line
 * ("web/Dockerfile\n"); fuzz/run.sh builds seeds of that shape from the
 * tests' inputs.  Files go
 * to a fresh directory under $TMPDIR per input, removed after it: nothing
 * is kept between inputs. */
#ifndef CC_FUZZ_HARNESS_H
#define CC_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_SEP "\n%%\n"

/* libFuzzer's entry point, defined by each harness. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_part {
	const char *data; /* borrowed from the input; not NUL-terminated */
	size_t len;
};

/* Split data at FUZZ_SEP into at most max parts (the last keeps any
 * further separators); returns how many (at least 1). */
size_t fuzz_split(const uint8_t *data, size_t size, struct fuzz_part *parts, size_t max);
/* A NUL-terminated copy of a part; caller frees. */
char *fuzz_part_str(const struct fuzz_part *p);
/* A new empty directory under $TMPDIR (or /tmp); caller frees the path
 * after fuzz_tmpdir_remove. Aborts when it cannot be made. */
char *fuzz_tmpdir(void);
/* Remove dir and everything below it (symlinks are not followed). */
void fuzz_tmpdir_remove(const char *dir);
/* Write len bytes to DIR/NAME (NAME may hold '/': parents are made); the
 * path written, caller frees. Aborts on an I/O error. */
char *fuzz_write(const char *dir, const char *name, const void *data, size_t len);
/* Write parts[1..n) to dir under the name each starts with; a part whose
 * name is not a plain relative path ([A-Za-z0-9._/-], no "..", at most
 * 100 bytes) is skipped.  Returns how many were written. */
size_t fuzz_write_named(const char *dir, const struct fuzz_part *parts, size_t n);

#endif
