/* SPDX-License-Identifier: MIT */
/*
 * console.c - output on the 16550A at UART_BASE (THR at +0, LSR.THRE at +5
 * bit 5): the arch hook of common/format.c and json.c.
 */
#include "probe.h"

void console_write(const char *s, size_t n)
{
	for (; n; n--, s++) {
		if (*s == '\n') {
			while (!(rd8(UART_BASE + 5) & 0x20))
				;
			wr8(UART_BASE, '\r');
		}
		while (!(rd8(UART_BASE + 5) & 0x20))
			;
		wr8(UART_BASE, (u8)*s);
	}
}
