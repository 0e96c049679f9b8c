/*
 * fuzz_p12.c - libFuzzer harness for PKCS#12 files with a password, as
 * `certkeep import --p12 FILE --password` reads them (src/pki/pki_p12.c,
 * src/core/certs_io.c; DESIGN.md §3). The seeds were made by `openssl
 * pkcs12 -export -passout pass:certkeep-fuzz`, the password used here:
 * AES-256/AES-128 PBES2 with SHA-256/SHA-512 MACs, 3DES with a SHA-1 MAC,
 * legacy RC2, no MAC, unencrypted bags, chains, RSA, and files made with
 * other passwords. fuzz_import covers the empty password.
 * Invariants checked: no crash or leak; a parsed file has a certificate, a
 * key and a chain, and every domain kept from its certificate passes our
 * name check; what import derives from them (PEM, key id, match) works;
 * exported again with the password, it parses to the same certificate and
 * key, and a wrong password is CK_EPASSWORD.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/names.h"
#include "pki/pki.h"

#define PASSWORD "certkeep-fuzz"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks what import takes from a parsed file; returns the thumbprint
 * and key id in thumb and kid. */
static void check_parsed(const struct pki_cert *cert, const struct pki_key *key,
			 const struct pki_chain *chain, char *thumb, char *kid)
{
	struct pki_cert_info info;
	char *pem = NULL;
	size_t i, len;

	if (cert == NULL || key == NULL || chain == NULL)
		abort();
	(void)pki_cert_matches_key(cert, key);
	if (pki_chain_to_pem(chain, &pem, &len) == CK_OK)
		free(pem);
	pem = NULL;
	if (pki_key_to_pem(key, &pem, &len) == CK_OK)
		free(pem);
	pki_key_id(key, kid);
	if (pki_cert_info_get(cert, &info) != CK_OK) {
		thumb[0] = '\0';
		return;
	}
	memcpy(thumb, info.thumbprint, sizeof(info.thumbprint));
	for (i = 0; i < info.n_domains; i++) {
		char norm[CK_DOMAIN_MAX + 1];

		if (ck_domain_normalize(info.domains[i], true, norm, sizeof(norm)) != CK_OK ||
		    strcmp(norm, info.domains[i]) != 0)
			abort();
	}
	pki_cert_info_clear(&info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char thumb[PKI_THUMB_LEN + 1], thumb2[PKI_THUMB_LEN + 1];
	char kid[PKI_SHA256_LEN + 1], kid2[PKI_SHA256_LEN + 1];
	struct pki_cert *cert = NULL, *cert2 = NULL;
	struct pki_key *key = NULL, *key2 = NULL;
	struct pki_chain *chain = NULL, *chain2 = NULL;
	uint8_t *out = NULL;
	size_t len = 0;

	if (pki_p12_parse(data, size, PASSWORD, &cert, &key, &chain) != CK_OK)
		return 0;
	check_parsed(cert, key, chain, thumb, kid);
	if (pki_p12_make(cert, key, chain, PASSWORD, "fuzz", &out, &len) == CK_OK) {
		if (pki_p12_parse(out, len, PASSWORD, &cert2, &key2, &chain2) != CK_OK)
			abort();
		check_parsed(cert2, key2, chain2, thumb2, kid2);
		if (strcmp(thumb, thumb2) != 0 || strcmp(kid, kid2) != 0 ||
		    pki_chain_count(chain) != pki_chain_count(chain2))
			abort();
		pki_cert_free(cert2);
		pki_key_free(key2);
		pki_chain_free(chain2);
		cert2 = NULL;
		key2 = NULL;
		chain2 = NULL;
		if (pki_p12_parse(out, len, "wrong", &cert2, &key2, &chain2) != CK_EPASSWORD)
			abort();
		free(out);
	}
	pki_cert_free(cert);
	pki_key_free(key);
	pki_chain_free(chain);
	return 0;
}
