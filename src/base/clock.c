/*
 * clock.c - the injectable clock and RFC 3339 times (DESIGN.md §1, §10).
 */
#define _GNU_SOURCE /* timegm, strptime */
#include "base/clock.h"

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

/* True if s starts with the digits-and-separators shape of pattern, where
 * 'D' stands for a digit: strptime alone takes "2026-1-2" and " 2026". */
static bool shaped(const char *s, const char *pattern)
{
	for (; *pattern; pattern++, s++) {
		if (*pattern == 'D' ? !isdigit((unsigned char)*s) : *s != *pattern)
			return false;
	}
	return true;
}

enum ck_err ck_time_parse(const char *s, int64_t *out)
{
	struct tm tm, asked, back;
	const char *rest;
	long offset = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (!shaped(s, "DDDD-DD-DD") || (s[10] != '\0' && !shaped(s + 11, "DD:DD:DD")))
		goto bad;
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
	/* timegm moves "February 30" to March: refuse what it had to move. */
	asked = tm;
	t = timegm(&tm);
	if (gmtime_r(&t, &back) == NULL || back.tm_year != asked.tm_year ||
	    back.tm_mon != asked.tm_mon || back.tm_mday != asked.tm_mday ||
	    back.tm_hour != asked.tm_hour || back.tm_min != asked.tm_min ||
	    back.tm_sec != asked.tm_sec)
		goto bad;
	*out = (int64_t)t - offset;
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
