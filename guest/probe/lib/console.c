/* SPDX-License-Identifier: MIT */
/*
 * console.c - COM1 output, a small vsnprintf and the PROBE JSON line builder.
 *
 * The UART is written without polling LSR.THRE: a VMM's 16550 never holds
 * the transmitter busy, and each extra port read is an exit plus emulated
 * ring-0 instructions on kvm_pvm.
 */
#include "probe.h"

#define COM1 0x3f8

static u64 k_write(u64 s, u64 n)
{
	const char *p = (const char *)s;
	for (; n; n--, p++) {
		if (*p == '\n')
			outb(COM1, '\r');
		outb(COM1, *p);
	}
	return 0;
}

void console_write(const char *s, size_t n)
{
	kcall(k_write, (u64)s, n);	/* port I/O needs ring 0 */
}

static char *put_num(char *p, char *end, u64 v, unsigned base, int width, bool zero, bool neg)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (n < width && n < (int)sizeof(tmp))
		tmp[n++] = zero ? '0' : ' ';
	while (n)
		if (p < end)
			*p++ = tmp[--n];
		else
			n--;
	return p;
}

/* Supports %s %c %d %u %x %p %% with l/ll, width, 0 and # flags. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	char *p = buf, *end = buf + (size ? size - 1 : 0);

	for (; *fmt; fmt++) {
		bool zero = false, alt = false;
		int width = 0, lng = 0;

		if (*fmt != '%') {
			if (p < end)
				*p++ = *fmt;
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '0')
				zero = true;
			else if (*fmt == '#')
				alt = true;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			while (*s && p < end)
				*p++ = *s++;
			break;
		}
		case 'c':
			if (p < end)
				*p++ = (char)va_arg(ap, int);
			break;
		case 'd': {
			s64 v = lng ? va_arg(ap, s64) : va_arg(ap, int);
			p = put_num(p, end, v < 0 ? -(u64)v : (u64)v, 10, width, zero, v < 0);
			break;
		}
		case 'u':
			p = put_num(p, end, lng ? va_arg(ap, u64) : va_arg(ap, unsigned), 10,
				    width, zero, false);
			break;
		case 'p':
			alt = true;
			lng = 1;
			/* fall through */
		case 'x':
			if (alt) {
				if (p < end) *p++ = '0';
				if (p < end) *p++ = 'x';
			}
			p = put_num(p, end, lng ? va_arg(ap, u64) : va_arg(ap, unsigned), 16,
				    width, zero, false);
			break;
		case '%':
			if (p < end)
				*p++ = '%';
			break;
		default:
			return -1;
		}
	}
	if (size)
		*p = 0;
	return p - buf;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void printk(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		console_write(buf, n);
}

/* ---- PROBE JSON line ---------------------------------------------------- */
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
	json_str(j, "scenario", scenario);
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
	json_str(j, "result", pass ? "pass" : "fail");
	json_add(j, "}");
	console_write("PROBE ", 6);
	console_write(j->buf, j->len);
	console_write("\n", 1);
	return pass;
}
