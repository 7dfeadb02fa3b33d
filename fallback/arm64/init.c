/* SPDX-License-Identifier: MIT */
/*
 * init.c - nx_fallback_init on arm64: the EOI-gated INTx fallback on the
 * vGIC's SPIs (spi_gate.c), after nx_arch_irqchip_init made the vGIC and
 * its routes. The composition root (cli/run.c) calls it as on x86.
 */
#include "fallback/arm64/arm64_fb.h"

int nx_fallback_init(struct nx_vm *vm)
{
	return nx_a64_fb_init(vm);
}
