/*
 * bench_ca.c - the certificate authority against `openssl ca`, side by
 * side in one run, with OpenSSL's own signing speed as the physical limit
 * (DESIGN.md §8, §11; see bench/README.md).
 *
 *   build/bench/bench_ca [N_FILL] [N_BULK]     (make bench: 1,000,000 20,000)
 *
 * 1. One certificate per process (`certkeep ca submit`, `openssl ca`, and
 *    a bare `openssl dgst -sign` loading the same CA key and signing) with 0,
 *    N_FILL/10 and N_FILL certificates already issued: the store filled
 *    by SQL, openssl ca's index.txt with lines of the same count. certkeep
 *    runs twice each time: handing its request to the CA service of a
 *    `certkeep daemon` running on the store, and in-process (the service's
 *    socket renamed away for that run). With libeatmydata installed, the
 *    in-process run is repeated with its syncs turned off, for comparison
 *    with openssl ca, which syncs nothing.
 * 2. Bulk: N_BULK requests in one `certkeep ca submit` process (three
 *    runs, each between two `openssl speed ecdsap256`: the limit,
 *    1 / (1/sign + 1/verify), CSR verify + sign on one core), and in one
 *    `openssl ca -infiles`.
 * 3. `ca crl` with N_FILL revoked certificates against `openssl ca
 *    -gencrl` on an index of N_FILL revoked lines: time and peak memory
 *    (ru_maxrss of the child).
 * Prints `name: value unit` lines, ratios to the anchors, and exits 0 only
 * if every command succeeded and the CRLs hold N_FILL entries.
 * BENCH_KEEP=1 keeps the work directory.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sqlite3.h>

#define RUNS 15
#define RUNS_SLOW 3 /* openssl ca at 1,000,000 takes about 2 s per run */

static const char *ck_bin;
static char work[64];
static int failures;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* libeatmydata (Debian: eatmydata), which turns fsync and fdatasync into
 * no-ops: certkeep run with it shows what its durable commit costs, since
 * openssl ca syncs nothing. NULL when it is not installed. */
static const char *nosync_lib;

static double run_with(char *const argv[], long *rss, const char *preload);

/* Runs argv with stdout/stderr to /dev/null; returns seconds, peak RSS
 * (KiB) in *rss; counts a failure on a non-zero exit. */
static double run(char *const argv[], long *rss)
{
	return run_with(argv, rss, NULL);
}

static double run_with(char *const argv[], long *rss, const char *preload)
{
	struct rusage ru;
	double t0;
	int status = 0;
	pid_t pid;

	/* Untimed: what the previous run left unwritten is written now, not
	 * inside this run's syncs. openssl ca rewrites its whole index.txt on
	 * every run (10 MB at 100,000 issued) and syncs nothing; on ext4 the
	 * journal commit of certkeep's next fdatasync would wait for those
	 * blocks, charging openssl's writes to certkeep. */
	sync();
	t0 = now_s();
	pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		if (!getenv("BENCH_VERBOSE"))
			dup2(fd, 2);
		if (preload)
			setenv("LD_PRELOAD", preload, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		failures++;
		fprintf(stderr, "FAIL: %s %s %s exited %d\n", argv[0], argv[1], argv[2] ? argv[2] : "",
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	if (rss)
		*rss = ru.ru_maxrss;
	return now_s() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Writes n CSRs (EC P-256, CN=req<i>.bench.example) to work/csr/<i>.pem. */
static void make_csrs(int n)
{
	EVP_PKEY *k = NULL;
	char path[256];
	int i;

	snprintf(path, sizeof(path), "%s/csr", work);
	mkdir(path, 0700);
	for (i = 0; i < n; i++) {
		X509_REQ *req = X509_REQ_new();
		X509_NAME *name = X509_NAME_new();
		char cn[64];
		FILE *f;

		/* A fresh key every 100 requests keeps generation quick. */
		if (i % 100 == 0) {
			EVP_PKEY_free(k);
			k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		}
		snprintf(cn, sizeof(cn), "req%d.bench.example", i);
		X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
					   (const unsigned char *)cn, -1, -1, 0);
		X509_REQ_set_subject_name(req, name);
		X509_REQ_set_pubkey(req, k);
		X509_REQ_sign(req, k, EVP_sha256());
		snprintf(path, sizeof(path), "%s/csr/%d.pem", work, i);
		f = fopen(path, "w");
		if (f == NULL || !PEM_write_X509_REQ(f, req))
			failures++;
		if (f)
			fclose(f);
		X509_NAME_free(name);
		X509_REQ_free(req);
	}
	EVP_PKEY_free(k);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		failures++;
		fprintf(stderr, "FAIL: sql: %s\n", msg ? msg : "?");
	}
	sqlite3_free(msg);
}

/* Grows the store to `to` issued certificates (ids from..to), by SQL: the
 * rows look like submit's (a real-size DER blob, random 16-octet serials
 * made unique by their low half), with request ids after the last one. */
static void fill_store(int64_t from, int64_t to, bool revoked)
{
	char path[256], sql[2048];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/store/certkeep.db", work);
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		failures++;
		return;
	}
	exec_sql(db, "PRAGMA journal_mode=WAL; BEGIN");
	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE c(i) AS (SELECT %lld UNION ALL SELECT i + 1 FROM c WHERE i < %lld)"
		 " INSERT INTO ca_requests(id, status, requester, email, submitted, resolved, subject,"
		 " days, message, csr) SELECT i + (SELECT coalesce(max(id), 0) FROM ca_requests)"
		 " + 1000000 - %lld, '%s', 'fill', '', 1, 1,"
		 " 'CN=host' || i || '.bench.example', 365, 'Issued', randomblob(230) FROM c;"
		 "WITH RECURSIVE c(i) AS (SELECT %lld UNION ALL SELECT i + 1 FROM c WHERE i < %lld)"
		 " INSERT INTO ca_certs(serial, request_id, not_before, not_after, sha1, der,"
		 " revoked_when, reason) SELECT printf('%%016X%%016X', (random() & 0x7EFFFFFFFFFFFFFF)"
		 " | 0x0100000000000000, i), (SELECT max(id) FROM ca_requests) - %lld + i, 1, 2,"
		 " hex(randomblob(20)),"
		 " randomblob(470), %s, %s FROM c;",
		 (long long)from, (long long)to, (long long)from, revoked ? "revoked" : "issued",
		 (long long)from,
		 (long long)to, (long long)to, revoked ? "1800000000" : "NULL",
		 revoked ? "1" : "NULL");
	if (to >= from)
		exec_sql(db, sql);
	exec_sql(db, "COMMIT");
	sqlite3_close(db);
}

/* Appends index.txt lines from..to for openssl ca (V valid or R revoked). */
static void fill_index(int64_t from, int64_t to, bool revoked)
{
	char path[256];
	FILE *f;
	int64_t i;

	snprintf(path, sizeof(path), "%s/ossl/index.txt", work);
	f = fopen(path, "a");
	if (f == NULL) {
		failures++;
		return;
	}
	for (i = from; i <= to; i++)
		fprintf(f, "%c\t351231235959Z\t%s\t%016llX%016llX\tunknown\t/CN=host%lld.bench.example\n",
			revoked ? 'R' : 'V', revoked ? "270115120000Z,keyCompromise" : "",
			(unsigned long long)(0x0100000000000000ULL | ((uint64_t)rand() << 20)),
			(unsigned long long)i, (long long)i);
	fclose(f);
}

/* The daemon on the main store, whose CA service answers 'ca submit'
 * (its pid), or 0 when it did not start. */
static pid_t daemon_pid;
static char sock[160], sock_hidden[160];

static void daemon_start(void)
{
	char store[128];
	int i;

	snprintf(store, sizeof(store), "%s/store", work);
	snprintf(sock, sizeof(sock), "%s/ca/service.sock", store);
	snprintf(sock_hidden, sizeof(sock_hidden), "%s/ca/service.sock.hidden", store);
	daemon_pid = fork();
	if (daemon_pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(ck_bin, ck_bin, "--store", store, "daemon", "--interval", "86400",
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && access(sock, F_OK) != 0; i++)
		usleep(10000);
	if (daemon_pid < 0 || access(sock, F_OK) != 0) {
		failures++;
		fprintf(stderr, "FAIL: the daemon's CA service did not start\n");
		daemon_pid = 0;
	}
}

static void daemon_stop(void)
{
	int status;

	if (daemon_pid <= 0)
		return;
	kill(daemon_pid, SIGTERM);
	if (waitpid(daemon_pid, &status, 0) != daemon_pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		failures++;
		fprintf(stderr, "FAIL: the daemon did not stop cleanly\n");
	}
	daemon_pid = 0;
}

/* With the socket renamed away, 'ca submit' finds no service and runs
 * in-process, while the daemon keeps listening for when it is back. */
static void service_visible(bool on)
{
	if (daemon_pid > 0 && rename(on ? sock_hidden : sock, on ? sock : sock_hidden) != 0) {
		failures++;
		perror("rename the CA service's socket");
	}
}

static void per_process(int64_t filled, int slow)
{
	char store[128], cnf[128], key[128], csr[128];
	double t_ck[RUNS], t_os[RUNS], t_bare[RUNS], t_nosync[RUNS], t_svc[RUNS];
	int i, runs_os = slow ? RUNS_SLOW : RUNS;
	static int next_csr;

	snprintf(store, sizeof(store), "%s/store", work);
	snprintf(cnf, sizeof(cnf), "%s/ossl/ca.cnf", work);
	snprintf(key, sizeof(key), "%s/store/ca/ca.key", work);
	for (i = 0; i < RUNS; i++) {
		snprintf(csr, sizeof(csr), "%s/csr/%d.pem", work, next_csr++);
		{
			char *a[] = { (char *)ck_bin, "--store", store, "ca", "submit", csr, NULL };

			t_svc[i] = daemon_pid > 0 ? run(a, NULL) : 0;
			snprintf(csr, sizeof(csr), "%s/csr/%d.pem", work, next_csr++);
			service_visible(false);
			t_ck[i] = run(a, NULL);
			if (nosync_lib)
				t_nosync[i] = run_with(a, NULL, nosync_lib);
			service_visible(true);
		}
		{
			/* The floor: a process that loads the EC key and signs. */
			char *a[] = { "openssl", "dgst", "-sha256", "-sign", key, "-out", "/dev/null",
				      csr, NULL };
			t_bare[i] = run(a, NULL);
		}
		if (i < runs_os) {
			char *a[] = { "openssl", "ca", "-batch", "-notext", "-config", cnf, "-in", csr,
				      "-out", "/dev/null", NULL };
			t_os[i] = run(a, NULL);
		}
	}
	{
		double ck = median(t_ck, RUNS), os = median(t_os, runs_os), bare = median(t_bare, RUNS);

		printf("issue_one_at_%lld_certkeep: %.1f ms\n", (long long)filled, ck * 1e3);
		printf("issue_one_at_%lld_openssl_ca: %.1f ms\n", (long long)filled, os * 1e3);
		printf("issue_one_at_%lld_openssl_dgst_sign_anchor: %.1f ms\n", (long long)filled,
		       bare * 1e3);
		printf("issue_one_at_%lld_ratio_openssl_ca_over_certkeep: %.2f\n", (long long)filled,
		       os / ck);
		printf("issue_one_at_%lld_ratio_certkeep_over_anchor: %.2f\n", (long long)filled,
		       ck / bare);
		if (daemon_pid > 0) {
			double svc = median(t_svc, RUNS);

			printf("issue_one_at_%lld_certkeep_ca_service: %.1f ms (the daemon running)\n",
			       (long long)filled, svc * 1e3);
			printf("issue_one_at_%lld_ratio_openssl_ca_over_certkeep_ca_service: %.2f\n",
			       (long long)filled, os / svc);
		}
		if (nosync_lib) {
			double ns = median(t_nosync, RUNS);

			printf("issue_one_at_%lld_certkeep_without_syncs: %.1f ms\n", (long long)filled,
			       ns * 1e3);
			printf("issue_one_at_%lld_ratio_openssl_ca_over_certkeep_without_syncs: %.2f\n",
			       (long long)filled, os / ns);
		}
	}
	fflush(stdout);
}

static void ck_init(const char *store)
{
	char *a[] = { (char *)ck_bin, "--store", (char *)store, "ca", "init", "--name", "Bench CA",
		      NULL };
	char *b[] = { (char *)ck_bin, "--store", (char *)store, "ca", "policy", "--allow-suffix",
		      "any", NULL };

	run(a, NULL);
	run(b, NULL);
}

/* openssl speed ecdsap256: sign/s and verify/s, from its last line. */
static void speed(double *sign, double *verify)
{
	FILE *p;
	char line[512] = "";

	sync(); /* as before a timed run: nothing of the last run is written meanwhile */
	p = popen("openssl speed -seconds 2 ecdsap256 2>/dev/null | tail -1", "r");

	*sign = *verify = 0;
	if (p && fgets(line, sizeof(line), p)) {
		char *s = strstr(line, "(nistp256)");
		double t1, t2;

		if (s && sscanf(s + 10, "%lfs %lfs %lf %lf", &t1, &t2, sign, verify) != 4)
			*sign = *verify = 0;
	}
	if (p)
		pclose(p);
	if (*sign <= 0)
		failures++;
}

/* Three bulk runs, each into a fresh store and each compared with the
 * limit measured right before and right after it (their mean): the
 * machine's speed drifts by up to a quarter within minutes, so a run is
 * only compared with its own anchor. */
#define BULK_RUNS 3

static void bulk(int n)
{
	char store[128], cnf[128];
	char **a = calloc((size_t)n + 16, sizeof(*a));
	double t_ck[BULK_RUNS], rate[BULK_RUNS], ratio[BULK_RUNS], t_os, sign = 0, verify = 0,
		limit = 0, before;
	int i, k, r;

	snprintf(cnf, sizeof(cnf), "%s/ossl/ca.cnf", work);
	k = 0;
	a[k++] = (char *)ck_bin;
	a[k++] = "--store";
	a[k++] = store;
	a[k++] = "ca";
	a[k++] = "submit";
	for (i = 0; i < n; i++) {
		a[k] = malloc(96);
		snprintf(a[k++], 96, "%s/csr/%d.pem", work, i);
	}
	a[k] = NULL;
	/* Untimed: the requests in the page cache, as they are for openssl ca,
	 * which reads them after certkeep (this machine drops its cache
	 * now and then, and the fill before this writes a gigabyte). */
	for (i = 0; i < n; i++) {
		char buf[4096];
		int fd = open(a[5 + i], O_RDONLY);

		while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
			;
		if (fd >= 0)
			close(fd);
	}
	speed(&sign, &verify);
	limit = 1.0 / (1.0 / sign + 1.0 / verify);
	for (r = 0; r < BULK_RUNS; r++) {
		snprintf(store, sizeof(store), "%s/bulkstore%d", work, r);
		ck_init(store);
		t_ck[r] = run(a, NULL);
		before = limit;
		speed(&sign, &verify);
		limit = 1.0 / (1.0 / sign + 1.0 / verify);
		rate[r] = n / t_ck[r];
		ratio[r] = rate[r] / ((before + limit) / 2);
		printf("bulk_%d_certkeep_run_%d: %.0f certificates/s (%.2f s); limit before and "
		       "after: %.0f and %.0f sign+verify/s; ratio to their mean %.2f\n",
		       n, r + 1, rate[r], t_ck[r], before, limit, ratio[r]);
	}
	/* openssl ca: the same requests in one process. */
	{
		char **b = calloc((size_t)n + 16, sizeof(*b));
		int j = 0;

		b[j++] = "openssl";
		b[j++] = "ca";
		b[j++] = "-batch";
		b[j++] = "-notext";
		b[j++] = "-config";
		b[j++] = cnf;
		b[j++] = "-out";
		b[j++] = "/dev/null";
		b[j++] = "-infiles";
		for (i = 0; i < n; i++)
			b[j++] = a[5 + i];
		t_os = run(b, NULL);
		free(b);
	}
	printf("bulk_%d_certkeep: %.0f certificates/s (median of %d runs)\n", n,
	       median(rate, BULK_RUNS), BULK_RUNS);
	printf("bulk_%d_openssl_ca: %.0f certificates/s (%.2f s)\n", n, n / t_os, t_os);
	printf("openssl_speed_ecdsap256: %.0f sign/s, %.0f verify/s, %.0f sign+verify/s (last)\n",
	       sign, verify, limit);
	printf("bulk_ratio_certkeep_over_sign_verify_limit: %.2f (median of the %d paired runs)\n",
	       median(ratio, BULK_RUNS), BULK_RUNS);
	printf("bulk_ratio_certkeep_over_openssl_ca: %.2f\n", t_os / median(t_ck, BULK_RUNS));
	for (i = 5; i < 5 + n; i++)
		free(a[i]);
	free(a);
	fflush(stdout);
}

static void crl(int64_t n)
{
	char store[128], cnf[128], out[128], out2[128], cmd[512];
	long rss_ck = 0, rss_os = 0;
	double t_ck, t_os;

	snprintf(store, sizeof(store), "%s/store", work);
	snprintf(cnf, sizeof(cnf), "%s/ossl/ca.cnf", work);
	snprintf(out, sizeof(out), "%s/ck.crl", work);
	snprintf(out2, sizeof(out2), "%s/ossl.crl.pem", work);
	{
		char *a[] = { (char *)ck_bin, "--store", store, "ca", "crl", "--out", out, NULL };
		t_ck = run(a, &rss_ck);
	}
	{
		char *a[] = { "openssl", "ca", "-gencrl", "-config", cnf, "-out", out2, NULL };
		t_os = run(a, &rss_os);
	}
	printf("crl_%lld_revoked_certkeep: %.2f s, peak %ld MiB\n", (long long)n, t_ck,
	       rss_ck / 1024);
	printf("crl_%lld_revoked_openssl_ca: %.2f s, peak %ld MiB\n", (long long)n, t_os,
	       rss_os / 1024);
	printf("crl_ratio_openssl_ca_over_certkeep: %.2f\n", t_os / t_ck);
	/* Both CRLs hold every revoked certificate. */
	snprintf(cmd, sizeof(cmd),
		 "test \"$(openssl crl -inform der -in %s -noout -text | grep -c 'Serial Number')\" -ge %lld",
		 out, (long long)n);
	if (system(cmd) != 0) {
		failures++;
		fprintf(stderr, "FAIL: certkeep's CRL lacks entries\n");
	}
}

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", work, name);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) == EOF)
		failures++;
	if (f)
		fclose(f);
}

static void ossl_setup(void)
{
	char cnf[2048], path[256];

	snprintf(path, sizeof(path), "%s/ossl", work);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/ossl/new", work);
	mkdir(path, 0700);
	write_file("ossl/index.txt", "");
	write_file("ossl/crlnumber", "01\n");
	snprintf(cnf, sizeof(cnf),
		 "[ca]\ndefault_ca = d\n[d]\ndir = %s/ossl\ndatabase = $dir/index.txt\n"
		 "new_certs_dir = $dir/new\ncertificate = %s/ca.pem\n"
		 "private_key = %s/store/ca/ca.key\nrand_serial = yes\ndefault_md = sha256\n"
		 "default_days = 365\npolicy = p\nunique_subject = no\ncopy_extensions = copy\n"
		 "x509_extensions = ext\ndefault_crl_days = 7\ncrlnumber = $dir/crlnumber\n"
		 "[p]\ncommonName = supplied\n[ext]\nbasicConstraints = critical,CA:FALSE\n"
		 "keyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth,clientAuth\n"
		 "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n",
		 work, work, work);
	write_file("ossl/ca.cnf", cnf);
}


int main(int argc, char **argv)
{
	int64_t fill = argc > 1 ? strtoll(argv[1], NULL, 10) : 1000000;
	int n_bulk = argc > 2 ? atoi(argv[2]) : 20000;
	int64_t sizes[3] = { 0, fill / 10, fill };
	char path[256], cmd[1024];
	int64_t have = 0;
	int s;

	ck_bin = getenv("CERTKEEP_BIN") ? getenv("CERTKEEP_BIN") : "bin/certkeep";
	{
		glob_t g;

		if (glob("/usr/lib/*/libeatmydata.so", 0, NULL, &g) == 0 && g.gl_pathc > 0)
			nosync_lib = strdup(g.gl_pathv[0]);
		globfree(&g);
	}
	{
		char abs[4096];

		if (realpath(ck_bin, abs) == NULL || access(abs, X_OK) != 0) {
			fprintf(stderr, "bench_ca: no %s (make bin/certkeep)\n", ck_bin);
			return 1;
		}
		ck_bin = strdup(abs);
	}
	snprintf(work, sizeof(work), "/var/tmp/certkeep-bench-ca.XXXXXX");
	if (mkdtemp(work) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	printf("work: %s\nfill: %lld\nbulk: %d\n", work, (long long)fill, n_bulk);
	fflush(stdout);
	snprintf(path, sizeof(path), "%s/store", work);
	ck_init(path);
	snprintf(cmd, sizeof(cmd), "'%s' --store '%s' ca show --json | jq -r .RawCertificate > '%s/ca.pem'",
		 ck_bin, path, work);
	if (system(cmd) != 0)
		failures++;
	ossl_setup();
	make_csrs(n_bulk > 6 * RUNS ? n_bulk : 6 * RUNS);
	daemon_start();

	for (s = 0; s < 3; s++) {
		if (s > 0 && sizes[s] <= sizes[s - 1])
			continue;
		if (sizes[s] > have) {
			double t0 = now_s();

			fill_store(have + 1, sizes[s], false);
			fill_index(have + 1, sizes[s], false);
			printf("fill_to_%lld: %.1f s\n", (long long)sizes[s], now_s() - t0);
			have = sizes[s];
		}
		per_process(sizes[s], sizes[s] >= 1000000);
	}
	daemon_stop();

	bulk(n_bulk);

	/* Every filled certificate revoked, in both. */
	{
		sqlite3 *db;

		snprintf(path, sizeof(path), "%s/store/certkeep.db", work);
		if (sqlite3_open(path, &db) == SQLITE_OK) {
			exec_sql(db, "UPDATE ca_certs SET revoked_when = 1800000000, reason = 1;"
				     "UPDATE ca_requests SET status = 'revoked' WHERE status = 'issued'");
			sqlite3_close(db);
		}
		write_file("ossl/index.txt", "");
		fill_index(1, fill, true);
	}
	crl(fill);

	if (getenv("BENCH_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
		if (system(cmd) != 0)
			failures++;
	}
	printf("failures: %d\nresult: %s\n", failures, failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
