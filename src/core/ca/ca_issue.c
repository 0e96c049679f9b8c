/*
 * ca_issue.c - requests to the CA: submit (one or many), approve, deny,
 * and renewal of host certificates the CA issued (DESIGN.md §8, §3).
 *
 * Invariants: every request is checked in full (parse, signature, names,
 * key, policy) before anything is written. Input that is not a request
 * (not a CSR, a bad signature) refuses the whole submission and leaves no
 * trace; a request the policy refuses is recorded as denied, with its
 * event, as AD CS does (its requester learns why), and the others are
 * still issued. Each request is written with its event in one
 * transaction, and a certificate is handed to the caller only after that
 * transaction has committed (bulk submission groups CK_CA_BATCH requests
 * per commit).
 */
#include "core/ca/ca-int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "core/events/events.h"
#include "base/fileio.h"
#include "base/text.h"
#include "mail/addr.h"

#define SERIAL_TRIES 8

enum ck_err (*ca_serial_fn)(char out[PKI_CA_SERIAL_HEX + 1]) = pki_ca_serial_new;

/* A certificate built and signed, not yet stored. */
struct made {
	uint8_t *der; /* NULL: not made */
	size_t der_len;
	char *pem;
	char serial[PKI_CA_SERIAL_HEX + 1], sha1[PKI_THUMB_LEN + 1];
	int64_t not_before, not_after;
};

static void made_clear(struct made *m)
{
	free(m->der);
	free(m->pem);
	memset(m, 0, sizeof(*m));
}

/* Builds and signs the certificate for a checked request under a fresh
 * serial. It touches no store, so bulk submission runs it in threads. */
static enum ck_err cert_make(struct pki_ca *ca, const struct pki_csr *csr,
			     const struct ck_ca_decision *d, int64_t now, struct made *m)
{
	struct pki_ca_issue p = {
		.csr = csr,
		.cn = d->cn,
		.dns = (const char *const *)d->dns,
		.n_dns = d->n_dns,
		.not_before = now,
		.not_after = now + (int64_t)d->days * 86400,
	};
	int64_t ca_end = pki_ca_not_after(ca);
	enum ck_err rc;

	/* Nothing the CA issues may outlive the CA (RFC 5280 path validation
	 * would reject it after the CA expires anyway). */
	if (ca_end > 0 && p.not_after > ca_end)
		p.not_after = ca_end;
	if (p.not_after <= p.not_before)
		return ck_fail(CK_EINVAL, "the CA certificate has expired: renew the CA first");
	rc = ca_serial_fn(m->serial);
	if (rc == CK_OK) {
		p.serial = m->serial;
		rc = pki_ca_issue(ca, &p, &m->der, &m->der_len, m->sha1);
	}
	if (rc == CK_OK)
		rc = pki_der_to_pem(m->der, m->der_len, &m->pem);
	m->not_before = p.not_before;
	m->not_after = p.not_after;
	if (rc != CK_OK)
		made_clear(m);
	return rc;
}

/* Stores m (made now, or earlier by a thread) for request r, inside the
 * open transaction. UNIQUE(serial) decides: a collision is made again
 * under a new serial. */
static enum ck_err cert_store(struct store *st, struct pki_ca *ca, const struct pki_csr *csr,
			      const struct ck_ca_decision *d, int64_t now, struct made *m,
			      struct store_ca_request *r)
{
	enum ck_err rc = CK_EEXIST;
	int tries;

	for (tries = 0; rc == CK_EEXIST && tries < SERIAL_TRIES; tries++) {
		if (tries > 0 || m->der == NULL) {
			made_clear(m);
			rc = cert_make(ca, csr, d, now, m);
			if (rc != CK_OK)
				return rc;
		}
		rc = store_ca_cert_insert(st, r->id, m->serial, m->not_before, m->not_after,
					  m->sha1, m->der, m->der_len);
	}
	if (rc == CK_EEXIST)
		return ck_fail(CK_ECRYPTO, "no unused serial number after %d tries", SERIAL_TRIES);
	if (rc == CK_OK) {
		snprintf(r->serial, sizeof(r->serial), "%s", m->serial);
		snprintf(r->sha1, sizeof(r->sha1), "%s", m->sha1);
		r->not_before = m->not_before;
		r->not_after = m->not_after;
	}
	return rc;
}

enum ck_err ca_issue_one(struct store *st, struct pki_ca *ca, const struct pki_csr *csr,
			 const struct ck_ca_decision *d, int64_t now, struct store_ca_request *r,
			 char **pem, struct pki_cert **cert_out)
{
	struct made m = { 0 };
	enum ck_err rc = cert_store(st, ca, csr, d, now, &m, r);

	if (rc == CK_OK && cert_out)
		rc = pki_cert_parse(m.der, m.der_len, cert_out);
	if (rc == CK_OK) {
		*pem = m.pem;
		m.pem = NULL;
	}
	made_clear(&m);
	return rc;
}

/* Emits the event for r's current state, its properties as fields.
 * *result (optional) receives the same properties. */
static enum ck_err emit(struct store *st, const struct store_ca_request *r, const char *pem,
			json_t **result)
{
	json_t *props = ck_ca_request_json(r, pem);
	int id = strcmp(r->status, "issued") == 0    ? CK_EV_CA_CERT_ISSUED
		 : strcmp(r->status, "pending") == 0 ? CK_EV_CA_CERT_PENDING
						     : CK_EV_CA_CERT_DENIED;
	enum ck_err rc;

	if (props == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (id == CK_EV_CA_CERT_ISSUED)
		rc = ck_event_emit(st, id, json_incref(props),
				   "Certificate issued for request %lld: serial %s, %s, valid until "
				   "%s.",
				   (long long)r->id, r->serial, r->subject,
				   json_string_value(json_object_get(props, "NotAfter")));
	else if (id == CK_EV_CA_CERT_PENDING)
		rc = ck_event_emit(st, id, json_incref(props),
				   "Certificate request %lld for %s is pending: %s.", (long long)r->id,
				   r->subject, r->message);
	else
		rc = ck_event_emit(st, id, json_incref(props),
				   "Certificate request %lld for %s was denied: %s.", (long long)r->id,
				   r->subject, r->message);
	if (rc == CK_OK && result)
		*result = props;
	else
		json_decref(props);
	return rc;
}

/* One checked request, waiting to be written. */
struct item {
	struct pki_csr *csr;
	struct ck_ca_decision d;
	enum ck_err rc;   /* of its check, then of its signing by a thread */
	char *message;    /* the failure's message when rc != CK_OK */
	struct made made; /* signed ahead (bulk) */
	bool ready;       /* made (or failed) by a signing thread */
	bool denied;      /* refused by the policy: d.message says why */
};

static void items_free(struct item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		pki_csr_free(items[i].csr);
		ck_ca_decision_clear(&items[i].d);
		free(items[i].message);
		made_clear(&items[i].made);
	}
	free(items);
}

/* Copies UTF-8 text src into dst[n], cut at a character's end. */
static void copy_text(char *dst, size_t n, const char *src)
{
	size_t i = 0, len = strlen(src), l;
	uint32_t cp;

	while (i < len && (l = ck_utf8_next((const unsigned char *)src + i, len - i, &cp)) > 0 &&
	       i + l < n)
		i += l;
	memcpy(dst, src, i);
	dst[i] = '\0';
}

/* A well-formed request the policy refused (the reason is the message of
 * the refusal): it is recorded as denied under the name it asked for.
 * Both come from the request, and end up in mail and logs: control
 * characters are escaped, and they are cut to their columns' sizes. */
static enum ck_err deny(const struct pki_csr_info *info, struct item *it)
{
	const char *cn = info->cn && !info->bad_string ? info->cn : "";

	memset(&it->d, 0, sizeof(it->d));
	it->denied = true;
	copy_text(it->d.message, sizeof(it->d.message), ck_text_safe(ck_errmsg()));
	copy_text(it->d.cn, 65, ck_text_safe(cn));
	ck_errmsg_clear();
	return CK_OK;
}

static enum ck_err check_one(const struct ck_ca_input *in, const struct ck_ca_policy *p,
			     int days, struct item *it)
{
	struct pki_csr_info info;
	uint8_t *read = NULL;
	size_t len = in->len;
	enum ck_err rc;

	if (in->buf == NULL) {
		rc = ck_read_file(in->name, CK_INPUT_MAX, &read, &len);
		if (rc != CK_OK)
			return rc; /* the message names the file */
	}
	rc = pki_csr_parse(read ? read : in->buf, len, &it->csr);
	free(read);
	if (rc == CK_OK) {
		rc = pki_csr_info_get(it->csr, &info);
		if (rc == CK_OK) {
			rc = ck_ca_policy_decide(p, &info, days, &it->d);
			if (rc == CK_EINVAL)
				rc = deny(&info, it);
		}
		pki_csr_info_clear(&info);
	}
	if (rc != CK_OK)
		ck_errmsg_prefix("%s", in->name);
	return rc;
}

/* Checks run in parallel for bulk submissions: verifying a request's
 * signature is the larger share of issuing it, and the requests are
 * independent. Each thread takes every nth request; messages are
 * per-thread, so each is kept with its request. */
#define CHECK_THREADS_MAX 4
#define CHECK_PARALLEL_MIN 256

struct check_job {
	const struct ck_ca_input *in;
	const struct ck_ca_policy *p;
	struct item *items;
	size_t n, first, step;
	int days;
};

static void *check_range(void *arg)
{
	struct check_job *j = arg;
	size_t i;

	for (i = j->first; i < j->n; i += j->step) {
		j->items[i].rc = check_one(&j->in[i], j->p, j->days, &j->items[i]);
		if (j->items[i].rc != CK_OK)
			j->items[i].message = strdup(ck_errmsg());
	}
	return NULL;
}

/* Checks every request; the first one refused as input (in input order)
 * decides the result and its message. Policy denials are not refusals
 * here: they are recorded. */
static enum ck_err check_all(const struct ck_ca_input *in, size_t n, const struct ck_ca_policy *p,
			     int days, struct item *items)
{
	struct check_job jobs[CHECK_THREADS_MAX];
	pthread_t tid[CHECK_THREADS_MAX];
	bool started[CHECK_THREADS_MAX] = { false };
	long cpus = n >= CHECK_PARALLEL_MIN ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
	size_t t, nt = cpus > 1 ? (size_t)cpus : 1, i;

	if (nt > CHECK_THREADS_MAX)
		nt = CHECK_THREADS_MAX;
	for (t = 0; t < nt; t++)
		jobs[t] = (struct check_job){ in, p, items, n, t, nt, days };
	/* Thread 0 is this one; a thread that cannot start leaves its share
	 * to this one too. */
	for (t = 1; t < nt; t++)
		started[t] = pthread_create(&tid[t], NULL, check_range, &jobs[t]) == 0;
	check_range(&jobs[0]);
	for (t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			check_range(&jobs[t]);
	}
	for (i = 0; i < n; i++)
		if (items[i].rc != CK_OK)
			return ck_fail(items[i].rc, "%s",
				       items[i].message ? items[i].message : "request refused");
	return CK_OK;
}

/*
 * Bulk submission signs ahead of the writer: threads make the certificates
 * in request order while this thread stores them, so signing (the larger
 * share of the work after the checks) overlaps with storing, and the
 * writer signs too whenever the request it needs is not made yet. No one
 * signs more than SIGN_AHEAD requests ahead of the writer, which bounds
 * the memory held.
 */
#define SIGN_AHEAD (2 * CK_CA_BATCH)

struct signer {
	struct pki_ca *ca;
	struct item *items;
	size_t n, next, written;
	int64_t now;
	bool stop;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	pthread_t tid[CHECK_THREADS_MAX];
	size_t nt;
};

/* Makes item it's certificate (outside the lock), then marks it ready. */
static void sign_item(struct signer *s, struct item *it)
{
	if (!it->d.pending && !it->denied) {
		it->rc = cert_make(s->ca, it->csr, &it->d, s->now, &it->made);
		if (it->rc != CK_OK)
			it->message = strdup(ck_errmsg());
	}
	pthread_mutex_lock(&s->lock);
	it->ready = true;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

static void *sign_ahead(void *arg)
{
	struct signer *s = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&s->lock);
		while (!s->stop && s->next < s->n && s->next >= s->written + SIGN_AHEAD)
			pthread_cond_wait(&s->changed, &s->lock);
		i = s->next++;
		if (s->stop || i >= s->n) {
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		pthread_mutex_unlock(&s->lock);
		sign_item(s, &s->items[i]);
	}
}

/* Starts the signing threads when the submission is large enough: one per
 * processor but the writer's (more only take processor time from the
 * writer). With none (s->nt == 0), the writer signs each certificate
 * itself. */
static void signer_start(struct signer *s, struct pki_ca *ca, struct item *items, size_t n,
			 int64_t now)
{
	long cpus = ca && n >= CHECK_PARALLEL_MIN ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
	size_t t, want = cpus > 1 ? (size_t)cpus - 1 : 0;

	memset(s, 0, sizeof(*s));
	s->ca = ca;
	s->items = items;
	s->n = n;
	s->now = now;
	if (want > CHECK_THREADS_MAX)
		want = CHECK_THREADS_MAX;
	if (want == 0 || pthread_mutex_init(&s->lock, NULL) != 0)
		return;
	if (pthread_cond_init(&s->changed, NULL) != 0) {
		pthread_mutex_destroy(&s->lock);
		return;
	}
	for (t = 0; t < want; t++)
		if (pthread_create(&s->tid[s->nt], NULL, sign_ahead, s) == 0)
			s->nt++;
	if (s->nt == 0) {
		pthread_cond_destroy(&s->changed);
		pthread_mutex_destroy(&s->lock);
	}
}

/* Waits until item i is made; records that the writer has reached it.
 * While item i is not ready, the writer signs the next request no thread
 * has taken: a signing thread alone is slower than the writer, and a
 * writer that only waited would leave its processor idle (20,000
 * requests: 1.16 s of storing and signing became 0.99 s). */
static void signer_wait(struct signer *s, size_t i)
{
	if (s->nt == 0)
		return;
	pthread_mutex_lock(&s->lock);
	while (!s->items[i].ready) {
		if (s->next < s->n && s->next < s->written + SIGN_AHEAD) {
			size_t j = s->next++;

			pthread_mutex_unlock(&s->lock);
			sign_item(s, &s->items[j]);
			pthread_mutex_lock(&s->lock);
		} else {
			pthread_cond_wait(&s->changed, &s->lock);
		}
	}
	s->written = i + 1;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

static void signer_stop(struct signer *s)
{
	size_t t;

	if (s->nt == 0)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	for (t = 0; t < s->nt; t++)
		pthread_join(s->tid[t], NULL);
	pthread_cond_destroy(&s->changed);
	pthread_mutex_destroy(&s->lock);
	s->nt = 0;
}

static enum ck_err check_submitter(const struct ck_ca_submit_opts *o)
{
	char addr[CK_ADDR_MAX + 1];

	if (o->requester && !ca_text_ok(o->requester, 128))
		return ck_fail(CK_EINVAL, "--requester must be 1 to 128 characters without control "
					  "characters (CR, LF, NUL ...)");
	if (o->email == NULL)
		return CK_OK;
	/* It becomes a mail recipient: the exit module's own check, so that
	 * it never skips an address submit took (no brackets either). */
	if (ck_addr_check(o->email, addr) != CK_OK || o->email[0] == '<')
		return ck_fail(CK_EINVAL, "--email is not a plain address (user@domain, no spaces, "
					  "brackets or control characters)");
	return CK_OK;
}

/* Writes request it (the i-th) with its certificate, if issued, and its
 * event, inside the open transaction; *result receives its properties. */
static enum ck_err submit_one(struct store *st, struct pki_ca *ca, struct signer *sg,
			      struct item *it, size_t i, const struct ck_ca_submit_opts *o,
			      int64_t now, json_t **result)
{
	struct store_ca_request r;
	char subject[300];
	const uint8_t *der;
	enum ck_err rc;

	memset(&r, 0, sizeof(r));
	pki_csr_der(it->csr, &der, &r.csr_len);
	r.csr = (uint8_t *)der;
	snprintf(r.status, sizeof(r.status), "%s",
		 it->denied ? "denied" : it->d.pending ? "pending" : "issued");
	r.requester = (char *)(o->requester ? o->requester : "");
	r.email = (char *)(o->email ? o->email : "");
	r.submitted = now;
	r.resolved = it->d.pending ? 0 : now;
	r.days = it->d.days;
	r.message = it->d.message;
	snprintf(subject, sizeof(subject), "CN=%s", it->d.cn);
	r.subject = subject;
	signer_wait(sg, i);
	if (it->rc != CK_OK)
		return ck_fail(it->rc, "%s", it->message ? it->message : "cannot sign");
	rc = store_ca_request_insert(st, &r);
	if (rc == CK_OK && !it->d.pending && !it->denied)
		rc = cert_store(st, ca, it->csr, &it->d, now, &it->made, &r);
	if (rc == CK_OK)
		rc = emit(st, &r, it->made.pem, result);
	made_clear(&it->made);
	return rc;
}

enum ck_err ck_ca_submit(struct store *st, const struct ck_ca_input *in, size_t n,
			 const struct ck_ca_submit_opts *o, int (*fn)(json_t *result, void *arg),
			 void *arg)
{
	struct ck_ca_policy policy;
	struct item *items = NULL;
	struct pki_ca *ca = NULL;
	struct signer sg = { 0 };
	json_t **results = NULL;
	size_t i, start, done, denied = 0, first_denied = 0;
	int64_t now;
	enum ck_err rc;

	if (n == 0)
		return ck_fail(CK_EUSAGE, "give at least one request file");
	if (n > CK_CA_BULK_MAX)
		return ck_fail(CK_EINVAL, "at most %d requests per submission", CK_CA_BULK_MAX);
	if (o->days < 0 || o->days > 36500)
		return ck_fail(CK_EINVAL, "--days must be between 1 and 36500");
	rc = check_submitter(o);
	if (rc != CK_OK)
		return rc;
	rc = ck_ca_policy_load(st, &policy);
	if (rc != CK_OK)
		return rc;
	items = calloc(n, sizeof(*items));
	results = calloc(n < CK_CA_BATCH ? n : CK_CA_BATCH, sizeof(*results));
	if (items == NULL || results == NULL) {
		rc = ck_fail(CK_ENOMEM, "out of memory");
		goto out;
	}
	/* Everything is checked before anything is written. */
	rc = check_all(in, n, &policy, o->days, items);
	if (rc != CK_OK)
		goto out;
	for (i = n; i-- > 0;)
		if (items[i].denied) {
			denied++;
			first_denied = i;
		}
	if (!policy.pending) {
		rc = ca_load(st, &ca);
		if (rc != CK_OK)
			goto out;
	} else {
		struct store_ca_state s;

		rc = store_ca_state_get(st, &s); /* a pending request still needs a CA */
		store_ca_state_clear(&s);
		if (rc != CK_OK)
			goto out;
	}
	/* One time for the whole submission: when it passed its checks. */
	now = ck_now();
	signer_start(&sg, ca, items, n, now);
	for (start = 0; start < n && rc == CK_OK; start = done) {
		size_t end = start + CK_CA_BATCH < n ? start + CK_CA_BATCH : n;

		done = start;
		rc = store_begin(st);
		for (i = start; i < end && rc == CK_OK; i++)
			rc = submit_one(st, ca, &sg, &items[i], i, o, now, &results[i - start]);
		if (rc == CK_OK) {
			rc = ck_commit(st);
		} else {
			ck_rollback(st);
			signer_stop(&sg); /* before the batch's requests are freed */
		}
		/* Durable now (or rolled back): report, and release the batch. */
		for (i = start; i < end; i++) {
			json_t **res = &results[i - start];

			if (rc == CK_OK && *res && fn) {
				int stop = fn(*res, arg);

				if (stop)
					rc = (enum ck_err)stop;
			}
			json_decref(*res);
			*res = NULL;
			pki_csr_free(items[i].csr);
			items[i].csr = NULL;
		}
		if (rc == CK_OK && fn)
			rc = (enum ck_err)fn(NULL, arg); /* the batch is reported */
		done = end;
	}
	signer_stop(&sg);
	/* The denials are recorded, and the call still failed for them. */
	if (rc == CK_OK && denied > 0)
		rc = ck_fail(CK_EINVAL, "%s: %s%s", in[first_denied].name,
			     items[first_denied].d.message,
			     denied > 1 ? " (and more denied: 'certkeep ca list --denied')" : "");
out:
	free(results);
	items_free(items, n);
	pki_ca_free(ca);
	ck_ca_policy_clear(&policy);
	return rc;
}

/* Reads a request that must be pending, and its decision from the stored
 * CSR (the policy decided at submission; approval overrides only the
 * disposition). */
static enum ck_err pending_request(struct store *st, int64_t id, struct store_ca_request *r)
{
	enum ck_err rc = store_ca_get_by_id(st, id, r);

	if (rc == CK_OK && strcmp(r->status, "pending") != 0) {
		rc = ck_fail(CK_EINVAL, "request %lld is %s, not pending", (long long)id, r->status);
		store_ca_request_clear(r);
	}
	return rc;
}

enum ck_err ck_ca_approve(struct store *st, int64_t id, json_t **out)
{
	struct store_ca_request r;
	struct ck_ca_policy policy;
	struct ck_ca_decision d;
	struct pki_csr_info info;
	struct pki_csr *csr = NULL;
	struct pki_ca *ca = NULL;
	char *pem = NULL;
	int64_t now = ck_now();
	enum ck_err rc;

	memset(&d, 0, sizeof(d));
	memset(&r, 0, sizeof(r));
	memset(&info, 0, sizeof(info));
	rc = ck_ca_policy_load(st, &policy);
	if (rc != CK_OK)
		return rc;
	rc = ca_load(st, &ca);
	if (rc == CK_OK)
		rc = store_begin(st);
	if (rc != CK_OK)
		goto out;
	rc = pending_request(st, id, &r);
	if (rc == CK_OK)
		rc = pki_csr_parse(r.csr, r.csr_len, &csr);
	if (rc == CK_OK)
		rc = pki_csr_info_get(csr, &info);
	if (rc == CK_OK)
		rc = ck_ca_policy_decide(&policy, &info, r.days, &d);
	if (rc == CK_OK) {
		free(r.message);
		r.message = strdup("Issued after approval");
		snprintf(r.status, sizeof(r.status), "issued");
		r.resolved = now;
		rc = r.message ? store_ca_request_resolve(st, id, "issued", now, r.message)
			       : ck_fail(CK_ENOMEM, "out of memory");
	}
	if (rc == CK_OK)
		rc = ca_issue_one(st, ca, csr, &d, now, &r, &pem, NULL);
	if (rc == CK_OK)
		rc = emit(st, &r, pem, out);
	if (rc == CK_OK)
		rc = ck_commit(st);
	else
		ck_rollback(st);
	if (rc != CK_OK && *out) {
		json_decref(*out);
		*out = NULL;
	}
out:
	free(pem);
	pki_csr_info_clear(&info);
	ck_ca_decision_clear(&d);
	pki_csr_free(csr);
	pki_ca_free(ca);
	store_ca_request_clear(&r);
	ck_ca_policy_clear(&policy);
	return rc;
}

enum ck_err ck_ca_deny(struct store *st, int64_t id, const char *reason, json_t **out)
{
	struct store_ca_request r;
	char message[300];
	enum ck_err rc;

	memset(&r, 0, sizeof(r));
	if (reason && !ca_text_ok(reason, 256))
		return ck_fail(CK_EINVAL, "--reason must be 1 to 256 characters without control "
					  "characters");
	snprintf(message, sizeof(message), "Denied by the CA manager%s%s", reason ? ": " : "",
		 reason ? reason : "");
	rc = store_begin(st);
	if (rc != CK_OK)
		return rc;
	rc = pending_request(st, id, &r);
	if (rc == CK_OK)
		rc = store_ca_request_resolve(st, id, "denied", ck_now(), message);
	if (rc == CK_OK) {
		free(r.message);
		r.message = strdup(message);
		snprintf(r.status, sizeof(r.status), "denied");
		r.resolved = ck_now();
		rc = r.message ? emit(st, &r, NULL, out) : ck_fail(CK_ENOMEM, "out of memory");
	}
	if (rc == CK_OK)
		rc = ck_commit(st);
	else
		ck_rollback(st);
	if (rc != CK_OK && *out) {
		json_decref(*out);
		*out = NULL;
	}
	store_ca_request_clear(&r);
	return rc;
}

bool ck_ca_issued(struct store *st, const char *thumb)
{
	struct store_ca_request r;
	bool yes = store_ca_get_by_sha1(st, thumb, &r) == CK_OK;

	if (yes)
		store_ca_request_clear(&r);
	ck_errmsg_clear();
	return yes;
}

enum ck_err ck_ca_sign_renewal(struct store *st, const uint8_t *old_der, size_t old_len,
				int days, const struct pki_key *key, struct pki_cert **out)
{
	struct store_ca_request r;
	struct ck_ca_policy policy;
	struct ck_ca_decision d;
	struct pki_csr_info info;
	struct pki_cert *tmpl = NULL, *cert = NULL;
	struct pki_req *req = NULL;
	struct pki_csr *csr = NULL;
	struct pki_ca *ca = NULL;
	struct pki_make_params params;
	char *pem = NULL, subject[300];
	const uint8_t *der;
	int64_t now = ck_now();
	enum ck_err rc;
	size_t der_len;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	memset(&d, 0, sizeof(d));
	memset(&info, 0, sizeof(info));
	if (days < 1 || days > 36500)
		return ck_fail(CK_EINVAL, "--days must be between 1 and 36500");
	rc = ck_ca_policy_load(st, &policy);
	if (rc != CK_OK)
		return rc;
	rc = ca_load(st, &ca);
	/* A request for the same names from the caller's new key. */
	if (rc == CK_OK)
		rc = pki_cert_parse(old_der, old_len, &tmpl);
	if (rc != CK_OK)
		goto out;
	params = (struct pki_make_params){ .template_cert = tmpl };
	rc = pki_req_make(&params, key, &req);
	if (rc == CK_OK) {
		pki_req_der(req, &der, &der_len);
		rc = pki_csr_parse(der, der_len, &csr);
	}
	if (rc == CK_OK)
		rc = pki_csr_info_get(csr, &info);
	if (rc == CK_OK)
		rc = ck_ca_policy_decide(&policy, &info, days, &d);
	if (rc != CK_OK)
		goto out;
	/* Renewal of a certificate this CA issued is not re-submitted for
	 * approval: the names were approved when it was first issued. */
	snprintf(subject, sizeof(subject), "CN=%s", d.cn);
	pki_csr_der(csr, &der, &r.csr_len);
	r = (struct store_ca_request){ .csr = (uint8_t *)der, .csr_len = r.csr_len };
	snprintf(r.status, sizeof(r.status), "issued");
	r.requester = (char *)"certkeep renew";
	r.email = (char *)"";
	r.subject = subject;
	r.submitted = r.resolved = now;
	r.days = d.days;
	r.message = (char *)"Renewal of a certificate issued by this CA";
	r.reason = -1;
	rc = store_ca_request_insert(st, &r);
	if (rc == CK_OK)
		rc = ca_issue_one(st, ca, csr, &d, now, &r, &pem, &cert);
	if (rc == CK_OK)
		rc = emit(st, &r, pem, NULL);
	if (rc == CK_OK) {
		*out = cert;
		cert = NULL;
	}
out:
	free(pem);
	pki_csr_info_clear(&info);
	ck_ca_decision_clear(&d);
	pki_csr_free(csr);
	pki_req_free(req);
	pki_cert_free(tmpl);
	pki_cert_free(cert);
	pki_ca_free(ca);
	ck_ca_policy_clear(&policy);
	return rc;
}
