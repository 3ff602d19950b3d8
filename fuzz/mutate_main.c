/* SPDX-License-Identifier: ISC */
/*
 * Deterministic mutation driver for the libFuzzer targets, run inside ctest
 * (the sanitizer build makes it meaningful): for every seed in a corpus
 * folder it feeds the seed, every truncation, every single-bit flip of the
 * first 256 bytes, and each byte set to 0x00, 0xff and 0x80. Repeatable, so a
 * failure here reproduces exactly.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static size_t runs;

static void run(const uint8_t *buf, size_t len)
{
	/* Copy so that reads past the end are caught by ASan. */
	uint8_t *copy = malloc(len ? len : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, buf, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	runs++;
}

static void mutate(uint8_t *buf, size_t len)
{
	static const uint8_t vals[] = {0x00, 0xff, 0x80, 0x7f};
	size_t lim = len < 256 ? len : 256;

	run(buf, len);
	for (size_t n = 0; n < len; n++)
		run(buf, n);
	for (size_t i = 0; i < lim * 8; i++) {
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		run(buf, len);
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	for (size_t i = 0; i < lim; i++) {
		uint8_t keep = buf[i];

		for (size_t v = 0; v < sizeof(vals); v++) {
			buf[i] = vals[v];
			run(buf, len);
		}
		buf[i] = keep;
	}
}

int main(int argc, char **argv)
{
	DIR *d;
	struct dirent *e;
	size_t seeds = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s corpus-dir\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	if ((d = opendir(argv[1])) == NULL) {
		perror(argv[1]);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		FILE *f;
		uint8_t *buf;
		long sz;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		fseek(f, 0, SEEK_END);
		sz = ftell(f);
		fseek(f, 0, SEEK_SET);
		if (sz < 0 || sz > (1 << 20) || (buf = malloc((size_t)sz + 1)) == NULL) {
			fclose(f);
			continue;
		}
		if (fread(buf, 1, (size_t)sz, f) == (size_t)sz) {
			mutate(buf, (size_t)sz);
			seeds++;
		}
		free(buf);
		fclose(f);
	}
	closedir(d);
	printf("%zu seeds, %zu runs, no crash\n", seeds, runs);
	return seeds > 0 ? 0 : 1;
}
