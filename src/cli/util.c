/*
 * util.c - what the command handlers share: option access, JSON output,
 * password input (DESIGN.md §10). It knows nothing of the command table,
 * so that every cmd_*.c can use it and nothing leads back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "base/fileio.h"
#include "base/strlist.h"
#include "base/text.h"
#include "pki/pki.h"

bool cli_flag(const struct cli *c, const char *name)
{
	int i;

	for (i = 0; i < c->nvals; i++)
		if (strcmp(c->vals[i].spec->name, name) == 0)
			return true;
	return false;
}

const char *cli_value(const struct cli *c, const char *name)
{
	int i;

	for (i = 0; i < c->nvals; i++)
		if (strcmp(c->vals[i].spec->name, name) == 0)
			return c->vals[i].value;
	return NULL;
}

enum ck_err cli_values(const struct cli *c, const char *name, char ***out, size_t *n)
{
	int i;

	*out = NULL;
	*n = 0;
	for (i = 0; i < c->nvals; i++) {
		const char *p;

		if (strcmp(c->vals[i].spec->name, name) != 0)
			continue;
		p = c->vals[i].value;
		for (;;) {
			const char *end = strchr(p, ',');
			size_t len = end ? (size_t)(end - p) : strlen(p);
			char item[512];

			if (len >= sizeof(item)) {
				ck_strlist_free(*out, *n);
				return ck_fail(CK_EINVAL, "%s value too long", name);
			}
			memcpy(item, p, len);
			item[len] = '\0';
			if (ck_strlist_push(out, n, item) != CK_OK) {
				ck_strlist_free(*out, *n);
				return CK_ENOMEM;
			}
			if (end == NULL)
				break;
			p = end + 1;
		}
	}
	return CK_OK;
}

enum ck_err cli_int(const struct cli *c, const char *name, long min, long max, int *out)
{
	const char *v = cli_value(c, name);
	char *end;
	long n;

	if (v == NULL)
		return CK_OK;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return ck_fail(CK_EUSAGE, "%s must be a whole number from %ld to %ld, not '%.40s'",
			       name, min, max, v);
	*out = (int)n;
	return CK_OK;
}

enum ck_err cli_text(const struct cli *c, const char *name, bool one_line, const char **out)
{
	const char *v = cli_value(c, name), *p;

	*out = NULL;
	if (v == NULL)
		return CK_OK;
	if (!ck_utf8_valid(v))
		return ck_fail(CK_EUSAGE, "%s is not valid UTF-8 text", name);
	for (p = v; one_line && *p; p++) {
		uint32_t cp;
		size_t n = ck_utf8_next((const unsigned char *)p, strlen(p), &cp);

		if (ck_is_control(cp))
			return ck_fail(CK_EINVAL, "%s must be one line of text, without control "
						  "characters", name);
		p += n - 1;
	}
	*out = v;
	return CK_OK;
}

enum ck_err cli_value_error(enum ck_err rc, const char *name)
{
	char msg[512];
	size_t n = strlen(name);

	if (rc != CK_EINVAL)
		return rc;
	snprintf(msg, sizeof(msg), "%s", ck_errmsg());
	if (strncmp(msg, name, n) == 0 && (msg[n] == ':' || msg[n] == ' '))
		return ck_fail(CK_EUSAGE, "%s", msg);
	return ck_fail(CK_EUSAGE, "%s: %s", name, msg);
}

enum ck_err cli_key_type(const struct cli *c, const char *name)
{
	const char *v = cli_value(c, name);

	return v ? cli_value_error(pki_key_type_check(v), name) : CK_OK;
}

enum ck_err cli_print_json(const json_t *v)
{
	if (json_dumpf(v, stdout, JSON_SORT_KEYS | JSON_INDENT(2)) != 0 || putchar('\n') == EOF)
		return ck_fail_errno(CK_EIO, "cannot write output");
	return CK_OK;
}

enum ck_err cli_print_json_new(json_t *v)
{
	enum ck_err rc;

	if (v == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	rc = cli_print_json(v);
	json_decref(v);
	return rc;
}

int cli_json_array_item(const json_t *item, size_t index)
{
	if (printf("%s", index ? ",\n" : "\n") < 0 ||
	    json_dumpf(item, stdout, JSON_SORT_KEYS | JSON_INDENT(2)) != 0)
		return CK_EIO;
	return 0;
}

void cli_json_array_end(size_t count)
{
	printf("%s]\n", count ? "\n" : "");
}

/* Reads one line from fd (no echo handling here) into a new buffer. */
static enum ck_err read_line(FILE *f, char **out)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);

	if (n < 0) {
		ck_free_secret(line, cap);
		return ck_fail(CK_EPASSWORD, "no password given");
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n > 1024) {
		ck_free_secret(line, cap);
		return ck_fail(CK_EPASSWORD, "password longer than 1024 characters");
	}
	*out = line;
	return CK_OK;
}

static enum ck_err ask_tty(const char *prompt, char **out)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+");
	enum ck_err rc;

	if (tty == NULL)
		return ck_fail(CK_EPASSWORD,
			       "a password is needed and there is no terminal: use --password-stdin");
	fprintf(tty, "%s", prompt);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) != 0) {
		fclose(tty);
		return ck_fail_errno(CK_EPASSWORD, "cannot read the terminal");
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	rc = read_line(tty, out);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fprintf(tty, "\n");
	fclose(tty);
	return rc;
}

enum ck_err cli_read_password(const struct cli *c, const char *prompt, bool confirm,
			      char **out)
{
	char *again = NULL;
	enum ck_err rc;

	if (cli_flag(c, "--password-stdin"))
		return read_line(stdin, out);
	rc = ask_tty(prompt, out);
	if (rc != CK_OK || !confirm)
		return rc;
	rc = ask_tty("Again: ", &again);
	if (rc == CK_OK && strcmp(*out, again) != 0) {
		rc = ck_fail(CK_EPASSWORD, "the passwords do not match");
		ck_free_secret(*out, strlen(*out) + 1);
		*out = NULL;
	}
	if (again)
		ck_free_secret(again, strlen(again) + 1);
	return rc;
}
