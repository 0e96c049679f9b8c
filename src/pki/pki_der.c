/*
 * pki_der.c - reading DER, for the files that take a certificate, a
 * request or a CRL apart field by field (pki_ca.c, pki_csr.c, pki_crl.c
 * say why), and telling PEM input from DER (DESIGN.md §8). The lengths
 * are OpenSSL's to read: no hand-made length parser.
 */
#include "pki/pki-int.h"

#include <string.h>

#include <openssl/asn1.h>

int pki_der_next(const uint8_t **p, const uint8_t *end, struct der_elem *e)
{
	const unsigned char *q = *p;
	int r;

	if (*p >= end)
		return 0;
	e->start = *p;
	r = ASN1_get_object(&q, &e->len, &e->tag, &e->cls, end - *p);
	if (r & 0x80 || r == 0x21) /* error, or indefinite length */
		return 0;
	e->content = q;
	*p = q + e->len;
	return 1;
}

bool pki_looks_pem(const uint8_t *buf, size_t len)
{
	static const char tag[] = "-----BEGIN ";
	size_t i;

	for (i = 0; i + sizeof(tag) - 1 <= len && i < 4096; i++)
		if (memcmp(buf + i, tag, sizeof(tag) - 1) == 0)
			return true;
	return false;
}
