/*
 * fuzz_csr.c - libFuzzer harness for the CA's request parser and policy
 * (src/pki/pki_ca.c pki_csr_parse, src/core/ca_policy.c; DESIGN.md §8).
 * Invariants checked: no crash or leak; an accepted request has a public
 * key of a certified type, and every name the policy accepts is a valid
 * lower-case DNS name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ca/ca.h"
#include "base/names.h"
#include "pki/pki_ca.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *types[] = { (char *)"ec:P-256", (char *)"ec:P-384", (char *)"rsa" };
	struct ck_ca_policy p = { .key_types = types, .n_key_types = 3, .max_days = 825 };
	struct pki_csr *csr = NULL;
	struct pki_csr_info info;
	struct ck_ca_decision d;
	size_t i;

	if (pki_csr_parse(data, size, &csr) != CK_OK)
		return 0;
	if (pki_csr_info_get(csr, &info) == CK_OK) {
		if (!info.key_rsa && !info.key_ec)
			abort();
		if (ck_ca_policy_decide(&p, &info, 0, &d) == CK_OK) {
			for (i = 0; i < d.n_dns; i++) {
				char norm[CK_DOMAIN_MAX + 1];

				if (ck_domain_normalize(d.dns[i], true, norm, sizeof(norm)) != CK_OK ||
				    strcmp(norm, d.dns[i]) != 0)
					abort();
			}
			ck_ca_decision_clear(&d);
		}
		pki_csr_info_clear(&info);
	}
	pki_csr_free(csr);
	return 0;
}
