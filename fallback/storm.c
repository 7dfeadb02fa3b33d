/* SPDX-License-Identifier: MIT */
/*
 * storm.c - per-line interrupt budget: a fixed window counts deliveries;
 * the first delivery past the budget starts a back-off during which the
 * line is held masked at the host (gate.c does the masking).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "fallback/fallback.h"

#define MS 1000000ULL

void nx_storm_defaults(struct nx_storm_cfg *cfg)
{
	cfg->budget = NX_STORM_DEFAULT_BUDGET;
	cfg->window_ms = NX_STORM_DEFAULT_WINDOW_MS;
	cfg->backoff_ms = NX_STORM_DEFAULT_BACKOFF_MS;
}

bool nx_storm_charge(struct nx_storm *s, uint64_t now_ns)
{
	if (!s->cfg.budget)
		return false;
	/* A new window starts with the first delivery after the old one ended. */
	if (!s->win_count || now_ns - s->win_start_ns >= s->cfg.window_ms * MS) {
		s->win_start_ns = now_ns;
		s->win_count = 0;
	}
	if (++s->win_count <= s->cfg.budget)
		return false;
	s->until_ns = now_ns + s->cfg.backoff_ms * MS;
	return true;
}

void nx_storm_end(struct nx_storm *s, uint64_t now_ns)
{
	s->until_ns = 0;
	s->win_count = 0;
	s->win_start_ns = now_ns;
}

static int parse_u32(const char *who, const char *key, const char *val, size_t len,
		     uint32_t *out)
{
	char buf[24], *end;
	unsigned long v;

	if (!len || len >= sizeof(buf))
		return nx_error("%s: %s: expected a number, got '%.*s'", who, key, (int)len, val);
	memcpy(buf, val, len);
	buf[len] = 0;
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || *end || buf[0] == '-' || v > UINT32_MAX)
		return nx_error("%s: %s: expected a number, got '%s'", who, key, buf);
	*out = (uint32_t)v;
	return 0;
}

int nx_storm_parse(struct nx_storm_cfg *cfg, const char *opts, const char *who)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{ "storm_budget", offsetof(struct nx_storm_cfg, budget) },
		{ "storm_window_ms", offsetof(struct nx_storm_cfg, window_ms) },
		{ "storm_backoff_ms", offsetof(struct nx_storm_cfg, backoff_ms) },
	};
	struct nx_storm_cfg c = *cfg;
	const char *p = opts ? opts : "";

	while (*p) {
		size_t n = strcspn(p, " ,\t");
		const char *eq = memchr(p, '=', n);

		for (unsigned i = 0; eq && i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strlen(keys[i].key) != (size_t)(eq - p) ||
			    strncmp(p, keys[i].key, eq - p))
				continue;
			if (parse_u32(who, keys[i].key, eq + 1, n - (eq + 1 - p),
				      (uint32_t *)((char *)&c + keys[i].off)) < 0)
				return -1;
		}
		p += n;
		p += strspn(p, " ,\t");
	}
	if (c.budget && (!c.window_ms || !c.backoff_ms))
		return nx_error("%s: storm_window_ms and storm_backoff_ms must be > 0 when storm_budget is set",
				who);
	*cfg = c;
	return 0;
}
