/* SPDX-License-Identifier: MIT */
/*
 * memmap.c - the x86 guest physical memory map: RAM in two memory slots
 * around the 32-bit PCI/MMIO hole (like real PC chipsets: RAM below 3 GiB,
 * the rest above 4 GiB), and the e820 table that describes it to the guest.
 */
#include "core/vm.h"
#include "core/arch.h"
#include "core/pci.h"
#include "core/x86/x86.h"

void nx_arch_mem_layout(struct nx_mem *m)
{
	uint64_t low = m->size < NX_MMIO_HOLE ? m->size : NX_MMIO_HOLE;

	m->regions[0] = (struct nx_mem_region){ .gpa = 0, .size = low, .hva = m->base, .slot = 0 };
	m->nregions = 1;
	if (m->size > low) {
		m->regions[1] = (struct nx_mem_region){ .gpa = NX_HIGH_RAM, .size = m->size - low,
							.hva = m->base + low, .slot = 1 };
		m->nregions = 2;
	}
}

/*
 * The guest's memory map. Below 1 MiB the PC convention: RAM to 0x9fc00,
 * then the EBDA/MP table, VGA hole and the BIOS area (where the RSDP must
 * live, ACPI spec 5.2.5.1) reserved.
 */
int nx_mem_e820(const struct nx_mem *m, struct nx_e820_entry *e, int max)
{
	int n = 0;
	uint64_t low = m->regions[0].size;

	if (max < 5)
		return -1;
	e[n++] = (struct nx_e820_entry){ 0, NX_MPTABLE, NX_E820_RAM };
	e[n++] = (struct nx_e820_entry){ NX_MPTABLE, 0x100000 - NX_MPTABLE, NX_E820_RESERVED };
	if (low > 0x100000)
		e[n++] = (struct nx_e820_entry){ 0x100000, low - 0x100000, NX_E820_RAM };
	/* ECAM, IOAPIC, counter page, LAPIC: the top of the hole is not RAM. */
	e[n++] = (struct nx_e820_entry){ NX_PCI_ECAM, 0x10000000, NX_E820_RESERVED };
	if (m->nregions > 1)
		e[n++] = (struct nx_e820_entry){ m->regions[1].gpa, m->regions[1].size, NX_E820_RAM };
	return n;
}

/*
 * The 64-bit PCI window: from the first 1 GiB boundary above RAM (and
 * above 4 GiB), 32 GiB long. x86 CPUs have at least 36 physical address
 * bits (64 GiB), so the window stays addressable for any guest of up to
 * ~28 GiB RAM on the smallest, and far beyond on current ones (40+ bits).
 */
void nx_pci_mmio64_window(const struct nx_mem *m, uint64_t *base, uint64_t *size)
{
	uint64_t top = NX_HIGH_RAM;

	if (m->nregions > 1)
		top = m->regions[1].gpa + m->regions[1].size;
	*base = (top + (1ull << 30) - 1) & ~((1ull << 30) - 1);
	*size = 32ull << 30;
}
