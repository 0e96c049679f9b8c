/*
 * test_probe.c - unit tests for src/pki/probe.h (DESIGN.md §4, §10).
 *
 * Real servers on 127.0.0.1, started by the test and reaped by it:
 * - HTTPS: `openssl s_server -www`, serving a fresh certificate with a
 *   second one as its chain, and for the SNI name sni.test.example an
 *   expired certificate (-servername/-cert2): the probe returns the leaf,
 *   the chain without the leaf, protocol and cipher, honours SNI (in any
 *   case), and does not verify (expired and self-signed come back); a
 *   plain-text answer is a named TLS error, a hang-up is temporary.
 * - SMTP: a tiny server in a forked child, plain sockets then SSL_accept
 *   after STARTTLS, one scripted mode per test: the full STARTTLS dialogue
 *   (the child checks the EHLO, STARTTLS and QUIT lines we send and exits
 *   non-zero on any difference), no STARTTLS offered (only a keyword line
 *   counts, not the server-name line, "XSTARTTLS" or "STARTTLSX"), a
 *   512-octet line accepted and a 513-octet one refused, 101 lines, the
 *   64 KiB budget, a 421 greeting (temporary), a refused EHLO, a 454 to
 *   STARTTLS (what Postfix says when its key does not load), a malformed
 *   line, control characters escaped in the banner and messages, data
 *   injected after the STARTTLS reply, and a server that closes at once.
 * - Failures to reach a server: refused (a bound, non-listening socket),
 *   a silent server (listening, never accepting) for SMTP and HTTPS, and a
 *   connect that never completes (a full accept queue drops our SYN): all
 *   CK_ETEMP within about the 300 ms timeout.
 * - Options refused before any connection (CK_EINVAL).
 * SIGPIPE keeps its default action here, so a write to a closed socket
 * without MSG_NOSIGNAL would kill the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "base/err.h"
#include "base/fileio.h"
#include "pki/pki.h"
#include "pki/probe.h"
#include "unit_util.h"

#define EHLO_NAME "client.test.example"
#define SNI_NAME "sni.test.example"
#define FAST_MS 300

static struct {
	char dir[64];
	char cert1[128], key1[128]; /* CN=mx.test.example, valid now */
	char cert2[128], key2[128]; /* CN=sni.test.example, expired in 2021 */
	char thumb1[PKI_THUMB_LEN + 1], thumb2[PKI_THUMB_LEN + 1];
	pid_t https_pid;
	char https_port[8];
} g;

static void assert_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			fail_msg("control character 0x%02x in \"%s\"", (unsigned char)*s, s);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Makes a self-signed certificate and key, written as PEM files. */
static void make_pair(const char *cn, int64_t nb, int64_t na, const char *cert_path,
		      const char *key_path, char thumb[PKI_THUMB_LEN + 1])
{
	const char *domains[] = { cn };
	struct pki_make_params p = {
		.subject_cn = cn, .domains = domains, .n_domains = 1,
		.not_before = nb, .not_after = na,
	};
	struct pki_key *key = NULL;
	struct pki_cert *cert = NULL;
	struct pki_cert_info info;
	char *pem = NULL;
	size_t len = 0;

	assert_int_equal(pki_key_generate("ec:P-256", &key), CK_OK);
	assert_int_equal(pki_selfsigned_make(&p, key, &cert), CK_OK);
	assert_int_equal(pki_cert_to_pem(cert, &pem, &len), CK_OK);
	write_file(cert_path, pem, len);
	free(pem);
	assert_int_equal(pki_key_to_pem(key, &pem, &len), CK_OK);
	write_file(key_path, pem, len);
	ck_free_secret(pem, len);
	assert_int_equal(pki_cert_info_get(cert, &info), CK_OK);
	memcpy(thumb, info.thumbprint, PKI_THUMB_LEN + 1);
	pki_cert_info_clear(&info);
	pki_cert_free(cert);
	pki_key_free(key);
}

static void thumb_of(const struct pki_cert *cert, char out[PKI_THUMB_LEN + 1])
{
	struct pki_cert_info info;

	assert_non_null(cert);
	assert_int_equal(pki_cert_info_get(cert, &info), CK_OK);
	memcpy(out, info.thumbprint, PKI_THUMB_LEN + 1);
	pki_cert_info_clear(&info);
}

/* A TCP socket bound to 127.0.0.1 on a port the kernel picks; listening
 * with backlog if backlog >= 0. The port goes to port (decimal). */
static int bound_socket(int backlog, char port[8])
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(port, 8, "%u", (unsigned)ntohs(a.sin_port));
	return fd;
}

/* Starts a TCP connect to 127.0.0.1:port; returns the socket and whether it
 * completed within ms. */
static int connect_nb(const char *port, int ms, bool *done)
{
	struct sockaddr_in a;
	struct pollfd p;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err = 0;
	socklen_t elen = sizeof(err);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)strtoul(port, NULL, 10));
	*done = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (!*done && errno == EINPROGRESS) {
		p.fd = fd;
		p.events = POLLOUT;
		*done = poll(&p, 1, ms) == 1 &&
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0;
	}
	return fd;
}

/* Waits up to ms for child to exit; kills it after that. Returns its exit
 * status, or -1 if it had to be killed or died of a signal. */
static int reap(pid_t pid, int ms)
{
	int64_t end = mono_ms() + ms;
	int st = 0;
	pid_t w;

	for (;;) {
		w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		assert_int_equal(w, 0);
		if (mono_ms() >= end)
			break;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return -1;
}

static void opts_smtp(struct pki_probe_opts *o, const char *port, int timeout_ms)
{
	memset(o, 0, sizeof(*o));
	o->kind = PKI_PROBE_SMTP;
	o->host = "127.0.0.1";
	o->port = port;
	o->ehlo_name = EHLO_NAME;
	o->timeout_ms = timeout_ms;
}

static void opts_https(struct pki_probe_opts *o, const char *port, const char *sni)
{
	memset(o, 0, sizeof(*o));
	o->kind = PKI_PROBE_HTTPS;
	o->host = "127.0.0.1";
	o->port = port;
	o->sni = sni;
	o->timeout_ms = 5000;
}

/* ---- the scripted SMTP server (runs in a forked child) ---- */

enum smtp_mode {
	SMTP_STARTTLS,        /* the full dialogue, checked */
	SMTP_NO_STARTTLS,     /* EHLO reply without the keyword */
	SMTP_LINE_512,        /* a 512-octet greeting line, then no STARTTLS */
	SMTP_LINE_513,        /* one octet more */
	SMTP_MANY_LINES,      /* a 101-line greeting */
	SMTP_BUDGET,          /* two 100-line replies of 512-octet lines */
	SMTP_GREETING_421,    /* temporary refusal */
	SMTP_EHLO_REFUSED,    /* 550 to EHLO */
	SMTP_STARTTLS_454,    /* STARTTLS offered, then refused (Postfix, bad key) */
	SMTP_MALFORMED,       /* "hello" instead of a reply */
	SMTP_CONTROL_CHARS,   /* escapes in the greeting and the refusal */
	SMTP_INJECT,          /* data after the STARTTLS reply */
	SMTP_CLOSE,           /* accept, close */
	NOT_TLS,              /* an HTTP error page where TLS was expected */
};

/* Child exit codes: 0 all as expected; others name the step that differed. */
enum { CHILD_OK = 0, CHILD_IO = 20, CHILD_EHLO, CHILD_STARTTLS, CHILD_TLS, CHILD_QUIT };

static void child_send(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			_exit(CHILD_IO);
		s += w;
		n -= (size_t)w;
	}
}

static void child_puts(int fd, const char *s)
{
	child_send(fd, s, strlen(s));
}

/* Reads one line byte by byte (never past its LF, so TLS can follow). */
static bool child_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char c;

	while (recv(fd, &c, 1, 0) == 1) {
		if (c == '\n') {
			if (n > 0 && buf[n - 1] == '\r')
				n--;
			buf[n] = '\0';
			return true;
		}
		if (n + 1 < size)
			buf[n++] = c;
	}
	return false;
}

/* Sends a reply of `lines` lines with code, each `len` octets with CR LF. */
static void child_long_reply(int fd, const char *code, int lines, size_t len)
{
	char line[600];
	int i;

	for (i = 0; i < lines; i++) {
		memset(line, 'a', len - 2);
		memcpy(line, code, 3);
		line[3] = i == lines - 1 ? ' ' : '-';
		memcpy(line + len - 2, "\r\n", 2);
		child_send(fd, line, len);
	}
}

/* Waits for the client to close, then exits with code. */
static void child_drain_exit(int fd, int code)
{
	char c;

	while (recv(fd, &c, 1, 0) > 0)
		;
	_exit(code);
}

static void child_expect(int fd, const char *want, int code)
{
	char line[600];

	if (!child_line(fd, line, sizeof(line)) || strcmp(line, want) != 0)
		_exit(code);
}

static void child_tls(int fd)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char line[64];
	SSL *ssl;
	int n;

	if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, g.cert1) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, g.key1, SSL_FILETYPE_PEM) != 1)
		_exit(CHILD_TLS);
	ssl = SSL_new(ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1)
		_exit(CHILD_TLS);
	n = SSL_read(ssl, line, sizeof(line) - 1);
	if (n != 6 || memcmp(line, "QUIT\r\n", 6) != 0)
		_exit(CHILD_QUIT);
	SSL_write(ssl, "221 2.0.0 Bye\r\n", 15);
	SSL_shutdown(ssl);
	_exit(CHILD_OK);
}

static void child_smtp(int lfd, enum smtp_mode mode)
{
	struct timeval tv = { .tv_sec = 5 };
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		_exit(CHILD_IO);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	switch (mode) {
	case SMTP_STARTTLS:
	case SMTP_INJECT:
		child_puts(fd, "220-mx.test.example ESMTP probe test\r\n220 ready\r\n");
		child_expect(fd, "EHLO " EHLO_NAME, CHILD_EHLO);
		child_puts(fd, "250-mx.test.example\r\n250-PIPELINING\r\n250-starttls\r\n"
			       "250 8BITMIME\r\n");
		child_expect(fd, "STARTTLS", CHILD_STARTTLS);
		if (mode == SMTP_INJECT) {
			child_puts(fd, "220 2.0.0 go ahead\r\n250 injected\r\n");
			child_drain_exit(fd, CHILD_OK);
		}
		child_puts(fd, "220 2.0.0 Ready to start TLS\r\n");
		child_tls(fd);
		break;
	case SMTP_NO_STARTTLS:
	case SMTP_LINE_512:
	case SMTP_CONTROL_CHARS:
		if (mode == SMTP_LINE_512)
			child_long_reply(fd, "220", 1, 512);
		else if (mode == SMTP_CONTROL_CHARS)
			child_puts(fd, "220 evil\x1b[31m\a\\ host\x7f\xff\r\n");
		else
			child_puts(fd, "220 mx.test.example ESMTP\r\n");
		child_expect(fd, "EHLO " EHLO_NAME, CHILD_EHLO);
		if (mode == SMTP_CONTROL_CHARS) {
			child_puts(fd, "550 no\x1b]0;title\a\r\n");
			child_drain_exit(fd, CHILD_OK);
		}
		/* The first line names the server; neither near miss counts. */
		child_puts(fd, "250-STARTTLS\r\n250-XSTARTTLS\r\n250-STARTTLSX\r\n250 SIZE 1000\r\n");
		child_expect(fd, "QUIT", CHILD_QUIT);
		child_drain_exit(fd, CHILD_OK);
		break;
	case SMTP_LINE_513:
		child_long_reply(fd, "220", 1, 513);
		break;
	case SMTP_MANY_LINES:
		child_long_reply(fd, "220", 101, 20);
		break;
	case SMTP_BUDGET:
		child_long_reply(fd, "220", 100, 512);
		child_expect(fd, "EHLO " EHLO_NAME, CHILD_EHLO);
		child_long_reply(fd, "250", 100, 512);
		break;
	case SMTP_GREETING_421:
		child_puts(fd, "421 4.3.2 Service shutting down\r\n");
		break;
	case SMTP_EHLO_REFUSED:
		child_puts(fd, "220 mx.test.example ESMTP\r\n");
		child_expect(fd, "EHLO " EHLO_NAME, CHILD_EHLO);
		child_puts(fd, "550 5.7.1 go away\r\n");
		child_expect(fd, "QUIT", CHILD_QUIT);
		break;
	case SMTP_STARTTLS_454:
		child_puts(fd, "220 mx.test.example ESMTP\r\n");
		child_expect(fd, "EHLO " EHLO_NAME, CHILD_EHLO);
		child_puts(fd, "250-mx.test.example\r\n250 STARTTLS\r\n");
		child_expect(fd, "STARTTLS", CHILD_STARTTLS);
		child_puts(fd, "454 4.7.0 TLS not available due to local problem\r\n");
		child_expect(fd, "QUIT", CHILD_QUIT);
		break;
	case SMTP_MALFORMED:
		child_puts(fd, "hello\r\n");
		break;
	case SMTP_CLOSE:
		close(fd);
		_exit(CHILD_OK);
	case NOT_TLS:
		child_puts(fd, "HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
		break;
	}
	child_drain_exit(fd, CHILD_OK);
}

/* Runs the probe (SMTP or HTTPS) against a fresh scripted server; returns
 * the probe's result code and the child's exit status. */
static enum ck_err run_server(enum smtp_mode mode, enum pki_probe_kind kind,
			      struct pki_probe_result *r, int *child)
{
	struct pki_probe_opts o;
	char port[8];
	int lfd = bound_socket(4, port);
	enum ck_err rc;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_smtp(lfd, mode);
	close(lfd);
	if (kind == PKI_PROBE_SMTP)
		opts_smtp(&o, port, 5000);
	else
		opts_https(&o, port, NULL);
	rc = pki_probe(&o, r);
	*child = reap(pid, 5000);
	return rc;
}

static enum ck_err run_smtp(enum smtp_mode mode, struct pki_probe_result *r, int *child)
{
	return run_server(mode, PKI_PROBE_SMTP, r, child);
}

/* ---- group setup: certificates and the HTTPS server ---- */

static int group_setup(void **state)
{
	const int64_t now = (int64_t)time(NULL);
	char log[128];
	int64_t end;
	pid_t pid;

	(void)state;
	snprintf(g.dir, sizeof(g.dir), "/tmp/test_probe.XXXXXX");
	if (mkdtemp(g.dir) == NULL)
		return -1;
	snprintf(g.cert1, sizeof(g.cert1), "%s/mx.pem", g.dir);
	snprintf(g.key1, sizeof(g.key1), "%s/mx.key", g.dir);
	snprintf(g.cert2, sizeof(g.cert2), "%s/sni.pem", g.dir);
	snprintf(g.key2, sizeof(g.key2), "%s/sni.key", g.dir);
	snprintf(log, sizeof(log), "%s/s_server.log", g.dir);
	make_pair("mx.test.example", now - 3600, now + 30 * 86400, g.cert1, g.key1, g.thumb1);
	make_pair(SNI_NAME, INT64_C(1577836800), INT64_C(1609459200), g.cert2, g.key2, g.thumb2);

	/* A port from the kernel; s_server binds it right after we let go. */
	close(bound_socket(-1, g.https_port));
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char accept[32];
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int nul = open("/dev/null", O_RDONLY);

		snprintf(accept, sizeof(accept), "127.0.0.1:%s", g.https_port);
		if (fd < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", accept,
		       "-cert", g.cert1, "-key", g.key1, "-cert_chain", g.cert2,
		       "-servername", SNI_NAME, "-cert2", g.cert2, "-key2", g.key2, (char *)NULL);
		_exit(127);
	}
	g.https_pid = pid;
	/* Ready when a connect succeeds (s_server shrugs off the empty one). */
	for (end = mono_ms() + 5000; mono_ms() < end; usleep(20000)) {
		bool done;
		int fd = connect_nb(g.https_port, 200, &done);

		close(fd);
		if (done)
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			g.https_pid = 0;
			fprintf(stderr, "openssl s_server exited; see %s\n", log);
			return -1;
		}
	}
	fprintf(stderr, "openssl s_server is not listening after 5 s; see %s\n", log);
	return -1;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	if (g.https_pid > 0) {
		kill(g.https_pid, SIGTERM);
		waitpid(g.https_pid, NULL, 0);
	}
	if (g.dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g.dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

/* ---- HTTPS ---- */

static void test_https_serves_leaf_and_chain(void **state)
{
	struct pki_probe_opts o;
	struct pki_probe_result r;
	char thumb[PKI_THUMB_LEN + 1], *pem = NULL;
	size_t len = 0;
	struct pki_cert *c2 = NULL;

	(void)state;
	opts_https(&o, g.https_port, NULL);
	assert_int_equal(pki_probe(&o, &r), CK_OK);
	thumb_of(r.cert, thumb);
	assert_string_equal(thumb, g.thumb1);
	/* The chain is what followed the leaf: the second certificate. */
	assert_int_equal(pki_chain_count(r.chain), 1);
	assert_int_equal(pki_chain_to_pem(r.chain, &pem, &len), CK_OK);
	assert_int_equal(pki_cert_parse((const uint8_t *)pem, len, &c2), CK_OK);
	thumb_of(c2, thumb);
	assert_string_equal(thumb, g.thumb2);
	assert_string_equal(r.protocol, "TLSv1.3");
	assert_true(strlen(r.cipher) > 0);
	assert_string_equal(r.banner, "");
	assert_false(r.starttls_offered);
	pki_cert_free(c2);
	free(pem);
	pki_probe_result_clear(&r);
	assert_null(r.cert);
	assert_null(r.chain);
	pki_probe_result_clear(&r); /* twice is harmless */
}

static void test_https_sni_chooses_cert(void **state)
{
	static const struct {
		const char *sni;
		bool second;
	} cases[] = {
		{ SNI_NAME, true },           /* the expired one: not verified */
		{ "SNI.Test.Example", true }, /* names are case-insensitive */
		{ "other.test.example", false },
		{ NULL, false },
	};
	struct pki_probe_opts o;
	struct pki_probe_result r;
	char thumb[PKI_THUMB_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		opts_https(&o, g.https_port, cases[i].sni);
		if (pki_probe(&o, &r) != CK_OK)
			fail_msg("SNI %s: %s", cases[i].sni ? cases[i].sni : "(none)", ck_errmsg());
		thumb_of(r.cert, thumb);
		assert_string_equal(thumb, cases[i].second ? g.thumb2 : g.thumb1);
		pki_probe_result_clear(&r);
	}
}

static void test_https_silent_server_times_out(void **state)
{
	struct pki_probe_opts o;
	struct pki_probe_result r;
	char port[8];
	int lfd = bound_socket(4, port);
	int64_t t0, dt;

	(void)state;
	opts_https(&o, port, NULL);
	o.timeout_ms = FAST_MS;
	t0 = mono_ms();
	assert_int_equal(pki_probe(&o, &r), CK_ETEMP);
	dt = mono_ms() - t0;
	assert_msg_contains("timed out after 300 ms in the TLS handshake");
	assert_true(dt >= FAST_MS - 20 && dt < 2000);
	assert_null(r.cert);
	close(lfd);
}

static void test_https_not_tls(void **state)
{
	struct pki_probe_result r;
	int child;

	(void)state;
	/* Plain text where a ServerHello belongs: a TLS error, named. */
	assert_int_equal(run_server(NOT_TLS, PKI_PROBE_HTTPS, &r, &child), CK_ERROR);
	assert_msg_contains("https://127.0.0.1:");
	assert_msg_contains("the TLS handshake failed (");
	assert_null(r.cert);
	/* A server that hangs up at once: temporary. Whether our ClientHello
	 * meets EPIPE, a reset or an EOF depends on timing; none of them may
	 * raise SIGPIPE (default action here: the test would die). */
	assert_int_equal(run_server(SMTP_CLOSE, PKI_PROBE_HTTPS, &r, &child), CK_ETEMP);
	assert_msg_contains("in the TLS handshake");
}

/* ---- SMTP ---- */

static void test_smtp_starttls(void **state)
{
	struct pki_probe_result r;
	char thumb[PKI_THUMB_LEN + 1];
	int child;

	(void)state;
	if (run_smtp(SMTP_STARTTLS, &r, &child) != CK_OK)
		fail_msg("probe: %s", ck_errmsg());
	assert_int_equal(child, CHILD_OK); /* EHLO, STARTTLS, QUIT as expected */
	thumb_of(r.cert, thumb);
	assert_string_equal(thumb, g.thumb1);
	assert_int_equal(pki_chain_count(r.chain), 0);
	assert_string_equal(r.banner, "220-mx.test.example ESMTP probe test");
	assert_true(r.starttls_offered); /* "250-starttls": case-insensitive */
	assert_true(strncmp(r.protocol, "TLSv1.", 6) == 0);
	assert_true(strlen(r.cipher) > 0);
	assert_string_equal(ck_errmsg(), "");
	pki_probe_result_clear(&r);
}

static void test_smtp_no_starttls(void **state)
{
	struct pki_probe_result r;
	int child;

	(void)state;
	assert_int_equal(run_smtp(SMTP_NO_STARTTLS, &r, &child), CK_ERROR);
	assert_msg_contains("server did not offer STARTTLS");
	assert_msg_contains("smtp://127.0.0.1:");
	assert_int_equal(child, CHILD_OK); /* we said QUIT */
	assert_false(r.starttls_offered);
	assert_string_equal(r.banner, "220 mx.test.example ESMTP");
	assert_null(r.cert);
	assert_null(r.chain);
}

static void test_smtp_line_limits(void **state)
{
	struct pki_probe_result r;
	int child;

	(void)state;
	/* 510 octets and CR LF: the most RFC 5321 allows, accepted. */
	assert_int_equal(run_smtp(SMTP_LINE_512, &r, &child), CK_ERROR);
	assert_msg_contains("did not offer STARTTLS");
	assert_int_equal(child, CHILD_OK);
	assert_int_equal(strlen(r.banner), 255);
	assert_true(strncmp(r.banner, "220 aaa", 7) == 0);
	assert_string_equal(r.banner + 252, "...");

	assert_int_equal(run_smtp(SMTP_LINE_513, &r, &child), CK_EINVAL);
	assert_msg_contains("a line of the greeting is longer than 512 octets");

	assert_int_equal(run_smtp(SMTP_MANY_LINES, &r, &child), CK_EINVAL);
	assert_msg_contains("the greeting has more than 100 lines");

	assert_int_equal(run_smtp(SMTP_BUDGET, &r, &child), CK_EINVAL);
	assert_msg_contains("more than 65536 octets before TLS");
}

static void test_smtp_bad_replies(void **state)
{
	struct pki_probe_result r;
	int child;

	(void)state;
	/* 4xx is SMTP's "try again later". */
	assert_int_equal(run_smtp(SMTP_GREETING_421, &r, &child), CK_ETEMP);
	assert_msg_contains("unexpected greeting: 421 4.3.2 Service shutting down");
	assert_string_equal(r.banner, "421 4.3.2 Service shutting down");

	assert_int_equal(run_smtp(SMTP_EHLO_REFUSED, &r, &child), CK_ERROR);
	assert_msg_contains("unexpected reply to EHLO: 550 5.7.1 go away");
	assert_false(r.starttls_offered);
	assert_int_equal(child, CHILD_OK); /* we said QUIT */

	/* Offered, then refused: temporary, and starttls_offered stays true. */
	assert_int_equal(run_smtp(SMTP_STARTTLS_454, &r, &child), CK_ETEMP);
	assert_msg_contains("unexpected reply to STARTTLS: 454 4.7.0 TLS not available");
	assert_true(r.starttls_offered);
	assert_int_equal(child, CHILD_OK);

	assert_int_equal(run_smtp(SMTP_MALFORMED, &r, &child), CK_EINVAL);
	assert_msg_contains("malformed line in the greeting: 'hello'");

	assert_int_equal(run_smtp(SMTP_CLOSE, &r, &child), CK_ETEMP);
	assert_msg_contains("closed the connection waiting for the greeting");
}

static void test_smtp_control_chars_escaped(void **state)
{
	struct pki_probe_result r;
	int child;

	(void)state;
	assert_int_equal(run_smtp(SMTP_CONTROL_CHARS, &r, &child), CK_ERROR);
	assert_int_equal(child, CHILD_OK);
	assert_string_equal(r.banner, "220 evil\\x1b[31m\\x07\\x5c host\\x7f\\xff");
	assert_printable(r.banner);
	assert_printable(ck_errmsg());
	assert_msg_contains("550 no\\x1b]0;title\\x07");
}

static void test_smtp_injection_refused(void **state)
{
	struct pki_probe_result r;
	int child;

	(void)state;
	assert_int_equal(run_smtp(SMTP_INJECT, &r, &child), CK_ERROR);
	assert_msg_contains("sent data after its STARTTLS reply");
	assert_true(r.starttls_offered);
	assert_null(r.cert);
}

static void test_smtp_silent_server_times_out(void **state)
{
	struct pki_probe_opts o;
	struct pki_probe_result r;
	char port[8];
	int lfd = bound_socket(4, port); /* the kernel accepts; nobody speaks */
	int64_t t0, dt;

	(void)state;
	opts_smtp(&o, port, FAST_MS);
	t0 = mono_ms();
	assert_int_equal(pki_probe(&o, &r), CK_ETEMP);
	dt = mono_ms() - t0;
	assert_msg_contains("timed out after 300 ms waiting for the greeting");
	assert_true(dt >= FAST_MS - 20 && dt < 2000);
	assert_string_equal(r.banner, "");
	close(lfd);
}

/* ---- not reachable ---- */

static void test_connection_refused(void **state)
{
	struct pki_probe_opts o;
	struct pki_probe_result r;
	char port[8];
	int fd = bound_socket(-1, port); /* bound, not listening: RST */

	(void)state;
	opts_smtp(&o, port, FAST_MS);
	assert_int_equal(pki_probe(&o, &r), CK_ETEMP);
	assert_msg_contains("cannot connect");
	assert_msg_contains(strerror(ECONNREFUSED));
	opts_https(&o, port, NULL);
	assert_int_equal(pki_probe(&o, &r), CK_ETEMP);
	assert_msg_contains("https://127.0.0.1:");
	close(fd);
}

static void test_connect_timeout(void **state)
{
	struct pki_probe_opts o;
	struct pki_probe_result r;
	char port[8];
	int lfd = bound_socket(0, port), fds[16], n = 0, i;
	bool done = true;
	int64_t t0, dt;

	(void)state;
	/* Fill the accept queue: Linux then drops further SYNs. */
	while (done && n < 16)
		fds[n++] = connect_nb(port, 200, &done);
	assert_false(done);
	opts_https(&o, port, NULL);
	o.timeout_ms = FAST_MS;
	t0 = mono_ms();
	assert_int_equal(pki_probe(&o, &r), CK_ETEMP);
	dt = mono_ms() - t0;
	assert_msg_contains("timed out after 300 ms connecting");
	assert_true(dt >= FAST_MS - 20 && dt < 2000);
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(lfd);
}

/* ---- options ---- */

static void test_bad_options(void **state)
{
	struct pki_probe_opts o;
	struct pki_probe_result r;

	(void)state;
	opts_smtp(&o, "25", 0);
	o.ehlo_name = "a.example\r\nRCPT TO:<x@y>";
	assert_int_equal(pki_probe(&o, &r), CK_EINVAL);
	assert_msg_contains("EHLO name");
	o.ehlo_name = NULL;
	assert_int_equal(pki_probe(&o, &r), CK_EINVAL);
	o.ehlo_name = "";
	assert_int_equal(pki_probe(&o, &r), CK_EINVAL);

	opts_smtp(&o, "0", 0);
	assert_int_equal(pki_probe(&o, &r), CK_EINVAL);
	assert_msg_contains("port");
	o.port = "65536";
	assert_int_equal(pki_probe(&o, &r), CK_EINVAL);
	o.port = "smtp";
	assert_int_equal(pki_probe(&o, &r), CK_EINVAL);
	o.port = "25x";
	assert_int_equal(pki_probe(&o, &r), CK_EINVAL);
	o.port = NULL;
	assert_int_equal(pki_probe(&o, &r), CK_EINVAL);

	opts_smtp(&o, "25", -1);
	assert_int_equal(pki_probe(&o, &r), CK_EINVAL);
	assert_msg_contains("timeout");

	opts_smtp(&o, "25", 0);
	o.host = "";
	assert_int_equal(pki_probe(&o, &r), CK_EINVAL);
	o.host = "bad host";
	assert_int_equal(pki_probe(&o, &r), CK_EINVAL);
	o.host = NULL;
	assert_int_equal(pki_probe(&o, &r), CK_EINVAL);

	opts_https(&o, "443", "bad..name");
	assert_int_equal(pki_probe(&o, &r), CK_EINVAL);
	assert_msg_contains("SNI");
	opts_https(&o, "443", NULL);
	o.kind = (enum pki_probe_kind)7;
	assert_int_equal(pki_probe(&o, &r), CK_EINVAL);
	assert_null(r.cert);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_https_serves_leaf_and_chain),
		cmocka_unit_test(test_https_sni_chooses_cert),
		cmocka_unit_test(test_https_silent_server_times_out),
		cmocka_unit_test(test_https_not_tls),
		cmocka_unit_test(test_smtp_starttls),
		cmocka_unit_test(test_smtp_no_starttls),
		cmocka_unit_test(test_smtp_line_limits),
		cmocka_unit_test(test_smtp_bad_replies),
		cmocka_unit_test(test_smtp_control_chars_escaped),
		cmocka_unit_test(test_smtp_injection_refused),
		cmocka_unit_test(test_smtp_silent_server_times_out),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_bad_options),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
