/*
 * test_store.c - unit tests for src/store/store.h (DESIGN.md §2, §3, §6).
 *
 * Each test runs on a fresh store in its own mkdtemp directory, removed
 * afterwards. Covered: store_open's layout (directory and keys/ 0700, the
 * database in WAL mode at PRAGMA user_version STORE_SCHEMA_VERSION, read
 * with sqlite3 directly), reopening, a missing store, refusal of a store or
 * key folder others can read and of a schema newer than ours,
 * store_default_dir's precedence; transactions; certificate rows (find by
 * full thumbprint, any case, 8-digit prefix, spaces and colons; short,
 * non-hex, unknown and ambiguous prefixes; duplicates; store_cert_each's
 * order, filters and early stop; domain order; services, replaced_by and
 * delete with its domain rows); key files (only inside a transaction, born
 * 0600 under keys/, removed by rollback, released only after commit and
 * only when unused, refused once their mode opens up, no path escapes);
 * pending requests; the event log (only inside a transaction, filters);
 * cursors and config keys. Certificate rows here are synthetic: the store
 * keeps whatever thumbprint and DER bytes it is given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/fileio.h"
#include "store/store.h"
#include "unit_util.h"

#define KEY_A "AAAA000000000000000000000000000000000000000000000000000000000001"
#define KEY_B "BBBB000000000000000000000000000000000000000000000000000000000002"
#define THUMB_1 "0123456789ABCDEF0123456789ABCDEF01234567"

/* ---- helpers ---- */

static int setup(void **state)
{
	*state = fx_new("store", 0);
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

static mode_t mode_of(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) != 0)
		fail_msg("lstat %s: %s", path, strerror(errno));
	return sb.st_mode;
}

/* One integer from the store's database, read with sqlite3 directly. */
static int64_t db_int(const struct fx *fx, const char *sql)
{
	char path[PATH_MAX + 16];
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	int64_t v;

	snprintf(path, sizeof(path), "%s/" STORE_DB_NAME, fx->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

/* A synthetic certificate row; the store does not look inside der. */
static void make_row(struct store_cert *c, const char *thumb, int64_t not_before,
		     unsigned services, const char *key_id, const char *const *domains,
		     size_t n_domains)
{
	static const uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x2a };
	size_t i;

	memset(c, 0, sizeof(*c));
	snprintf(c->thumbprint, sizeof(c->thumbprint), "%s", thumb);
	snprintf(c->sha256, sizeof(c->sha256), "%064d", 7);
	snprintf(c->key_id, sizeof(c->key_id), "%s", key_id);
	snprintf(c->serial, sizeof(c->serial), "0A1B");
	snprintf(c->key_type, sizeof(c->key_type), "ec:P-256");
	c->subject = strdup(n_domains ? domains[0] : "CN=none");
	c->issuer = strdup("CN=issuer");
	c->not_before = not_before;
	c->not_after = not_before + 86400;
	c->version = 3;
	c->self_signed = true;
	c->services = services;
	c->added = 1795000000;
	c->der = malloc(sizeof(der));
	assert_non_null(c->subject);
	assert_non_null(c->issuer);
	assert_non_null(c->der);
	memcpy(c->der, der, sizeof(der));
	c->der_len = sizeof(der);
	c->domains = calloc(n_domains ? n_domains : 1, sizeof(char *));
	assert_non_null(c->domains);
	for (i = 0; i < n_domains; i++) {
		c->domains[i] = strdup(domains[i]);
		assert_non_null(c->domains[i]);
	}
	c->n_domains = n_domains;
}

/* Inserts a synthetic row and returns its id. */
static int64_t add_cert(struct store *st, const char *thumb, int64_t not_before,
			unsigned services, const char *key_id, const char *const *domains,
			size_t n_domains)
{
	struct store_cert c;
	int64_t id;

	make_row(&c, thumb, not_before, services, key_id, domains, n_domains);
	if (store_cert_insert(st, &c) != CK_OK)
		fail_msg("store_cert_insert %s: %s", thumb, ck_errmsg());
	id = c.id;
	assert_true(id > 0);
	store_cert_clear(&c);
	return id;
}

/* A 40-digit thumbprint: prefix, then the fill digit. */
static void thumb_of(char out[41], const char *prefix, char fill)
{
	size_t n = strlen(prefix);

	memcpy(out, prefix, n);
	memset(out + n, fill, 40 - n);
	out[40] = '\0';
}

/* store_cert_each collector: the thumbprints seen, in order. */
struct seen {
	char thumbs[8][41];
	int n;
	int stop_after; /* 0: never stop */
	int stop_with;  /* what stopping returns: 42 unless set */
};

static int collect(const struct store_cert *c, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8)
		snprintf(s->thumbs[s->n], 41, "%s", c->thumbprint);
	s->n++;
	if (s->stop_after && s->n >= s->stop_after)
		return s->stop_with ? s->stop_with : 42;
	return 0;
}

static struct seen each(struct store *st, const struct store_cert_filter *f)
{
	struct seen s = { .n = 0 };

	assert_int_equal(store_cert_each(st, f, collect, &s), CK_OK);
	return s;
}

static void save_key(struct fx *fx, const char *key_id, const char *pem)
{
	if (store_key_save(fx->st, key_id, "ec:P-256", pem, strlen(pem)) != CK_OK)
		fail_msg("store_key_save: %s", ck_errmsg());
}

static void key_path(struct fx *fx, const char *key_id, char *buf, size_t n)
{
	store_key_path(fx->st, key_id, buf, n);
	assert_true(buf[0] != '\0');
}

/* ---- opening ---- */

static void test_open_creates_private_layout(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX + 16];
	char *mode = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;

	assert_string_equal(store_dir(fx->st), fx->dir);
	assert_true(S_ISDIR(mode_of(fx->dir)));
	assert_int_equal(mode_of(fx->dir) & 07777, 0700);
	snprintf(path, sizeof(path), "%s/keys", fx->dir);
	assert_true(S_ISDIR(mode_of(path)));
	assert_int_equal(mode_of(path) & 07777, 0700);
	snprintf(path, sizeof(path), "%s/" STORE_DB_NAME, fx->dir);
	assert_true(S_ISREG(mode_of(path)));

	assert_int_equal(db_int(fx, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	mode = strdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	assert_non_null(mode);
	assert_string_equal(mode, "wal");
	free(mode);
}

static void test_reopen_keeps_data(void **state)
{
	struct fx *fx = *state;
	char *v = NULL;

	assert_int_equal(store_config_set(fx->st, "test.key", "kept"), CK_OK);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->dir, false, &fx->st), CK_OK);
	assert_int_equal(store_config_get(fx->st, "test.key", &v), CK_OK);
	assert_string_equal(v, "kept");
	free(v);
	/* create=true on an existing store opens it too, without a reset. */
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->dir, true, &fx->st), CK_OK);
	assert_int_equal(store_config_get(fx->st, "test.key", &v), CK_OK);
	assert_string_equal(v, "kept");
	free(v);
	assert_int_equal(db_int(fx, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
}

static void test_open_missing_is_notfound(void **state)
{
	struct fx *fx = *state;
	struct store *st = NULL;
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/missing", fx->base);
	assert_int_equal(store_open(path, false, &st), CK_ENOTFOUND);
	assert_null(st);
	assert_false(exists(path));
}

static void test_open_refuses_open_modes(void **state)
{
	struct fx *fx = *state;
	struct store *st = NULL;
	char keys[PATH_MAX + 8];

	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(chmod(fx->dir, 0755), 0);
	assert_int_equal(store_open(fx->dir, false, &st), CK_EIO);
	assert_null(st);
	assert_int_equal(store_open(fx->dir, true, &st), CK_EIO);
	assert_null(st);
	/* The mode is left as the administrator set it: refused, not fixed. */
	assert_int_equal(mode_of(fx->dir) & 07777, 0755);

	assert_int_equal(chmod(fx->dir, 0700), 0);
	snprintf(keys, sizeof(keys), "%s/keys", fx->dir);
	assert_int_equal(chmod(keys, 0750), 0);
	assert_int_equal(store_open(fx->dir, false, &st), CK_EIO);
	assert_null(st);

	assert_int_equal(chmod(keys, 0700), 0);
	assert_int_equal(store_open(fx->dir, false, &fx->st), CK_OK);
}

static void test_open_refuses_newer_schema(void **state)
{
	struct fx *fx = *state;
	struct store *st = NULL;
	char path[PATH_MAX + 16], sql[64];
	sqlite3 *db = NULL;

	store_close(fx->st);
	fx->st = NULL;
	snprintf(path, sizeof(path), "%s/" STORE_DB_NAME, fx->dir);
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", STORE_SCHEMA_VERSION + 1);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(fx->dir, false, &st), CK_ESTORE);
	assert_null(st);
	assert_int_equal(db_int(fx, "PRAGMA user_version"), STORE_SCHEMA_VERSION + 1);
}

static void test_default_dir_precedence(void **state)
{
	char out[PATH_MAX], small[8];
	char *saved = getenv("CERTKEEP_STORE") ? strdup(getenv("CERTKEEP_STORE")) : NULL;
	char *saved_xdg = getenv("XDG_STATE_HOME") ? strdup(getenv("XDG_STATE_HOME")) : NULL;
	const char *want;

	(void)state;
	/* Without explicit dir and environment: /var/lib/certkeep for root,
	 * else under $XDG_STATE_HOME (set here so the answer is known). */
	assert_int_equal(setenv("XDG_STATE_HOME", "/srv/state", 1), 0);
	want = geteuid() == 0 ? "/var/lib/certkeep" : "/srv/state/certkeep";
	assert_int_equal(setenv("CERTKEEP_STORE", "/srv/from-env", 1), 0);
	assert_int_equal(store_default_dir("/srv/explicit", out, sizeof(out)), CK_OK);
	assert_string_equal(out, "/srv/explicit");
	assert_int_equal(store_default_dir(NULL, out, sizeof(out)), CK_OK);
	assert_string_equal(out, "/srv/from-env");
	assert_int_equal(store_default_dir("", out, sizeof(out)), CK_OK);
	assert_string_equal(out, "/srv/from-env");
	assert_int_equal(unsetenv("CERTKEEP_STORE"), 0);
	assert_int_equal(store_default_dir(NULL, out, sizeof(out)), CK_OK);
	assert_string_equal(out, want);
	assert_int_equal(setenv("CERTKEEP_STORE", "", 1), 0);
	assert_int_equal(store_default_dir(NULL, out, sizeof(out)), CK_OK);
	assert_string_equal(out, want);
	/* A path that does not fit is an error, not a truncated directory. */
	assert_int_equal(store_default_dir("/srv/explicit", small, sizeof(small)), CK_EINVAL);

	if (saved) {
		setenv("CERTKEEP_STORE", saved, 1);
		free(saved);
	} else {
		unsetenv("CERTKEEP_STORE");
	}
	if (saved_xdg) {
		setenv("XDG_STATE_HOME", saved_xdg, 1);
		free(saved_xdg);
	} else {
		unsetenv("XDG_STATE_HOME");
	}
}

static void test_transactions(void **state)
{
	struct fx *fx = *state;
	char *v = NULL;

	assert_int_not_equal(store_commit(fx->st), CK_OK); /* none open */
	store_rollback(fx->st);                            /* safe with none */
	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_not_equal(store_begin(fx->st), CK_OK); /* no nesting */
	assert_int_equal(store_config_set(fx->st, "tx.key", "rolled back"), CK_OK);
	store_rollback(fx->st);
	assert_int_equal(store_config_get(fx->st, "tx.key", &v), CK_ENOTFOUND);
	assert_null(v);

	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(store_config_set(fx->st, "tx.key", "committed"), CK_OK);
	assert_int_equal(store_commit(fx->st), CK_OK);
	assert_int_equal(store_config_get(fx->st, "tx.key", &v), CK_OK);
	assert_string_equal(v, "committed");
	free(v);
}

/* ---- certificates ---- */

static void test_cert_round_trip(void **state)
{
	struct fx *fx = *state;
	const char *domains[] = { "mx1", "mx1.contoso.test" };
	struct store_cert in, out;

	make_row(&in, THUMB_1, 1795000000, 0x19, KEY_A, domains, 2);
	in.friendly_name = strdup("friendly");
	in.chain_pem = strdup("-----BEGIN CERTIFICATE-----\n");
	assert_non_null(in.friendly_name);
	assert_non_null(in.chain_pem);
	assert_int_equal(store_cert_insert(fx->st, &in), CK_OK);
	assert_true(in.id > 0);

	assert_int_equal(store_cert_find(fx->st, THUMB_1, &out), CK_OK);
	assert_int_equal(out.id, in.id);
	assert_string_equal(out.thumbprint, in.thumbprint);
	assert_string_equal(out.sha256, in.sha256);
	assert_string_equal(out.key_id, KEY_A);
	assert_string_equal(out.serial, "0A1B");
	assert_string_equal(out.key_type, "ec:P-256");
	assert_string_equal(out.subject, in.subject);
	assert_string_equal(out.issuer, "CN=issuer");
	assert_int_equal(out.not_before, 1795000000);
	assert_int_equal(out.not_after, 1795000000 + 86400);
	assert_int_equal(out.version, 3);
	assert_true(out.self_signed);
	assert_int_equal(out.services, 0x19);
	assert_string_equal(out.replaced_by, "");
	assert_string_equal(out.friendly_name, "friendly");
	assert_string_equal(out.chain_pem, in.chain_pem);
	assert_int_equal(out.added, 1795000000);
	assert_int_equal(out.der_len, in.der_len);
	assert_memory_equal(out.der, in.der, in.der_len);
	assert_false(out.has_key); /* no key saved for KEY_A */
	store_cert_clear(&out);
	store_cert_clear(&in);
}

static void test_cert_find_forms(void **state)
{
	struct fx *fx = *state;
	const char *forms[] = {
		THUMB_1,
		"0123456789abcdef0123456789abcdef01234567",
		"01234567",
		"0123456789aBcD",
		"01 23 45 67 89",
		"01:23:45:67:89:AB:CD:EF",
		" 0123 4567 89ab ",
	};
	struct store_cert out;
	size_t i;

	add_cert(fx->st, THUMB_1, 1000, 0, KEY_A, NULL, 0);
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (store_cert_find(fx->st, forms[i], &out) != CK_OK)
			fail_msg("store_cert_find(\"%s\"): %s", forms[i], ck_errmsg());
		assert_string_equal(out.thumbprint, THUMB_1);
		store_cert_clear(&out);
	}
}

static void test_cert_find_bad_input(void **state)
{
	struct fx *fx = *state;
	struct store_cert out;

	add_cert(fx->st, THUMB_1, 1000, 0, KEY_A, NULL, 0);
	assert_int_equal(store_cert_find(fx->st, "0123456", &out), CK_EINVAL);      /* 7 */
	assert_int_equal(store_cert_find(fx->st, "01:23:45:6", &out), CK_EINVAL);   /* 7 */
	assert_int_equal(store_cert_find(fx->st, "", &out), CK_EINVAL);
	assert_int_equal(store_cert_find(fx->st, "0123456G", &out), CK_EINVAL);     /* non-hex */
	assert_int_equal(store_cert_find(fx->st, "01234567-89", &out), CK_EINVAL);
	assert_int_equal(store_cert_find(fx->st, THUMB_1 "0", &out), CK_EINVAL);     /* 41 */
	assert_int_equal(store_cert_find(fx->st, "FEDCBA98", &out), CK_ENOTFOUND);
	assert_int_equal(store_cert_find(fx->st, "0123456789ABCDEF0123456789ABCDEF01234568", &out),
			 CK_ENOTFOUND);
	/* A longer prefix that does not match is not found, not the row. */
	assert_int_equal(store_cert_find(fx->st, "0123456789ABCDEE", &out), CK_ENOTFOUND);
}

static void test_cert_find_ambiguous_prefix(void **state)
{
	struct fx *fx = *state;
	char t0[41], t1[41], tf[41], tb[41];
	struct store_cert out;

	thumb_of(t0, "AAAAAAAA", '0');
	thumb_of(t1, "AAAAAAAA1", '2');
	thumb_of(tf, "AAAAAAAAF", 'F'); /* F sorts last: the range must still take it */
	thumb_of(tb, "AAAAAAAB", '0');
	add_cert(fx->st, t0, 1000, 0, KEY_A, NULL, 0);
	add_cert(fx->st, t1, 1000, 0, KEY_A, NULL, 0);
	add_cert(fx->st, tf, 1000, 0, KEY_A, NULL, 0);
	add_cert(fx->st, tb, 1000, 0, KEY_A, NULL, 0);

	assert_int_equal(store_cert_find(fx->st, "AAAAAAAA", &out), CK_EAMBIGUOUS);
	assert_int_equal(store_cert_find(fx->st, "aaaaaaaa", &out), CK_EAMBIGUOUS);
	assert_int_equal(store_cert_find(fx->st, "AAAAAAAA1", &out), CK_OK);
	assert_string_equal(out.thumbprint, t1);
	store_cert_clear(&out);
	assert_int_equal(store_cert_find(fx->st, "aaaaaaaaf", &out), CK_OK);
	assert_string_equal(out.thumbprint, tf);
	store_cert_clear(&out);
	assert_int_equal(store_cert_find(fx->st, "AAAAAAAA0", &out), CK_OK);
	assert_string_equal(out.thumbprint, t0);
	store_cert_clear(&out);
	assert_int_equal(store_cert_find(fx->st, "AAAAAAAB", &out), CK_OK);
	assert_string_equal(out.thumbprint, tb);
	store_cert_clear(&out);
}

static void test_cert_duplicate(void **state)
{
	struct fx *fx = *state;
	struct store_cert c;
	struct store_cert_filter all = { 0 };

	add_cert(fx->st, THUMB_1, 1000, 0, KEY_A, NULL, 0);
	make_row(&c, THUMB_1, 2000, 0, KEY_B, NULL, 0);
	assert_int_equal(store_cert_insert(fx->st, &c), CK_EEXIST);
	store_cert_clear(&c);
	assert_int_equal(each(fx->st, &all).n, 1);
}

static void test_cert_each_order(void **state)
{
	struct fx *fx = *state;
	struct store_cert_filter all = { 0 };
	char t1[41], t2[41], t3[41];
	struct seen s;

	thumb_of(t1, "11111111", '0');
	thumb_of(t2, "22222222", '0');
	thumb_of(t3, "33333333", '0');
	add_cert(fx->st, t1, 3000, 0, KEY_A, NULL, 0);
	add_cert(fx->st, t2, 1000, 0, KEY_A, NULL, 0);
	add_cert(fx->st, t3, 2000, 0, KEY_A, NULL, 0);
	s = each(fx->st, &all);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.thumbs[0], t1);
	assert_string_equal(s.thumbs[1], t3);
	assert_string_equal(s.thumbs[2], t2);
}

/* A due scan's pages: every row once, in (key, id) order, across pages
 * that end inside a run of equal keys, with rows changed between pages. */
struct due_seen {
	int64_t key[64], id[64];
	int n;
	bool last_third;
};

static int collect_due(const struct store_cert *c, void *arg)
{
	struct due_seen *s = arg;

	if (s->n < 64) {
		s->key[s->n] = s->last_third ? c->not_after - (c->not_after - c->not_before) / 3
					     : c->not_after;
		s->id[s->n] = c->id;
	}
	s->n++;
	return 0;
}

static void check_due_pages(struct fx *fx, bool last_third, int64_t until, int64_t replace_id)
{
	struct store_page page = { .limit = 3 };
	struct due_seen s = { .n = 0, .last_third = last_third };
	int pages = 0, i;
	char replacer[41];

	thumb_of(replacer, "99999999", '9');
	do {
		enum ck_err rc = last_third
					 ? store_cert_each_in_last_third(fx->st, until, &page,
									 collect_due, &s)
					 : store_cert_each_expiring(fx->st, until, &page,
								    collect_due, &s);

		assert_int_equal(rc, CK_OK);
		assert_true(page.n <= page.limit);
		/* A row already given, replaced between pages, changes nothing. */
		if (pages++ == 1)
			assert_int_equal(store_cert_set_replaced_by(fx->st, replace_id, replacer),
					 CK_OK);
	} while (page.n == page.limit);
	assert_int_equal(s.n, 25);
	assert_true(pages >= 9);
	for (i = 1; i < s.n; i++)
		assert_true(s.key[i - 1] < s.key[i] ||
			    (s.key[i - 1] == s.key[i] && s.id[i - 1] < s.id[i]));
	assert_int_equal(store_cert_repoint_replaced(fx->st, replacer, NULL), CK_OK);
}

static void test_due_pages(void **state)
{
	struct fx *fx = *state;
	int64_t first = 0;
	char t[41], prefix[9];
	int i;

	/* Runs of ten certificates that expire at the same second. */
	for (i = 0; i < 25; i++) {
		int64_t id;

		snprintf(prefix, sizeof(prefix), "%08d", i + 1);
		thumb_of(t, prefix, '0');
		id = add_cert(fx->st, t, 1000 + (i / 10) * 100, 0, KEY_A, NULL, 0);
		if (i == 0)
			first = id;
	}
	/* Not due: later, or replaced. */
	thumb_of(t, "90000000", '0');
	add_cert(fx->st, t, 900000, 0, KEY_A, NULL, 0);
	thumb_of(t, "91000000", '0');
	assert_int_equal(store_cert_set_replaced_by(fx->st, add_cert(fx->st, t, 1000, 0, KEY_A,
								   NULL, 0),
						    THUMB_1),
			 CK_OK);
	check_due_pages(fx, false, 1000 + 200 + 86400, first);
	check_due_pages(fx, true, 1000 + 200 + 86400 * 2 / 3, first);
}

static void test_cert_each_filters(void **state)
{
	struct fx *fx = *state;
	const char *d_www[] = { "www.example.com", "example.com" };
	const char *d_wild[] = { "*.example.com" };
	const char *d_mail[] = { "mail.example.com" };
	char t1[41], t2[41], t3[41];
	struct store_cert_filter f;
	struct seen s;

	thumb_of(t1, "1111AAAA", '0');
	thumb_of(t2, "1111BBBB", '0');
	thumb_of(t3, "2222CCCC", '0');
	add_cert(fx->st, t1, 3000, 0x11 /* IMAP SMTP */, KEY_A, d_www, 2);
	add_cert(fx->st, t2, 2000, 0x18 /* IIS SMTP */, KEY_B, d_wild, 1);
	add_cert(fx->st, t3, 1000, 0x10 /* SMTP */, KEY_A, d_mail, 1);

	f = (struct store_cert_filter){ .domains = (const char *[]){ "www.example.com" }, .n_domains = 1 };
	s = each(fx->st, &f);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.thumbs[0], t1);
	f = (struct store_cert_filter){ .domains = (const char *[]){ "example.com" }, .n_domains = 1 };
	s = each(fx->st, &f);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.thumbs[0], t1);
	f = (struct store_cert_filter){ .domains = (const char *[]){ "other.example.com" }, .n_domains = 1 };
	assert_int_equal(each(fx->st, &f).n, 0);
	/* The wildcard for the parent is matched only when asked for. */
	f = (struct store_cert_filter){ .domains = (const char *[]){ "www.example.com", "*.example.com" }, .n_domains = 2 };
	s = each(fx->st, &f);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.thumbs[0], t1);
	assert_string_equal(s.thumbs[1], t2);
	f = (struct store_cert_filter){ .domains = (const char *[]){ "other.example.com", "*.example.com" }, .n_domains = 2 };
	s = each(fx->st, &f);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.thumbs[0], t2);

	f = (struct store_cert_filter){ .thumb_prefix = "1111" };
	s = each(fx->st, &f);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.thumbs[0], t1);
	assert_string_equal(s.thumbs[1], t2);
	f = (struct store_cert_filter){ .thumb_prefix = "1111B" };
	s = each(fx->st, &f);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.thumbs[0], t2);

	f = (struct store_cert_filter){ .services = 0x10 };
	assert_int_equal(each(fx->st, &f).n, 3);
	f = (struct store_cert_filter){ .services = 0x18 }; /* all bits, not any */
	s = each(fx->st, &f);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.thumbs[0], t2);
	f = (struct store_cert_filter){ .services = 0x04 };
	assert_int_equal(each(fx->st, &f).n, 0);

	f = (struct store_cert_filter){ .key_id = KEY_A };
	s = each(fx->st, &f);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.thumbs[0], t1);
	assert_string_equal(s.thumbs[1], t3);

	f = (struct store_cert_filter){ .domains = (const char *[]){ "mail.example.com" }, .n_domains = 1, .key_id = KEY_B };
	assert_int_equal(each(fx->st, &f).n, 0);
	f = (struct store_cert_filter){ .domains = (const char *[]){ "www.example.com", "*.example.com" }, .n_domains = 2,
					.services = 0x08 };
	s = each(fx->st, &f);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.thumbs[0], t2);
}

static void test_cert_each_early_stop(void **state)
{
	struct fx *fx = *state;
	struct store_cert_filter all = { 0 };
	struct seen s = { .stop_after = 2 };
	char t[41];
	int i;

	for (i = 0; i < 4; i++) {
		char prefix[9];

		snprintf(prefix, sizeof(prefix), "%08d", i);
		thumb_of(t, prefix, '0');
		add_cert(fx->st, t, 1000 + i, 0, KEY_A, NULL, 0);
	}
	assert_int_equal(store_cert_each(fx->st, &all, collect, &s), 42);
	assert_int_equal(s.n, 2);
	/* The store is usable afterwards: the statement was finalized. */
	assert_int_equal(each(fx->st, &all).n, 4);
	/* STORE_STOP stops as early, and is no error. */
	s.n = 0;
	s.stop_after = 3;
	s.stop_with = STORE_STOP;
	assert_int_equal(store_cert_each(fx->st, &all, collect, &s), CK_OK);
	assert_int_equal(s.n, 3);
	assert_int_equal(each(fx->st, &all).n, 4);
}

static void test_cert_domains_keep_order(void **state)
{
	struct fx *fx = *state;
	const char *domains[] = { "zeta.example", "alpha.example", "mid.example", "*.b.example" };
	struct store_cert out;
	size_t i;

	add_cert(fx->st, THUMB_1, 1000, 0, KEY_A, domains, 4);
	assert_int_equal(store_cert_find(fx->st, THUMB_1, &out), CK_OK);
	assert_int_equal(out.n_domains, 4);
	for (i = 0; i < 4; i++)
		assert_string_equal(out.domains[i], domains[i]);
	store_cert_clear(&out);
}

static void test_cert_update_and_delete(void **state)
{
	struct fx *fx = *state;
	const char *domains[] = { "a.example", "b.example" };
	struct store_cert_filter f = { .domains = (const char *[]){ "a.example" }, .n_domains = 1 };
	struct store_cert out;
	char other[41];
	int64_t id;

	thumb_of(other, "FFFFFFFF", '1');
	id = add_cert(fx->st, THUMB_1, 1000, 0x01, KEY_A, domains, 2);
	assert_int_equal(store_cert_set_services(fx->st, id, 0x1f), CK_OK);
	assert_int_equal(store_cert_set_replaced_by(fx->st, id, other), CK_OK);
	assert_int_equal(store_cert_find(fx->st, THUMB_1, &out), CK_OK);
	assert_int_equal(out.services, 0x1f);
	assert_string_equal(out.replaced_by, other);
	store_cert_clear(&out);

	assert_int_equal(store_cert_set_services(fx->st, id + 100, 1), CK_ENOTFOUND);
	assert_int_equal(store_cert_set_replaced_by(fx->st, id + 100, other), CK_ENOTFOUND);

	assert_int_equal(db_int(fx, "SELECT count(*) FROM certificate_domains"), 2);
	assert_int_equal(store_cert_delete(fx->st, id), CK_OK);
	assert_int_equal(store_cert_find(fx->st, THUMB_1, &out), CK_ENOTFOUND);
	assert_int_equal(each(fx->st, &f).n, 0);
	/* The domain rows went with it (ON DELETE CASCADE). */
	assert_int_equal(db_int(fx, "SELECT count(*) FROM certificate_domains"), 0);
	assert_int_equal(store_cert_delete(fx->st, id), CK_ENOTFOUND);
}

/* ---- key files ---- */

static void test_key_save_needs_transaction(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX];

	assert_int_not_equal(store_key_save(fx->st, KEY_A, "ec:P-256", "pem", 3), CK_OK);
	assert_false(store_key_exists(fx->st, KEY_A));
	key_path(fx, KEY_A, path, sizeof(path));
	assert_false(exists(path));
	assert_int_equal(key_files(fx), 0);
}

static void test_key_save_commit(void **state)
{
	struct fx *fx = *state;
	const char *pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
	char path[PATH_MAX], expect[PATH_MAX + 80];
	char *back = NULL;
	size_t len = 0;

	key_path(fx, KEY_A, path, sizeof(path));
	snprintf(expect, sizeof(expect), "%s/keys/%s.pem", fx->dir, KEY_A);
	assert_string_equal(path, expect);

	assert_int_equal(store_begin(fx->st), CK_OK);
	save_key(fx, KEY_A, pem);
	/* Written at once, born private, before the commit. */
	assert_true(S_ISREG(mode_of(path)));
	assert_int_equal(mode_of(path) & 07777, 0600);
	assert_true(store_key_exists(fx->st, KEY_A));
	/* The same key again, in the same transaction: quietly OK. */
	save_key(fx, KEY_A, pem);
	assert_int_equal(store_commit(fx->st), CK_OK);

	assert_true(store_key_exists(fx->st, KEY_A));
	assert_int_equal(mode_of(path) & 07777, 0600);
	assert_int_equal(key_files(fx), 1);
	assert_int_equal(store_key_load(fx->st, KEY_A, &back, &len), CK_OK);
	assert_int_equal(len, strlen(pem));
	assert_memory_equal(back, pem, len);
	ck_free_secret(back, len);

	/* And in a later transaction: OK, the stored file is kept as it was. */
	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(store_key_save(fx->st, KEY_A, "ec:P-256", "other", 5), CK_OK);
	store_rollback(fx->st);
	assert_true(exists(path)); /* a rollback removes only files it wrote */
	assert_int_equal(store_key_load(fx->st, KEY_A, &back, &len), CK_OK);
	assert_int_equal(len, strlen(pem));
	assert_memory_equal(back, pem, len);
	ck_free_secret(back, len);
}

static void test_key_save_rollback(void **state)
{
	struct fx *fx = *state;
	char path_a[PATH_MAX], path_b[PATH_MAX];

	key_path(fx, KEY_A, path_a, sizeof(path_a));
	key_path(fx, KEY_B, path_b, sizeof(path_b));
	assert_int_equal(store_begin(fx->st), CK_OK);
	save_key(fx, KEY_A, "a");
	save_key(fx, KEY_B, "b");
	save_key(fx, KEY_A, "a");
	assert_true(exists(path_a));
	assert_true(exists(path_b));
	store_rollback(fx->st);
	assert_false(exists(path_a));
	assert_false(exists(path_b));
	assert_false(store_key_exists(fx->st, KEY_A));
	assert_false(store_key_exists(fx->st, KEY_B));
	assert_int_equal(key_files(fx), 0);
}

static void test_key_save_refuses_bad_ids(void **state)
{
	struct fx *fx = *state;
	const char *bad[] = {
		"../../../../tmp/ck-escape",
		"aaaa000000000000000000000000000000000000000000000000000000000001", /* case */
		"AAAA00000000000000000000000000000000000000000000000000000000001",  /* 63 */
		"",
	};
	size_t i;

	assert_int_equal(store_begin(fx->st), CK_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(store_key_save(fx->st, bad[i], "ec:P-256", "x", 1), CK_EINVAL);
	store_rollback(fx->st);
	assert_int_equal(key_files(fx), 0);
	assert_false(exists("/tmp/ck-escape.pem"));
}

static void test_key_release(void **state)
{
	struct fx *fx = *state;
	struct store_request r;
	char path[PATH_MAX];
	int64_t id;

	key_path(fx, KEY_A, path, sizeof(path));
	assert_int_equal(store_begin(fx->st), CK_OK);
	save_key(fx, KEY_A, "a");
	id = add_cert(fx->st, THUMB_1, 1000, 0, KEY_A, NULL, 0);
	memset(&r, 0, sizeof(r));
	thumb_of(r.thumbprint, "EEEEEEEE", '0');
	snprintf(r.key_id, sizeof(r.key_id), "%s", KEY_A);
	snprintf(r.key_type, sizeof(r.key_type), "ec:P-256");
	r.subject = "CN=req";
	r.der = (uint8_t *)"\x30\x00";
	r.der_len = 2;
	assert_int_equal(store_request_insert(fx->st, &r), CK_OK);
	assert_int_equal(store_commit(fx->st), CK_OK);

	/* Used by a certificate and a request: kept. */
	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(store_key_release(fx->st, KEY_A), CK_OK);
	assert_int_equal(store_commit(fx->st), CK_OK);
	assert_true(store_key_exists(fx->st, KEY_A));
	assert_true(exists(path));

	/* Used by the request only: still kept. */
	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(store_cert_delete(fx->st, id), CK_OK);
	assert_int_equal(store_key_release(fx->st, KEY_A), CK_OK);
	assert_int_equal(store_commit(fx->st), CK_OK);
	assert_true(store_key_exists(fx->st, KEY_A));
	assert_true(exists(path));

	/* Unused, but the transaction is rolled back: kept. */
	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(store_request_delete(fx->st, r.id), CK_OK);
	assert_int_equal(store_key_release(fx->st, KEY_A), CK_OK);
	assert_true(exists(path));
	store_rollback(fx->st);
	assert_true(store_key_exists(fx->st, KEY_A));
	assert_true(exists(path));

	/* Unused and committed: the file goes, only after the commit. */
	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(store_request_delete(fx->st, r.id), CK_OK);
	assert_int_equal(store_key_release(fx->st, KEY_A), CK_OK);
	assert_false(store_key_exists(fx->st, KEY_A));
	assert_true(exists(path));
	assert_int_equal(store_commit(fx->st), CK_OK);
	assert_false(exists(path));
	assert_false(store_key_exists(fx->st, KEY_A));
	assert_int_equal(key_files(fx), 0);
}

/*
 * A key released and saved again in one transaction keeps its row and its
 * file: "a row in keys means the file exists". The key id is the hash of
 * the public key, so the same id is the same key: the file is left as it
 * was rather than rewritten.
 */
static void test_key_release_then_save_same_transaction(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX];
	char *pem = NULL;
	size_t len = 0;

	key_path(fx, KEY_A, path, sizeof(path));
	assert_int_equal(store_begin(fx->st), CK_OK);
	save_key(fx, KEY_A, "first");
	assert_int_equal(store_commit(fx->st), CK_OK);

	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(store_key_release(fx->st, KEY_A), CK_OK);
	save_key(fx, KEY_A, "second");
	assert_int_equal(store_commit(fx->st), CK_OK);

	assert_true(store_key_exists(fx->st, KEY_A));
	assert_true(exists(path));
	assert_int_equal(store_key_load(fx->st, KEY_A, &pem, &len), CK_OK);
	assert_int_equal(len, strlen("first"));
	assert_memory_equal(pem, "first", len);
	ck_free_secret(pem, len);
}

/*
 * Regression (src/store/store_keys.c store_key_save, with store_rollback in
 * src/store/store.c): the same sequence rolled back. store_key_save replaces
 * the existing file and puts the id on the created list; store_rollback
 * restores the key's row but unlinks the file, leaving a row in keys with
 * no key file (store_key_load then fails with CK_EIO). The file must be
 * left as it was before the transaction.
 */
static void test_key_release_then_save_rolled_back(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX];
	char *pem = NULL;
	size_t len = 0;

	key_path(fx, KEY_A, path, sizeof(path));
	assert_int_equal(store_begin(fx->st), CK_OK);
	save_key(fx, KEY_A, "first");
	assert_int_equal(store_commit(fx->st), CK_OK);

	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(store_key_release(fx->st, KEY_A), CK_OK);
	save_key(fx, KEY_A, "second");
	store_rollback(fx->st);

	assert_true(store_key_exists(fx->st, KEY_A));
	assert_true(exists(path));
	assert_int_equal(store_key_load(fx->st, KEY_A, &pem, &len), CK_OK);
	assert_int_equal(len, 5);
	assert_memory_equal(pem, "first", len);
	ck_free_secret(pem, len);
}

static void test_key_load_refuses_open_mode(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX];
	char *pem = NULL;
	size_t len = 0;

	assert_int_equal(store_key_load(fx->st, KEY_A, &pem, &len), CK_ENOTFOUND);
	assert_null(pem);
	key_path(fx, KEY_A, path, sizeof(path));
	assert_int_equal(store_begin(fx->st), CK_OK);
	save_key(fx, KEY_A, "secret");
	assert_int_equal(store_commit(fx->st), CK_OK);
	assert_int_equal(store_key_load(fx->st, KEY_A, &pem, &len), CK_OK);
	ck_free_secret(pem, len);
	pem = NULL;

	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(store_key_load(fx->st, KEY_A, &pem, &len), CK_EIO);
	assert_null(pem);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(store_key_load(fx->st, KEY_A, &pem, &len), CK_OK);
	ck_free_secret(pem, len);
}

/* ---- pending requests ---- */

static void fill_request(struct store_request *r, const char *thumb, const char *key_id,
			 int64_t created, char **domains, size_t n)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->thumbprint, sizeof(r->thumbprint), "%s", thumb);
	snprintf(r->key_id, sizeof(r->key_id), "%s", key_id);
	snprintf(r->key_type, sizeof(r->key_type), "rsa:2048");
	r->subject = "CN=req";
	r->domains = domains;
	r->n_domains = n;
	r->services = 0x18;
	r->created = created;
	r->der = (uint8_t *)"\x30\x03\x02\x01\x07";
	r->der_len = 5;
}

struct req_seen {
	char thumbs[4][41];
	int n;
	int stop_after;
};

static int collect_request(const struct store_request *r, void *arg)
{
	struct req_seen *s = arg;

	if (s->n < 4)
		snprintf(s->thumbs[s->n], 41, "%s", r->thumbprint);
	s->n++;
	return s->stop_after && s->n >= s->stop_after ? 7 : 0;
}

static void test_requests(void **state)
{
	struct fx *fx = *state;
	char *domains[] = { "www.example.com", "*.example.com" };
	struct store_request r1, r2, out;
	struct req_seen s = { .n = 0 };
	char t1[41], t2[41];

	thumb_of(t1, "CCCC1111", '0');
	thumb_of(t2, "CCCC2222", '0');
	fill_request(&r1, t1, KEY_A, 100, domains, 2);
	fill_request(&r2, t2, KEY_B, 200, domains, 1);
	assert_int_equal(store_request_insert(fx->st, &r1), CK_OK);
	assert_int_equal(store_request_insert(fx->st, &r2), CK_OK);
	assert_true(r1.id > 0);
	assert_true(r2.id != r1.id);
	assert_int_equal(store_request_insert(fx->st, &r1), CK_EEXIST);

	assert_int_equal(store_request_find(fx->st, "cccc1111", &out), CK_OK);
	assert_int_equal(out.id, r1.id);
	assert_string_equal(out.thumbprint, t1);
	assert_string_equal(out.key_id, KEY_A);
	assert_string_equal(out.key_type, "rsa:2048");
	assert_string_equal(out.subject, "CN=req");
	assert_int_equal(out.n_domains, 2);
	assert_string_equal(out.domains[0], "www.example.com");
	assert_string_equal(out.domains[1], "*.example.com");
	assert_int_equal(out.services, 0x18);
	assert_int_equal(out.created, 100);
	assert_int_equal(out.der_len, 5);
	assert_memory_equal(out.der, r1.der, 5);
	store_request_clear(&out);
	assert_int_equal(store_request_find(fx->st, "CCCC", &out), CK_EINVAL);
	assert_int_equal(store_request_find(fx->st, "CCCCCCCC", &out), CK_ENOTFOUND);
	assert_int_equal(store_request_find(fx->st, "CCCC1111", &out), CK_OK);
	store_request_clear(&out);

	assert_int_equal(store_request_find_by_key(fx->st, KEY_B, &out), CK_OK);
	assert_string_equal(out.thumbprint, t2);
	assert_int_equal(out.n_domains, 1);
	store_request_clear(&out);
	assert_int_equal(store_request_find_by_key(fx->st, "00", &out), CK_ENOTFOUND);

	/* Newest first; an early stop returns the callback's code. */
	assert_int_equal(store_request_each(fx->st, collect_request, &s), CK_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.thumbs[0], t2);
	assert_string_equal(s.thumbs[1], t1);
	s = (struct req_seen){ .stop_after = 1 };
	assert_int_equal(store_request_each(fx->st, collect_request, &s), 7);
	assert_int_equal(s.n, 1);

	assert_int_equal(store_request_delete(fx->st, r1.id), CK_OK);
	assert_int_equal(store_request_find(fx->st, t1, &out), CK_ENOTFOUND);
	assert_int_equal(store_request_find_by_key(fx->st, KEY_A, &out), CK_ENOTFOUND);
	s = (struct req_seen){ .n = 0 };
	assert_int_equal(store_request_each(fx->st, collect_request, &s), CK_OK);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.thumbs[0], t2);
}

/* ---- events, cursors, config ---- */

static void append(struct fx *fx, int id, int64_t time, const char *fields, int64_t *seq)
{
	struct store_event ev = {
		.time = time,
		.id = id,
		.level = "info",
		.source = "certkeep-test",
		.message = "a message",
		.fields = fields,
	};

	if (store_event_append(fx->st, &ev, seq) != CK_OK)
		fail_msg("store_event_append: %s", ck_errmsg());
}

struct ev_seen {
	int64_t seqs[16];
	int ids[16];
	int n;
	int stop_after;
};

static int collect_event(const struct store_event *ev, void *arg)
{
	struct ev_seen *s = arg;

	if (s->n < 16) {
		s->seqs[s->n] = ev->seq;
		s->ids[s->n] = ev->id;
	}
	s->n++;
	return s->stop_after && s->n >= s->stop_after ? 9 : 0;
}

static struct ev_seen events(struct fx *fx, struct store_event_filter f)
{
	struct ev_seen s = { .n = 0 };

	assert_int_equal(store_event_each(fx->st, &f, collect_event, &s), CK_OK);
	return s;
}

static int check_event_fields(const struct store_event *ev, void *arg)
{
	int *n = arg;

	assert_int_equal(ev->id, 1006);
	assert_int_equal(ev->time, 500);
	assert_string_equal(ev->level, "info");
	assert_string_equal(ev->source, "certkeep-test");
	assert_string_equal(ev->message, "a message");
	assert_string_equal(ev->fields, *n == 0 ? "{\"A\":1}" : "{}");
	(*n)++;
	return 0;
}

static void test_events_only_in_transaction(void **state)
{
	struct fx *fx = *state;
	struct store_event ev = { .time = 1, .id = 1006, .level = "info",
				  .source = "certkeep", .message = "m" };
	struct store_event_filter all = { 0 };
	int64_t s1 = 0, s2 = 0, s3 = 0;
	int n = 0;

	assert_int_not_equal(store_event_append(fx->st, &ev, NULL), CK_OK);
	assert_int_equal(events(fx, all).n, 0);

	assert_int_equal(store_begin(fx->st), CK_OK);
	append(fx, 1006, 500, "{\"A\":1}", &s1);
	append(fx, 1006, 500, NULL, &s2); /* no fields: an empty object */
	assert_true(s2 > s1);
	assert_int_equal(store_commit(fx->st), CK_OK);

	assert_int_equal(store_begin(fx->st), CK_OK);
	append(fx, 1004, 600, NULL, NULL);
	store_rollback(fx->st);
	assert_int_equal(events(fx, all).n, 2);
	assert_int_equal(store_event_each(fx->st, &all, check_event_fields, &n), CK_OK);
	assert_int_equal(n, 2);

	/* Sequence numbers are never reused, not even after a rollback. */
	assert_int_equal(store_begin(fx->st), CK_OK);
	append(fx, 1004, 600, NULL, &s3);
	assert_int_equal(store_commit(fx->st), CK_OK);
	assert_true(s3 > s2);
}

static void test_event_each_filters(void **state)
{
	struct fx *fx = *state;
	int64_t seq[5];
	struct ev_seen s;
	int i;
	const int ids[] = { 1006, 1004, 1006, 1001, 1006 };

	assert_int_equal(store_begin(fx->st), CK_OK);
	for (i = 0; i < 5; i++)
		append(fx, ids[i], 1000 + 100 * i, NULL, &seq[i]);
	assert_int_equal(store_commit(fx->st), CK_OK);

	s = events(fx, (struct store_event_filter){ 0 });
	assert_int_equal(s.n, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(s.seqs[i], seq[i]); /* in sequence order */
		assert_int_equal(s.ids[i], ids[i]);
	}
	s = events(fx, (struct store_event_filter){ .id = 1006 });
	assert_int_equal(s.n, 3);
	assert_int_equal(s.seqs[0], seq[0]);
	assert_int_equal(s.seqs[1], seq[2]);
	assert_int_equal(s.seqs[2], seq[4]);
	s = events(fx, (struct store_event_filter){ .since = 1200 }); /* at or after */
	assert_int_equal(s.n, 3);
	assert_int_equal(s.seqs[0], seq[2]);
	s = events(fx, (struct store_event_filter){ .after_seq = seq[3] }); /* strictly after */
	assert_int_equal(s.n, 1);
	assert_int_equal(s.seqs[0], seq[4]);
	s = events(fx, (struct store_event_filter){ .limit = 2 });
	assert_int_equal(s.n, 2);
	assert_int_equal(s.seqs[1], seq[1]);
	s = events(fx, (struct store_event_filter){ .id = 1006, .after_seq = seq[0], .limit = 1 });
	assert_int_equal(s.n, 1);
	assert_int_equal(s.seqs[0], seq[2]);
	s = events(fx, (struct store_event_filter){ .id = 1002 });
	assert_int_equal(s.n, 0);

	s = (struct ev_seen){ .stop_after = 3 };
	assert_int_equal(store_event_each(fx->st, &(struct store_event_filter){ 0 },
					  collect_event, &s),
			 9);
	assert_int_equal(s.n, 3);
}

static void test_cursors(void **state)
{
	struct fx *fx = *state;
	int64_t seq = -1;

	assert_int_equal(store_cursor_get(fx->st, "mail", &seq), CK_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(store_cursor_set(fx->st, "mail", 5), CK_OK);
	assert_int_equal(store_cursor_get(fx->st, "mail", &seq), CK_OK);
	assert_int_equal(seq, 5);
	assert_int_equal(store_cursor_set(fx->st, "mail", 12), CK_OK);
	assert_int_equal(store_cursor_get(fx->st, "mail", &seq), CK_OK);
	assert_int_equal(seq, 12);
	assert_int_equal(store_cursor_get(fx->st, "tasks", &seq), CK_OK);
	assert_int_equal(seq, 0);
	/* Moved inside a transaction, with the reaction: rolled back together. */
	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(store_cursor_set(fx->st, "mail", 20), CK_OK);
	store_rollback(fx->st);
	assert_int_equal(store_cursor_get(fx->st, "mail", &seq), CK_OK);
	assert_int_equal(seq, 12);
}

static void test_config(void **state)
{
	struct fx *fx = *state;
	char *v = (char *)"untouched";

	assert_int_equal(store_config_get(fx->st, "host.fqdn", &v), CK_ENOTFOUND);
	assert_null(v);
	assert_int_equal(store_config_set(fx->st, "host.fqdn", "mx1.contoso.test"), CK_OK);
	assert_int_equal(store_config_get(fx->st, "host.fqdn", &v), CK_OK);
	assert_string_equal(v, "mx1.contoso.test");
	free(v);
	assert_int_equal(store_config_set(fx->st, "host.fqdn", "mx2.contoso.test"), CK_OK);
	assert_int_equal(store_config_get(fx->st, "host.fqdn", &v), CK_OK);
	assert_string_equal(v, "mx2.contoso.test");
	free(v);
	assert_int_equal(store_config_set(fx->st, "empty", ""), CK_OK);
	assert_int_equal(store_config_get(fx->st, "empty", &v), CK_OK);
	assert_string_equal(v, "");
	free(v);
	assert_int_equal(store_config_get(fx->st, "HOST.FQDN", &v), CK_ENOTFOUND);
	assert_null(v);
}

/* The write-ahead log outlives a command (no copy back at every close), and
 * is copied back and truncated once it holds 256 pages. */
static off_t wal_size(const struct fx *fx)
{
	char path[PATH_MAX + 16];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/" STORE_DB_NAME "-wal", fx->dir);
	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static void test_log_kept_then_truncated(void **state)
{
	struct fx *fx = *state;
	char big[3000], *v = NULL;
	int i;

	assert_int_equal(store_config_set(fx->st, "small", "1"), CK_OK);
	store_close(fx->st);
	assert_true(wal_size(fx) > 0);
	assert_int_equal(store_open(fx->dir, false, &fx->st), CK_OK);
	assert_int_equal(store_config_get(fx->st, "small", &v), CK_OK);
	assert_string_equal(v, "1");
	free(v);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 300; i++) { /* a page or more each */
		big[0] = (char)('a' + i % 26);
		assert_int_equal(store_config_set(fx->st, "big", big), CK_OK);
	}
	store_close(fx->st);
	assert_int_equal(wal_size(fx), 0);
	assert_int_equal(store_open(fx->dir, false, &fx->st), CK_OK);
	assert_int_equal(store_config_get(fx->st, "big", &v), CK_OK);
	assert_int_equal(v[0], 'a' + 299 % 26);
	free(v);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_creates_private_layout),
		T(test_reopen_keeps_data),
		T(test_open_missing_is_notfound),
		T(test_open_refuses_open_modes),
		T(test_open_refuses_newer_schema),
		T(test_default_dir_precedence),
		T(test_transactions),
		T(test_cert_round_trip),
		T(test_cert_find_forms),
		T(test_cert_find_bad_input),
		T(test_cert_find_ambiguous_prefix),
		T(test_cert_duplicate),
		T(test_cert_each_order),
		T(test_cert_each_filters),
		T(test_cert_each_early_stop),
		T(test_due_pages),
		T(test_cert_domains_keep_order),
		T(test_cert_update_and_delete),
		T(test_key_save_needs_transaction),
		T(test_key_save_commit),
		T(test_key_save_rollback),
		T(test_key_save_refuses_bad_ids),
		T(test_key_release),
		T(test_key_release_then_save_same_transaction),
		T(test_key_release_then_save_rolled_back),
		T(test_key_load_refuses_open_mode),
		T(test_requests),
		T(test_events_only_in_transaction),
		T(test_event_each_filters),
		T(test_cursors),
		T(test_config),
		T(test_log_kept_then_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
