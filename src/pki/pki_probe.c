/*
 * pki_probe.c - a bounded TLS client that fetches the certificate a live
 * server presents, over SMTP STARTTLS (RFC 3207) or direct TLS, for
 * `certkeep probe` and `diagnose` (DESIGN.md §4, §10).
 *
 * Everything the server sends is hostile: reply lines are capped at 512
 * octets (RFC 5321 4.5.3.1.5), replies at 100 lines, the plain-text
 * dialogue and the TLS part each have a total read budget, every step has a
 * deadline, and reply text is escaped before it reaches a message or the
 * banner. The socket stays non-blocking from connect to close; every wait
 * is a poll() bounded by the step's deadline (CLOCK_MONOTONIC: a timeout,
 * not a time of day, so DESIGN.md §1's one clock does not apply). TLS runs
 * over two memory BIOs whose bytes we move ourselves with recv() and
 * send(MSG_NOSIGNAL): the same deadlines and budgets cover the handshake,
 * and no write can raise SIGPIPE, so callers need not ignore it.
 *
 * The peer is deliberately not verified (SSL_VERIFY_NONE) and the security
 * level is 0: the probe reports what a server serves, even a self-signed,
 * expired or weak certificate on an old server, and sends nothing secret
 * over the connection (only EHLO, STARTTLS and QUIT).
 */
#include "pki/probe.h"
#include "pki/probe-int.h"
#include "pki/pki-int.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "base/names.h"
#include "pki/libssl.h"

#define PROBE_MAX_ADDRS 8      /* addresses of a name we try, in order */
#define PROBE_HOST_MAX 253
#define PROBE_EHLO_MAX 255
#define PROBE_SHOWN_MAX 200    /* characters of a hostile reply in a message */
#define PROBE_CERT_LIST_MAX (100 * 1024) /* OpenSSL's default, made explicit */
#define PROBE_QUIT_MS 1000     /* best-effort wait for the reply to QUIT */
#define PROBE_CHUNK 16384

/* One connection: the socket, the current step's deadline, the plain-text
 * read buffer and budget, and the TLS state. */
struct conn {
	int fd;
	int timeout_ms;
	int64_t deadline; /* monotonic ms: the end of the current step */
	char target[PROBE_HOST_MAX + 32]; /* "smtp://host:port", for messages */
	char buf[2 * PKI_PROBE_LINE_MAX]; /* received, not yet consumed */
	size_t len;
	size_t plain_read; /* counted against PKI_PROBE_SMTP_BUDGET */
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio, *wbio; /* owned by ssl once attached */
	size_t tls_read;  /* counted against PKI_PROBE_TLS_BUDGET */
	bool eof;         /* the server closed its side */
};

/* One SMTP reply, as much of it as the probe needs. */
struct reply {
	int code;
	size_t lines;
	char first[PKI_PROBE_LINE_MAX]; /* the first line, without CR LF */
	size_t first_len;
	bool starttls; /* an EHLO keyword line says STARTTLS */
};

/* Milliseconds on the monotonic clock. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts a step: the next waits end at most timeout_ms from now. */
static void step_start(struct conn *c, int timeout_ms)
{
	c->deadline = now_ms() + timeout_ms;
}

/* Copies n hostile bytes into out (size > 4) with every byte outside
 * printable ASCII, and the backslash, as \xNN; truncated with "..." when it
 * does not fit. out is always NUL-terminated. */
static void escape(const char *in, size_t n, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)in[i];
		bool plain = ch >= 0x20 && ch < 0x7f && ch != '\\';

		if (o + (plain ? 1 : 4) + 4 > size) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (plain)
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", ch);
	}
	out[o] = '\0';
}

/* Waits until the socket is ready for events, or fails with CK_ETEMP when
 * the step's deadline passes. A ready error or hang-up counts as ready, so
 * that the following recv or send reports it. */
static enum ck_err wait_fd(struct conn *c, short events, const char *doing)
{
	struct pollfd p = { .fd = c->fd, .events = events };

	for (;;) {
		int64_t left = c->deadline - now_ms();
		int n;

		if (left <= 0)
			return ck_fail(CK_ETEMP, "%s: timed out after %d ms %s", c->target,
				       c->timeout_ms, doing);
		n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n > 0)
			return CK_OK;
		if (n < 0 && errno != EINTR)
			return ck_fail_errno(CK_EIO, "%s: poll failed %s", c->target, doing);
	}
}

/* Receives at most max (> 0) bytes before the deadline; *got = 0 means the
 * server closed the connection. */
static enum ck_err recv_some(struct conn *c, void *buf, size_t max, size_t *got,
			     const char *doing)
{
	for (;;) {
		enum ck_err rc = wait_fd(c, POLLIN, doing);
		ssize_t n;

		if (rc != CK_OK)
			return rc;
		n = recv(c->fd, buf, max, 0);
		if (n >= 0) {
			*got = (size_t)n;
			return CK_OK;
		}
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return ck_fail_errno(CK_ETEMP, "%s: receive failed %s", c->target, doing);
	}
}

/* Sends all of buf before the deadline, never raising SIGPIPE. */
static enum ck_err send_all(struct conn *c, const void *buf, size_t len, const char *doing)
{
	const char *p = buf;

	while (len > 0) {
		enum ck_err rc = wait_fd(c, POLLOUT, doing);
		ssize_t n;

		if (rc != CK_OK)
			return rc;
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return ck_fail_errno(CK_ETEMP, "%s: send failed %s", c->target, doing);
		}
		p += n;
		len -= (size_t)n;
	}
	return CK_OK;
}

/* ---- plain-text SMTP ---- */

/* Reads one line (its CR LF removed) into line (>= PKI_PROBE_LINE_MAX
 * bytes), enforcing the line length and the plain-text budget. */
static enum ck_err read_line(struct conn *c, char *line, size_t *n, const char *what)
{
	char doing[64];

	snprintf(doing, sizeof(doing), "waiting for the %s", what);
	for (;;) {
		char *lf = memchr(c->buf, '\n', c->len);
		size_t room, got = 0;
		enum ck_err rc;

		if (lf != NULL) {
			size_t used = (size_t)(lf - c->buf) + 1, l = used - 1;

			if (used > PKI_PROBE_LINE_MAX)
				break;
			if (l > 0 && c->buf[l - 1] == '\r')
				l--;
			memcpy(line, c->buf, l);
			*n = l;
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			return CK_OK;
		}
		if (c->len >= PKI_PROBE_LINE_MAX)
			break;
		if (c->plain_read >= PKI_PROBE_SMTP_BUDGET)
			return ck_fail(CK_EINVAL, "%s: the server sent more than %d octets before TLS",
				       c->target, PKI_PROBE_SMTP_BUDGET);
		room = sizeof(c->buf) - c->len;
		if (room > PKI_PROBE_SMTP_BUDGET - c->plain_read)
			room = PKI_PROBE_SMTP_BUDGET - c->plain_read;
		rc = recv_some(c, c->buf + c->len, room, &got, doing);
		if (rc != CK_OK)
			return rc;
		if (got == 0)
			return ck_fail(CK_ETEMP, "%s: the server closed the connection %s", c->target,
				       doing);
		c->len += got;
		c->plain_read += got;
	}
	return ck_fail(CK_EINVAL, "%s: a line of the %s is longer than %d octets", c->target, what,
		       PKI_PROBE_LINE_MAX);
}

/* True if an EHLO keyword line's text is the STARTTLS keyword (RFC 3207;
 * keywords are case-insensitive, RFC 5321 2.4). */
static bool is_starttls(const char *text, size_t n)
{
	return n >= 8 && strncasecmp(text, "STARTTLS", 8) == 0 && (n == 8 || text[8] == ' ');
}

/* Reads one whole reply, single- or multi-line (RFC 5321 4.2.1): every
 * line starts with the same three-digit code, "-" after it on all lines
 * but the last. Malformed or over-long replies are CK_EINVAL. */
static enum ck_err read_reply(struct conn *c, struct reply *rp, const char *what)
{
	char line[PKI_PROBE_LINE_MAX], shown[PROBE_SHOWN_MAX];
	size_t n = 0;

	memset(rp, 0, sizeof(*rp));
	for (;;) {
		enum ck_err rc = read_line(c, line, &n, what);
		int code;

		if (rc != CK_OK)
			return rc;
		if (rp->lines == PKI_PROBE_REPLY_LINES)
			return ck_fail(CK_EINVAL, "%s: the %s has more than %d lines", c->target, what,
				       PKI_PROBE_REPLY_LINES);
		if (n < 3 || line[0] < '1' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
		    line[2] < '0' || line[2] > '9' || (n > 3 && line[3] != '-' && line[3] != ' ')) {
			escape(line, n, shown, sizeof(shown));
			return ck_fail(CK_EINVAL, "%s: malformed line in the %s: '%s'", c->target, what,
				       shown);
		}
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (rp->lines == 0) {
			rp->code = code;
			memcpy(rp->first, line, n);
			rp->first_len = n;
		} else if (code != rp->code) {
			return ck_fail(CK_EINVAL, "%s: the %s mixes reply codes %d and %d", c->target,
				       what, rp->code, code);
		} else if (n > 4 && is_starttls(line + 4, n - 4)) {
			/* Only lines after the first: the first names the server. */
			rp->starttls = true;
		}
		rp->lines++;
		if (n == 3 || line[3] == ' ')
			return CK_OK;
	}
}

/* Fails unless the reply has code want; the message quotes the reply.
 * A 4xx reply is SMTP's "try again later", hence CK_ETEMP. */
static enum ck_err expect_code(const struct conn *c, const struct reply *rp, int want,
			       const char *what)
{
	char shown[PROBE_SHOWN_MAX];

	if (rp->code == want)
		return CK_OK;
	escape(rp->first, rp->first_len, shown, sizeof(shown));
	return ck_fail(rp->code / 100 == 4 ? CK_ETEMP : CK_ERROR, "%s: unexpected %s: %s",
		       c->target, what, shown);
}

/* Says QUIT in plain text, as a courtesy after a refusal, so the server
 * logs an orderly end: the socket is writable and the line tiny, so one
 * non-blocking send suffices, and its failure changes nothing. */
static void smtp_quit_plain(struct conn *c)
{
	(void)send(c->fd, "QUIT\r\n", 6, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Sends cmd (a complete line) and reads its reply within one step. */
static enum ck_err smtp_command(struct conn *c, const char *cmd, size_t len, struct reply *rp,
				const char *what)
{
	enum ck_err rc;

	step_start(c, c->timeout_ms);
	rc = send_all(c, cmd, len, "sending a command");
	if (rc != CK_OK)
		return rc;
	return read_reply(c, rp, what);
}

/* The plain-text part: greeting, EHLO, STARTTLS. On return with CK_OK the
 * server expects our ClientHello. Fills banner and starttls_offered. */
static enum ck_err smtp_starttls(struct conn *c, const struct pki_probe_opts *o,
				 struct pki_probe_result *r)
{
	char cmd[PROBE_EHLO_MAX + 8];
	struct reply rp;
	enum ck_err rc;
	int n;

	step_start(c, c->timeout_ms);
	rc = read_reply(c, &rp, "greeting");
	if (rc != CK_OK)
		return rc;
	escape(rp.first, rp.first_len, r->banner, sizeof(r->banner));
	rc = expect_code(c, &rp, 220, "greeting");
	if (rc != CK_OK)
		return rc;

	n = snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", o->ehlo_name);
	rc = smtp_command(c, cmd, (size_t)n, &rp, "reply to EHLO");
	if (rc != CK_OK)
		return rc;
	rc = expect_code(c, &rp, 250, "reply to EHLO");
	if (rc != CK_OK) {
		smtp_quit_plain(c);
		return rc;
	}
	r->starttls_offered = rp.starttls;
	if (!rp.starttls) {
		smtp_quit_plain(c);
		return ck_fail(CK_ERROR, "%s: server did not offer STARTTLS", c->target);
	}

	rc = smtp_command(c, "STARTTLS\r\n", 10, &rp, "reply to STARTTLS");
	if (rc != CK_OK)
		return rc;
	/* Postfix answers 454 here when its key or certificate cannot be
	 * loaded, although EHLO offered STARTTLS. */
	rc = expect_code(c, &rp, 220, "reply to STARTTLS");
	if (rc != CK_OK) {
		smtp_quit_plain(c);
		return rc;
	}
	/* Anything sent after the 220 and before our ClientHello would be read
	 * as if it came through TLS: the STARTTLS injection attack
	 * (CVE-2011-0411 and its client-side twins). Refuse it, whether we
	 * have read it already or it waits behind a reply that filled our
	 * buffer to the last byte. */
	if (c->len > 0 || recv(c->fd, &(char){ 0 }, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
		return ck_fail(CK_ERROR, "%s: the server sent data after its STARTTLS reply",
			       c->target);
	return CK_OK;
}

/* ---- TLS over memory BIOs ---- */

/* Moves every byte OpenSSL has queued for the server to the socket. */
static enum ck_err tls_flush(struct conn *c, const char *doing)
{
	char buf[PROBE_CHUNK];
	int n;

	while ((n = BIO_read(c->wbio, buf, sizeof(buf))) > 0) {
		enum ck_err rc = send_all(c, buf, (size_t)n, doing);

		if (rc != CK_OK)
			return rc;
	}
	return CK_OK;
}

/* Receives what the server sent next and hands it to OpenSSL, within the
 * TLS budget; at the server's EOF, tells OpenSSL there is no more. */
static enum ck_err tls_fill(struct conn *c, const char *doing)
{
	char buf[PROBE_CHUNK];
	size_t room = sizeof(buf), got = 0;
	enum ck_err rc;

	if (c->tls_read >= PKI_PROBE_TLS_BUDGET)
		return ck_fail(CK_EINVAL, "%s: the server sent more than %d octets %s", c->target,
			       PKI_PROBE_TLS_BUDGET, doing);
	if (room > PKI_PROBE_TLS_BUDGET - c->tls_read)
		room = PKI_PROBE_TLS_BUDGET - c->tls_read;
	rc = recv_some(c, buf, room, &got, doing);
	if (rc != CK_OK)
		return rc;
	if (got == 0) {
		c->eof = true;
		BIO_set_mem_eof_return(c->rbio, 0);
		return CK_OK;
	}
	if (BIO_write(c->rbio, buf, (int)got) != (int)got)
		return ck_fail(CK_ENOMEM, "out of memory");
	c->tls_read += got;
	return CK_OK;
}

enum tls_op { TLS_CONNECT, TLS_READ, TLS_WRITE };

/* Runs one OpenSSL operation to completion, moving bytes between the
 * memory BIOs and the socket until the step's deadline. For TLS_READ and
 * TLS_WRITE, *io is the length of buf on entry and the bytes read or
 * written on return. */
static enum ck_err tls_drive(struct conn *c, enum tls_op op, void *buf, int *io,
			     const char *doing)
{
	char what[PROBE_HOST_MAX + 96];

	for (;;) {
		enum ck_err rc;
		int ret, err;

		ERR_clear_error();
		if (op == TLS_CONNECT)
			ret = SSL_connect(c->ssl);
		else if (op == TLS_READ)
			ret = SSL_read(c->ssl, buf, *io);
		else
			ret = SSL_write(c->ssl, buf, *io);
		err = ret > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, ret);
		rc = tls_flush(c, doing);
		if (rc != CK_OK)
			return rc;
		if (ret > 0) {
			*io = op == TLS_CONNECT ? 0 : ret;
			return CK_OK;
		}
		if (err == SSL_ERROR_WANT_READ && !c->eof) {
			rc = tls_fill(c, doing);
			if (rc != CK_OK)
				return rc;
			continue;
		}
		if (c->eof || err == SSL_ERROR_ZERO_RETURN) {
			ERR_clear_error();
			return ck_fail(CK_ETEMP, "%s: the server closed the connection %s",
				       c->target, doing);
		}
		if (op == TLS_CONNECT)
			snprintf(what, sizeof(what), "%s: the TLS handshake failed", c->target);
		else
			snprintf(what, sizeof(what), "%s: TLS error %s", c->target, doing);
		return pki_fail_ssl(CK_ERROR, what);
	}
}

/* Sets up the client (no verification, SNI if given) and does the
 * handshake on the connected socket. */
static enum ck_err tls_handshake(struct conn *c, const char *sni)
{
	int zero = 0;

	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL)
		return pki_fail_ssl(CK_ECRYPTO, "cannot create a TLS context");
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_security_level(c->ctx, 0);
	SSL_CTX_set_max_cert_list(c->ctx, PROBE_CERT_LIST_MAX);
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL)
		return pki_fail_ssl(CK_ECRYPTO, "cannot create a TLS connection");
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (c->rbio == NULL || c->wbio == NULL) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		c->rbio = c->wbio = NULL;
		return ck_fail(CK_ENOMEM, "out of memory");
	}
	/* An empty read BIO means "retry" until the server's EOF. */
	BIO_set_mem_eof_return(c->rbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	if (sni != NULL && !SSL_set_tlsext_host_name(c->ssl, sni))
		return pki_fail_ssl(CK_EINVAL, "cannot set the SNI name");
	SSL_set_connect_state(c->ssl);
	step_start(c, c->timeout_ms);
	return tls_drive(c, TLS_CONNECT, NULL, &zero, "in the TLS handshake");
}

/* Copies the leaf, the rest of the sent chain, protocol and cipher. */
static enum ck_err tls_collect(struct conn *c, struct pki_probe_result *r)
{
	STACK_OF(X509) *sent = SSL_get_peer_cert_chain(c->ssl);
	X509 *leaf = SSL_get1_peer_certificate(c->ssl);
	const char *cipher = SSL_get_cipher_name(c->ssl);
	enum ck_err rc;
	int i;

	if (leaf == NULL)
		return ck_fail(CK_ERROR, "%s: the server presented no certificate", c->target);
	rc = pki_cert_wrap(leaf, &r->cert); /* takes leaf, even on failure */
	if (rc != CK_OK)
		return rc;
	r->chain = calloc(1, sizeof(*r->chain));
	if (r->chain == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	r->chain->certs = sk_X509_new_null();
	if (r->chain->certs == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	for (i = 0; sent != NULL && i < sk_X509_num(sent); i++) {
		X509 *x = sk_X509_value(sent, i);

		if (X509_cmp(x, r->cert->x509) == 0)
			continue;
		if (!X509_up_ref(x))
			return pki_fail_ssl(CK_ECRYPTO, "cannot copy the chain");
		if (!sk_X509_push(r->chain->certs, x)) {
			X509_free(x);
			return ck_fail(CK_ENOMEM, "out of memory");
		}
	}
	snprintf(r->protocol, sizeof(r->protocol), "%s", SSL_get_version(c->ssl));
	snprintf(r->cipher, sizeof(r->cipher), "%s", cipher != NULL ? cipher : "");
	return CK_OK;
}

/* Best effort, after success: QUIT through TLS and a short wait for its
 * reply (so the server logs a clean end and its session tickets are read
 * rather than reset), then close_notify. Failures are ignored. */
static void tls_goodbye(struct conn *c, bool smtp)
{
	char reply[PKI_PROBE_LINE_MAX];
	int n;

	step_start(c, c->timeout_ms < PROBE_QUIT_MS ? c->timeout_ms : PROBE_QUIT_MS);
	if (smtp) {
		n = 6;
		if (tls_drive(c, TLS_WRITE, "QUIT\r\n", &n, "sending QUIT") == CK_OK) {
			n = sizeof(reply);
			(void)tls_drive(c, TLS_READ, reply, &n, "waiting for the reply to QUIT");
		}
	}
	if (!c->eof && SSL_shutdown(c->ssl) >= 0)
		(void)tls_flush(c, "closing");
	ERR_clear_error();
}

/* ---- connecting ---- */

/* Connects a non-blocking socket to one address within one step. */
static enum ck_err connect_one(struct conn *c, const struct addrinfo *ai)
{
	int err = 0;
	socklen_t elen = sizeof(err);
	enum ck_err rc;

	c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       ai->ai_protocol);
	if (c->fd < 0)
		return ck_fail_errno(CK_EIO, "%s: socket", c->target);
	if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return CK_OK;
	if (errno != EINPROGRESS && errno != EINTR)
		return ck_fail_errno(CK_ETEMP, "%s: cannot connect", c->target);
	step_start(c, c->timeout_ms);
	rc = wait_fd(c, POLLOUT, "connecting");
	if (rc != CK_OK)
		return rc;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		return ck_fail_errno(CK_EIO, "%s: getsockopt", c->target);
	if (err != 0) {
		errno = err;
		return ck_fail_errno(CK_ETEMP, "%s: cannot connect", c->target);
	}
	return CK_OK;
}

/* Resolves host and port and connects to the first address that answers
 * (at most PROBE_MAX_ADDRS, each with its own timeout). The message of a
 * failure is the last address's. */
static enum ck_err tcp_connect(struct conn *c, const struct pki_probe_opts *o)
{
	struct addrinfo hints, *res = NULL, *ai;
	enum ck_err rc = CK_ETEMP;
	int g, tried = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	g = getaddrinfo(o->host, o->port, &hints, &res);
	if (g == EAI_SYSTEM)
		return ck_fail_errno(CK_ETEMP, "%s: cannot resolve %s", c->target, o->host);
	if (g != 0)
		return ck_fail(CK_ETEMP, "%s: cannot resolve %s: %s", c->target, o->host,
			       gai_strerror(g));
	for (ai = res; ai != NULL && tried < PROBE_MAX_ADDRS; ai = ai->ai_next) {
		tried++;
		rc = connect_one(c, ai);
		if (rc == CK_OK)
			break;
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
	}
	if (tried == 0)
		rc = ck_fail(CK_ETEMP, "%s: %s has no address", c->target, o->host);
	freeaddrinfo(res);
	return rc;
}

/* ---- entry points ---- */

/* True if s is 1..max octets of printable ASCII without spaces: safe in an
 * SMTP command line and in a message. */
static bool is_token(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || i >= max)
			return false;
	return i > 0;
}

/* Checks the options and fills in the target name and the timeout. */
static enum ck_err check_opts(const struct pki_probe_opts *o, struct conn *c, char *sni,
			      size_t sni_size)
{
	char *end = NULL;
	long port;

	if (o->kind != PKI_PROBE_SMTP && o->kind != PKI_PROBE_HTTPS)
		return ck_fail(CK_EINVAL, "probe: unknown kind of server");
	if (o->host == NULL || !is_token(o->host, PROBE_HOST_MAX))
		return ck_fail(CK_EINVAL, "probe: a host name or address is required "
					  "(printable, at most %d characters)", PROBE_HOST_MAX);
	errno = 0;
	port = o->port != NULL ? strtol(o->port, &end, 10) : 0;
	if (o->port == NULL || *o->port < '0' || *o->port > '9' || *end != '\0' || errno != 0 ||
	    port < 1 || port > 65535)
		return ck_fail(CK_EINVAL, "probe: the port must be a number from 1 to 65535");
	/* An IPv6 literal is bracketed, as in a URL. */
	snprintf(c->target, sizeof(c->target),
		 strchr(o->host, ':') != NULL ? "%s://[%s]:%ld" : "%s://%s:%ld",
		 o->kind == PKI_PROBE_SMTP ? "smtp" : "https", o->host, port);
	if (o->timeout_ms < 0 || o->timeout_ms > PKI_PROBE_TIMEOUT_MAX)
		return ck_fail(CK_EINVAL, "probe: the timeout must be 0 to %d ms",
			       PKI_PROBE_TIMEOUT_MAX);
	c->timeout_ms = o->timeout_ms == 0 ? PKI_PROBE_TIMEOUT_DEFAULT : o->timeout_ms;
	if (o->kind == PKI_PROBE_SMTP &&
	    (o->ehlo_name == NULL || !is_token(o->ehlo_name, PROBE_EHLO_MAX)))
		return ck_fail(CK_EINVAL, "probe: an EHLO name is required (printable, no spaces, "
					  "at most %d characters)", PROBE_EHLO_MAX);
	sni[0] = '\0';
	if (o->sni != NULL && ck_domain_normalize(o->sni, false, sni, sni_size) != CK_OK) {
		ck_errmsg_prefix("probe: SNI");
		return CK_EINVAL;
	}
	return CK_OK;
}

enum ck_err pki_probe(const struct pki_probe_opts *o, struct pki_probe_result *r)
{
	char sni[CK_DOMAIN_MAX + 1];
	struct conn *c;
	enum ck_err rc;

	memset(r, 0, sizeof(*r));
	rc = libssl_load();
	if (rc != CK_OK)
		return rc;
	/* On the heap: the connection holds read buffers. */
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	c->fd = -1;
	rc = check_opts(o, c, sni, sizeof(sni));
	if (rc != CK_OK)
		goto out;
	rc = tcp_connect(c, o);
	if (rc != CK_OK)
		goto out;
	if (o->kind == PKI_PROBE_SMTP) {
		rc = smtp_starttls(c, o, r);
		if (rc != CK_OK)
			goto out;
	}
	rc = tls_handshake(c, sni[0] != '\0' ? sni : NULL);
	if (rc != CK_OK)
		goto out;
	rc = tls_collect(c, r);
	if (rc != CK_OK)
		goto out;
	tls_goodbye(c, o->kind == PKI_PROBE_SMTP);
	ck_errmsg_clear();
	rc = CK_OK;
out:
	if (rc != CK_OK) {
		pki_cert_free(r->cert);
		pki_chain_free(r->chain);
		r->cert = NULL;
		r->chain = NULL;
	}
	SSL_free(c->ssl); /* frees rbio and wbio */
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return rc;
}

enum ck_err pki_probe_smtp_plain(int fd, const struct pki_probe_opts *o,
				 struct pki_probe_result *r)
{
	char sni[CK_DOMAIN_MAX + 1];
	struct conn *c;
	enum ck_err rc;

	memset(r, 0, sizeof(*r));
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	c->fd = fd;
	rc = check_opts(o, c, sni, sizeof(sni));
	if (rc == CK_OK && o->kind != PKI_PROBE_SMTP)
		rc = ck_fail(CK_EINVAL, "probe: not an SMTP probe");
	if (rc == CK_OK)
		rc = smtp_starttls(c, o, r);
	free(c);
	return rc;
}

void pki_probe_result_clear(struct pki_probe_result *r)
{
	if (r == NULL)
		return;
	pki_cert_free(r->cert);
	pki_chain_free(r->chain);
	memset(r, 0, sizeof(*r));
}
