/*
 * fuzz_probe_smtp.c - libFuzzer harness for the TLS probe's SMTP reply
 * reader (src/pki/pki_probe.c; DESIGN.md §4, §10): the input is all a
 * server says before TLS (greeting, reply to EHLO, reply to STARTTLS),
 * queued on a socketpair whose far end is then shut, so the reader meets
 * multi-line replies, over-long lines, mixed codes, missing CR, early EOF
 * and data after the 220 exactly as from the network, with no waiting.
 * Invariants checked: no crash or leak; the dialogue never succeeds unless
 * the input ends right after a 220 reply to STARTTLS (anything more is the
 * STARTTLS injection); STARTTLS is offered only if the input holds it;
 * the banner is escaped printable ASCII.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pki/probe-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True if the len bytes of s contain word, ignoring case. */
static bool holds(const uint8_t *s, size_t len, const char *word)
{
	size_t i, n = strlen(word);

	for (i = 0; i + n <= len; i++)
		if (strncasecmp((const char *)s + i, word, n) == 0)
			return true;
	return false;
}

/* True if the input ends with a whole "220" line, the last reply read. */
static bool ends_with_220(const uint8_t *data, size_t size)
{
	size_t j;

	if (size < 4 || data[size - 1] != '\n')
		return false;
	for (j = size - 1; j > 0 && data[j - 1] != '\n'; j--)
		;
	return size - j >= 4 && memcmp(data + j, "220", 3) == 0 &&
	       (data[j + 3] == ' ' || data[j + 3] == '\r' || data[j + 3] == '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_probe_opts o = { .kind = PKI_PROBE_SMTP, .host = "127.0.0.1", .port = "25",
				    .ehlo_name = "probe.example", .timeout_ms = 1000 };
	struct pki_probe_result r;
	int sv[2], room = 4 * PKI_PROBE_SMTP_BUDGET;
	enum ck_err rc;
	size_t i;

	/* Twice the plain-text budget: past it the reader must stop. */
	if (size > 2 * PKI_PROBE_SMTP_BUDGET ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
		return 0;
	/* Room for the whole input, so that one write queues it all. */
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &room, sizeof(room));
	if (size > 0 && write(sv[1], data, size) != (ssize_t)size)
		goto out;
	shutdown(sv[1], SHUT_WR);
	rc = pki_probe_smtp_plain(sv[0], &o, &r);
	if (rc == CK_OK && (!r.starttls_offered || !ends_with_220(data, size)))
		abort();
	if (r.starttls_offered && !holds(data, size, "STARTTLS"))
		abort();
	if (r.cert != NULL || r.chain != NULL || memchr(r.banner, '\0', sizeof(r.banner)) == NULL)
		abort();
	for (i = 0; r.banner[i]; i++)
		if (r.banner[i] < 0x20 || r.banner[i] > 0x7e)
			abort();
out:
	close(sv[0]);
	close(sv[1]);
	return 0;
}
