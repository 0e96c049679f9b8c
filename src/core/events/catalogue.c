/*
 * catalogue.c - the event catalogue from events.def (DESIGN.md §6;
 * catalogue.h).
 */
#include "core/events/catalogue.h"

const struct ck_event_kind ck_event_catalogue[] = {
#define CK_EVENT(id, e, name, level, source, group, man) { id, name, level, source, group, man },
#include "core/events/events.def"
#undef CK_EVENT
};
const size_t ck_event_n_kinds = sizeof(ck_event_catalogue) / sizeof(ck_event_catalogue[0]);

const struct ck_event_kind *ck_event_kind(int id)
{
	size_t i;

	for (i = 0; i < ck_event_n_kinds; i++)
		if (ck_event_catalogue[i].id == id)
			return &ck_event_catalogue[i];
	return NULL;
}
