/*
 * fuzz_addrs.c - libFuzzer harness for e-mail address lists (the exit
 * module's To and Cc, src/mail/addr.c ck_addr_list_parse; DESIGN.md
 * §9) and for the requester's address of `certkeep ca submit --email`
 * (src/core/ca_issue.c, reached through ck_ca_submit).
 * Invariants checked: no crash or leak; every address of an accepted list
 * is a bare address that ck_addr_check accepts unchanged, with one '@',
 * no separator, space or control byte, at most CK_ADDR_MAX octets; no two
 * are equal without case; the list joined again parses to the same list;
 * an --email that submit accepts is one the exit module can mail (it
 * passes ck_addr_check), so no requester is silently left out.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ca/ca.h"
#include "mail/addr.h"
#include "base/strlist.h"
#include "fuzz_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_list(char **list, size_t n)
{
	char addr[CK_ADDR_MAX + 1];
	size_t i, j;

	for (i = 0; i < n; i++) {
		const char *a = list[i], *at = strchr(a, '@');

		if (strlen(a) > CK_ADDR_MAX || at == NULL || strchr(at + 1, '@') != NULL ||
		    strpbrk(a, ",; \t<>") != NULL || !ck_header_safe(a, strlen(a)) ||
		    ck_addr_check(a, addr) != CK_OK || strcmp(addr, a) != 0)
			abort();
		for (j = 0; j < i; j++)
			if (strcasecmp(list[j], a) == 0)
				abort();
	}
}

/* --email goes through ck_ca_submit: its own check comes first, so any
 * other refusal (here: the request is not a CSR) means it passed. */
static bool submit_accepts_email(const char *email)
{
	struct ck_ca_input in = { .name = "fuzz.csr", .buf = (const uint8_t *)"-", .len = 1 };
	struct ck_ca_submit_opts o = { .requester = "fuzz", .email = email };

	if (ck_ca_submit(fuzz_store(), &in, 1, &o, NULL, NULL) == CK_OK)
		abort(); /* "-" is no request */
	return strncmp(ck_errmsg(), "--email", 7) != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), **list = NULL, **again = NULL, *joined = NULL;
	char addr[CK_ADDR_MAX + 1];
	size_t n = 0, n2 = 0, i, off = 0;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ck_addr_list_parse(s, &list, &n) == CK_OK) {
		check_list(list, n);
		joined = malloc(n * (CK_ADDR_MAX + 2) + 1);
		if (joined == NULL)
			goto out;
		joined[0] = '\0';
		for (i = 0; i < n; i++)
			off += (size_t)snprintf(joined + off, CK_ADDR_MAX + 3, "%s%s", i ? ", " : "",
						list[i]);
		if (ck_addr_list_parse(joined, &again, &n2) != CK_OK || n2 != n)
			abort();
		for (i = 0; i < n; i++)
			if (strcmp(list[i], again[i]) != 0)
				abort();
		/* Appending a list to itself adds nothing. */
		if (ck_addr_list_parse(s, &again, &n2) != CK_OK || n2 != n)
			abort();
	}
	if (submit_accepts_email(s) && ck_addr_check(s, addr) != CK_OK)
		abort();
out:
	ck_strlist_free(list, n);
	ck_strlist_free(again, n2);
	free(joined);
	free(s);
	return 0;
}
