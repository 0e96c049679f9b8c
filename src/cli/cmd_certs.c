/*
 * cmd_certs.c - the certificate commands: init, list, show, new, import,
 * export, enable, disable, clone, remove (DESIGN.md §3, §10).
 *
 * Each handler turns options into a service call and prints the result as
 * a table or, with --json, as JSON (sorted keys, RFC 3339 times).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/certs/certs.h"
#include "base/clock.h"
#include "base/fileio.h"
#include "base/names.h"
#include "base/strlist.h"
#include "core/lifecycle/inuse.h"

static enum ck_err services_opt(const struct cli *c, const char *name, unsigned *out,
				bool *set)
{
	const char *v = cli_value(c, name);

	if (set)
		*set = v != NULL;
	if (v == NULL)
		return CK_OK;
	return cli_value_error(ck_services_parse(v, out), name);
}

/* Prints one object as "Name : value" lines, like PowerShell's Format-List. */
static enum ck_err print_fields(const json_t *o)
{
	const char **keys;
	size_t n = json_object_size(o), i = 0, j;
	const char *k;
	json_t *v;

	keys = calloc(n ? n : 1, sizeof(*keys));
	if (keys == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	json_object_foreach((json_t *)o, k, v) keys[i++] = k;
	/* Sorted, so the output is stable. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
			const char *t = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		v = json_object_get(o, keys[i]);
		printf("%-20s : ", keys[i]);
		if (json_is_string(v)) {
			printf("%s", ck_text_safe(json_string_value(v)));
		} else if (json_is_array(v)) {
			size_t a;

			printf("{");
			for (a = 0; a < json_array_size(v); a++)
				printf("%s%s", a ? ", " : "",
				       ck_text_safe(json_string_value(json_array_get(v, a))));
			printf("}");
		} else if (json_is_boolean(v)) {
			printf("%s", json_is_true(v) ? "True" : "False");
		} else if (json_is_integer(v)) {
			printf("%lld", (long long)json_integer_value(v));
		}
		printf("\n");
	}
	free(keys);
	return CK_OK;
}

static enum ck_err print_cert(struct cli *c, const char *thumb)
{
	json_t *o = NULL;
	enum ck_err rc = ck_show(c->st, thumb, ck_now(), &o);

	if (rc != CK_OK)
		return rc;
	rc = c->json ? cli_print_json(o) : print_fields(o);
	json_decref(o);
	return rc;
}

enum ck_err cmd_init(struct cli *c)
{
	struct ck_init_opts o = {
		.hostname = cli_value(c, "--hostname"),
		.fqdn = cli_value(c, "--fqdn"),
		.key_type = cli_value(c, "--key"),
		.force = cli_flag(c, "--force"),
	};
	char thumb[41];
	enum ck_err rc;

	rc = cli_int(c, "--days", 1, CK_MAX_DAYS, &o.days);
	if (rc == CK_OK)
		rc = cli_key_type(c, "--key");
	if (rc == CK_OK)
		rc = services_opt(c, "--services", &o.services, &o.services_set);
	if (rc == CK_OK)
		rc = ck_init(c->st, &o, thumb);
	if (rc != CK_OK)
		return rc;
	if (!c->json)
		printf("Initialised %s with host certificate %s\n", store_dir(c->st), thumb);
	return print_cert(c, thumb);
}

struct list_out {
	bool json;
	size_t count;
};

static int list_item(json_t *item, void *arg)
{
	struct list_out *out = arg;

	if (out->json) {
		if (cli_json_array_item(item, out->count) != 0)
			return CK_EIO;
	} else {
		const char *nb = json_string_value(json_object_get(item, "NotAfter"));

		if (out->count == 0)
			printf("%-40s  %-5s  %-14s  %-10s  %s\n%-40s  %-5s  %-14s  %-10s  %s\n",
			       "Thumbprint", "Svc", "Status", "NotAfter", "Subject", "----------",
			       "---", "------", "--------", "-------");
		printf("%-40s  %-5s  %-14s  %-10.10s  %s\n",
		       json_string_value(json_object_get(item, "Thumbprint")),
		       json_string_value(json_object_get(item, "Services")),
		       json_string_value(json_object_get(item, "Status")), nb ? nb : "-",
		       ck_text_safe(json_string_value(json_object_get(item, "Subject"))));
	}
	out->count++;
	return ferror(stdout) ? CK_EIO : 0;
}

enum ck_err cmd_list(struct cli *c)
{
	struct ck_list_opts o = {
		.domain = cli_value(c, "--domain"),
		.thumbprint = cli_value(c, "--thumbprint"),
	};
	struct list_out out = { c->json, 0 };
	enum ck_err rc;

	rc = services_opt(c, "--service", &o.services, NULL);
	if (rc != CK_OK)
		return rc;
	if (c->json)
		printf("[");
	rc = ck_list(c->st, &o, ck_now(), list_item, &out);
	if (rc == CK_EIO)
		return ck_fail_errno(CK_EIO, "cannot write output");
	if (rc != CK_OK)
		return rc;
	if (c->json)
		cli_json_array_end(out.count);
	else if (out.count == 0)
		fprintf(stderr, "no certificates%s\n",
			o.domain || o.thumbprint || o.services ? " match" : " in the store");
	return CK_OK;
}

enum ck_err cmd_show(struct cli *c)
{
	return print_cert(c, c->args[0]);
}

enum ck_err cmd_new(struct cli *c)
{
	struct ck_new_opts o = {
		.key_type = cli_value(c, "--key"),
		.friendly_name = cli_value(c, "--friendly-name"),
		.request_out = cli_value(c, "--request-out"),
	};
	char **domains = NULL;
	size_t n = 0;
	char thumb[41];
	enum ck_err rc;

	rc = cli_text(c, "--friendly-name", true, &o.friendly_name);
	if (rc == CK_OK)
		rc = cli_key_type(c, "--key");
	if (rc == CK_OK)
		rc = cli_int(c, "--days", 1, CK_MAX_DAYS, &o.days);
	if (rc == CK_OK)
		rc = services_opt(c, "--services", &o.services, &o.services_set);
	if (rc == CK_OK)
		rc = cli_values(c, "--domain", &domains, &n);
	if (rc != CK_OK)
		return rc;
	o.domains = (const char *const *)domains;
	o.n_domains = n;
	rc = ck_new(c->st, &o, thumb);
	ck_strlist_free(domains, n);
	if (rc != CK_OK)
		return rc;
	if (o.request_out && !c->json) {
		printf("Request %s written to %s; its key stays in the store.\n"
		       "Import the issued certificate with: certkeep import --cert FILE\n",
		       thumb, o.request_out);
		return CK_OK;
	}
	if (!c->json)
		printf("Created certificate %s\n", thumb);
	return print_cert(c, thumb);
}

/* Reads an input file named by an option, or leaves *buf NULL if absent. */
static enum ck_err read_opt_file(const struct cli *c, const char *name, uint8_t **buf,
				 size_t *len)
{
	const char *path = cli_value(c, name);
	enum ck_err rc;

	*buf = NULL;
	*len = 0;
	if (path == NULL)
		return CK_OK;
	rc = ck_read_file(path, CK_INPUT_MAX, buf, len);
	if (rc != CK_OK)
		ck_errmsg_prefix("%s", name);
	return rc;
}

enum ck_err cmd_import(struct cli *c)
{
	struct ck_import_opts o = { .friendly_name = cli_value(c, "--friendly-name") };
	uint8_t *cert = NULL, *key = NULL, *chain = NULL, *p12 = NULL;
	char *password = NULL;
	char thumb[41];
	bool joined = false;
	enum ck_err rc;

	if (cli_value(c, "--pkcs12") == NULL && cli_value(c, "--cert") == NULL)
		return ck_fail(CK_EUSAGE, "give --cert FILE [--key FILE] or --pkcs12 FILE");
	rc = cli_text(c, "--friendly-name", true, &o.friendly_name);
	if (rc != CK_OK)
		return rc;
	if (cli_value(c, "--pkcs12") &&
	    (cli_value(c, "--cert") || cli_value(c, "--key") || cli_value(c, "--chain")))
		return ck_fail(CK_EUSAGE, "--pkcs12 cannot be combined with --cert, --key or --chain");
	rc = services_opt(c, "--services", &o.services, &o.services_set);
	if (rc == CK_OK)
		rc = read_opt_file(c, "--cert", &cert, &o.cert_len);
	if (rc == CK_OK)
		rc = read_opt_file(c, "--key", &key, &o.key_len);
	if (rc == CK_OK)
		rc = read_opt_file(c, "--chain", &chain, &o.chain_len);
	if (rc == CK_OK)
		rc = read_opt_file(c, "--pkcs12", &p12, &o.p12_len);
	if (rc == CK_OK && p12) {
		/* A PKCS#12 may have no password: the terminal is asked only
		 * when the empty one is refused (below). */
		if (cli_flag(c, "--password-stdin"))
			rc = cli_read_password(c, "PKCS#12 password: ", false, &password);
	}
	if (rc != CK_OK)
		goto out;
	o.cert = cert;
	o.key = key;
	o.chain = chain;
	o.p12 = p12;
	o.password = password;
	rc = ck_import(c->st, &o, thumb, &joined);
	/* Nothing was changed by the refused attempt: ask and try again. */
	if (rc == CK_EPASSWORD && password == NULL && p12 && isatty(0)) {
		rc = cli_read_password(c, "PKCS#12 password: ", false, &password);
		o.password = password;
		if (rc == CK_OK)
			rc = ck_import(c->st, &o, thumb, &joined);
	} else if (rc == CK_EPASSWORD && password == NULL) {
		ck_errmsg_prefix("give the password with --password-stdin");
	}
	if (rc != CK_OK)
		goto out;
	if (!c->json)
		printf("Imported certificate %s%s\n", thumb,
		       joined ? " (joined to the key of its pending request)" : "");
	rc = print_cert(c, thumb);
out:
	free(cert);
	ck_free_secret(key, o.key_len);
	free(chain);
	ck_free_secret(p12, o.p12_len);
	if (password)
		ck_free_secret(password, strlen(password) + 1);
	return rc;
}

/* Export's sink: the PEM to stdout, flushed, so a failed write is known
 * before the export is recorded. */
static enum ck_err export_to_stdout(const char *pem, size_t len, void *arg)
{
	const struct cli *c = arg;
	int ok;

	if (c->json) {
		json_t *j = json_pack("{s:s}", "Pem", pem);

		ok = j && json_dumpf(j, stdout, JSON_SORT_KEYS | JSON_INDENT(2)) == 0 &&
		     putchar('\n') != EOF;
		json_decref(j);
	} else {
		ok = fwrite(pem, 1, len, stdout) == len;
	}
	if (!ok || fflush(stdout) != 0 || ferror(stdout))
		return ck_fail_errno(CK_EIO, "cannot write output");
	return CK_OK;
}

enum ck_err cmd_export(struct cli *c)
{
	struct ck_export_opts o = {
		.with_key = cli_flag(c, "--with-key"),
		.pkcs12 = cli_flag(c, "--pkcs12"),
		.out = cli_value(c, "--out"),
		.sink = export_to_stdout,
		.sink_arg = c,
	};
	char *password = NULL;
	enum ck_err rc;

	if ((o.with_key || o.pkcs12) && o.out == NULL)
		return ck_fail(CK_EUSAGE, "a private key is never printed: give --out FILE");
	if (o.pkcs12) {
		rc = cli_read_password(c, "PKCS#12 password: ", true, &password);
		if (rc != CK_OK)
			return rc;
		if (password[0] == '\0') {
			ck_free_secret(password, 1);
			return ck_fail(CK_EPASSWORD,
				       "an empty password would leave the key unprotected");
		}
		o.password = password;
	}
	rc = ck_export(c->st, c->args[0], &o);
	if (password)
		ck_free_secret(password, strlen(password) + 1);
	if (rc != CK_OK || o.out == NULL)
		return rc;
	if (c->json)
		return cli_print_json_new(json_pack("{s:s, s:s, s:b}", "Path", o.out, "Format",
						    o.pkcs12 ? "PKCS12" : "PEM", "WithPrivateKey",
						    o.with_key || o.pkcs12));
	printf("Exported to %s%s\n", o.out,
	       o.with_key || o.pkcs12 ? " (with private key, mode 0600)" : "");
	return CK_OK;
}

static enum ck_err change_services(struct cli *c, bool enable)
{
	char thumb[41], was[8], now[8];
	unsigned services = 0, before = 0, after = 0;
	bool set = false;
	enum ck_err rc;

	rc = services_opt(c, "--services", &services, &set);
	if (rc != CK_OK)
		return rc;
	if (!set)
		return ck_fail(CK_EUSAGE, "give --services LIST");
	rc = ck_services_change(c->st, c->args[0], services, enable, thumb, &before, &after);
	if (rc != CK_OK)
		return rc;
	ck_services_compact(before, was, sizeof(was));
	ck_services_compact(after, now, sizeof(now));
	if (c->json)
		return cli_print_json_new(json_pack("{s:s, s:s, s:s, s:b}", "Thumbprint", thumb,
						    "OldServices", was, "Services", now, "Changed",
						    before != after));
	if (before == after)
		printf("%s: services already %s (no change)\n", thumb, now);
	else
		printf("%s: services %s -> %s\n", thumb, was, now);
	return CK_OK;
}

enum ck_err cmd_enable(struct cli *c)
{
	return change_services(c, true);
}

enum ck_err cmd_disable(struct cli *c)
{
	return change_services(c, false);
}

enum ck_err cmd_clone(struct cli *c)
{
	char new_thumb[41], old_thumb[41];
	int days = 0;
	enum ck_err rc;

	rc = cli_int(c, "--days", 1, CK_MAX_DAYS, &days);
	if (rc == CK_OK)
		rc = ck_clone(c->st, c->args[0], days, new_thumb, old_thumb);
	if (rc != CK_OK)
		return rc;
	if (!c->json)
		printf("Certificate %s replaced by %s\n", old_thumb, new_thumb);
	return print_cert(c, new_thumb);
}

enum ck_err cmd_remove(struct cli *c)
{
	struct ck_cert_users left;
	char removed[41], text[512];
	enum ck_err rc = ck_remove_unused(c->st, c->args[0], cli_flag(c, "--force"), removed,
					  &left);

	if (rc != CK_OK)
		return rc;
	ck_cert_users_text(&left, text, sizeof(text));
	ck_cert_users_clear(&left);
	if (text[0])
		fprintf(stderr, "certkeep remove: %s left without certificate %s\n", text, removed);
	if (c->json)
		return cli_print_json_new(json_pack("{s:s, s:b}", "Thumbprint", removed, "Removed", 1));
	printf("Removed %s\n", removed);
	return CK_OK;
}
