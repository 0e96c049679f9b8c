/*
 * ca_service-int.h - the CA service's readers of what the other end sends,
 * for the tests and the fuzz harness (ca_service.c).
 */
#ifndef CK_CA_SERVICE_INT_H
#define CK_CA_SERVICE_INT_H

#include <stdint.h>

#include "daemon/ca_service.h"

/* A monotonic deadline ms from now, for the readers below. */
int64_t ck_ca_service_deadline(int ms);

/* A submission as the service reads it: the header's options and names,
 * each request's bytes (in[0..got) allocated). */
struct ck_ca_submission {
	json_t *header;
	struct ck_ca_submit_opts o;
	struct ck_ca_input *in;
	size_t n, got;
};
/* Reads a submission from fd before deadline, each frame checked against
 * its limit and the submission's before it is allocated. CK_ETEMP when
 * the stream ends or stalls (errno ETIMEDOUT: the deadline passed),
 * CK_EINVAL when it is malformed or too large. Clear s in any case. */
enum ck_err ck_ca_service_read_submission(int fd, int64_t deadline, struct ck_ca_submission *s);
void ck_ca_submission_clear(struct ck_ca_submission *s);

/* The client's readers: the service's greeting (CK_OK: ready), and its
 * answers until the outcome, each frame waited for at most wait_ms. */
enum ck_err ck_ca_service_read_greeting(int fd, int64_t deadline);
enum ck_err ck_ca_service_read_answers(int fd, int wait_ms, int (*fn)(json_t *result, void *arg),
				       void *arg);

#endif
