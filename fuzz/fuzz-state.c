/* fuzz-state: .ccbuild/ step records (JSON) and per-file manifests.
 * Part 0 is steps/build%3Aweb.json, part 1 the body of files/m.files (its
 * SHA-256 line is appended here, so the parser behind the checksum is
 * reached).  What loads must save and load again unchanged. */
#include "error.h"
#include "harness.h"
#include "hash.h"
#include "state.h"
#include "util.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define STEP "build:web"

static void write_manifest(const char *dir, const struct fuzz_part *p)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned char d[32];
	unsigned int n = 32;
	char hex[65];

	strbuf_add(&sb, p->data, p->len);
	if (!EVP_Digest(p->data, p->len, d, &n, EVP_sha256(), NULL))
		abort();
	hash_hex(d, hex);
	strbuf_addf(&sb, "%s\n", hex);
	free(fuzz_write(dir, "files/m.files", sb.buf, sb.len));
	strbuf_release(&sb);
}

static void count_change(enum hash_change c, const char *path, void *data)
{
	(void)c, (void)path, (void)data;
}

/* Save what was loaded and load it back: the same record and files. */
static void roundtrip(const char *dir, struct step_record *r, const struct hash_manifest *files)
{
	struct step_record again;
	struct hash_manifest files2;
	struct cc_error *err = NULL;
	char *warning = NULL;

	if (state_save_step(dir, r, files, &err) < 0 || state_load_step(dir, STEP, &again, &warning) != 1)
		abort();
	if (strcmp(again.input, r->input) || strcmp(again.output, r->output) || again.time != r->time ||
	    again.tags.n != r->tags.n)
		abort();
	if (files) {
		if (state_load_files(dir, &again, &files2, &warning) != 1 || files2.n != files->n ||
		    hash_manifest_diff(files, &files2, count_change, NULL))
			abort();
		hash_manifest_release(&files2);
	}
	step_record_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part parts[2];
	size_t n = fuzz_split(data, size, parts, 2);
	char *dir = fuzz_tmpdir(), *warning = NULL;
	struct step_record r;
	struct hash_manifest files;
	int have_files = 0;

	free(fuzz_write(dir, "steps/build%3Aweb.json", parts[0].data, parts[0].len));
	if (n > 1)
		write_manifest(dir, &parts[1]);
	if (state_load_step(dir, STEP, &r, &warning) == 1) {
		have_files = state_load_files(dir, &r, &files, &warning) == 1;
		free(warning);
		warning = NULL;
		roundtrip(dir, &r, have_files ? &files : NULL);
		if (have_files)
			hash_manifest_release(&files);
	}
	free(warning);
	step_record_release(&r);
	fuzz_tmpdir_remove(dir);
	free(dir);
	return 0;
}
