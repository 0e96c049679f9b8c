/*
 * err.h - certkeep's one error enum and its message (DESIGN.md §1, §10).
 *
 * Library code never prints and never exits: it returns an enum ck_err and
 * leaves a one-line human message in a per-thread buffer, the way SQLite
 * keeps a message on its handle. Only main() turns the code into an exit
 * status. Published numbers are never reused.
 */
#ifndef CK_ERR_H
#define CK_ERR_H

#include <stddef.h>

enum ck_err {
	CK_OK = 0,
	CK_ERROR = 1,      /* generic failure */
	CK_EUSAGE = 2,     /* bad command line */
	CK_EPROBLEM = 3,   /* a check found problems (diagnose, trust check) */
	CK_ETEMP = 4,      /* temporary failure: retry later */
	CK_EINVAL = 10,    /* bad input data (PEM, domain name, service ...) */
	CK_ENOTFOUND = 11, /* no such certificate / object */
	CK_EAMBIGUOUS = 12,/* thumbprint prefix matches several */
	CK_EEXIST = 13,    /* object already exists */
	CK_EIO = 14,       /* a system call failed */
	CK_ECRYPTO = 15,   /* OpenSSL refused */
	CK_ESTORE = 16,    /* the database refused */
	CK_ENOMEM = 17,
	CK_EPASSWORD = 18, /* wrong or missing password */
	CK_EREACTION = 19, /* the change is made, a reaction to it failed */
};

/* Sets the message (printf-style) and returns code, so callers can write
 * `return ck_fail(CK_EINVAL, "...")`. */
enum ck_err ck_fail(enum ck_err code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* As ck_fail, appending ": strerror(errno)"; errno is preserved. Call it
 * right after the failed system call. */
enum ck_err ck_fail_errno(enum ck_err code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The message of the last failure on this thread ("" if none). */
const char *ck_errmsg(void);

/* Prefixes the current message with "what: ", to add context on the way up. */
void ck_errmsg_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void ck_errmsg_clear(void);

/* The process exit status for a code (DESIGN.md §10: 0, 1, 2, 3, 4, 5). */
int ck_exit_status(enum ck_err code);

#endif
