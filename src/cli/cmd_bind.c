/*
 * cmd_bind.c - bind add|list|remove, rebind, autorebind (DESIGN.md §7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/lifecycle/bindings.h"
#include "base/names.h"

static void copy_opt(const struct cli *c, const char *name, char *buf, size_t n)
{
	const char *v = cli_value(c, name);

	snprintf(buf, n, "%s", v ? v : "");
}

enum ck_err cmd_bind_add(struct cli *c)
{
	struct store_binding b;
	const char *svc = cli_value(c, "--service"), *mode = cli_value(c, "--mode");
	enum ck_err rc;

	memset(&b, 0, sizeof(b));
	if (cli_value(c, "--endpoint") == NULL || svc == NULL ||
	    cli_value(c, "--thumbprint") == NULL || cli_value(c, "--cert-file") == NULL)
		return ck_fail(CK_EUSAGE, "give --endpoint, --service, --thumbprint and --cert-file");
	snprintf(b.site, sizeof(b.site), "%.64s", c->args[0]);
	copy_opt(c, "--endpoint", b.endpoint, sizeof(b.endpoint));
	copy_opt(c, "--thumbprint", b.thumbprint, sizeof(b.thumbprint));
	copy_opt(c, "--cert-file", b.cert_file, sizeof(b.cert_file));
	copy_opt(c, "--chain-file", b.chain_file, sizeof(b.chain_file));
	copy_opt(c, "--key-file", b.key_file, sizeof(b.key_file));
	copy_opt(c, "--combined-file", b.combined_file, sizeof(b.combined_file));
	copy_opt(c, "--owner", b.owner, sizeof(b.owner));
	copy_opt(c, "--group", b.group, sizeof(b.group));
	copy_opt(c, "--reload", b.reload, sizeof(b.reload));
	copy_opt(c, "--check", b.check, sizeof(b.check));
	rc = cli_value_error(ck_services_parse(svc, &b.service), "--service");
	if (rc != CK_OK)
		return rc;
	b.mode = 0600;
	if (mode) {
		char *end;
		long m = strtol(mode, &end, 8);

		if (*mode == '\0' || *end != '\0' || m < 0 || m > 0777)
			return ck_fail(CK_EUSAGE, "--mode takes octal permissions, e.g. 0640");
		b.mode = (unsigned)m;
	}
	rc = ck_bind_add(c->st, &b, cli_flag(c, "--force"));
	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(json_pack("{s:s, s:s}", "Site", b.site, "Thumbprint",
						    b.thumbprint));
	printf("Site %s bound to %s; files deployed\n", ck_text_safe(b.site), b.thumbprint);
	return CK_OK;
}

enum ck_err cmd_bind_remove(struct cli *c)
{
	enum ck_err rc = ck_bind_remove(c->st, c->args[0]);

	if (rc == CK_OK && !c->json)
		printf("Site %s unbound\n", ck_text_safe(c->args[0]));
	return rc;
}

enum ck_err cmd_bind_list(struct cli *c)
{
	json_t *list = NULL;
	enum ck_err rc = ck_bind_list(c->st, &list);
	size_t i;

	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(list);
	for (i = 0; i < json_array_size(list); i++) {
		json_t *o = json_array_get(list, i);

		printf("%-20s %-22s %-5s %s %s\n", ck_text_safe(json_string_value(json_object_get(o, "Site"))),
		       ck_text_safe(json_string_value(json_object_get(o, "Endpoint"))),
		       json_string_value(json_object_get(o, "Service")),
		       json_string_value(json_object_get(o, "Thumbprint")),
		       json_is_true(json_object_get(o, "FilesMatch")) ? "files ok"
								       : "FILES DIFFER");
	}
	if (json_array_size(list) == 0)
		fprintf(stderr, "no bindings\n");
	json_decref(list);
	return CK_OK;
}

enum ck_err cmd_rebind(struct cli *c)
{
	const char *old_t = cli_value(c, "--old"), *new_t = cli_value(c, "--new");
	json_t *report = NULL;
	enum ck_err rc;
	size_t i;

	if (old_t == NULL || new_t == NULL)
		return ck_fail(CK_EUSAGE, "give --old T1 --new T2");
	rc = ck_rebind(c->st, old_t, new_t, cli_flag(c, "--force"), &report);
	if (report && c->json) {
		enum ck_err prc = cli_print_json_new(report);

		return rc != CK_OK ? rc : prc;
	}
	for (i = 0; report && i < json_array_size(report); i++) {
		json_t *o = json_array_get(report, i);

		printf("%s: %s\n", ck_text_safe(json_string_value(json_object_get(o, "Site"))),
		       ck_text_safe(json_string_value(json_object_get(o, "Result"))));
	}
	if (report && json_array_size(report) == 0)
		printf("no bindings on %s or the certificates it replaced\n", ck_text_safe(old_t));
	json_decref(report);
	return rc;
}

enum ck_err cmd_autorebind(struct cli *c)
{
	const char *v = c->nargs > 0 ? c->args[0] : NULL;
	enum ck_err rc;

	if (v == NULL) {
		bool on = ck_autorebind_get(c->st);

		if (c->json)
			return cli_print_json_new(json_pack("{s:b}", "Autorebind", on));
		printf("autorebind: %s\n", on ? "on" : "off");
		return CK_OK;
	}
	if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
		return ck_fail(CK_EUSAGE, "autorebind on|off");
	rc = ck_autorebind_set(c->st, v[1] == 'n');
	if (rc == CK_OK && !c->json)
		printf("autorebind %s\n", v);
	return rc;
}
