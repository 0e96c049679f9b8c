/*
 * fuzz_probe_url.c - libFuzzer harness for the URL of `certkeep probe`
 * (src/core/probe.c ck_probe_url_parse; DESIGN.md §10): smtp:// and
 * https://, names, IPv4 and [IPv6] literals, ports.
 * Invariants checked: no crash; an accepted URL has the scheme's kind, a
 * non-empty host without '/', '?', '#', '@', a bracket or a space, and a port from 1 to
 * 65535 that is the number the URL gives (or the scheme's default); the
 * URL rebuilt from the parts parses to the same parts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tls/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The port the text after the host names, or def without one. */
static long given_port(const char *url, const char *host, long def)
{
	const char *p = strstr(url, "://") + 3;

	p += strlen(host) + (*p == '[' ? 2 : 0);
	return *p == ':' ? strtol(p + 1, NULL, 10) : def;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char host[256], port[8], host2[256], port2[8], again[300];
	enum pki_probe_kind kind, kind2;
	char *url = malloc(size + 1);
	long def, v;

	if (url == NULL)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';
	if (ck_probe_url_parse(url, &kind, host, sizeof(host), port, sizeof(port)) != CK_OK)
		goto out;
	if (kind != (strncmp(url, "smtp://", 7) == 0 ? PKI_PROBE_SMTP : PKI_PROBE_HTTPS) ||
	    host[0] == '\0' || strpbrk(host, "/?#@ []") != NULL)
		abort();
	def = kind == PKI_PROBE_SMTP ? 25 : 443;
	v = strtol(port, NULL, 10);
	if (v < 1 || v > 65535 || v != given_port(url, host, def))
		abort();
	snprintf(again, sizeof(again), strchr(host, ':') ? "%s://[%s]:%s" : "%s://%s:%s",
		 kind == PKI_PROBE_SMTP ? "smtp" : "https", host, port);
	if (ck_probe_url_parse(again, &kind2, host2, sizeof(host2), port2, sizeof(port2)) !=
		    CK_OK ||
	    kind2 != kind || strcmp(host2, host) != 0 || strcmp(port2, port) != 0)
		abort();
out:
	free(url);
	return 0;
}
