/*
 * cmd_daemon.c - daemon: the lifecycle pass (renewals, expiry notices,
 * owed reloads) and the reactions (autorebind, tasks) every interval
 * (DESIGN.md §1, §7).
 *
 * The CA service starts with it (event 1106) and stops with it (1107):
 * while it runs, a thread of its own, with its own connection to the
 * store, answers 'ca submit' on the store's socket (ca_service.h), so a
 * submission does not wait for a pass. Each pass makes the CA's CRL again
 * when it is due, and ends with the mail sender (the outbox).
 * Nothing is kept between passes but the open store: each pass reads it
 * afresh, so a certificate another command replaced is seen. SIGTERM and
 * SIGINT end the loop after the current pass; SIGHUP starts a pass now.
 * A failed pass is logged and the next one retries.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "core/bindings.h"
#include "core/ca.h"
#include "core/ca_service.h"
#include "core/clock.h"
#include "core/mail.h"
#include "core/monitor.h"

static volatile sig_atomic_t stop_requested, pass_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		pass_requested = 1;
	else
		stop_requested = 1;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: the sleep must end */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Sleeps up to secs, less if a signal asks for a pass or the end. */
static void wait_interval(int secs)
{
	struct timespec left = { secs, 0 };

	while (!stop_requested && !pass_requested && nanosleep(&left, &left) != 0 && errno == EINTR)
		;
}

/* Each entry of the pass's report, as it is handed out. */
static enum ck_err log_entry(const json_t *e, void *arg)
{
	char *line = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);

	(void)arg;
	if (line)
		fprintf(stderr, "certkeep daemon: %s\n", line);
	free(line);
	return CK_OK;
}

static enum ck_err one_pass(struct cli *c)
{
	const struct ck_report log = { log_entry, NULL };
	enum ck_err rc = ck_monitor_pass(c->st, ck_now(), true, &log);

	if (rc == CK_OK)
		rc = ck_reactions_run(c->st);
	/* The CA's CRL is made again before its nextUpdate, revocations or not. */
	if (rc == CK_OK) {
		bool due = false;

		rc = ck_ca_crl_due(c->st, &due);
		if (rc == CK_OK && due) {
			struct ck_ca_crl_opts o = { 0 };
			json_t *crl = NULL;
			char *pem = NULL;

			rc = ck_ca_crl(c->st, &o, &crl, &pem);
			if (rc == CK_OK)
				fprintf(stderr, "certkeep daemon: CRL %lld issued\n",
					(long long)json_integer_value(json_object_get(crl, "CRLNumber")));
			json_decref(crl);
			free(pem);
		}
	}
	/* Mail last: it carries what this pass raised. A mail failure stays
	 * on its outbox row and never fails the pass. */
	if (rc == CK_OK) {
		struct ck_mail_flush_result m;

		rc = ck_mail_flush(c->st, 0, &m);
		if (rc == CK_OK && !m.off && (m.sent || m.deferred || m.failed))
			fprintf(stderr,
				"certkeep daemon: mail: %lld sent, %lld deferred, %lld failed%s%s\n",
				(long long)m.sent, (long long)m.deferred, (long long)m.failed,
				m.last_error[0] ? ": " : "", m.last_error);
	}
	return rc;
}

/* The CA service's thread: one submission at a time, each followed by
 * the reactions to what it recorded, as after any command. */
struct ca_service {
	struct store *st;
	int fd;
	pthread_t tid;
	bool running;
};

static void *serve_submissions(void *arg)
{
	struct ca_service *s = arg;

	for (;;) {
		int client = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		enum ck_err rc;

		if (client < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				struct timespec pause = { 0, 100 * 1000 * 1000 };

				nanosleep(&pause, NULL);
				continue;
			}
			break; /* shut down: the daemon is stopping */
		}
		rc = ck_ca_service_serve(s->st, client);
		close(client);
		if (rc == CK_OK)
			rc = ck_reactions_run(s->st);
		if (rc != CK_OK)
			fprintf(stderr, "certkeep daemon: CA service: %s\n", ck_errmsg());
		ck_errmsg_clear();
		store_log_trim(s->st);
	}
	return NULL;
}

/* Starts the CA service if the store has a CA; its thread gets no signals,
 * so they reach the loop's sleep. */
static enum ck_err service_start(struct cli *c, struct ca_service *s)
{
	sigset_t all, old;
	enum ck_err rc = ck_ca_service_start(c->st, &s->fd);

	if (rc != CK_OK || s->fd < 0)
		return rc;
	rc = store_open(store_dir(c->st), false, &s->st);
	if (rc == CK_OK) {
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		s->running = pthread_create(&s->tid, NULL, serve_submissions, s) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (!s->running)
			rc = ck_fail(CK_EIO, "cannot start the CA service's thread");
	}
	if (rc != CK_OK) {
		store_close(s->st);
		s->st = NULL;
		ck_ca_service_stop(c->st, s->fd);
	}
	return rc;
}

static enum ck_err service_stop(struct cli *c, struct ca_service *s)
{
	if (s->running) {
		shutdown(s->fd, SHUT_RDWR); /* ends the accept; a submission in hand finishes */
		pthread_join(s->tid, NULL);
	}
	store_close(s->st);
	return ck_ca_service_stop(c->st, s->fd);
}

enum ck_err cmd_daemon(struct cli *c)
{
	int interval = 3600;
	unsigned long passes = 0;
	struct ca_service ca = { .fd = -1 };
	enum ck_err rc = cli_int(c, "--interval", 1, 86400 * 7, &interval);

	if (rc != CK_OK)
		return rc;
	catch_signals();
	rc = service_start(c, &ca);
	if (rc != CK_OK)
		return rc;
	fprintf(stderr, "certkeep daemon: started, a pass every %d s (store %s)%s\n", interval,
		store_dir(c->st),
		ca.running ? "; the CA service answers on " CK_CA_SERVICE_SOCKET : "");
	while (!stop_requested) {
		pass_requested = 0;
		rc = one_pass(c);
		passes++;
		if (rc != CK_OK)
			fprintf(stderr, "certkeep daemon: pass failed: %s\n", ck_errmsg());
		ck_errmsg_clear();
		store_log_trim(c->st);
		wait_interval(interval);
	}
	/* The CA's Shutdown event, and one last delivery so that its mail
	 * (and the last pass's) does not wait for the next start. */
	rc = service_stop(c, &ca);
	if (rc == CK_OK) {
		struct ck_mail_flush_result m;

		rc = ck_mail_flush(c->st, 0, &m);
	}
	fprintf(stderr, "certkeep daemon: stopped after %lu pass%s\n", passes,
		passes == 1 ? "" : "es");
	return rc;
}
