/* SPDX-License-Identifier: MIT */
/*
 * serial.h - the 16550A UART (core/serial.c).
 */
#ifndef NEXIT_CORE_SERIAL_H
#define NEXIT_CORE_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

/* A guest may write its UART as fast as it can: the host file or terminal
 * takes NX_SERIAL_RATE bytes/s ([serial] rate) after a burst of 4 s worth;
 * the rest is dropped, counted and reported. */
#define NX_SERIAL_RATE		(1ull << 20)
struct nx_vm;
struct nx_serial;
struct nx_serial *nx_serial_create(struct nx_vm *vm, uint16_t port, unsigned irq,
				    const char *out_path);
void nx_serial_destroy(struct nx_serial *s);
void nx_serial_io(struct nx_serial *s, unsigned off, uint8_t *data, bool wr);	/* tests */

#endif
