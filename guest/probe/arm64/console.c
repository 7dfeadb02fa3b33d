/* SPDX-License-Identifier: MIT */
/* console.c - output on the 16550A at UART_BASE (THR at +0, LSR.THRE at +5 bit 5), strings. */
#include "probe.h"

void putc_(char c)
{
	if (c == '\n')
		putc_('\r');
	while (!(rd8(UART_BASE + 5) & 0x20))
		;
	wr8(UART_BASE, (u8)c);
}

void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

void put_u64(u64 v)
{
	char b[24];
	int i = 0;

	do {
		b[i++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (i)
		putc_(b[--i]);
}

void put_hex(u64 v)
{
	puts_("0x");
	for (int s = 60, started = 0; s >= 0; s -= 4) {
		unsigned d = (v >> s) & 0xf;
		if (d || started || s == 0) {
			putc_("0123456789abcdef"[d]);
			started = 1;
		}
	}
}

void *memset(void *d, int c, size_t n)
{
	u8 *p = d;
	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *p = d;
	const u8 *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++)
		if (*a != *b || !*a)
			return (u8)*a - (u8)*b;
	return 0;
}
