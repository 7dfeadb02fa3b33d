/* SPDX-License-Identifier: MIT */
/*
 * cmdline.c - "scenario=NAME key=value ..." from the multiboot command line.
 * Words without '=' (QEMU puts the kernel's path first) are ignored.
 */
#include "probe.h"

void cmdline_init(struct cmdline *c, const char *s)
{
	size_t n = strlen(s);
	if (n >= sizeof(c->buf))
		n = sizeof(c->buf) - 1;
	memcpy(c->buf, s, n);
	c->buf[n] = 0;
}

const char *cmdline_get(const struct cmdline *c, const char *key)
{
	size_t kl = strlen(key);
	const char *p = c->buf;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, kl) && p[kl] == '=')
			return p + kl + 1;
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
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
