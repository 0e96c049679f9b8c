/*
 * replay.c - runs a fuzz harness over the files given as arguments, so the
 * corpus is replayed as an ordinary test (under sanitizers) in make check,
 * without libFuzzer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;

		if (ck_read_file(argv[i], CK_INPUT_MAX, &buf, &len) != CK_OK) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], ck_errmsg());
			return 1;
		}
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
	}
	printf("replay: %d inputs\n", argc - 1);
	return 0;
}
