/*
 * clock.c - the injectable clock and RFC 3339 times (DESIGN.md §1, §10).
 */
#define _GNU_SOURCE /* timegm, strptime */
#include "clock.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool fixed;
static int64_t fixed_time;

int64_t ck_now(void)
{
	return fixed ? fixed_time : (int64_t)time(NULL);
}

void ck_clock_set(int64_t t)
{
	fixed = true;
	fixed_time = t;
}

void ck_clock_reset(void)
{
	fixed = false;
}

enum ck_err ck_time_parse(const char *s, int64_t *out)
{
	struct tm tm;
	const char *rest;
	long offset = 0;

	memset(&tm, 0, sizeof(tm));
	rest = strptime(s, "%Y-%m-%d", &tm);
	if (rest == NULL)
		goto bad;
	if (*rest == 'T' || *rest == 't' || *rest == ' ') {
		rest = strptime(rest + 1, "%H:%M:%S", &tm);
		if (rest == NULL)
			goto bad;
		if (*rest == '.') {
			rest++;
			if (!isdigit((unsigned char)*rest))
				goto bad;
			while (isdigit((unsigned char)*rest))
				rest++;
		}
		if (*rest == 'Z' || *rest == 'z') {
			rest++;
		} else if (*rest == '+' || *rest == '-') {
			int sign = *rest == '-' ? -1 : 1;
			int hh, mm;

			if (!isdigit((unsigned char)rest[1]) || !isdigit((unsigned char)rest[2]) ||
			    rest[3] != ':' || !isdigit((unsigned char)rest[4]) ||
			    !isdigit((unsigned char)rest[5]))
				goto bad;
			hh = (rest[1] - '0') * 10 + (rest[2] - '0');
			mm = (rest[4] - '0') * 10 + (rest[5] - '0');
			if (hh > 23 || mm > 59)
				goto bad;
			offset = sign * (hh * 3600L + mm * 60L);
			rest += 6;
		} else {
			goto bad;
		}
	}
	if (*rest != '\0')
		goto bad;
	*out = (int64_t)timegm(&tm) - offset;
	return CK_OK;
bad:
	return ck_fail(CK_EINVAL, "invalid time '%s': use RFC 3339, e.g. 2026-11-23T10:00:00Z",
		       s);
}

void ck_time_format(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "invalid");
}
