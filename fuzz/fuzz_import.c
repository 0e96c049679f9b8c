/*
 * fuzz_import.c - libFuzzer harness for what import reads from files:
 * certificates (PEM/DER), chains, keys, PKCS#12, and what is then derived
 * from a certificate (CertificateDomains, thumbprint, name checks)
 * (src/pki/). OpenSSL's own parsers are fuzzed upstream; this covers our
 * code around them: format detection, escaping, domain extraction.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/names.h"
#include "pki/pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_cert(const struct pki_cert *cert)
{
	struct pki_cert_info info;
	size_t i;

	if (pki_cert_info_get(cert, &info) != CK_OK)
		return;
	for (i = 0; i < info.n_domains; i++) {
		char norm[CK_DOMAIN_MAX + 1];

		/* Every domain kept from a certificate must pass our own check. */
		if (ck_domain_normalize(info.domains[i], true, norm, sizeof(norm)) != CK_OK ||
		    strcmp(norm, info.domains[i]) != 0)
			__builtin_trap();
		(void)pki_cert_check_host(cert, info.domains[i]);
	}
	pki_cert_info_clear(&info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_cert *cert = NULL;
	struct pki_key *key = NULL;
	struct pki_chain *chain = NULL;

	if (pki_cert_parse(data, size, &cert) == CK_OK) {
		check_cert(cert);
		pki_cert_free(cert);
		cert = NULL;
	}
	if (pki_chain_parse(data, size, &chain) == CK_OK)
		pki_chain_free(chain);
	chain = NULL;
	if (pki_key_parse(data, size, &key) == CK_OK)
		pki_key_free(key);
	key = NULL;
	if (pki_p12_parse(data, size, "", &cert, &key, &chain) == CK_OK) {
		check_cert(cert);
		pki_cert_free(cert);
		pki_key_free(key);
		pki_chain_free(chain);
	}
	return 0;
}
