/*
 * bench_store.c - the store at scale: insert rate against plain SQLite,
 * lookup latency by domain and by thumbprint prefix, the CLI as a process,
 * and the database size (see bench/README.md).
 *
 *   build/bench/bench_store N        (make bench: N = 1,000,000)
 *
 * Every certificate is real: made and parsed by the pki module, stored by
 * the store module, through their public headers only. Exits 0 only if
 * every lookup returned exactly the expected certificate and nothing
 * failed; a CLI that is missing or failing is reported and skipped.
 * BENCH_KEEP=1 keeps the temporary store for inspection.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "base/names.h"
#include "core/tls/select.h"
#include "base/err.h"
#include "pki/pki.h"
#include "store/store.h"

#define CHUNK 10000          /* certificates held in memory at once */
#define N_DOMAIN_LOOKUPS 1000
#define N_WILD_LOOKUPS 200
#define N_SHOW_LOOKUPS 1000
#define PREFIX_LEN 12
#define CLI_RUNS 20
#define BASE_TIME INT64_C(1767225600) /* 2026-01-01T00:00:00Z */
#define DAY 86400
#define WILD_EVERY 10         /* every 10th certificate also has a wildcard SAN */

/* ---- small helpers ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static uint64_t rng(void) /* xorshift64*: reproducible across runs */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static size_t rng_below(size_t n)
{
	return (size_t)(rng() % (uint64_t)n);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int failures;

static void fail_check(const char *fmt, const char *a, const char *b)
{
	failures++;
	if (failures <= 10) {
		fprintf(stderr, "FAIL: ");
		fprintf(stderr, "%s: %s%s%s\n", fmt, a, b ? " / " : "", b ? b : "");
	} else if (failures == 11) {
		fprintf(stderr, "FAIL: (further failures not shown)\n");
	}
}

/* Latency report in milliseconds from samples in seconds (sorted here). */
static void report_latency(const char *name, double *s, size_t n)
{
	double sum = 0;
	size_t i;

	if (n == 0) {
		printf("%s_count: 0 lookups\n", name);
		return;
	}
	qsort(s, n, sizeof(*s), cmp_double);
	for (i = 0; i < n; i++)
		sum += s[i];
	printf("%s_count: %zu lookups\n", name, n);
	printf("%s_mean: %.3f ms\n", name, sum / (double)n * 1e3);
	printf("%s_p50: %.3f ms\n", name, s[n / 2] * 1e3);
	printf("%s_p99: %.3f ms\n", name, s[(n * 99) / 100] * 1e3);
	printf("%s_max: %.3f ms\n", name, s[n - 1] * 1e3);
}

static off_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : 0;
}

/* rm -r for the temporary directory (plain files and directories only). */
static int rm_tree(const char *path)
{
	struct stat sb;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode))
		return unlink(path);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char sub[4096];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= (int)sizeof(sub)) {
			rc = -1;
			continue;
		}
		if (rm_tree(sub) != 0)
			rc = -1;
	}
	closedir(d);
	if (rmdir(path) != 0)
		rc = -1;
	return rc;
}

/* ---- what we remember of the generated certificates ---- */

enum pick_kind { PICK_DOMAIN, PICK_WILD, PICK_SHOW };

struct pick {
	size_t k;            /* certificate index */
	enum pick_kind kind;
	char thumb[41];      /* filled while generating */
};

static int cmp_pick(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	return (x->k > y->k) - (x->k < y->k);
}

/* ---- generation ---- */

static unsigned services_for(size_t i)
{
	return (unsigned)((i * UINT64_C(2654435761)) >> 7) & 0x1fu;
}

/* Makes certificate i and fills c (owned by c, freed by store_cert_clear). */
static enum ck_err make_cert(const struct pki_key *key, size_t i, int64_t added,
			     struct store_cert *c)
{
	char cn[32], d1[64], d2[64], d3[64];
	const char *doms[3] = { d1, d2, d3 };
	struct pki_make_params p = { 0 };
	struct pki_cert_info info;
	struct pki_cert *cert = NULL;
	const uint8_t *der;
	size_t der_len;
	enum ck_err rc;

	snprintf(cn, sizeof(cn), "host%zu", i);
	snprintf(d1, sizeof(d1), "host%zu.bench.example", i);
	snprintf(d2, sizeof(d2), "alt%zu.bench.example", i);
	snprintf(d3, sizeof(d3), "*.w%zu.bench.example", i);
	p.subject_cn = cn;
	p.domains = doms;
	p.n_domains = i % WILD_EVERY == 0 ? 3 : 2;
	/* Spread over two years, not monotonic in i. */
	p.not_before = BASE_TIME - (int64_t)((i * UINT64_C(7919)) % (730 * DAY));
	p.not_after = p.not_before + 90 * DAY;

	rc = pki_selfsigned_make(&p, key, &cert);
	if (rc != CK_OK)
		return rc;
	rc = pki_cert_info_get(cert, &info);
	if (rc != CK_OK) {
		pki_cert_free(cert);
		return rc;
	}
	memset(c, 0, sizeof(*c));
	memcpy(c->thumbprint, info.thumbprint, sizeof(c->thumbprint));
	memcpy(c->sha256, info.sha256, sizeof(c->sha256));
	memcpy(c->key_id, info.key_id, sizeof(c->key_id));
	memcpy(c->serial, info.serial, sizeof(c->serial));
	memcpy(c->key_type, info.key_type, sizeof(c->key_type));
	c->subject = info.subject;
	c->issuer = info.issuer;
	c->domains = info.domains;
	c->n_domains = info.n_domains;
	info.subject = info.issuer = NULL;
	info.domains = NULL;
	info.n_domains = 0;
	c->not_before = info.not_before;
	c->not_after = info.not_after;
	c->version = info.version;
	c->self_signed = info.self_signed;
	c->services = services_for(i);
	c->added = added;
	pki_cert_info_clear(&info);

	pki_cert_der(cert, &der, &der_len);
	c->der = malloc(der_len);
	if (c->der == NULL) {
		pki_cert_free(cert);
		store_cert_clear(c);
		return ck_fail(CK_ENOMEM, "out of memory");
	}
	memcpy(c->der, der, der_len);
	c->der_len = der_len;
	pki_cert_free(cert);
	return CK_OK;
}

/* ---- the reference: one plain table ---- */

static int ref_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "bench: reference: %s: %s\n", sql, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int ref_insert_chunk(sqlite3 *db, sqlite3_stmt *ins, const struct store_cert *c,
			    size_t n)
{
	size_t i;

	if (ref_exec(db, "BEGIN IMMEDIATE") != 0)
		return -1;
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(ins, 1, c[i].thumbprint, -1, SQLITE_STATIC);
		sqlite3_bind_blob(ins, 2, c[i].der, (int)c[i].der_len, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			fprintf(stderr, "bench: reference insert: %s\n", sqlite3_errmsg(db));
			sqlite3_reset(ins);
			ref_exec(db, "ROLLBACK");
			return -1;
		}
		sqlite3_reset(ins);
	}
	return ref_exec(db, "COMMIT");
}

/* Checkpoints and truncates the WAL of a database file, then returns the
 * size of the file plus what is left of its WAL. */
static long long checkpointed_size(const char *path)
{
	char wal[4200];
	sqlite3 *db = NULL;
	long long size;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench: cannot open %s: %s\n", path,
			db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	if (ref_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)") != 0) {
		sqlite3_close(db);
		return -1;
	}
	snprintf(wal, sizeof(wal), "%s-wal", path);
	size = (long long)file_size(path) + (long long)file_size(wal);
	sqlite3_close(db);
	return size;
}

/* ---- lookups through the library ---- */

struct match {
	size_t count;
	char thumb[41];
};

static int count_match(const struct store_cert *c, void *arg)
{
	struct match *m = arg;

	if (m->count == 0)
		memcpy(m->thumb, c->thumbprint, sizeof(m->thumb));
	m->count++;
	return 0;
}

static enum ck_err lookup_domain(struct store *st, const char *domain, const char *wild,
				 const char *expect, double *elapsed)
{
	struct store_cert_filter f = { 0 };
	struct match m = { 0 };
	const char *names[2] = { domain, wild };
	enum ck_err rc;
	double t0;

	f.domains = names;
	f.n_domains = wild ? 2 : 1;
	t0 = now_s();
	rc = store_cert_each(st, &f, count_match, &m);
	*elapsed = now_s() - t0;
	if (rc != CK_OK) {
		fprintf(stderr, "bench: store_cert_each(%s): %s\n", domain, ck_errmsg());
		return rc;
	}
	if (m.count != 1 || strcmp(m.thumb, expect) != 0) {
		char got[96];

		snprintf(got, sizeof(got), "%zu certificate(s), first %s", m.count,
			 m.count ? m.thumb : "-");
		fail_check("domain lookup", domain, got);
	}
	return CK_OK;
}

/* ---- the CLI as a process ---- */

/* Runs argv with stdout captured into out (up to n - 1 bytes, the rest is
 * read and dropped) and stderr into err; returns the wait status or -1. */
static int run_capture(char *const argv[], char *out, size_t n, char *err, size_t en)
{
	int po[2], pe[2], status;
	size_t got = 0, egot = 0;
	pid_t pid;
	bool open_o = true, open_e = true;

	if (pipe(po) != 0)
		return -1;
	if (pipe(pe) != 0) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* Simple alternation is enough: the outputs are small, and reading
	 * stdout to EOF first can only block if stderr fills its pipe. */
	while (open_o || open_e) {
		char buf[8192];
		ssize_t r;

		if (open_o) {
			r = read(po[0], buf, sizeof(buf));
			if (r <= 0 && !(r < 0 && errno == EINTR)) {
				open_o = false;
			} else if (r > 0) {
				size_t take = (size_t)r < n - 1 - got ? (size_t)r : n - 1 - got;

				memcpy(out + got, buf, take);
				got += take;
			}
			continue;
		}
		r = read(pe[0], buf, sizeof(buf));
		if (r <= 0 && !(r < 0 && errno == EINTR)) {
			open_e = false;
		} else if (r > 0) {
			size_t take = (size_t)r < en - 1 - egot ? (size_t)r : en - 1 - egot;

			memcpy(err + egot, buf, take);
			egot += take;
		}
	}
	out[got] = '\0';
	err[egot] = '\0';
	close(po[0]);
	close(pe[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* Times argv CLI_RUNS times; each run must exit 0 and print want (if not
 * NULL). Returns the median in ms, or a negative value with why filled. */
static double time_process(char *const argv[], const char *what, const char *want, char *why,
			   size_t wn)
{
	static char out[1 << 20];
	char err[512];
	double t[CLI_RUNS];
	int i;

	for (i = 0; i < CLI_RUNS; i++) {
		double t0 = now_s();
		int status = run_capture(argv, out, sizeof(out), err, sizeof(err));

		t[i] = now_s() - t0;
		if (status == -1) {
			snprintf(why, wn, "cannot run %s: %s", argv[0], strerror(errno));
			return -1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			char *nl = strchr(err, '\n');

			if (nl)
				*nl = '\0';
			snprintf(why, wn, "%s exited with status %d: %.200s", what,
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
				 err[0] ? err : "(no message)");
			return -1;
		}
		if (want && strstr(out, want) == NULL) {
			snprintf(why, wn, "%s did not print %s", what, want);
			return -1;
		}
	}
	qsort(t, CLI_RUNS, sizeof(t[0]), cmp_double);
	return (t[CLI_RUNS / 2 - 1] + t[CLI_RUNS / 2]) / 2 * 1e3;
}

static void bench_cli(const char *dir, const struct pick *list_pick, const char *show_thumb)
{
	const char *cli = getenv("BENCH_CLI") ? getenv("BENCH_CLI") : "bin/certkeep";
	char domain[64], why[512];
	char *argv_true[] = { "/bin/true", NULL };
	char *argv_list[] = { (char *)cli, "--store", (char *)dir, "list", "--domain",
			      domain, "--json", NULL };
	char *argv_show[] = { (char *)cli, "--store", (char *)dir, "show",
			      (char *)show_thumb, "--json", NULL };
	/* Every certificate here ends by 2026-03-31 and begins after 2024-01-01:
	 * at 2023-06-01 none is due for renewal or within a notice threshold,
	 * so the pass reads two empty index ranges. */
	char *argv_renew[] = { (char *)cli, "--store", (char *)dir, "autorenew", "on", NULL };
	char *argv_monitor[] = { (char *)cli, "--store", (char *)dir, "monitor",
				 "--at", "2023-06-01T00:00:00Z", NULL };
	double t_true, t_list, t_show, t_monitor;

	if (access(cli, X_OK) != 0) {
		printf("cli: skipped (%s: %s)\n", cli, strerror(errno));
		return;
	}
	snprintf(domain, sizeof(domain), "host%zu.bench.example", list_pick->k);
	t_true = time_process(argv_true, "/bin/true", NULL, why, sizeof(why));
	if (t_true < 0) {
		printf("cli: skipped (%s)\n", why);
		return;
	}
	t_list = time_process(argv_list, "list --domain", list_pick->thumb, why, sizeof(why));
	if (t_list < 0) {
		printf("cli: skipped (%s)\n", why);
		return;
	}
	t_show = time_process(argv_show, "show", show_thumb, why, sizeof(why));
	if (t_show < 0) {
		printf("cli: skipped (%s)\n", why);
		return;
	}
	if (time_process(argv_renew, "autorenew on", NULL, why, sizeof(why)) < 0 ||
	    (t_monitor = time_process(argv_monitor, "monitor", "nothing due", why, sizeof(why))) <
		    0) {
		printf("cli: skipped (%s)\n", why);
		return;
	}
	printf("cli_monitor_nothing_due_median: %.3f ms\n", t_monitor);
	printf("cli_monitor_over_spawn: %.3f ms\n", t_monitor - t_true);
	/* Status loads the trust anchors: the whole bundle if SSL_CERT_FILE
	 * is set, else the hashed directory lazily. */
	printf("cli_ssl_cert_file: %s\n", getenv("SSL_CERT_FILE") ? "set" : "unset");
	printf("cli_spawn_true_median: %.3f ms\n", t_true);
	printf("cli_list_domain_median: %.3f ms\n", t_list);
	printf("cli_show_median: %.3f ms\n", t_show);
	printf("cli_list_domain_over_spawn: %.3f ms\n", t_list - t_true);
	printf("cli_show_over_spawn: %.3f ms\n", t_show - t_true);
}

/* ---- main ---- */

struct bench {
	size_t n;
	char dir[64];
	char db_path[128];
	char ref_path[128];
	struct store *st;
	struct pki_key *key;
	sqlite3 *ref;
	sqlite3_stmt *ref_ins;
	struct store_cert *chunk;
	struct pick *picks;
	size_t n_picks;
	double t_gen, t_ins, t_ref;
	double rate_first, rate_last;
};

static int generate_and_insert(struct bench *b)
{
	size_t i, next_pick = 0, filled = 0;
	int64_t added = ck_now();
	enum ck_err rc;

	for (i = 0; i < b->n; i += filled) {
		size_t want = b->n - i < CHUNK ? b->n - i : CHUNK, j;
		double t0;

		/* Generate one chunk. */
		t0 = now_s();
		for (filled = 0; filled < want; filled++) {
			rc = make_cert(b->key, i + filled, added, &b->chunk[filled]);
			if (rc != CK_OK) {
				fprintf(stderr, "bench: certificate %zu: %s\n", i + filled,
					ck_errmsg());
				break;
			}
			while (next_pick < b->n_picks && b->picks[next_pick].k == i + filled)
				memcpy(b->picks[next_pick++].thumb, b->chunk[filled].thumbprint,
				       41);
		}
		b->t_gen += now_s() - t0;
		if (filled < want)
			goto fail;

		/* Insert it into the store. */
		t0 = now_s();
		rc = store_begin(b->st);
		for (j = 0; rc == CK_OK && j < filled; j++)
			rc = store_cert_insert(b->st, &b->chunk[j]);
		if (rc == CK_OK)
			rc = store_commit(b->st);
		else
			store_rollback(b->st);
		t0 = now_s() - t0;
		b->t_ins += t0;
		if (rc != CK_OK) {
			fprintf(stderr, "bench: store insert (chunk at %zu): %s\n", i, ck_errmsg());
			goto fail;
		}
		if (i == 0)
			b->rate_first = (double)filled / t0;
		b->rate_last = (double)filled / t0;

		/* The same rows into the reference table. */
		t0 = now_s();
		if (ref_insert_chunk(b->ref, b->ref_ins, b->chunk, filled) != 0)
			goto fail;
		b->t_ref += now_s() - t0;

		for (j = 0; j < filled; j++)
			store_cert_clear(&b->chunk[j]);
		if (b->n >= 100000 && (i + filled) % 100000 == 0)
			fprintf(stderr, "bench: %zu / %zu certificates (gen %.1f s, insert %.1f s,"
					" ref %.1f s)\n",
				i + filled, b->n, b->t_gen, b->t_ins, b->t_ref);
	}
	return 0;
fail:
	for (i = 0; i < filled && i < CHUNK; i++)
		store_cert_clear(&b->chunk[i]);
	return -1;
}

static int make_picks(struct bench *b)
{
	size_t n_wild_certs = (b->n + WILD_EVERY - 1) / WILD_EVERY, i;

	b->n_picks = N_DOMAIN_LOOKUPS + N_WILD_LOOKUPS + N_SHOW_LOOKUPS;
	b->picks = calloc(b->n_picks, sizeof(*b->picks));
	if (b->picks == NULL)
		return -1;
	for (i = 0; i < b->n_picks; i++) {
		if (i < N_DOMAIN_LOOKUPS) {
			b->picks[i].kind = PICK_DOMAIN;
			b->picks[i].k = rng_below(b->n);
		} else if (i < N_DOMAIN_LOOKUPS + N_WILD_LOOKUPS) {
			b->picks[i].kind = PICK_WILD;
			b->picks[i].k = rng_below(n_wild_certs) * WILD_EVERY;
		} else {
			b->picks[i].kind = PICK_SHOW;
			b->picks[i].k = rng_below(b->n);
		}
	}
	/* Sorted by index so that generation fills them in one pass; the
	 * lookups then run in a random order. */
	qsort(b->picks, b->n_picks, sizeof(*b->picks), cmp_pick);
	return 0;
}

static void shuffle(struct pick *p, size_t n)
{
	size_t i;

	for (i = n; i > 1; i--) {
		size_t j = rng_below(i);
		struct pick t = p[i - 1];

		p[i - 1] = p[j];
		p[j] = t;
	}
}

/* One ck_select for SMTP, as `certkeep select` runs it: the certificate
 * made for the name must be among the candidates (and chosen when it is
 * enabled for SMTP and the only one). */
static enum ck_err time_select(struct store *st, const char *name, const char *thumb,
			       double *elapsed)
{
	struct ck_selection sel;
	enum ck_err rc;
	size_t i;
	bool found = false;
	double t0 = now_s();

	rc = ck_select(st, name, CK_SVC_SMTP, NULL, BASE_TIME, &sel);
	*elapsed = now_s() - t0;
	if (rc != CK_OK) {
		fprintf(stderr, "bench: ck_select(%s): %s\n", name, ck_errmsg());
		return rc;
	}
	for (i = 0; i < sel.n; i++)
		found = found || strcmp(sel.cands[i].thumbprint, thumb) == 0;
	if (!found)
		fail_check("select lost the certificate for", name, thumb);
	ck_selection_clear(&sel);
	return CK_OK;
}

static int run_lookups(struct bench *b, const struct pick **list_pick, const char **show_thumb)
{
	double *lat_dom = calloc(b->n_picks, sizeof(double));
	double *lat_wild = calloc(b->n_picks, sizeof(double));
	double *lat_show = calloc(b->n_picks, sizeof(double));
	double *lat_sel = calloc(b->n_picks, sizeof(double));
	size_t n_dom = 0, n_wild = 0, n_show = 0, n_sel = 0, show_notfound = 0, show_wrong = 0, i;
	int ret = 0;

	if (lat_dom == NULL || lat_wild == NULL || lat_show == NULL || lat_sel == NULL) {
		ret = -1;
		goto out;
	}
	shuffle(b->picks, b->n_picks);
	for (i = 0; i < b->n_picks; i++) {
		struct pick *p = &b->picks[i];
		char name[64], wild[64];
		enum ck_err rc;

		if (p->kind == PICK_DOMAIN) {
			/* As 'list --domain hostK.bench.example': the CLI also asks
			 * for "*.bench.example", which no certificate has. */
			snprintf(name, sizeof(name), "host%zu.bench.example", p->k);
			rc = lookup_domain(b->st, name, "*.bench.example", p->thumb,
					   &lat_dom[n_dom++]);
			if (*list_pick == NULL)
				*list_pick = p;
		} else if (p->kind == PICK_WILD) {
			snprintf(name, sizeof(name), "x.w%zu.bench.example", p->k);
			snprintf(wild, sizeof(wild), "*.w%zu.bench.example", p->k);
			rc = lookup_domain(b->st, name, wild, p->thumb, &lat_wild[n_wild++]);
		} else {
			name[0] = '\0';
			char prefix[PREFIX_LEN + 1];
			struct store_cert c;
			size_t j;
			double t0;

			/* Every other prefix in lower case: "any case". */
			for (j = 0; j < PREFIX_LEN; j++)
				prefix[j] = (n_show % 2 && p->thumb[j] >= 'A')
						    ? (char)(p->thumb[j] + 32)
						    : p->thumb[j];
			prefix[PREFIX_LEN] = '\0';
			t0 = now_s();
			rc = store_cert_find(b->st, prefix, &c);
			lat_show[n_show++] = now_s() - t0;
			if (*show_thumb == NULL)
				*show_thumb = p->thumb;
			if (rc == CK_ENOTFOUND || rc == CK_EAMBIGUOUS) {
				show_notfound += rc == CK_ENOTFOUND;
				fail_check("thumbprint prefix lookup", prefix, ck_errmsg());
				rc = CK_OK;
			} else if (rc == CK_OK) {
				if (strcmp(c.thumbprint, p->thumb) != 0 || c.der_len == 0 ||
				    c.n_domains < 2) {
					show_wrong++;
					fail_check("thumbprint prefix lookup returned another",
						   prefix, c.thumbprint);
				}
				store_cert_clear(&c);
			} else {
				fprintf(stderr, "bench: store_cert_find(%s): %s\n", prefix,
					ck_errmsg());
			}
		}
		if (rc == CK_OK && name[0])
			rc = time_select(b->st, name, p->thumb, &lat_sel[n_sel++]);
		if (rc != CK_OK) {
			ret = -1;
			goto out;
		}
	}
	report_latency("lookup_domain", lat_dom, n_dom);
	report_latency("select", lat_sel, n_sel);
	report_latency("lookup_wildcard", lat_wild, n_wild);
	report_latency("lookup_thumb_prefix", lat_show, n_show);
	printf("lookup_thumb_prefix_not_found: %zu lookups\n", show_notfound);
	printf("lookup_thumb_prefix_wrong: %zu lookups\n", show_wrong);
out:
	free(lat_dom);
	free(lat_wild);
	free(lat_show);
	free(lat_sel);
	return ret;
}

static int open_reference(struct bench *b)
{
	if (sqlite3_open_v2(b->ref_path, &b->ref, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		fprintf(stderr, "bench: cannot open %s: %s\n", b->ref_path,
			b->ref ? sqlite3_errmsg(b->ref) : "out of memory");
		return -1;
	}
	if (ref_exec(b->ref, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			     " CREATE TABLE ref(thumbprint TEXT PRIMARY KEY, der BLOB)") != 0)
		return -1;
	if (sqlite3_prepare_v2(b->ref, "INSERT INTO ref(thumbprint, der) VALUES(?, ?)", -1,
			       &b->ref_ins, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench: reference: %s\n", sqlite3_errmsg(b->ref));
		return -1;
	}
	return 0;
}

static void print_sizes(const struct bench *b)
{
	long long ours = checkpointed_size(b->db_path);
	long long ref = checkpointed_size(b->ref_path);

	if (ours < 0 || ref < 0) {
		failures++;
		return;
	}
	printf("db_size: %.1f MB\n", (double)ours / 1e6);
	printf("db_bytes_per_cert: %.0f bytes\n", (double)ours / (double)b->n);
	printf("ref_db_size: %.1f MB\n", (double)ref / 1e6);
	printf("ref_bytes_per_cert: %.0f bytes\n", (double)ref / (double)b->n);
	printf("db_size_ratio: %.2f (ours/ref)\n", (double)ours / (double)ref);
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	const struct pick *list_pick = NULL;
	const char *show_thumb = NULL;
	const char *keep = getenv("BENCH_KEEP");
	char *end = NULL;
	unsigned long long n;
	int ok = 0;

	if (argc != 2 || (n = strtoull(argv[1], &end, 10)) == 0 || *end != '\0' ||
	    n > 100000000ULL) {
		fprintf(stderr, "usage: %s N   (number of certificates, 1 .. 100000000)\n",
			argv[0]);
		return 2;
	}
	b.n = (size_t)n;
	signal(SIGPIPE, SIG_IGN);
	snprintf(b.dir, sizeof(b.dir), "/var/tmp/certkeep-bench.XXXXXX");
	if (mkdtemp(b.dir) == NULL) {
		perror("bench: mkdtemp /var/tmp");
		return 1;
	}
	snprintf(b.db_path, sizeof(b.db_path), "%s/%s", b.dir, STORE_DB_NAME);
	snprintf(b.ref_path, sizeof(b.ref_path), "%s/ref.db", b.dir);
	printf("store: %s\n", b.dir);
	printf("certificates: %zu\n", b.n);
	printf("chunk: %d certificates per transaction\n", CHUNK < b.n ? CHUNK : (int)b.n);
	fflush(stdout);

	b.chunk = calloc(CHUNK, sizeof(*b.chunk));
	if (b.chunk == NULL || make_picks(&b) != 0) {
		fprintf(stderr, "bench: out of memory\n");
		goto out;
	}
	if (store_open(b.dir, true, &b.st) != CK_OK) {
		fprintf(stderr, "bench: %s\n", ck_errmsg());
		goto out;
	}
	if (open_reference(&b) != 0)
		goto out;
	if (pki_key_generate("ec:P-256", &b.key) != CK_OK) {
		fprintf(stderr, "bench: key: %s\n", ck_errmsg());
		goto out;
	}
	if (generate_and_insert(&b) != 0)
		goto out;
	sqlite3_finalize(b.ref_ins);
	b.ref_ins = NULL;
	sqlite3_close(b.ref);
	b.ref = NULL;

	printf("gen_time: %.3f s\n", b.t_gen);
	printf("gen_rate: %.0f certs/s\n", (double)b.n / b.t_gen);
	printf("insert_time: %.3f s\n", b.t_ins);
	printf("insert_rate: %.0f certs/s\n", (double)b.n / b.t_ins);
	printf("insert_rate_first_chunk: %.0f certs/s\n", b.rate_first);
	printf("insert_rate_last_chunk: %.0f certs/s\n", b.rate_last);
	printf("ref_insert_time: %.3f s\n", b.t_ref);
	printf("ref_insert_rate: %.0f certs/s\n", (double)b.n / b.t_ref);
	printf("insert_ratio: %.3f (ours/ref)\n", b.t_ref / b.t_ins);
	fflush(stdout);

	if (run_lookups(&b, &list_pick, &show_thumb) != 0)
		goto out;
	fflush(stdout);
	if (list_pick && show_thumb)
		bench_cli(b.dir, list_pick, show_thumb);
	store_close(b.st);
	b.st = NULL;
	print_sizes(&b);
	ok = failures == 0;
	printf("failures: %d\n", failures);
	if (keep && strcmp(keep, "1") == 0 && list_pick && show_thumb)
		printf("kept: %s\n  bin/certkeep --store %s list --domain host%zu.bench.example\n"
		       "  bin/certkeep --store %s show %s\n",
		       b.dir, b.dir, list_pick->k, b.dir, show_thumb);
out:
	pki_key_free(b.key);
	store_close(b.st);
	sqlite3_finalize(b.ref_ins);
	sqlite3_close(b.ref);
	free(b.chunk);
	free(b.picks);
	if (keep && strcmp(keep, "1") == 0) {
		if (!ok)
			printf("kept: %s\n", b.dir);
	} else if (rm_tree(b.dir) != 0) {
		fprintf(stderr, "bench: cannot remove %s\n", b.dir);
		ok = 0;
	}
	printf("result: %s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
