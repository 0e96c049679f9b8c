/*
 * pki_util.c - what every file of the pki module shares: OpenSSL's reason
 * in a message, hex digits, a memory BIO as a string (pki-int.h). A file of
 * its own, so that keys and certificates need nothing of each other's
 * beyond their public functions (certificates use keys, not the reverse).
 */
#include "pki/pki-int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

enum ck_err pki_fail_ssl(enum ck_err code, const char *what)
{
	char reason[256] = "";
	unsigned long e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last != 0)
		ERR_error_string_n(last, reason, sizeof(reason));
	if (reason[0] != '\0')
		return ck_fail(code, "%s (%s)", what, reason);
	return ck_fail(code, "%s", what);
}


void pki_hex(const uint8_t *bin, size_t n, char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[bin[i] >> 4];
		out[2 * i + 1] = digits[bin[i] & 15];
	}
	out[2 * n] = '\0';
}


enum ck_err pki_bio_string(BIO *bio, char **out, size_t *len)
{
	char *data, *copy;
	long n = BIO_get_mem_data(bio, &data);

	copy = malloc((size_t)n + 1);
	if (copy == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (n > 0) /* an empty memory BIO has no data pointer at all */
		memcpy(copy, data, (size_t)n);
	copy[n] = '\0';
	*out = copy;
	if (len)
		*len = (size_t)n;
	return CK_OK;
}

