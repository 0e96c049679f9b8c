/*
 * bindings.c - deploying a certificate to the files a server reads,
 * rebinding on renewal, and the autorebind reaction (DESIGN.md §7).
 *
 * Invariants: a key is checked against its certificate before anything is
 * written; each file is replaced atomically with its final owner, group and
 * mode; a binding row moves to the new certificate only after its files
 * hold it. So a server that reloads at any moment reads either the old
 * pair or the new pair, never a mix within one file.
 */
#include "core/lifecycle/bindings.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pki/pki.h"
#include "base/array.h"
#include "base/clock.h"
#include "core/events/config.h"
#include "core/events/events.h"
#include "core/lifecycle/deploy.h"
#include "base/fileio.h"
#include "base/names.h"
#include "core/lifecycle/tasks.h"

static bool valid_site(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return i >= 1 && i <= 64;
}

static bool is_absolute_or_empty(const char *p)
{
	return p[0] == '\0' || p[0] == '/';
}

/* Whether a link's text is one certkeep makes at a binding's path:
 * [D/].certkeep+SITE/FILE (deploy.h). */
static bool certkeep_link(const char *text)
{
	static const char *const files[] = { "cert.pem", "chain.pem", "key.pem", "combined.pem" };
	const char *s = text, *slash;
	char site[65];
	size_t i;

	if (text[0] == '/') {
		s = strstr(text, "/.certkeep+");
		while (s != NULL && strstr(s + 1, "/.certkeep+") != NULL)
			s = strstr(s + 1, "/.certkeep+");
		if (s == NULL)
			return false;
		s++;
	}
	if (strncmp(s, ".certkeep+", 10) != 0)
		return false;
	s += 10;
	slash = strchr(s, '/');
	if (slash == NULL || (size_t)(slash - s) >= sizeof(site))
		return false;
	memcpy(site, s, (size_t)(slash - s));
	site[slash - s] = '\0';
	if (!valid_site(site))
		return false;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (strcmp(slash + 1, files[i]) == 0)
			return true;
	return false;
}

/* A path bind add takes (opt names it): absolute and plain (no '.', '..'
 * or empty component, so what is checked is what is written), not under
 * /dev, /proc or /sys, with a name that leaves room for PATH.certkeep-old;
 * if something is there, a regular file (kept as PATH.certkeep-old) or a
 * link certkeep made. The directories are checked when deploying. */
static enum ck_err check_path(const char *opt, const char *p)
{
	static const char *const kernel[] = { "/dev/", "/proc/", "/sys/" };
	const char *base = strrchr(p, '/');
	char text[PATH_MAX];
	struct stat st;
	ssize_t n;
	size_t i;

	if (p[0] == '\0')
		return CK_OK;
	if (strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../") || base == NULL ||
	    strcmp(base, "/.") == 0 || strcmp(base, "/..") == 0 || base[1] == '\0')
		return ck_fail(CK_EINVAL, "%s '%.200s': give a plain file path (no '.', '..' or "
					  "'//')", opt, p);
	if (strlen(base + 1) > 200)
		return ck_fail(CK_EINVAL, "%s '%.200s': the file name is too long", opt, p);
	for (i = 0; i < sizeof(kernel) / sizeof(kernel[0]); i++)
		if (strncmp(p, kernel[i], strlen(kernel[i])) == 0)
			return ck_fail(CK_EINVAL, "%s '%.200s': no binding's files go under %.*s",
				       opt, p, (int)strlen(kernel[i]) - 1, kernel[i]);
	if (lstat(p, &st) != 0)
		return errno == ENOENT ? CK_OK
				       : ck_fail_errno(CK_EINVAL, "%s '%.200s'", opt, p);
	if (S_ISREG(st.st_mode))
		return CK_OK;
	if (S_ISLNK(st.st_mode)) {
		n = readlink(p, text, sizeof(text) - 1);
		if (n > 0 && (text[n] = '\0', certkeep_link(text)))
			return CK_OK;
		return ck_fail(CK_EINVAL, "%s '%.200s' is a symbolic link certkeep did not make: "
					  "remove it or give another path", opt, p);
	}
	return ck_fail(CK_EINVAL, "%s '%.200s' is %s, not a regular file", opt, p,
		       S_ISDIR(st.st_mode)    ? "a directory"
		       : S_ISFIFO(st.st_mode) ? "a FIFO"
		       : S_ISSOCK(st.st_mode) ? "a socket"
					      : "a device");
}

/* No space or control byte: an endpoint is shown in events and messages. */
static bool printable_token(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Deploys b's files for thumb and runs its check command; a failed check
 * puts the previous files back. On success *d must be finished or reverted
 * by the caller. */
static enum ck_err deploy_checked(struct store *st, const struct store_binding *b,
				  const char *thumb, struct ck_deployment *d)
{
	enum ck_err rc = ck_deploy(st, b, thumb, d);

	if (rc == CK_OK && b->check[0]) {
		rc = ck_run_hook("check", b->check, b->site, thumb);
		if (rc != CK_OK) {
			char why[512];

			snprintf(why, sizeof(why), "%s", ck_errmsg());
			if (ck_deploy_revert(b, d) == CK_OK)
				rc = ck_fail(rc, "site %s: %s; the previous files are back", b->site,
					     why);
			else
				rc = ck_fail(rc, "site %s: %s; putting the previous files back "
						 "failed too: %s", b->site, why, ck_errmsg());
		}
	}
	return rc;
}

/* A certificate not enabled for a binding's service: what a server of that
 * service would not be offered by select. */
static enum ck_err service_enabled(const struct store_cert *c, const struct store_binding *b)
{
	const char *svc = ck_service_name(b->service);

	if (c->services & b->service)
		return CK_OK;
	return ck_fail(CK_EINVAL,
		       "certificate %s is not enabled for %s (site %s): run certkeep enable %s "
		       "--services %s, or give --force",
		       c->thumbprint, svc, b->site, c->thumbprint, svc);
}

/* Runs a reload command and records that it is no longer owed. */
static enum ck_err reload(struct store *st, const char *cmd, const char *site, const char *thumb)
{
	enum ck_err rc = ck_run_hook("reload", cmd, site, thumb);

	if (rc != CK_OK)
		return rc;
	rc = store_begin(st);
	if (rc == CK_OK)
		rc = store_binding_set_reload_pending(st, cmd, false);
	if (rc == CK_OK)
		return store_commit(st);
	store_rollback(st);
	return rc;
}

static enum ck_err bind_add_locked(struct store *st, struct store_binding *b, bool force)
{
	struct ck_deployment d;
	struct store_cert c;
	char host[256];
	const char *colon;
	enum ck_err rc;

	if (!valid_site(b->site))
		return ck_fail(CK_EINVAL, "invalid site name '%.64s': 1-64 letters, digits, '.', '_', '-'",
			       b->site);
	colon = strrchr(b->endpoint, ':');
	if (colon == NULL || colon == b->endpoint || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) || strlen(colon + 1) > 5 ||
	    strtol(colon + 1, NULL, 10) < 1 || strtol(colon + 1, NULL, 10) > 65535 ||
	    !printable_token(b->endpoint) || (size_t)(colon - b->endpoint) >= sizeof(host))
		return ck_fail(CK_EINVAL,
			       "--endpoint must be HOST:PORT (PORT 1-65535, no spaces), not '%.80s'",
			       b->endpoint);
	if (ck_service_name(b->service) == NULL)
		return ck_fail(CK_EUSAGE, "--service takes one service");
	if (b->cert_file[0] == '\0')
		return ck_fail(CK_EUSAGE, "give --cert-file PATH");
	if (!is_absolute_or_empty(b->cert_file) || !is_absolute_or_empty(b->chain_file) ||
	    !is_absolute_or_empty(b->key_file) || !is_absolute_or_empty(b->combined_file))
		return ck_fail(CK_EINVAL, "file paths must be absolute (the server reads them later)");
	rc = check_path("--cert-file", b->cert_file);
	if (rc == CK_OK)
		rc = check_path("--chain-file", b->chain_file);
	if (rc == CK_OK)
		rc = check_path("--key-file", b->key_file);
	if (rc == CK_OK)
		rc = check_path("--combined-file", b->combined_file);
	if (rc != CK_OK)
		return rc;
	if (b->mode & 07)
		return ck_fail(CK_EINVAL, "--mode %04o would make the key readable by everyone",
			       b->mode);
	rc = store_cert_find(st, b->thumbprint, &c);
	if (rc != CK_OK)
		return rc;
	snprintf(b->thumbprint, sizeof(b->thumbprint), "%s", c.thumbprint);
	rc = force ? CK_OK : service_enabled(&c, b);
	store_cert_clear(&c);
	if (rc != CK_OK)
		return rc;
	rc = store_binding_exists(st, b->site);
	if (rc != CK_OK)
		return rc;
	b->created = ck_now();
	b->reload_pending = b->reload[0] != '\0';
	/* Files first, outside the transaction (the check may take a while);
	 * they are put back if the binding cannot be recorded. */
	rc = deploy_checked(st, b, b->thumbprint, &d);
	if (rc != CK_OK)
		return rc;
	rc = store_begin(st);
	if (rc == CK_OK)
		rc = store_binding_insert(st, b);
	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_BINDING_ADDED,
				   json_pack("{s:s, s:s, s:s, s:s}", "Site", b->site, "Endpoint",
					     b->endpoint, "Thumbprint", b->thumbprint, "CertFile",
					     b->cert_file),
				   "Site %s (%s) is bound to certificate %s.", b->site, b->endpoint,
				   b->thumbprint);
	if (rc == CK_OK)
		rc = ck_commit(st);
	else
		ck_rollback(st);
	if (rc != CK_OK) {
		char why[512];

		snprintf(why, sizeof(why), "%s", ck_errmsg());
		ck_deploy_revert(b, &d);
		return ck_fail(rc, "%s", why);
	}
	ck_deploy_finish(b, &d);
	if (b->reload[0])
		rc = reload(st, b->reload, b->site, b->thumbprint);
	return rc;
}

enum ck_err ck_bind_add(struct store *st, struct store_binding *b, bool force)
{
	enum ck_err rc = ck_deploy_lock(st);

	if (rc != CK_OK)
		return rc;
	rc = bind_add_locked(st, b, force);
	ck_deploy_unlock();
	return rc;
}

enum ck_err ck_bind_remove(struct store *st, const char *site)
{
	enum ck_err rc = store_begin(st);

	if (rc != CK_OK)
		return rc;
	rc = store_binding_delete(st, site);
	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_BINDING_REMOVED, json_pack("{s:s}", "Site", site),
				   "Site %s is no longer bound (its files stay).", site);
	if (rc != CK_OK) {
		ck_rollback(st);
		return rc;
	}
	return ck_commit(st);
}

/* The thumbprint of the first certificate in a PEM file, or "". */
static void file_thumbprint(const char *path, char out[41])
{
	struct pki_cert_info info;
	struct pki_cert *cert = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;

	out[0] = '\0';
	/* The binding's owner may have put anything there: a FIFO must not
	 * hang bind list. */
	if (path[0] && ck_read_regular_file(path, CK_INPUT_MAX, &buf, &len) == CK_OK &&
	    pki_cert_parse(buf, len, &cert) == CK_OK && pki_cert_info_get(cert, &info) == CK_OK) {
		snprintf(out, 41, "%s", info.thumbprint);
		pki_cert_info_clear(&info);
	}
	ck_errmsg_clear();
	pki_cert_free(cert);
	free(buf);
}

static int list_one(const struct store_binding *b, void *arg)
{
	char on_disk[41], combined[41] = "";
	bool match;

	file_thumbprint(b->cert_file, on_disk);
	if (b->combined_file[0])
		file_thumbprint(b->combined_file, combined);
	match = strcmp(on_disk, b->thumbprint) == 0 &&
		(!b->combined_file[0] || strcmp(combined, b->thumbprint) == 0);
	return json_array_append_new(
		       arg,
		       json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:b, s:s}",
				 "Site", b->site, "Endpoint", b->endpoint, "Service",
				 ck_service_name(b->service), "Thumbprint", b->thumbprint,
				 "CertFile", b->cert_file, "ChainFile",
				 b->chain_file[0] ? b->chain_file : NULL, "KeyFile",
				 b->key_file[0] ? b->key_file : NULL, "CombinedFile",
				 b->combined_file[0] ? b->combined_file : NULL, "Reload",
				 b->reload[0] ? b->reload : NULL, "FilesMatch", match,
				 "OnDisk", on_disk)) == 0
		       ? 0
		       : CK_ENOMEM;
}

enum ck_err ck_bind_list(struct store *st, json_t **out)
{
	json_t *a = json_array();
	enum ck_err rc;

	if (a == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	rc = store_binding_each(st, NULL, list_one, a);
	if (rc != CK_OK) {
		json_decref(a);
		return rc;
	}
	*out = a;
	return CK_OK;
}

/* ---- rebinding ---- */

struct blist {
	struct store_binding *b;
	size_t n;
};

static int gather_binding(const struct store_binding *b, void *arg)
{
	struct blist *l = arg;
	struct store_binding *grown = ck_array_grow(l->b, l->n, sizeof(*grown));

	if (grown == NULL)
		return CK_ENOMEM;
	l->b = grown;
	l->b[l->n++] = *b;
	return 0;
}

struct pred_ctx {
	struct store *st;
	struct blist *l;
};

static int gather_pred(const char *thumb, void *arg)
{
	struct pred_ctx *p = arg;

	return (int)store_binding_each(p->st, thumb, gather_binding, p->l);
}

/* The newest event about a site's moves (1052 moved, 1053 failed). */
struct site_news {
	const char *site;
	int64_t seq;
	int id;
	char new_thumb[41], error[512];
};

static int newest_about_site(const struct store_event *ev, void *arg)
{
	struct site_news *n = arg;
	json_t *f = json_loads(ev->fields, 0, NULL);
	const char *site = json_string_value(json_object_get(f, "Site"));
	const char *thumb = json_string_value(json_object_get(f, "NewThumbprint"));
	const char *error = json_string_value(json_object_get(f, "Error"));

	if (site && strcmp(site, n->site) == 0 && ev->seq > n->seq) {
		n->seq = ev->seq;
		n->id = ev->id;
		snprintf(n->new_thumb, sizeof(n->new_thumb), "%s", thumb ? thumb : "");
		snprintf(n->error, sizeof(n->error), "%s", error ? error : "");
	}
	json_decref(f);
	return 0;
}

/* Whether the newest event about site already reports this failure: the
 * monitor retries a stuck binding on every pass, and the same failure
 * again is not news (one mail for it, not one per pass). A move in
 * between, another certificate or another error is reported. */
static bool failure_known(struct store *st, const char *site, const char *new_thumb,
			  const char *why)
{
	struct site_news n = { .site = site };
	struct store_event_filter moved = { .id = CK_EV_BINDING_MOVED };
	struct store_event_filter failed = { .id = CK_EV_BINDING_FAILED };

	if (store_event_each(st, &moved, newest_about_site, &n) != CK_OK ||
	    store_event_each(st, &failed, newest_about_site, &n) != CK_OK) {
		ck_errmsg_clear();
		return false; /* when in doubt, report it */
	}
	return n.id == CK_EV_BINDING_FAILED && strcmp(n.new_thumb, new_thumb) == 0 &&
	       strcmp(n.error, why) == 0;
}

/* Records a binding that could not move (event 1053), once per failure. */
static enum ck_err record_failure(struct store *st, const char *site, const char *new_thumb,
				  const char *why)
{
	enum ck_err rc;

	if (failure_known(st, site, new_thumb, why))
		return CK_OK;
	rc = store_begin(st);

	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_BINDING_FAILED,
				   json_pack("{s:s, s:s, s:s}", "Site", site, "NewThumbprint",
					     new_thumb, "Error", why),
				   "Site %s: %s", site, why);
	if (rc == CK_OK)
		return ck_commit(st);
	ck_rollback(st);
	return rc;
}

/* Moves one binding: files, check, then the row with its event (the
 * reload becomes owed in the same transaction). */
static enum ck_err move_binding(struct store *st, const struct store_binding *b,
				const char *new_thumb)
{
	struct ck_deployment d;
	enum ck_err rc = deploy_checked(st, b, new_thumb, &d);

	if (rc != CK_OK)
		return rc;
	rc = store_begin(st);
	if (rc == CK_OK)
		rc = store_binding_set_thumbprint(st, b->site, new_thumb);
	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_BINDING_MOVED,
				   json_pack("{s:s, s:s, s:s}", "Site", b->site, "OldThumbprint",
					     b->thumbprint, "NewThumbprint", new_thumb),
				   "Site %s moved from certificate %s to %s.", b->site,
				   b->thumbprint, new_thumb);
	if (rc == CK_OK)
		rc = ck_commit(st);
	else
		ck_rollback(st);
	if (rc != CK_OK) {
		char why[512];

		snprintf(why, sizeof(why), "%s", ck_errmsg());
		ck_deploy_revert(b, &d);
		return ck_fail(rc, "%s", why);
	}
	ck_deploy_finish(b, &d);
	return CK_OK;
}

/* Runs each distinct reload command of l (those with reload[0]) once. A
 * failure is event 1053; the reload stays owed for the next monitor pass. */
static enum ck_err reload_each(struct store *st, struct blist *l, json_t *out)
{
	enum ck_err rc = CK_OK, first = CK_OK;
	size_t i, j;

	for (i = 0; rc == CK_OK && i < l->n; i++) {
		bool seen = false;
		enum ck_err r;

		if (l->b[i].reload[0] == '\0')
			continue;
		for (j = 0; j < i; j++)
			seen = seen || strcmp(l->b[j].reload, l->b[i].reload) == 0;
		if (seen)
			continue;
		r = reload(st, l->b[i].reload, l->b[i].site, l->b[i].thumbprint);
		if (out)
			json_array_append_new(out, json_pack("{s:s, s:s, s:s?}", "Reload",
							     l->b[i].reload, "Result",
							     r == CK_OK ? "done" : "failed", "Error",
							     r == CK_OK ? NULL : ck_errmsg()));
		if (r != CK_OK) {
			char why[512];

			snprintf(why, sizeof(why), "%s", ck_errmsg());
			if (first == CK_OK)
				first = r;
			rc = record_failure(st, l->b[i].site, l->b[i].thumbprint, why);
			ck_fail(first, "%s", why);
		}
	}
	return rc != CK_OK ? rc : first;
}

static enum ck_err rebind_locked(struct store *st, const char *old_thumb,
				 const char *new_thumb, bool force, json_t **report)
{
	struct store_cert oldc, newc;
	struct blist l = { NULL, 0 };
	struct pred_ctx pc = { st, &l };
	json_t *out = json_array();
	enum ck_err rc, first = CK_OK;
	char first_why[512] = "";
	size_t i;

	memset(&oldc, 0, sizeof(oldc));
	memset(&newc, 0, sizeof(newc));
	if (out == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	rc = store_cert_find(st, old_thumb, &oldc);
	if (rc == CK_OK)
		rc = store_cert_find(st, new_thumb, &newc);
	if (rc == CK_OK && !newc.has_key)
		rc = ck_fail(CK_EINVAL, "certificate %s has no private key to deploy",
			     newc.thumbprint);
	if (rc == CK_OK)
		rc = store_binding_each(st, oldc.thumbprint, gather_binding, &l);
	if (rc == CK_OK)
		rc = store_cert_each_predecessor(st, oldc.thumbprint, gather_pred, &pc);
	/* Every binding checked before any moves: a refusal changes nothing. */
	for (i = 0; rc == CK_OK && !force && i < l.n; i++)
		rc = service_enabled(&newc, &l.b[i]);
	for (i = 0; rc == CK_OK && i < l.n; i++) {
		struct store_binding *b = &l.b[i];
		enum ck_err r = move_binding(st, b, newc.thumbprint);
		char why[512];

		snprintf(why, sizeof(why), "%s", r == CK_OK ? "" : ck_errmsg());
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s?}", "Site", b->site,
						     "From", b->thumbprint, "Result",
						     r == CK_OK ? "moved" : "failed", "Error",
						     r == CK_OK ? NULL : why));
		if (r != CK_OK) {
			if (first == CK_OK) {
				first = r;
				snprintf(first_why, sizeof(first_why), "%s", why);
			}
			rc = record_failure(st, b->site, newc.thumbprint, why);
			b->reload[0] = '\0'; /* not reloaded: it still has the old files */
		} else {
			snprintf(b->thumbprint, sizeof(b->thumbprint), "%s", newc.thumbprint);
		}
	}
	/* Each distinct reload command once, after every file is in place. */
	if (rc == CK_OK) {
		enum ck_err r = reload_each(st, &l, NULL);

		if (first == CK_OK && r != CK_OK) {
			first = r;
			snprintf(first_why, sizeof(first_why), "%s", ck_errmsg());
		}
	}
	/* The first failure is the one reported. */
	if (rc == CK_OK && first != CK_OK)
		rc = ck_fail(first, "%s", first_why);
	free(l.b);
	store_cert_clear(&oldc);
	store_cert_clear(&newc);
	if (rc != CK_OK && rc != first) {
		json_decref(out);
		return rc;
	}
	*report = out;
	return rc;
}

enum ck_err ck_rebind(struct store *st, const char *old_thumb, const char *new_thumb,
		      bool force, json_t **report)
{
	enum ck_err rc = ck_deploy_lock(st);

	if (rc != CK_OK)
		return rc;
	rc = rebind_locked(st, old_thumb, new_thumb, force, report);
	ck_deploy_unlock();
	return rc;
}

static int gather_owed(const struct store_binding *b, void *arg)
{
	return b->reload_pending ? gather_binding(b, arg) : 0;
}

enum ck_err ck_reloads_owed(struct store *st, json_t *report)
{
	struct blist l = { NULL, 0 };
	enum ck_err rc = store_binding_each(st, NULL, gather_owed, &l);

	if (rc == CK_OK)
		rc = reload_each(st, &l, report);
	free(l.b);
	return rc;
}

enum ck_err ck_autorebind_set(struct store *st, bool on)
{
	enum ck_err rc = store_begin(st);

	if (rc != CK_OK)
		return rc;
	rc = ck_config_put_bool(st, CK_CFG_AUTOREBIND, on);
	if (rc == CK_OK && on) {
		int64_t last = 0;

		/* Turning it on reacts to renewals from now on, not to old ones. */
		rc = store_event_last_seq(st, &last);
		if (rc == CK_OK)
			rc = store_cursor_set(st, "autorebind", last);
	}
	if (rc != CK_OK) {
		ck_rollback(st);
		return rc;
	}
	return ck_commit(st);
}

bool ck_autorebind_get(struct store *st)
{
	return ck_config_bool(st, CK_CFG_AUTOREBIND);
}

struct pending_1001 {
	int64_t seq;
	char old_t[41], new_t[41];
};

static int first_1001(const struct store_event *ev, void *arg)
{
	struct pending_1001 *p = arg;
	json_t *f = json_loads(ev->fields, 0, NULL);
	const char *o = json_string_value(json_object_get(f, "OldThumbprint"));
	const char *n = json_string_value(json_object_get(f, "NewThumbprint"));

	p->seq = ev->seq;
	snprintf(p->old_t, sizeof(p->old_t), "%s", o ? o : "");
	snprintf(p->new_t, sizeof(p->new_t), "%s", n ? n : "");
	json_decref(f);
	return STORE_STOP; /* one at a time: the reaction writes to the store */
}

static enum ck_err autorebind_locked(struct store *st);

/* Under the deployment lock: another process reacting to the same event
 * waits, then finds the cursor moved. */
static enum ck_err autorebind_run(struct store *st)
{
	enum ck_err rc;

	if (!ck_autorebind_get(st))
		return CK_OK;
	rc = ck_deploy_lock(st);
	if (rc != CK_OK)
		return rc;
	rc = autorebind_locked(st);
	ck_deploy_unlock();
	return rc;
}

static enum ck_err autorebind_locked(struct store *st)
{
	enum ck_err rc = CK_OK, failed = CK_OK;
	char why[512] = "";
	int64_t cursor = 0;

	if (!ck_autorebind_get(st))
		return CK_OK;
	for (;;) {
		struct store_event_filter f = { .id = CK_EV_CERT_REPLACED };
		struct pending_1001 p = { 0 };
		json_t *report = NULL;

		rc = store_cursor_get(st, "autorebind", &cursor);
		if (rc != CK_OK)
			return rc;
		f.after_seq = cursor;
		rc = store_event_each(st, &f, first_1001, &p);
		if (rc != CK_OK || p.seq == 0)
			break;
		if (p.old_t[0] && p.new_t[0]) {
			/* A renewal keeps the services: the reaction moves
			 * what a rebind by hand would move with --force. */
			enum ck_err r = ck_rebind(st, p.old_t, p.new_t, true, &report);

			json_decref(report);
			/* A failure is event 1053, and the monitor's next pass
			 * moves what is still on a replaced certificate: the
			 * cursor goes on, so one bad binding does not hold up
			 * every later command. */
			if (r != CK_OK && r != CK_ENOTFOUND && failed == CK_OK) {
				failed = r;
				snprintf(why, sizeof(why), "%s", ck_errmsg());
			}
		}
		rc = store_begin(st);
		if (rc == CK_OK)
			rc = store_cursor_set(st, "autorebind", p.seq);
		if (rc != CK_OK) {
			store_rollback(st);
			return rc;
		}
		rc = store_commit(st);
		if (rc != CK_OK)
			return rc;
	}
	if (rc == CK_OK && failed != CK_OK)
		rc = ck_fail(failed, "%s", why);
	return rc;
}

/* The end of thumb's replacement chain, or "" if nothing replaced it. */
static enum ck_err chain_end(struct store *st, const char *thumb, char end[41])
{
	char t[41];
	int depth;

	end[0] = '\0';
	snprintf(t, sizeof(t), "%s", thumb);
	for (depth = 0; depth < 64; depth++) {
		struct store_cert c;
		enum ck_err rc = store_cert_find(st, t, &c);

		if (rc == CK_ENOTFOUND) {
			ck_errmsg_clear();
			return CK_OK;
		}
		if (rc != CK_OK)
			return rc;
		if (c.replaced_by[0] == '\0') {
			if (depth > 0)
				snprintf(end, 41, "%s", c.thumbprint);
			store_cert_clear(&c);
			return CK_OK;
		}
		snprintf(t, sizeof(t), "%s", c.replaced_by);
		store_cert_clear(&c);
	}
	return CK_OK;
}

static enum ck_err catch_up_locked(struct store *st, json_t *report)
{
	struct blist l = { NULL, 0 };
	enum ck_err rc = CK_OK, failed = CK_OK;
	char why[512] = "";
	size_t i, j;

	if (!ck_autorebind_get(st))
		return CK_OK;
	rc = store_binding_each(st, NULL, gather_binding, &l);
	for (i = 0; rc == CK_OK && i < l.n; i++) {
		char end[41];
		json_t *moved = NULL;
		bool seen = false;
		enum ck_err r;

		for (j = 0; j < i; j++)
			seen = seen || strcmp(l.b[j].thumbprint, l.b[i].thumbprint) == 0;
		if (seen)
			continue;
		rc = chain_end(st, l.b[i].thumbprint, end);
		if (rc != CK_OK || end[0] == '\0')
			continue;
		r = ck_rebind(st, l.b[i].thumbprint, end, true, &moved);
		if (moved)
			json_array_extend(report, moved);
		json_decref(moved);
		if (r != CK_OK && failed == CK_OK) {
			failed = r;
			snprintf(why, sizeof(why), "%s", ck_errmsg());
		}
	}
	free(l.b);
	if (rc == CK_OK && failed != CK_OK)
		rc = ck_fail(failed, "%s", why);
	return rc;
}

enum ck_err ck_bindings_catch_up(struct store *st, json_t *report)
{
	enum ck_err rc = ck_deploy_lock(st);

	if (rc != CK_OK)
		return rc;
	rc = catch_up_locked(st, report);
	if (rc == CK_OK) {
		struct blist l = { NULL, 0 };
		size_t i;

		rc = store_binding_each(st, NULL, gather_binding, &l);
		for (i = 0; rc == CK_OK && i < l.n; i++)
			ck_deploy_sweep(&l.b[i]);
		free(l.b);
	}
	ck_deploy_unlock();
	return rc;
}

enum ck_err ck_reactions_run(struct store *st)
{
	enum ck_err rc = autorebind_run(st);
	enum ck_err trc = ck_tasks_run(st);

	return rc != CK_OK ? rc : trc;
}
