/*
 * cmd_trust.c - trust names | publish | verify | check: direct trust of
 * the internal transport certificate (DESIGN.md §5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/clock.h"
#include "base/fileio.h"
#include "core/certs/certs.h"
#include "core/tls/trust.h"
#include "base/text.h"

enum ck_err cmd_trust_names(struct cli *c)
{
	struct ck_trust_names n;
	const char *host = cli_value(c, "--hostname"), *fqdn = cli_value(c, "--fqdn");
	const char *cluster = cli_value(c, "--cluster-fqdn");
	enum ck_err rc = CK_OK;

	if (host || fqdn || cluster)
		rc = ck_trust_names_set(c->st, host, fqdn, cluster);
	if (rc == CK_OK)
		rc = ck_trust_names_get(c->st, &n);
	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(json_pack(
			"{s:s, s:s, s:s, s:s, s:s?}", "DnsHostName", n.host,
			"DnsFullyQualifiedDomainName", n.fqdn, "DnsPhysicalHostName", n.physical_host,
			"DnsPhysicalFullyQualifiedDomainName", n.physical_fqdn, "ClusterFqdn",
			n.cluster_fqdn[0] ? n.cluster_fqdn : NULL));
	printf("DnsHostName                         : %s\n"
	       "DnsFullyQualifiedDomainName         : %s\n"
	       "DnsPhysicalHostName                 : %s\n"
	       "DnsPhysicalFullyQualifiedDomainName : %s\n"
	       "ClusterFqdn                         : %s\n",
	       ck_text_safe(n.host), ck_text_safe(n.fqdn), ck_text_safe(n.physical_host),
	       ck_text_safe(n.physical_fqdn), ck_text_safe(n.cluster_fqdn));
	return CK_OK;
}

enum ck_err cmd_trust_verify(struct cli *c)
{
	const char *server = cli_value(c, "--server"), *path = cli_value(c, "--cert");
	uint8_t *buf = NULL;
	size_t len = 0;
	char why[300];
	bool trusted = false;
	enum ck_err rc;

	if (server == NULL || path == NULL)
		return ck_fail(CK_EUSAGE, "give --server NAME and --cert FILE");
	rc = ck_read_file(path, CK_INPUT_MAX, &buf, &len);
	if (rc == CK_OK)
		rc = ck_trust_verify(c->st, server, buf, len, &trusted, why, sizeof(why));
	free(buf);
	if (rc != CK_OK)
		return rc;
	if (c->json)
		rc = cli_print_json_new(json_pack("{s:s, s:b, s:s}", "Server", server, "Trusted",
						  trusted, "Reason", why));
	else
		printf("%s: %s\n", trusted ? "trusted" : "NOT trusted", ck_text_safe(why));
	if (rc == CK_OK && !trusted) {
		ck_errmsg_clear();
		return CK_EPROBLEM;
	}
	return rc;
}

enum ck_err cmd_trust_check(struct cli *c)
{
	json_t *report = NULL, *trace = NULL;
	int problems = 0;
	enum ck_err rc;
	size_t i;

	rc = ck_trust_check(c->st, ck_now(), cli_value(c, "--service-account"), &report, &trace,
			    &problems);
	if (rc != CK_OK)
		return rc;
	if (c->json) {
		rc = cli_print_json_new(json_pack("{s:O, s:O, s:i}", "Causes", report, "Trace",
						  trace, "Problems", problems));
	} else {
		for (i = 0; cli_flag(c, "--trace") && i < json_array_size(trace); i++) {
			json_t *t = json_array_get(trace, i);

			printf("[%s] %s\n", ck_text_safe(json_string_value(json_object_get(t, "Component"))),
			       ck_text_safe(json_string_value(json_object_get(t, "Step"))));
		}
		for (i = 0; i < json_array_size(report); i++) {
			json_t *e = json_array_get(report, i);

			printf("%s: %s\n", ck_text_safe(json_string_value(json_object_get(e, "Cause"))),
			       ck_text_safe(json_string_value(json_object_get(e, "Message"))));
		}
		printf("%d problem%s found%s\n", problems, problems == 1 ? "" : "s",
		       problems ? " (events 1037, and 2019 with a send connector)" : "");
	}
	json_decref(report);
	json_decref(trace);
	if (rc == CK_OK && problems > 0) {
		ck_errmsg_clear();
		return CK_EPROBLEM;
	}
	return rc;
}

enum ck_err cmd_trust_publish(struct cli *c)
{
	char published[41];
	enum ck_err rc = ck_trust_publish(c->st, c->nargs > 0 ? c->args[0] : NULL, ck_now(),
					  published);

	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(json_pack("{s:s}", "Thumbprint", published));
	printf("Published %s\n", published);
	return CK_OK;
}

enum ck_err cmd_trust_anchor_add(struct cli *c)
{
	uint8_t *buf = NULL;
	size_t len = 0, i;
	json_t *out = NULL;
	enum ck_err rc = ck_read_file(c->args[0], CK_INPUT_MAX, &buf, &len);

	if (rc == CK_OK)
		rc = ck_anchor_add(c->st, buf, len, &out);
	free(buf);
	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(out);
	for (i = 0; i < json_array_size(out); i++) {
		json_t *a = json_array_get(out, i);

		printf("trust anchor added: %s %s\n",
		       json_string_value(json_object_get(a, "Thumbprint")),
		       ck_text_safe(json_string_value(json_object_get(a, "Subject"))));
	}
	json_decref(out);
	return CK_OK;
}

enum ck_err cmd_trust_anchor_remove(struct cli *c)
{
	enum ck_err rc = ck_anchor_remove(c->st, c->args[0]);

	if (rc == CK_OK && !c->json)
		printf("trust anchor removed: %s\n", ck_text_safe(c->args[0]));
	return rc;
}

enum ck_err cmd_trust_anchor_list(struct cli *c)
{
	json_t *out = NULL;
	enum ck_err rc = ck_anchor_list(c->st, &out);
	size_t i;

	if (rc != CK_OK || c->json)
		return rc == CK_OK ? cli_print_json_new(out) : rc;
	for (i = 0; i < json_array_size(out); i++) {
		json_t *a = json_array_get(out, i);

		printf("%s  %s  %s\n", json_string_value(json_object_get(a, "Thumbprint")),
		       json_string_value(json_object_get(a, "NotAfter")),
		       ck_text_safe(json_string_value(json_object_get(a, "Subject"))));
	}
	json_decref(out);
	return CK_OK;
}
