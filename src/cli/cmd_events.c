/*
 * cmd_events.c - the events command: the event log, filtered
 * (DESIGN.md §6).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "base/clock.h"
#include "core/events/events.h"
#include "base/text.h"

struct events_out {
	bool json;
	size_t count;
};

static int print_event(const struct store_event *ev, void *arg)
{
	struct events_out *out = arg;
	const struct ck_event_kind *kind = ck_event_kind(ev->id);
	char when[32];

	ck_time_format(ev->time, when, sizeof(when));
	if (out->json) {
		/* jansson refuses a string that is not UTF-8 (json_pack then
		 * fails as if out of memory); an old message shows escaped. */
		json_error_t jerr;
		json_t *fields = json_loads(ev->fields, 0, &jerr);
		json_t *o = json_pack("{s:I, s:s, s:i, s:s, s:s, s:s, s:s, s:o}", "Seq",
				      (json_int_t)ev->seq, "Time", when, "Id", ev->id, "Name",
				      kind ? kind->name : "Unknown", "Level", ev->level, "Source",
				      ev->source, "Message",
				      ck_utf8_valid(ev->message) ? ev->message : ck_text_safe(ev->message),
				      "Fields",
				      fields ? fields : json_object());

		int r;

		if (o == NULL)
			return CK_ENOMEM;
		r = cli_json_array_item(o, out->count);
		json_decref(o);
		if (r != 0)
			return r;
	} else {
		printf("%6lld  %s  %5d  %-7s  %s\n", (long long)ev->seq, when, ev->id,
		       ck_text_safe(ev->level), ck_text_safe(ev->message));
	}
	out->count++;
	return ferror(stdout) ? CK_EIO : 0;
}

enum ck_err cmd_events(struct cli *c)
{
	struct store_event_filter f = { 0 };
	struct events_out out = { c->json, 0 };
	const char *since = cli_value(c, "--since");
	int limit = 0;
	enum ck_err rc;

	rc = cli_int(c, "--id", 1, 1000000, &f.id);
	if (rc == CK_OK)
		rc = cli_int(c, "--limit", 1, 1000000000, &limit);
	if (rc == CK_OK && since)
		rc = cli_value_error(ck_time_parse(since, &f.since), "--since");
	if (rc != CK_OK)
		return rc;
	f.limit = limit;
	f.newest = true; /* like journalctl -n: the last N */
	if (c->json)
		printf("[");
	rc = ck_event_each(c->st, &f, print_event, &out);
	if (rc == CK_EIO)
		return ck_fail_errno(CK_EIO, "cannot write output");
	if (rc != CK_OK)
		return rc;
	if (c->json)
		cli_json_array_end(out.count);
	return CK_OK;
}

void cli_man_events(FILE *f)
{
	size_t i, j;

	/* Rows next to each other with the same text share one paragraph. */
	for (i = 0; i < ck_event_n_kinds; i = j) {
		const struct ck_event_kind *k = &ck_event_catalogue[i];

		fprintf(f, ".TP\n.B %d", k->id);
		for (j = i + 1; j < ck_event_n_kinds && strcmp(ck_event_catalogue[j].man, k->man) == 0;
		     j++)
			fprintf(f, ", %d", ck_event_catalogue[j].id);
		fputs("\n", f);
		cli_roff_text(f, k->man);
		fputs("\n", f);
	}
}
