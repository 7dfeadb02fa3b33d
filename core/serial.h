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
struct nx_vcpu;
struct nx_serial;
/* The UART on GSI irq; the arch puts its registers on a bus (x86: COM1's
 * ports with nx_serial_bus_io; arm64: an MMIO page, core/arm64/platform.c). */
struct nx_serial *nx_serial_create(struct nx_vm *vm, unsigned irq, const char *out_path);
void nx_serial_destroy(struct nx_serial *s);
/* The 8 byte registers as a bus range (an nx_io_fn, opaque = the UART):
 * accesses wider than a byte read all-ones and write nothing. */
void nx_serial_bus_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool wr,
		      struct nx_vcpu *vcpu);

#endif
