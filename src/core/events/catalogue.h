/*
 * catalogue.h - the event catalogue: every event's id, name, level,
 * source, the exit module's group that mails it and its man-page text
 * (DESIGN.md §6), made from the rows of events.def.
 *
 * Everything here is constant and needs no store: it is what the rest of
 * the events room (writing events, the exit module's queue and settings)
 * and the man page look names up in.
 */
#ifndef CK_CATALOGUE_H
#define CK_CATALOGUE_H

#include <stddef.h>

enum ck_event_id {
#define CK_EVENT(id, e, name, level, source, group, man) CK_EV_##e = id,
#include "core/events/events.def"
#undef CK_EVENT
};

struct ck_event_kind {
	int id;
	const char *name;       /* "CertificateReplaced" */
	const char *level;      /* "info", "warning", "error" */
	const char *source;     /* "certkeep" */
	const char *exit_group; /* "Replaced": exit\smtp\Replaced mails it; NULL: none */
	const char *man;        /* its paragraph in certkeep(1), plain text */
};

/* Every event, in the man page's order. */
extern const struct ck_event_kind ck_event_catalogue[];
extern const size_t ck_event_n_kinds;

/* The catalogue entry for id, or NULL. */
const struct ck_event_kind *ck_event_kind(int id);

#endif
