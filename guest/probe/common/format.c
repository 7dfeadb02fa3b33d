/* SPDX-License-Identifier: MIT */
/* format.c - a small vsnprintf (no floating point) and printk on the arch's console. */
#include "common.h"

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
