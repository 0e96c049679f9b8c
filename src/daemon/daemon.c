/*
 * daemon.c - the daemon: the lifecycle pass (renewals, expiry notices,
 * owed reloads) and the reactions (autorebind, tasks) every interval
 * (DESIGN.md §1, §7).
 *
 * The CA service starts with it (event 1106) and stops with it (1107):
 * while it runs, a thread of its own, with its own connection to the
 * store, answers 'ca submit' on the store's socket (ca_service.h), so a
 * submission does not wait for a pass; a few workers answer several
 * clients at a time, and a client finding them all taken is told so.
 * Each pass makes the CA's CRL again when it is due, and ends with the
 * mail sender (the outbox).
 * Nothing is kept between passes but the open store: each pass reads it
 * afresh, so a certificate another command replaced is seen. SIGTERM and
 * SIGINT end the loop after the current pass; SIGHUP starts a pass now.
 * A failed pass is logged and the next one retries.
 */
#define _GNU_SOURCE /* accept4 */
#include "daemon/daemon.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/lifecycle/bindings.h"
#include "core/ca/ca.h"
#include "daemon/ca_service.h"
#include "base/clock.h"
#include "base/text.h"
#include "core/exit/mail.h"
#include "core/lifecycle/monitor.h"

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

static enum ck_err one_pass(struct store *st)
{
	const struct ck_report log = { log_entry, NULL };
	enum ck_err rc = ck_monitor_pass(st, ck_now(), true, &log);

	if (rc == CK_OK)
		rc = ck_reactions_run(st);
	/* The CA's CRL is made again before its nextUpdate, revocations or not. */
	if (rc == CK_OK) {
		bool due = false;

		rc = ck_ca_crl_due(st, &due);
		if (rc == CK_OK && due) {
			struct ck_ca_crl_opts o = { 0 };
			json_t *crl = NULL;
			char *pem = NULL;

			rc = ck_ca_crl(st, &o, &crl, &pem);
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

		rc = ck_mail_flush(st, 0, false, &m);
		if (rc == CK_OK && !m.off && (m.sent || m.deferred || m.failed))
			fprintf(stderr,
				"certkeep daemon: mail: %lld sent, %lld deferred, %lld failed%s%s\n",
				(long long)m.sent, (long long)m.deferred, (long long)m.failed,
				m.last_error[0] ? ": " : "", ck_text_safe(m.last_error));
	}
	return rc;
}

/* The CA service: an accepting thread hands each connection to one of
 * CA_WORKERS threads, each with its own connection to the store, so a
 * slow client holds only its worker (for at most the service's deadline);
 * with every worker taken, a client is told "busy" at once and submits
 * in-process. Each submission is followed by the reactions to what it
 * recorded, as after any command. */
#define CA_WORKERS 4

struct ca_service;

struct ca_worker {
	struct ca_service *s;
	struct store *st;
	pthread_t tid;
	bool running;
};

struct ca_service {
	int fd;
	pthread_t tid;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int handed;  /* a connection a worker is to take, or -1 */
	int idle;    /* workers waiting for one */
	bool ending; /* the daemon stops: workers end once idle */
	struct ca_worker w[CA_WORKERS];
};

static void *serve_submissions(void *arg)
{
	struct ca_worker *w = arg;
	struct ca_service *s = w->s;

	for (;;) {
		enum ck_err rc;
		int client;

		pthread_mutex_lock(&s->mu);
		s->idle++;
		while (s->handed < 0 && !s->ending)
			pthread_cond_wait(&s->cv, &s->mu);
		client = s->handed;
		s->handed = -1;
		if (client < 0)
			s->idle--;
		pthread_mutex_unlock(&s->mu);
		if (client < 0)
			break;
		rc = ck_ca_service_serve(w->st, client);
		close(client);
		if (rc == CK_OK)
			rc = ck_reactions_run(w->st);
		if (rc != CK_OK)
			fprintf(stderr, "certkeep daemon: CA service: %s\n", ck_text_safe(ck_errmsg()));
		ck_errmsg_clear();
		store_log_trim(w->st);
	}
	return NULL;
}

static void *accept_submissions(void *arg)
{
	struct ca_service *s = arg;

	for (;;) {
		int client = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		bool taken = false;

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
		pthread_mutex_lock(&s->mu);
		if (s->idle > 0 && s->handed < 0) {
			s->handed = client;
			s->idle--;
			taken = true;
			pthread_cond_signal(&s->cv);
		}
		pthread_mutex_unlock(&s->mu);
		if (!taken) {
			ck_ca_service_refuse(client);
			close(client);
		}
	}
	return NULL;
}

/* Ends the threads started: the accepting one first (its socket shut
 * down), then each worker once the submission in hand is answered. */
static void threads_stop(struct ca_service *s)
{
	int i;

	if (s->running) {
		shutdown(s->fd, SHUT_RDWR);
		pthread_join(s->tid, NULL);
		s->running = false;
	}
	pthread_mutex_lock(&s->mu);
	s->ending = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (i = 0; i < CA_WORKERS; i++) {
		if (s->w[i].running)
			pthread_join(s->w[i].tid, NULL);
		s->w[i].running = false;
		store_close(s->w[i].st);
		s->w[i].st = NULL;
	}
}

/* Starts the CA service if the store has a CA; its threads get no signals,
 * so they reach the loop's sleep. */
static enum ck_err service_start(struct store *st, struct ca_service *s)
{
	sigset_t all, old;
	enum ck_err rc = ck_ca_service_start(st, &s->fd);
	int i;

	if (rc != CK_OK || s->fd < 0)
		return rc;
	for (i = 0; rc == CK_OK && i < CA_WORKERS; i++) {
		s->w[i].s = s;
		rc = store_open(store_dir(st), false, &s->w[i].st);
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; rc == CK_OK && i < CA_WORKERS; i++) {
		s->w[i].running = pthread_create(&s->w[i].tid, NULL, serve_submissions, &s->w[i]) == 0;
		if (!s->w[i].running)
			rc = ck_fail(CK_EIO, "cannot start the CA service's threads");
	}
	/* Every worker waiting before the first client is accepted: the
	 * daemon's first clients are not told "busy". */
	pthread_mutex_lock(&s->mu);
	while (rc == CK_OK && s->idle < CA_WORKERS) {
		struct timespec pause = { 0, 1000 * 1000 };

		pthread_mutex_unlock(&s->mu);
		nanosleep(&pause, NULL);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	if (rc == CK_OK) {
		s->running = pthread_create(&s->tid, NULL, accept_submissions, s) == 0;
		if (!s->running)
			rc = ck_fail(CK_EIO, "cannot start the CA service's threads");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != CK_OK) {
		threads_stop(s);
		ck_ca_service_stop(st, s->fd);
		s->fd = -1;
	}
	return rc;
}

static enum ck_err service_stop(struct store *st, struct ca_service *s)
{
	threads_stop(s);
	return ck_ca_service_stop(st, s->fd);
}

enum ck_err ck_daemon_run(struct store *st, int interval)
{
	unsigned long passes = 0;
	struct ca_service ca = { .fd = -1, .handed = -1, .mu = PTHREAD_MUTEX_INITIALIZER,
				.cv = PTHREAD_COND_INITIALIZER };
	enum ck_err rc;

	catch_signals();
	rc = service_start(st, &ca);
	if (rc != CK_OK)
		return rc;
	fprintf(stderr, "certkeep daemon: started, a pass every %d s (store %s)%s\n", interval,
		store_dir(st),
		ca.running ? "; the CA service answers on " CK_CA_SERVICE_SOCKET : "");
	while (!stop_requested) {
		pass_requested = 0;
		rc = one_pass(st);
		passes++;
		if (rc != CK_OK)
			fprintf(stderr, "certkeep daemon: pass failed: %s\n", ck_text_safe(ck_errmsg()));
		ck_errmsg_clear();
		store_log_trim(st);
		wait_interval(interval);
	}
	/* The CA's Shutdown event, and one last delivery so that its mail
	 * (and the last pass's) does not wait for the next start. */
	rc = service_stop(st, &ca);
	if (rc == CK_OK) {
		struct ck_mail_flush_result m;

		rc = ck_mail_flush(st, 0, false, &m);
	}
	fprintf(stderr, "certkeep daemon: stopped after %lu pass%s\n", passes,
		passes == 1 ? "" : "es");
	return rc;
}
