/* SPDX-License-Identifier: MIT */
/*
 * json.c - the PROBE line: one JSON object per scenario, built key by key
 * into a fixed buffer (keys and line format: abi/guest_abi.h).
 */
#include "common.h"

static void json_add(struct json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void json_add(struct json *j, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(j->buf + j->len, sizeof(j->buf) - j->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		j->len += n;
	if (j->len >= sizeof(j->buf))
		j->len = sizeof(j->buf) - 1;
}

static void json_key(struct json *j, const char *key)
{
	json_add(j, "%s\"%s\":", j->len > 1 ? "," : "", key);
}

void json_begin(struct json *j, const char *scenario)
{
	j->len = 0;
	json_add(j, "{");
	json_str(j, NX_PROBE_KEY_SCENARIO, scenario);
}

void json_u64(struct json *j, const char *key, u64 v) { json_key(j, key); json_add(j, "%lu", v); }
void json_s64(struct json *j, const char *key, s64 v) { json_key(j, key); json_add(j, "%ld", v); }
void json_bool(struct json *j, const char *key, bool v) { json_key(j, key); json_add(j, v ? "true" : "false"); }
void json_null(struct json *j, const char *key) { json_key(j, key); json_add(j, "null"); }
void json_raw(struct json *j, const char *key, const char *raw) { json_key(j, key); json_add(j, "%s", raw); }

void json_str(struct json *j, const char *key, const char *v)
{
	json_key(j, key);
	json_add(j, "\"");
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			json_add(j, "\\%c", *v);
		else if ((u8)*v < 0x20)
			json_add(j, "\\u%04x", (u8)*v);
		else
			json_add(j, "%c", *v);
	}
	json_add(j, "\"");
}

void json_milli(struct json *j, const char *key, u64 m)
{
	json_key(j, key);
	if (m % 1000 == 0)
		json_add(j, "%lu", m / 1000);
	else if (m % 100 == 0)
		json_add(j, "%lu.%lu", m / 1000, m % 1000 / 100);
	else if (m % 10 == 0)
		json_add(j, "%lu.%02lu", m / 1000, m % 1000 / 10);
	else
		json_add(j, "%lu.%03lu", m / 1000, m % 1000);
}

bool probe_result(struct json *j, bool pass)
{
	json_str(j, NX_PROBE_KEY_RESULT, pass ? NX_PROBE_PASS : NX_PROBE_FAIL);
	json_add(j, "}");
	console_write(NX_PROBE_PREFIX, sizeof(NX_PROBE_PREFIX) - 1);
	console_write(j->buf, j->len);
	console_write("\n", 1);
	return pass;
}

bool probe_fail(const char *scenario, const char *why)
{
	struct json j;

	json_begin(&j, scenario);
	json_str(&j, NX_PROBE_KEY_ERROR, why);
	return probe_result(&j, false);
}
