/*
 * ca_service.c - the CA service's socket, both ends (DESIGN.md §8).
 */
#define _GNU_SOURCE /* accept4, SOCK_CLOEXEC */
#include "daemon/ca_service.h"
#include "daemon/ca_service-int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/events/events.h"
#include "base/fileio.h"

/* 2: the service greets each connection, ready or busy, before the
 * client sends anything. */
#define WIRE_VERSION 2
/* The header names up to CK_CA_BULK_MAX files. */
#define HEADER_MAX (8 * 1024 * 1024)
#define ANSWER_MAX (4 * 1024 * 1024)
#define GREETING_MAX 256
/* A client has this long from its connection to its whole submission:
 * an idle or slow one frees its worker after that. */
#define SUBMISSION_WAIT_MS (10 * 1000)
/* Each answer frame waits this long for room, and the whole answer, made
 * while the requests are issued, takes at most ANSWER_WAIT_MS. */
#define SEND_WAIT_MS (10 * 1000)
#define ANSWER_WAIT_MS (300 * 1000)
/* A service that does not greet within this (an older daemon, one that is
 * stopped) is passed over: the client submits in-process. */
#define GREETING_WAIT_MS (5 * 1000)
/* Nor a service that stopped answering (a daemon stopped with SIGSTOP)
 * its client: a bulk submission's first result comes after every request
 * is checked, a few seconds for the largest. */
#define CLIENT_WAIT 120
#define STR_(x) #x
#define STR(x) STR_(x)

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ck_ca_service_deadline(int ms)
{
	return now_ms() + ms;
}

/* Waits for fd to be ready for events before deadline: 0, or -1 with
 * errno (ETIMEDOUT when the deadline passed). */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { fd, events, 0 };
		int64_t left = deadline - now_ms();
		int r;

		if (left < 0)
			left = 0;
		r = poll(&p, 1, (int)(left > INT_MAX ? INT_MAX : left));
		if (r > 0)
			return 0; /* ready, or an error the next call reports */
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

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

/* Never SIGPIPE: a peer that left is an error here, not the process's end. */
static enum ck_err send_frame(int fd, const void *buf, size_t len, int64_t deadline)
{
	uint32_t be = htonl((uint32_t)len);
	struct iovec iov[2] = { { &be, sizeof(be) }, { (void *)buf, len } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

	while (m.msg_iovlen > 0) {
		ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, deadline) != 0)
				return ck_fail_errno(CK_EIO, "CA service connection");
			continue;
		}
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

static enum ck_err send_json(int fd, json_t *o, int64_t deadline)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	enum ck_err rc = text ? send_frame(fd, text, strlen(text), deadline)
			      : ck_fail(CK_ENOMEM, "out of memory");

	free(text);
	json_decref(o);
	return rc;
}

/* 1 read in full, 0 end of stream before the first byte, -1 error (errno
 * EPIPE: the stream ended inside; ETIMEDOUT: the deadline passed). */
static int read_full(int fd, void *buf, size_t len, int64_t deadline)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r;

		if (wait_fd(fd, POLLIN, deadline) != 0)
			return -1;
		r = read(fd, (char *)buf + got, len - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
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

/* A frame of at most max bytes, and at most *budget (then less by its
 * size) when budget is not NULL, into a new NUL-terminated buffer (never
 * NULL on success, even when empty). The length is checked before
 * anything is allocated. A stream that ends or stalls is CK_ETEMP. */
static enum ck_err recv_frame(int fd, size_t max, size_t *budget, int64_t deadline,
			      uint8_t **buf, size_t *len)
{
	uint32_t be;
	int r = read_full(fd, &be, sizeof(be), deadline);

	*buf = NULL;
	*len = 0;
	if (r <= 0)
		return r == 0 ? ck_fail(CK_ETEMP, "the CA service connection ended")
			      : ck_fail_errno(CK_ETEMP, "CA service connection");
	*len = ntohl(be);
	if (*len > max)
		return ck_fail(CK_EINVAL, "CA service: a message of %zu bytes, more than %zu", *len,
			       max);
	if (budget && *len > *budget)
		return ck_fail(CK_EINVAL, "CA service: a submission of more than %d bytes",
			       CK_CA_SERVICE_TOTAL_MAX);
	if (budget)
		*budget -= *len;
	*buf = malloc(*len + 1);
	if (*buf == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (*len > 0 && read_full(fd, *buf, *len, deadline) != 1) {
		if (errno == 0)
			errno = EPIPE;
		free(*buf);
		*buf = NULL;
		return ck_fail_errno(CK_ETEMP, "CA service connection");
	}
	(*buf)[*len] = '\0';
	return CK_OK;
}

static enum ck_err recv_json(int fd, size_t max, size_t *budget, int64_t deadline, json_t **out)
{
	uint8_t *buf;
	size_t len;
	enum ck_err rc = recv_frame(fd, max, budget, deadline, &buf, &len);

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
	int64_t deadline; /* of the whole answer */
	bool broken;      /* the client is gone: stop */
};

static int64_t send_deadline(const struct answer *a)
{
	int64_t d = now_ms() + SEND_WAIT_MS;

	return d < a->deadline ? d : a->deadline;
}

static int send_result(json_t *res, void *arg)
{
	struct answer *a = arg;
	json_t *frame = res ? json_pack("{s:O}", "result", res) : json_pack("{s:b}", "batch_end", 1);

	if (send_json(a->fd, frame, send_deadline(a)) != CK_OK) {
		a->broken = true;
		return CK_EIO;
	}
	return 0;
}

/* The submission's header, checked: strings where strings belong, names
 * within bounds. */
static enum ck_err read_header(int fd, int64_t deadline, size_t *budget,
			       struct ck_ca_submission *s)
{
	json_t *h, *names, *days, *email;
	enum ck_err rc = recv_json(fd, HEADER_MAX, budget, deadline, &h);

	s->header = h;
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
	s->n = json_array_size(names);
	if (s->n == 0 || s->n > CK_CA_BULK_MAX)
		return ck_fail(CK_EINVAL, "at most %d requests per submission", CK_CA_BULK_MAX);
	if (json_integer_value(days) < 0 || json_integer_value(days) > 36500)
		return ck_fail(CK_EINVAL, "--days must be between 1 and 36500");
	s->o.requester = json_string_value(json_object_get(h, "requester"));
	s->o.email = json_string_value(email);
	s->o.days = (int)json_integer_value(days);
	return CK_OK;
}

enum ck_err ck_ca_service_read_submission(int fd, int64_t deadline, struct ck_ca_submission *s)
{
	size_t budget = CK_CA_SERVICE_TOTAL_MAX, i;
	json_t *names;
	enum ck_err rc;

	memset(s, 0, sizeof(*s));
	rc = read_header(fd, deadline, &budget, s);
	if (rc != CK_OK)
		return rc;
	names = json_object_get(s->header, "names");
	s->in = calloc(s->n, sizeof(*s->in));
	if (s->in == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	/* Each frame is checked as it comes, against its own limit and what
	 * is left of the submission's: garbage is refused at its first frame
	 * too large, never held whole. */
	for (i = 0; i < s->n; i++) {
		uint8_t *buf;

		s->in[i].name = json_string_value(json_array_get(names, i));
		if (s->in[i].name == NULL)
			return ck_fail(CK_EINVAL, "CA service: a malformed submission");
		/* Never NULL: a NULL buffer would make ck_ca_submit read the
		 * file the client named. */
		rc = recv_frame(fd, CK_INPUT_MAX, &budget, deadline, &buf, &s->in[i].len);
		if (rc != CK_OK)
			return rc;
		s->in[i].buf = buf;
		s->got = i + 1;
	}
	return CK_OK;
}

void ck_ca_submission_clear(struct ck_ca_submission *s)
{
	size_t i;

	for (i = 0; i < s->got; i++)
		free((void *)s->in[i].buf);
	free(s->in);
	json_decref(s->header);
	memset(s, 0, sizeof(*s));
}

static json_t *greeting(const char *what)
{
	return json_pack("{s:i,s:b}", "v", WIRE_VERSION, what, 1);
}

void ck_ca_service_refuse(int fd)
{
	send_json(fd, greeting("busy"), now_ms());
}

enum ck_err ck_ca_service_serve(struct store *st, int fd)
{
	int64_t deadline = now_ms() + SUBMISSION_WAIT_MS;
	struct ck_ca_submission s;
	struct answer a = { fd, 0, false };
	enum ck_err rc;

	if (send_json(fd, greeting("ready"), deadline) != CK_OK) {
		ck_errmsg_clear();
		return CK_OK; /* the client left, or passed over a busy service */
	}
	rc = ck_ca_service_read_submission(fd, deadline, &s);
	if (rc == CK_ETEMP && errno != ETIMEDOUT) {
		ck_ca_submission_clear(&s); /* the client left (it could not read a file) */
		ck_errmsg_clear();
		return CK_OK;
	}
	if (rc == CK_ETEMP)
		rc = ck_fail(CK_ETEMP, "the CA service waited %d s for a whole submission",
			     SUBMISSION_WAIT_MS / 1000);
	a.deadline = now_ms() + ANSWER_WAIT_MS;
	if (rc == CK_OK)
		rc = ck_ca_submit(st, s.in, s.n, &s.o, send_result, &a);
	if (!a.broken) {
		char msg[1024];
		enum ck_err sent;

		snprintf(msg, sizeof(msg), "%s", rc == CK_OK ? "" : ck_errmsg());
		sent = send_json(fd, json_pack("{s:i,s:s}", "status", (int)rc, "message", msg),
				 send_deadline(&a));
		/* A client too slow is the daemon's news; a refusal is only its own. */
		rc = rc == CK_ETEMP ? ck_fail(rc, "%s", msg) : sent;
	} else {
		rc = ck_fail(CK_EIO, "the client left before its results were sent");
	}
	ck_ca_submission_clear(&s);
	return rc;
}

/* ---- the client's end ---- */

/* Whether the submission fits the service's limits, by the files' sizes
 * (an upper bound for anything that is not a regular file) and a bound on
 * the header's size (JSON escapes a byte in at most 6). */
static bool fits(const struct ck_ca_input *in, size_t n)
{
	size_t total = 64, header = 64, i;

	if (n > CK_CA_BULK_MAX)
		return false;
	for (i = 0; i < n; i++) {
		struct stat sb;
		size_t name = 6 * strlen(in[i].name) + 3;

		if (in[i].buf)
			total += in[i].len;
		else if (stat(in[i].name, &sb) == 0 && S_ISREG(sb.st_mode))
			total += (size_t)sb.st_size < CK_INPUT_MAX ? (size_t)sb.st_size : CK_INPUT_MAX;
		else
			total += CK_INPUT_MAX;
		header += name;
		total += name;
		if (total > CK_CA_SERVICE_TOTAL_MAX || header > HEADER_MAX)
			return false;
	}
	return true;
}

enum ck_err ck_ca_service_read_greeting(int fd, int64_t deadline)
{
	json_t *g = NULL;
	enum ck_err rc = recv_json(fd, GREETING_MAX, NULL, deadline, &g);

	if (rc != CK_OK) {
		char why[512];

		snprintf(why, sizeof(why), "%s", ck_errmsg());
		rc = ck_fail(CK_ETEMP, "the CA service did not greet (%s)", why);
	}
	else if (json_integer_value(json_object_get(g, "v")) != WIRE_VERSION)
		rc = ck_fail(CK_EINVAL, "the CA service is of another version");
	else if (json_is_true(json_object_get(g, "busy")))
		rc = ck_fail(CK_ETEMP, "the CA service is busy");
	else if (!json_is_true(json_object_get(g, "ready")))
		rc = ck_fail(CK_EINVAL, "the CA service's greeting is malformed");
	json_decref(g);
	return rc;
}

int ck_ca_service_connect(const char *store_dir, const struct ck_ca_input *in, size_t n)
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
	if (fd < 0)
		return -1;
	if (!fits(in, n)) {
		ck_fail(CK_EINVAL, "the submission exceeds the CA service's %d MiB",
			CK_CA_SERVICE_TOTAL_MAX >> 20);
		close(fd);
		return -2;
	}
	if (ck_ca_service_read_greeting(fd, now_ms() + GREETING_WAIT_MS) != CK_OK) {
		close(fd);
		return -2;
	}
	return fd;
}

static enum ck_err send_submission(int fd, const struct ck_ca_input *in, size_t n,
				   const struct ck_ca_submit_opts *o)
{
	json_t *names = json_array(), *header = NULL;
	uint8_t **bufs = calloc(n, sizeof(*bufs));
	size_t *lens = calloc(n, sizeof(*lens)), i;
	int64_t deadline = now_ms() + CLIENT_WAIT * 1000;
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
		if (header == NULL)
			rc = ck_fail(CK_ENOMEM, "out of memory");
	}
	/* The service issues nothing before it holds the whole submission:
	 * one that breaks off while it is sent is not issued, and saying so
	 * is safe. */
	if (rc == CK_OK) {
		rc = send_json(fd, header, deadline);
		for (i = 0; rc == CK_OK && i < n; i++)
			rc = send_frame(fd, bufs[i] ? bufs[i] : in[i].buf, lens[i], deadline);
		if (rc != CK_OK) {
			char why[512];

			snprintf(why, sizeof(why), "%s", ck_errmsg());
			rc = ck_fail(CK_ETEMP, "the CA service ended before it had the whole "
					       "submission (%s): nothing was issued; submit again", why);
		}
	}
	for (i = 0; bufs && i < n; i++)
		free(bufs[i]);
	free(bufs);
	free(lens);
	json_decref(names);
	return rc;
}

enum ck_err ck_ca_service_read_answers(int fd, int wait_ms, int (*fn)(json_t *result, void *arg),
				       void *arg)
{
	enum ck_err rc = CK_OK;
	bool broken = false;
	int stop = 0;

	while (rc == CK_OK) {
		json_t *m, *status;

		/* Whatever breaks the answer (an end, a reset, a cut frame, a
		 * frame that is not one) leaves what is issued unknown here. */
		rc = recv_json(fd, ANSWER_MAX, NULL, now_ms() + wait_ms, &m);
		if (rc != CK_OK) {
			bool late = errno == ETIMEDOUT;

			rc = ck_fail(CK_ETEMP, "the CA service %s: what it issued is in 'certkeep ca "
					       "list'", late ? "did not answer for " STR(CLIENT_WAIT) " s"
							     : "ended before its answer");
			break;
		}
		status = json_object_get(m, "status");
		if (status) {
			const char *msg = json_string_value(json_object_get(m, "message"));
			json_int_t v = json_integer_value(status);

			/* Only a code of ours: anything else is a broken answer. */
			if (!json_is_integer(status) || v < CK_OK || v > CK_EREACTION)
				rc = ck_fail(CK_ETEMP, "the CA service ended before its answer: what it "
						       "issued is in 'certkeep ca list'");
			else if ((rc = (enum ck_err)v) != CK_OK)
				ck_fail(rc, "%s", msg && *msg ? msg : "the CA service refused the submission");
			json_decref(m);
			break;
		}
		/* Output that failed ends the submission, as in-process: the
		 * service stops when its next result finds no one. */
		{
			json_t *res = json_object_get(m, "result");

			/* A result is an object; anything else but a batch's end
			 * is a broken answer. */
			broken = res ? !json_is_object(res)
				     : !json_is_true(json_object_get(m, "batch_end"));
			if (!broken && fn)
				stop = fn(res, arg);
		}
		json_decref(m);
		if (broken)
			rc = ck_fail(CK_ETEMP, "the CA service ended before its answer: what it issued "
					       "is in 'certkeep ca list'");
		else if (stop)
			rc = (enum ck_err)stop;
	}
	return rc;
}

enum ck_err ck_ca_service_submit(int fd, const struct ck_ca_input *in, size_t n,
				 const struct ck_ca_submit_opts *o,
				 int (*fn)(json_t *result, void *arg), void *arg)
{
	enum ck_err rc = send_submission(fd, in, n, o);

	if (rc == CK_OK)
		rc = ck_ca_service_read_answers(fd, CLIENT_WAIT * 1000, fn, arg);
	return rc;
}
