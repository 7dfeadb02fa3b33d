/* SPDX-License-Identifier: MIT */
/*
 * probe.c - the probe guest's result: one line "PROBE {json}" on its serial
 * console (docs/probe.md). The last such line wins.
 */
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "core/vm.h"
#include "bench/bench.h"

#define PREFIX_LEN (sizeof(NX_PROBE_PREFIX) - 1)	/* abi/guest_abi.h */

struct json_object *nxb_probe_json(const char *out, size_t len)
{
	const char *p = out, *end = out + len, *last = NULL;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t l = (nl ? nl : end) - p;

		if (l > PREFIX_LEN && !memcmp(p, NX_PROBE_PREFIX, PREFIX_LEN))
			last = p;
		p += l + 1;
	}
	if (!last)
		return NULL;
	{
		const char *nl = memchr(last, '\n', end - last);
		size_t l = (nl ? nl : end) - last - PREFIX_LEN;
		char *s = strndup(last + PREFIX_LEN, l);
		struct json_object *o;

		if (!s)
			return NULL;
		o = json_tokener_parse(s);
		free(s);
		if (o && !json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			o = NULL;
		}
		return o;
	}
}

bool nxb_json_num(struct json_object *o, const char *key, double *v)
{
	struct json_object *x;

	if (!o || !json_object_object_get_ex(o, key, &x))
		return false;
	if (!json_object_is_type(x, json_type_int) && !json_object_is_type(x, json_type_double))
		return false;
	*v = json_object_get_double(x);
	return true;
}

bool nxb_json_find(struct json_object *o, const char *prefix, const char *suffix,
		   double *v, const char **key)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	char exact[128];

	if (!o)
		return false;
	/* prefix + suffix exactly ("p99_ns"), else any "<prefix>..._<suffix>". */
	snprintf(exact, sizeof(exact), "%s%s", prefix, suffix);
	if (nxb_json_num(o, exact, v)) {
		if (key)
			*key = suffix;
		return true;
	}
	json_object_object_foreach(o, k, x) {
		size_t kl = strlen(k);

		if (kl < pl + sl + 1 || strncmp(k, prefix, pl) || strcmp(k + kl - sl, suffix) ||
		    k[kl - sl - 1] != '_')
			continue;
		if (!json_object_is_type(x, json_type_int) && !json_object_is_type(x, json_type_double))
			continue;
		*v = json_object_get_double(x);
		if (key)
			*key = k;
		return true;
	}
	return false;
}

void nxb_last_line(const char *out, size_t len, char *buf, size_t sz)
{
	size_t e = len, b;

	while (e && (out[e - 1] == '\n' || out[e - 1] == '\r' || out[e - 1] == ' '))
		e--;
	b = e;
	while (b && out[b - 1] != '\n')
		b--;
	if (e - b >= sz)
		b = e - (sz - 1);
	memcpy(buf, out + b, e - b);
	buf[e - b] = 0;
	/* Keep it printable for JSON and markdown. */
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == '|')
			*c = ' ';
}
