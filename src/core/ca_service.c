/*
 * ca_service.c - the CA service's socket, both ends (DESIGN.md §8).
 */
#define _GNU_SOURCE /* accept4, SOCK_CLOEXEC */
#include "ca_service.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "events.h"
#include "fileio.h"

#define WIRE_VERSION 1
/* The header names up to CK_CA_BULK_MAX files of PATH_MAX each at worst. */
#define HEADER_MAX (64 * 1024 * 1024)
#define ANSWER_MAX (4 * 1024 * 1024)
/* A client that stops talking must not hold the service. */
#define SERVICE_IO_TIMEOUT 30
/* Nor a service that stopped answering (a daemon stopped with SIGSTOP)
 * its client: a bulk submission's first result comes after every request
 * is checked, a few seconds for the largest. */
#define CLIENT_WAIT 120
#define STR_(x) #x
#define STR(x) STR_(x)

/* The socket's address. A store path too long for sun_path is reached
 * through a descriptor of its ca directory (*dirfd, closed by the caller
 * after bind or connect). */
static enum ck_err socket_address(const char *dir, struct sockaddr_un *sa, int *dirfd)
{
	int n;

	*dirfd = -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/" CK_CA_SERVICE_SOCKET, dir);
	if (n > 0 && (size_t)n < sizeof(sa->sun_path))
		return CK_OK;
	{
		char ca_dir[PATH_MAX];

		if ((size_t)snprintf(ca_dir, sizeof(ca_dir), "%s/ca", dir) >= sizeof(ca_dir))
			return ck_fail(CK_EINVAL, "store path too long");
		*dirfd = open(ca_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*dirfd < 0)
			return ck_fail_errno(CK_EIO, "cannot open '%s'", ca_dir);
	}
	snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/" CK_CA_SERVICE_NAME, *dirfd);
	return CK_OK;
}

static int connect_to(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* ---- frames ---- */

static enum ck_err send_frame(int fd, const void *buf, size_t len)
{
	uint32_t be = htonl((uint32_t)len);
	struct iovec iov[2] = { { &be, sizeof(be) }, { (void *)buf, len } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

	while (m.msg_iovlen > 0) {
		ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return ck_fail_errno(CK_EIO, "CA service connection");
		while (m.msg_iovlen > 0 && (size_t)w >= m.msg_iov->iov_len) {
			w -= (ssize_t)m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen > 0) {
			m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + w;
			m.msg_iov->iov_len -= (size_t)w;
		}
	}
	return CK_OK;
}

static enum ck_err send_json(int fd, json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	enum ck_err rc = text ? send_frame(fd, text, strlen(text))
			      : ck_fail(CK_ENOMEM, "out of memory");

	free(text);
	json_decref(o);
	return rc;
}

/* 1 read in full, 0 end of stream before the first byte, -1 error. */
static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, (char *)buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = got ? EPIPE : 0;
			return got == 0 && r == 0 ? 0 : -1;
		}
		got += (size_t)r;
	}
	return 1;
}

/* A frame of at most max bytes into a new NUL-terminated buffer (never
 * NULL on success, even when empty). */
static enum ck_err recv_frame(int fd, size_t max, uint8_t **buf, size_t *len)
{
	uint32_t be;
	int r = read_full(fd, &be, sizeof(be));

	*buf = NULL;
	if (r <= 0)
		return r == 0 ? ck_fail(CK_ETEMP, "the CA service connection ended")
			      : ck_fail_errno(CK_ETEMP, "CA service connection");
	*len = ntohl(be);
	if (*len > max)
		return ck_fail(CK_EINVAL, "CA service: a message of %zu bytes, more than %zu", *len,
			       max);
	*buf = malloc(*len + 1);
	if (*buf == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (*len > 0 && read_full(fd, *buf, *len) != 1) {
		free(*buf);
		*buf = NULL;
		return ck_fail_errno(CK_ETEMP, "CA service connection");
	}
	(*buf)[*len] = '\0';
	return CK_OK;
}

static enum ck_err recv_json(int fd, size_t max, json_t **out)
{
	uint8_t *buf;
	size_t len;
	enum ck_err rc = recv_frame(fd, max, &buf, &len);

	*out = NULL;
	if (rc != CK_OK)
		return rc;
	*out = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
	free(buf);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return ck_fail(CK_EINVAL, "CA service: a message that is not a JSON object");
	}
	return CK_OK;
}

/* ---- the service's end ---- */

static enum ck_err service_listen(const char *store_dir, int *out)
{
	struct sockaddr_un sa;
	int dirfd, fd = -1, tries;
	enum ck_err rc = socket_address(store_dir, &sa, &dirfd);

	*out = -1;
	if (rc != CK_OK)
		return rc;
	for (tries = 0; tries < 2; tries++) {
		mode_t old_mask;
		bool bound;
		int other;

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			rc = ck_fail_errno(CK_EIO, "socket");
			break;
		}
		/* Only the store's owner may connect, whatever the caller's
		 * umask (its directory is private too). */
		old_mask = umask(077);
		bound = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		umask(old_mask);
		if (bound) {
			rc = listen(fd, 64) == 0 ? CK_OK : ck_fail_errno(CK_EIO, "listen");
			break;
		}
		rc = ck_fail_errno(CK_EIO, "cannot make the socket '%s/%s'", store_dir,
				   CK_CA_SERVICE_SOCKET);
		close(fd);
		fd = -1;
		if (errno != EADDRINUSE)
			break;
		other = connect_to(&sa);
		if (other >= 0) {
			close(other);
			rc = ck_fail(CK_EEXIST, "another certkeep daemon serves this store's CA (its "
						"socket '%s/%s' answers)", store_dir,
				     CK_CA_SERVICE_SOCKET);
			break;
		}
		unlink(sa.sun_path); /* left by a daemon that died */
	}
	if (dirfd >= 0)
		close(dirfd);
	if (rc == CK_OK)
		*out = fd;
	else if (fd >= 0)
		close(fd);
	return rc;
}

static void service_unlisten(const char *store_dir, int fd)
{
	struct sockaddr_un sa;
	int dirfd;

	if (fd < 0)
		return;
	if (socket_address(store_dir, &sa, &dirfd) == CK_OK)
		unlink(sa.sun_path);
	if (dirfd >= 0)
		close(dirfd);
	close(fd);
}

/* Event 1106 or 1107 for the CA s. */
static enum ck_err service_event(struct store *st, const struct store_ca_state *s, int id,
				 const char *what)
{
	enum ck_err rc = store_begin(st);

	if (rc == CK_OK)
		rc = ck_event_emit(st, id, json_pack("{s:s}", "CAName", s->name),
				   "The certificate authority %s has %s.", s->name, what);
	if (rc == CK_OK)
		rc = ck_commit(st);
	else
		ck_rollback(st);
	return rc;
}

enum ck_err ck_ca_service_start(struct store *st, int *fd)
{
	struct store_ca_state s;
	enum ck_err rc = store_ca_state_get(st, &s);

	*fd = -1;
	if (rc == CK_ENOTFOUND) {
		ck_errmsg_clear();
		return CK_OK; /* no CA in this store: nothing starts */
	}
	if (rc == CK_OK)
		rc = service_listen(store_dir(st), fd);
	if (rc == CK_OK)
		rc = service_event(st, &s, CK_EV_CA_STARTUP, "started");
	if (rc != CK_OK && *fd >= 0) {
		service_unlisten(store_dir(st), *fd);
		*fd = -1;
	}
	store_ca_state_clear(&s);
	return rc;
}

enum ck_err ck_ca_service_stop(struct store *st, int fd)
{
	struct store_ca_state s;
	enum ck_err rc = store_ca_state_get(st, &s);

	service_unlisten(store_dir(st), fd);
	if (rc == CK_ENOTFOUND) {
		ck_errmsg_clear();
		return CK_OK; /* no CA: nothing stops */
	}
	if (rc == CK_OK)
		rc = service_event(st, &s, CK_EV_CA_SHUTDOWN, "stopped");
	store_ca_state_clear(&s);
	return rc;
}

struct answer {
	int fd;
	bool broken; /* the client is gone: stop */
};

static int send_result(json_t *res, void *arg)
{
	struct answer *a = arg;
	json_t *frame = res ? json_pack("{s:O}", "result", res) : json_pack("{s:b}", "batch_end", 1);

	if (send_json(a->fd, frame) != CK_OK) {
		a->broken = true;
		return CK_EIO;
	}
	return 0;
}

/* The submission's header, checked: strings where strings belong, names
 * within bounds. */
static enum ck_err read_header(int fd, json_t **header, struct ck_ca_submit_opts *o, size_t *n)
{
	json_t *h, *names, *days, *email;
	enum ck_err rc = recv_json(fd, HEADER_MAX, &h);

	*header = h;
	if (rc != CK_OK)
		return rc;
	if (json_integer_value(json_object_get(h, "v")) != WIRE_VERSION)
		return ck_fail(CK_EINVAL, "CA service: a client of another version (restart the "
					  "daemon after an upgrade)");
	names = json_object_get(h, "names");
	days = json_object_get(h, "days");
	email = json_object_get(h, "email");
	if (!json_is_string(json_object_get(h, "op")) ||
	    strcmp(json_string_value(json_object_get(h, "op")), "submit") != 0 ||
	    !json_is_string(json_object_get(h, "requester")) || !json_is_array(names) ||
	    !json_is_integer(days) || (email && !json_is_null(email) && !json_is_string(email)))
		return ck_fail(CK_EINVAL, "CA service: a malformed submission");
	*n = json_array_size(names);
	if (*n == 0 || *n > CK_CA_BULK_MAX)
		return ck_fail(CK_EINVAL, "at most %d requests per submission", CK_CA_BULK_MAX);
	if (json_integer_value(days) < 0 || json_integer_value(days) > 36500)
		return ck_fail(CK_EINVAL, "--days must be between 1 and 36500");
	o->requester = json_string_value(json_object_get(h, "requester"));
	o->email = json_string_value(email);
	o->days = (int)json_integer_value(days);
	return CK_OK;
}

enum ck_err ck_ca_service_serve(struct store *st, int fd)
{
	struct timeval tv = { SERVICE_IO_TIMEOUT, 0 };
	struct ck_ca_submit_opts o = { 0 };
	struct ck_ca_input *in = NULL;
	struct answer a = { fd, false };
	json_t *header = NULL, *names;
	size_t n = 0, i;
	enum ck_err rc;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	rc = read_header(fd, &header, &o, &n);
	if (rc == CK_ETEMP) { /* the client left (it could not read a file) */
		json_decref(header);
		return CK_OK;
	}
	names = json_object_get(header, "names");
	if (rc == CK_OK) {
		in = calloc(n, sizeof(*in));
		if (in == NULL)
			rc = ck_fail(CK_ENOMEM, "out of memory");
	}
	for (i = 0; rc == CK_OK && i < n; i++) {
		uint8_t *buf;

		in[i].name = json_string_value(json_array_get(names, i));
		if (in[i].name == NULL) {
			rc = ck_fail(CK_EINVAL, "CA service: a malformed submission");
			break;
		}
		/* Never NULL: a NULL buffer would make ck_ca_submit read the
		 * file the client named. */
		rc = recv_frame(fd, CK_INPUT_MAX, &buf, &in[i].len);
		in[i].buf = buf;
	}
	if (rc == CK_OK)
		rc = ck_ca_submit(st, in, n, &o, send_result, &a);
	if (!a.broken) {
		json_t *outcome = json_pack("{s:i,s:s}", "status", (int)rc, "message",
					    rc == CK_OK ? "" : ck_errmsg());

		rc = send_json(fd, outcome);
	} else {
		rc = ck_fail(CK_EIO, "the client left before its results were sent");
	}
	for (i = 0; in && i < n; i++)
		free((void *)in[i].buf);
	free(in);
	json_decref(header);
	return rc;
}

/* ---- the client's end ---- */

int ck_ca_service_connect(const char *store_dir)
{
	struct sockaddr_un sa;
	int dirfd, fd;

	if (socket_address(store_dir, &sa, &dirfd) != CK_OK) {
		ck_errmsg_clear();
		return -1;
	}
	fd = connect_to(&sa);
	if (dirfd >= 0)
		close(dirfd);
	return fd;
}

static enum ck_err send_submission(int fd, const struct ck_ca_input *in, size_t n,
				   const struct ck_ca_submit_opts *o)
{
	json_t *names = json_array(), *header;
	uint8_t **bufs = calloc(n, sizeof(*bufs));
	size_t *lens = calloc(n, sizeof(*lens)), i;
	enum ck_err rc = CK_OK;

	if (names == NULL || bufs == NULL || lens == NULL)
		rc = ck_fail(CK_ENOMEM, "out of memory");
	/* Every file is read before anything is sent: one that cannot be
	 * read fails the submission with nothing submitted. */
	for (i = 0; rc == CK_OK && i < n; i++) {
		lens[i] = in[i].len;
		if (in[i].buf == NULL)
			rc = ck_read_file(in[i].name, CK_INPUT_MAX, &bufs[i], &lens[i]);
		if (rc == CK_OK && json_array_append_new(names, json_string(in[i].name)) != 0)
			rc = ck_fail(CK_ENOMEM, "out of memory");
	}
	if (rc == CK_OK) {
		header = json_pack("{s:i,s:s,s:s?,s:s?,s:i,s:O}", "v", WIRE_VERSION, "op", "submit",
				   "requester", o->requester ? o->requester : "", "email", o->email,
				   "days", o->days, "names", names);
		rc = header ? send_json(fd, header) : ck_fail(CK_ENOMEM, "out of memory");
	}
	for (i = 0; rc == CK_OK && i < n; i++)
		rc = send_frame(fd, bufs[i] ? bufs[i] : in[i].buf, lens[i]);
	for (i = 0; bufs && i < n; i++)
		free(bufs[i]);
	free(bufs);
	free(lens);
	json_decref(names);
	return rc;
}

enum ck_err ck_ca_service_submit(int fd, const struct ck_ca_input *in, size_t n,
				 const struct ck_ca_submit_opts *o,
				 int (*fn)(json_t *result, void *arg), void *arg)
{
	struct timeval tv = { CLIENT_WAIT, 0 };
	enum ck_err rc;
	int stop = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	rc = send_submission(fd, in, n, o);
	while (rc == CK_OK) {
		json_t *m, *status;

		rc = recv_json(fd, ANSWER_MAX, &m);
		if (rc != CK_OK) {
			bool late = errno == EAGAIN || errno == EWOULDBLOCK;

			rc = ck_fail(CK_ETEMP, "the CA service %s: what it issued is in 'certkeep ca "
					       "list'", late ? "did not answer for " STR(CLIENT_WAIT) " s"
							     : "ended before its answer");
			break;
		}
		status = json_object_get(m, "status");
		if (json_is_integer(status)) {
			const char *msg = json_string_value(json_object_get(m, "message"));

			rc = (enum ck_err)json_integer_value(status);
			if (rc != CK_OK)
				ck_fail(rc, "%s", msg ? msg : "the CA service refused the submission");
			json_decref(m);
			break;
		}
		/* Output that failed ends the submission, as in-process: the
		 * service stops when its next result finds no one. */
		if (fn)
			stop = fn(json_object_get(m, "result"), arg);
		json_decref(m);
		if (stop)
			rc = (enum ck_err)stop;
	}
	return rc;
}
