/* SPDX-License-Identifier: MIT */
/*
 * init.c - nx_passthrough_init on arm64: the ECAM PCI host with the
 * VFIO-assigned devices (pci.c, vfio.c). The composition root
 * (cli/run.c) calls it as on x86.
 */
#include <stdlib.h>
#include "passthrough/arm64/pci.h"

int nx_passthrough_init(struct nx_vm *vm)
{
	struct nx_a64_pci *pci = calloc(1, sizeof(*pci));	/* lives as long as the process */

	if (!pci)
		return nx_error("out of memory");
	return nx_a64_pci_init(vm, vm->arch, pci);
}
