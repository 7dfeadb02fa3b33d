/* SPDX-License-Identifier: MIT */
/*
 * cmdline.c - "scenario=NAME key=value ..." from the boot command line.
 * cmdline_init splits a copy into words in place, so every value it hands
 * out ends at its own NUL (strcmp on it compares the value, not the rest of
 * the line). Words without '=' (QEMU puts the kernel's path first) are
 * ignored; of a key given twice, the first counts.
 */
#include "common.h"

void cmdline_init(struct cmdline *c, const char *s)
{
	size_t n = strlen(s);
	char *p;

	if (n >= sizeof(c->buf))
		n = sizeof(c->buf) - 1;
	memcpy(c->buf, s, n);
	c->buf[n] = 0;
	c->nargs = 0;
	for (p = c->buf; *p;) {
		char *word, *eq = NULL;

		while (*p == ' ')
			*p++ = 0;
		if (!*p)
			break;
		for (word = p; *p && *p != ' '; p++)
			if (*p == '=' && !eq)
				eq = p;
		if (*p)
			*p++ = 0;
		if (!eq || c->nargs == CMDLINE_MAX_ARGS)
			continue;
		*eq = 0;
		c->key[c->nargs] = word;
		c->val[c->nargs++] = eq + 1;
	}
}

const char *cmdline_get(const struct cmdline *c, const char *key)
{
	for (unsigned i = 0; i < c->nargs; i++)
		if (!strcmp(c->key[i], key))
			return c->val[i];
	return NULL;
}

u64 parse_u64(const char *s, bool *ok)
{
	u64 v = 0;
	unsigned base = 10, digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++, digits++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		v = v * base + d;
	}
	if (ok)
		*ok = digits > 0 && (*s == 0 || *s == ' ');
	return v;
}

u64 cmdline_u64(const struct cmdline *c, const char *key, u64 def)
{
	const char *v = cmdline_get(c, key);
	bool ok;
	u64 r;

	if (!v)
		return def;
	r = parse_u64(v, &ok);
	if (!ok)
		panic("bad value for %s= on the command line", key);
	return r;
}
