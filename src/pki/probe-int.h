/*
 * probe-int.h - the plain-text part of an SMTP probe (pki_probe.c) on a
 * socket the caller has connected, so that the reply reader can be fed
 * from a socketpair without a server (fuzz/fuzz_probe_smtp.c).
 */
#ifndef CK_PKI_PROBE_INT_H
#define CK_PKI_PROBE_INT_H

#include "pki/probe.h"

/*
 * Checks o as pki_probe does, then runs the SMTP dialogue up to TLS on fd:
 * reads the greeting, sends EHLO, reads its reply, sends STARTTLS, expects
 * 220 and refuses data sent after it. Same limits, errors and banner and
 * starttls_offered in r as pki_probe; r never holds a certificate. fd stays
 * open (the caller's).
 */
enum ck_err pki_probe_smtp_plain(int fd, const struct pki_probe_opts *o,
				 struct pki_probe_result *r);

#endif
