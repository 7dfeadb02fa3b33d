/* SPDX-License-Identifier: MIT */
/* scenario.c - the scenario table: SCENARIO() entries in the .scenarios section. */
#include "common.h"

extern const struct scenario __scenarios_start[], __scenarios_end[];

const struct scenario *scenario_find(const char *name)
{
	for (const struct scenario *s = __scenarios_start; s < __scenarios_end; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}
