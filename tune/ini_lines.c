/* SPDX-License-Identifier: MIT */
/*
 * ini_lines.c - libinih with line numbers. Debian's libinih is built
 * without INI_HANDLER_LINENO, so the handler cannot know its line; inih
 * reads one line per reader call and calls the handler for it before
 * reading the next, so a reader that counts lines gives the handler's line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <ini.h>

#include "tune/tune.h"

struct ini_lines {
	FILE *f;
	int line;
	nx_ini_fn fn;
	void *user;
};

static char *reader(char *str, int num, void *stream)
{
	struct ini_lines *c = stream;
	char *r = fgets(str, num, c->f);

	if (r)
		c->line++;
	return r;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct ini_lines *c = user;

	return c->fn(c->user, section, name, value, c->line);
}

int nx_ini_parse_lines(const char *path, nx_ini_fn fn, void *user)
{
	struct ini_lines c = { NULL, 0, fn, user };
	int r;

	c.f = fopen(path, "re");
	if (!c.f)
		return -1;
	r = ini_parse_stream(reader, &c, handler, &c);
	fclose(c.f);
	return r;
}
