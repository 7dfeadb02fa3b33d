/* SPDX-License-Identifier: MIT */
/*
 * init.c - nx_fallback_init on x86 (the arch hook): the controller for
 * vm->cfg->irqchip (split: nexit's IOAPIC + 8259 models, split.c; kernel:
 * KVM's IOAPIC with irqfd+resamplefd, kernel.c) on the controller core both
 * arches share (fallback/lines.c).
 */
#include <stdlib.h>
#include "fallback/x86/x86_fb.h"

int nx_fallback_init(struct nx_vm *vm)
{
	bool kernel = vm->cfg->irqchip == NX_IRQCHIP_KERNEL;
	struct nx_fallback *fb = nx_fallback_new(vm, kernel ? "kernel" : "split", "ioapic-pin", NULL);

	if (!fb)
		return -1;
	fb->x86 = calloc(1, sizeof(*fb->x86));
	if (!fb->x86)
		return nx_error("out of memory for the interrupt controller");
	nx_lives_until_exit(fb->x86);
	fb->kernel = kernel;
	if ((kernel ? nx_fallback_kernel_init(fb) : nx_fallback_split_init(fb)) < 0)
		return -1;
	return nx_stats_add_hook(vm, nx_fallback_stats_hook, fb);
}
