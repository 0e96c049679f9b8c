/*
 * fuzz_endpoint.c - libFuzzer harness for the endpoint of `certkeep bind
 * add --endpoint HOST:PORT` (src/core/bindings.c, reached through
 * ck_bind_add; DESIGN.md §7): names, IPv4, [IPv6]:port, bare IPv6, ports.
 * The binding is otherwise valid up to its service, which is left unset:
 * the endpoint is checked just before it, so CK_EUSAGE means the endpoint
 * passed, and nothing is deployed or recorded either way.
 * Invariants checked: no crash or leak; an accepted endpoint ends in
 * ":PORT" with PORT a number from 1 to 65535, has a host before it, and
 * holds no space or control byte (it is shown in events and messages).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lifecycle/bindings.h"
#include "fuzz_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct store_binding b; /* 17 kB: not on the stack */
	const char *colon;
	enum ck_err rc;
	size_t i, len;
	long port;

	memset(&b, 0, sizeof(b));
	snprintf(b.site, sizeof(b.site), "fuzz-site");
	len = size < sizeof(b.endpoint) - 1 ? size : sizeof(b.endpoint) - 1;
	memcpy(b.endpoint, data, len);
	snprintf(b.cert_file, sizeof(b.cert_file), "/nonexistent/fuzz.pem");
	b.mode = 0600;
	rc = ck_bind_add(fuzz_store(), &b, false);
	if (rc == CK_OK)
		abort(); /* no service: never bound */
	if (rc != CK_EUSAGE)
		return 0;
	len = strlen(b.endpoint);
	colon = strrchr(b.endpoint, ':');
	if (colon == NULL || colon == b.endpoint || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		abort();
	port = strtol(colon + 1, NULL, 10);
	if (port < 1 || port > 65535)
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)b.endpoint[i] <= 0x20 || b.endpoint[i] == 0x7f)
			abort();
	return 0;
}
