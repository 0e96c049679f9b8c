/*
 * bench_mail.c - mails per second delivered to a local aiosmtpd (STARTTLS
 * and AUTH required) through one reused connection, against one
 * connection per mail, side by side in one run (DESIGN.md §9; see
 * bench/README.md). Started by bench/bench_mail.sh, which runs the server.
 *
 *   build/bench/bench_mail PORT CAFILE N
 *
 * Uses the mail module's own session (src/mail/smtp.h), so it measures
 * the code "mail flush" runs. Exits non-zero if any mail was refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/smtp.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sends n mails, reusing one session when reuse, else one each. */
static int run(const struct smtp_conf *conf, long n, bool reuse, double *secs)
{
	static char msg[] = "From: ca@bench.example\r\nTo: admin@bench.example\r\n"
			    "Subject: bench\r\nMessage-ID: <bench@bench.example>\r\n\r\n"
			    "A certificate was issued.\r\n";
	char rcpt0[] = "admin@bench.example";
	char *rcpt[] = { rcpt0 };
	struct smtp_session *s = NULL;
	double t0 = now();
	bool fatal;
	long i;

	for (i = 0; i < n; i++) {
		if (s == NULL && smtp_session_new(conf, &s) != CK_OK)
			goto fail;
		if (smtp_send(s, "ca@bench.example", rcpt, 1, msg, strlen(msg), &fatal) != CK_OK)
			goto fail;
		if (!reuse) {
			smtp_session_free(s);
			s = NULL;
		}
	}
	smtp_session_free(s);
	*secs = now() - t0;
	return 0;
fail:
	fprintf(stderr, "bench_mail: %s\n", ck_errmsg());
	smtp_session_free(s);
	return 1;
}

int main(int argc, char **argv)
{
	struct smtp_conf conf = { 0 };
	double reuse = 0, single = 0;
	long n;

	if (argc != 4 || (n = strtol(argv[3], NULL, 10)) < 1) {
		fprintf(stderr, "usage: bench_mail PORT CAFILE N\n");
		return 2;
	}
	conf.server = "127.0.0.1";
	conf.port = (int)strtol(argv[1], NULL, 10);
	conf.tls = SMTP_TLS_REQUIRED;
	conf.cafile = argv[2];
	conf.verify = true;
	conf.user = "certkeep";
	conf.password = "secret";
	conf.helo = "bench.example";
	conf.timeout = 30;
	/* Warm-up, so neither side pays for loading libraries. */
	if (run(&conf, 2, true, &reuse) != 0)
		return 1;
	if (run(&conf, n, true, &reuse) != 0 || run(&conf, n, false, &single) != 0)
		return 1;
	printf("mails: %ld each way (STARTTLS + AUTH PLAIN, certificate verified)\n", n);
	printf("reused_connection: %.1f mails/s\n", (double)n / reuse);
	printf("connection_per_mail: %.1f mails/s\n", (double)n / single);
	printf("ratio: %.1fx\n", single / reuse);
	return 0;
}
