/*
 * err.c - the per-thread error message behind enum ck_err (DESIGN.md §1).
 */
#include "base/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char errbuf[1024];

static void vset(const char *fmt, va_list ap)
{
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
}

enum ck_err ck_fail(enum ck_err code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(fmt, ap);
	va_end(ap);
	return code;
}

enum ck_err ck_fail_errno(enum ck_err code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vset(fmt, ap);
	va_end(ap);
	n = strlen(errbuf);
	snprintf(errbuf + n, sizeof(errbuf) - n, ": %s", strerror(saved));
	errno = saved;
	return code;
}

const char *ck_errmsg(void)
{
	return errbuf;
}

void ck_errmsg_prefix(const char *fmt, ...)
{
	char old[sizeof(errbuf)];
	va_list ap;
	size_t n;

	memcpy(old, errbuf, sizeof(old));
	va_start(ap, fmt);
	vset(fmt, ap);
	va_end(ap);
	n = strlen(errbuf);
	snprintf(errbuf + n, sizeof(errbuf) - n, ": %s", old);
}

void ck_errmsg_clear(void)
{
	errbuf[0] = '\0';
}

int ck_exit_status(enum ck_err code)
{
	switch (code) {
	case CK_OK:
		return 0;
	case CK_EUSAGE:
		return 2;
	case CK_EPROBLEM:
		return 3;
	case CK_ETEMP:
		return 4;
	case CK_EREACTION:
		return 5;
	default:
		return 1;
	}
}
