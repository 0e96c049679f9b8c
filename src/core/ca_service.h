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
 *   client:  {"v":1,"op":"submit","requester":S,"email":S|null,"days":N,
 *             "names":[S...]}, then one frame per request (its bytes);
 *   service: {"result":{...}} per request once its transaction is durable,
 *            {"batch_end":true} after each batch, and last
 *            {"status":ENUM_CK_ERR,"message":S}.
 */
#ifndef CK_CA_SERVICE_H
#define CK_CA_SERVICE_H

#include <jansson.h>

#include "ca.h"
#include "err.h"

#define CK_CA_SERVICE_NAME "service.sock"                 /* in the CA's directory */
#define CK_CA_SERVICE_SOCKET "ca/" CK_CA_SERVICE_NAME /* under the store */

/* Starts the CA service when the store has a CA: listens on its socket,
 * then raises event 1106; *fd is the listening socket, or -1 without a CA.
 * A socket left by a daemon that died is replaced; one that answers is
 * another daemon's: CK_EEXIST, and nothing starts. Sets the umask for a
 * moment: call it before starting threads. */
enum ck_err ck_ca_service_start(struct store *st, int *fd);
/* Removes the socket and closes fd (if started), then raises event 1107
 * when the store has a CA. */
enum ck_err ck_ca_service_stop(struct store *st, int fd);
/* Answers one connection: reads a submission, runs ck_ca_submit on st,
 * streams its results and outcome. CK_OK once the outcome was sent,
 * whatever it is; otherwise what broke the conversation. */
enum ck_err ck_ca_service_serve(struct store *st, int fd);

/* A connection to the store's CA service, or -1 when none answers (no
 * daemon, a socket left behind): then the caller submits in-process. */
int ck_ca_service_connect(const char *store_dir);
/* ck_ca_submit through the service on fd (the caller closes it): the requests are
 * read by name unless given as bytes; fn receives the results as
 * ck_ca_submit gives them. If the service ends before its answer, what it
 * reported is all that is known: CK_ETEMP. */
enum ck_err ck_ca_service_submit(int fd, const struct ck_ca_input *in, size_t n,
				 const struct ck_ca_submit_opts *o,
				 int (*fn)(json_t *result, void *arg), void *arg);

#endif
