/*
 * fuzz_names.c - libFuzzer harness for the text parsers of user input:
 * domain names, service lists, times (src/base/names.c, clock.c).
 * Invariants checked: no crash, and an accepted domain name is lower-case
 * LDH (or a leading "*.") of at most 253 characters.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char out[CK_DOMAIN_MAX + 1];
	unsigned services;
	int64_t t;
	size_t i;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ck_domain_normalize(s, true, out, sizeof(out)) == CK_OK) {
		if (strlen(out) > CK_DOMAIN_MAX)
			abort();
		for (i = 0; out[i]; i++) {
			char c = out[i];

			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			      c == '.' || (c == '*' && i == 0)))
				abort();
		}
	}
	if (ck_services_parse(s, &services) == CK_OK && (services & ~CK_SVC_ALL))
		abort();
	(void)ck_time_parse(s, &t);
	free(s);
	return 0;
}
