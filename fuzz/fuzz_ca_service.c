/*
 * fuzz_ca_service.c - libFuzzer harness for the CA service's readers of
 * what the other end sends (src/core/ca_service.c): the service's reading
 * of a client's frames and JSON (the header, then a frame per request),
 * and the client's reading of the service's greeting and answers. The
 * first byte chooses the end; the rest is the stream, read from a memfd.
 * Invariants checked: no crash or leak; a submission read whole has its
 * n requests, each with bytes (never NULL: the service must not read a
 * file a client names) of at most CK_INPUT_MAX, and at most
 * CK_CA_SERVICE_TOTAL_MAX in all; results given to the client are objects.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon/ca_service-int.h"
#include "base/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_result(json_t *res, void *arg)
{
	(void)arg;
	if (res != NULL && !json_is_object(res))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("ca_service", MFD_CLOEXEC);
	uint8_t end;

	if (fd < 0 || size == 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	end = data[0] % 3;
	if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1) || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return 0;
	}
	if (end == 0) {
		struct ck_ca_submission s;
		size_t i, total = 0;

		if (ck_ca_service_read_submission(fd, ck_ca_service_deadline(1000), &s) == CK_OK) {
			if (s.n == 0 || s.n > CK_CA_BULK_MAX || s.got != s.n)
				abort();
			for (i = 0; i < s.n; i++) {
				if (s.in[i].buf == NULL || s.in[i].name == NULL ||
				    s.in[i].len > CK_INPUT_MAX)
					abort();
				total += s.in[i].len;
			}
			if (total > CK_CA_SERVICE_TOTAL_MAX)
				abort();
		}
		ck_ca_submission_clear(&s);
	} else if (end == 1) {
		ck_ca_service_read_greeting(fd, ck_ca_service_deadline(1000));
	} else {
		ck_ca_service_read_answers(fd, 1000, check_result, NULL);
	}
	close(fd);
	return 0;
}
