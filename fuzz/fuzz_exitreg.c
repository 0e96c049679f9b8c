/*
 * fuzz_exitreg.c - libFuzzer harness for the exit module's parsers of
 * outside input (DESIGN.md §9): setreg key names and values, %n template
 * expansion with event data, e-mail addresses (src/core/exitreg.c,
 * exitmod.c, mail/addr.c). Invariants checked: no crash; whatever becomes
 * a header (a subject, an accepted address, a non-body value) holds no
 * CR, LF or NUL; a subject is at most CK_EXIT_SUBJECT_MAX bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/events/exitmod.h"
#include "core/events/exitreg.h"
#include "mail/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = { "exit\\smtp\\SMTPPort", "exit\\smtp\\SMTPUseTLS",
				    "exit\\smtp\\EventFilter", "exit\\smtp\\Issued\\To",
				    "exit\\smtp\\Issued\\TitleFormat", "exit\\smtp\\Issued\\BodyArg",
				    "exit\\smtp\\SMTPServer", "exit\\smtp\\Issued\\BodyFormat" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_exit_sys sys = { 1101, "CertIssued", "m", 0, 1, "ca.example", NULL };
	char *s = malloc(size + 1), *out = NULL, addr[CK_ADDR_MAX + 1];
	struct ck_reg_ref ref;
	json_t *fields;
	size_t i;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)ck_reg_lookup(s, true, &ref);
	(void)ck_template_max_arg(s);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (ck_reg_lookup(keys[i], false, &ref) != CK_OK)
			abort();
		/* Lists are stored one item a line: check each item. */
		if (ck_reg_parse(&ref, i == 3 ? "a@b.example" : "Issued\nline", s, &out) == CK_OK &&
		    i != 7) {
			char *p;

			for (p = out; *p; p++)
				if (*p == '\n' && (i == 2 || i == 5))
					*p = ' ';
			if (!ck_header_safe(out, strlen(out)))
				abort();
		}
		free(out);
		out = NULL;
	}
	if (ck_addr_check(s, addr) == CK_OK &&
	    (!ck_header_safe(addr, strlen(addr)) || strchr(addr, '@') == NULL))
		abort();
	fields = json_object();
	json_object_set_new(fields, "A", json_stringn(s, size));
	if (ck_exit_render(s, "A\nB\nEventTime", fields, &sys, true, &out) == CK_OK &&
	    (!ck_header_safe(out, strlen(out)) || strlen(out) > CK_EXIT_SUBJECT_MAX))
		abort();
	free(out);
	out = NULL;
	if (ck_exit_render(s, "A", fields, &sys, false, &out) == CK_OK && strchr(out, '\r'))
		abort();
	free(out);
	json_decref(fields);
	free(s);
	return 0;
}
