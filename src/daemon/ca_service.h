/*
 * ca_service.h - the CA service's socket: `certkeep daemon` answers
 * submissions on <store>/ca/service.sock, and `ca submit` hands its
 * requests there when it answers (DESIGN.md §8).
 *
 * The service is the same ck_ca_submit, run in a process that has the
 * store open, OpenSSL started and the CA's provider code loaded, so a
 * submission costs the client a connection instead of that start-up; the
 * results, events and durability are those of ck_ca_submit. The socket
 * lives in the store's private directory and is made with umask 077: whoever
 * may connect may open the store. The client reads its request files
 * itself; the service never reads a file named by a client.
 *
 * Wire format, each frame a 4-byte big-endian length and its bytes:
 *   service: {"v":2,"ready":true} on connecting, or {"v":2,"busy":true} and
 *            the end when every worker is taken (the client then submits
 *            in-process: nothing was sent);
 *   client:  {"v":2,"op":"submit","requester":S,"email":S|null,"days":N,
 *             "names":[S...]}, then one frame per request (its bytes);
 *   service: {"result":{...}} per request once its transaction is durable,
 *            {"batch_end":true} after each batch, and last
 *            {"status":ENUM_CK_ERR,"message":S}.
 * Bounds: a frame's length is checked before anything is allocated (the
 * header at most 8 MiB, a request CK_INPUT_MAX), a submission at most
 * CK_CA_SERVICE_TOTAL_MAX in all, and whole within 10 s of connecting; an
 * answer frame waits at most 10 s for the client to take it. The service
 * issues nothing before it holds the whole submission.
 */
#ifndef CK_CA_SERVICE_H
#define CK_CA_SERVICE_H

#include <jansson.h>

#include "core/ca/ca.h"
#include "base/err.h"

#define CK_CA_SERVICE_NAME "service.sock"                 /* in the CA's directory */
#define CK_CA_SERVICE_SOCKET "ca/" CK_CA_SERVICE_NAME /* under the store */
/* A submission larger than this (its requests and names) is submitted
 * in-process: the service holds each whole while it checks it. */
#define CK_CA_SERVICE_TOTAL_MAX (16 * 1024 * 1024)

/* Starts the CA service when the store has a CA: listens on its socket,
 * then raises event 1106; *fd is the listening socket, or -1 without a CA.
 * A socket left by a daemon that died is replaced; one that answers is
 * another daemon's: CK_EEXIST, and nothing starts. Sets the umask for a
 * moment: call it before starting threads. */
enum ck_err ck_ca_service_start(struct store *st, int *fd);
/* Removes the socket and closes fd (if started), then raises event 1107
 * when the store has a CA. */
enum ck_err ck_ca_service_stop(struct store *st, int fd);
/* Answers one connection: greets it, reads a submission, runs
 * ck_ca_submit on st, streams its results and outcome. CK_OK once the
 * outcome was sent, whatever it is, or when the client left before its
 * submission; otherwise what broke the conversation (a client too slow:
 * CK_ETEMP). */
enum ck_err ck_ca_service_serve(struct store *st, int fd);
/* Tells a client every worker is taken (never waits). */
void ck_ca_service_refuse(int fd);

/* A connection to the store's CA service that greeted us ready; -1 when
 * none answers (no daemon, a socket left behind); -2 (the reason in
 * ck_errmsg) when it is busy, does not greet within 5 s, or the n requests
 * exceed its limits. Nothing is sent either way: the caller submits
 * in-process. */
int ck_ca_service_connect(const char *store_dir, const struct ck_ca_input *in, size_t n);
/* ck_ca_submit through the service on fd (the caller closes it): the requests are
 * read by name unless given as bytes; fn receives the results as
 * ck_ca_submit gives them. A service that ends while the submission is
 * sent issued none of it; one that ends before its answer, what it
 * reported is all that is known: CK_ETEMP either way. */
enum ck_err ck_ca_service_submit(int fd, const struct ck_ca_input *in, size_t n,
				 const struct ck_ca_submit_opts *o,
				 int (*fn)(json_t *result, void *arg), void *arg);

#endif
