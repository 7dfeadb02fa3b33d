/* SPDX-License-Identifier: MIT */
/*
 * fdt.c - the flattened device tree the guest boots with (libfdt,
 * sequential-write API). Bindings: Documentation/devicetree/bindings/
 * interrupt-controller/arm,gic-v3.yaml (GIC, ITS), pci/host-generic-pci.yaml
 * (ECAM host, msi-map per pci-msi.txt), arm/psci.yaml, timer/arm,arch_timer.
 */
#include <libfdt.h>
#include <string.h>
#include "core/arm64/arm64.h"

#define PH_GIC	1
#define PH_ITS	2

/* GIC interrupt specifier: <type number flags> (arm,gic-v3.yaml). */
#define GIC_SPI		0
#define GIC_PPI		1
#define IRQ_LEVEL_HIGH	4

static int cells(void *fdt, const char *name, const uint32_t *v, int n)
{
	fdt32_t be[NX_PCI_SLOTS * 4 * 10];	/* the largest: the interrupt-map */

	if (n < 0 || n > (int)(sizeof(be) / sizeof(be[0])))
		return -FDT_ERR_NOSPACE;
	for (int i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(v[i]);
	return fdt_property(fdt, name, be, n * sizeof(fdt32_t));
}

static int reg64(void *fdt, uint64_t a, uint64_t s, uint64_t a2, uint64_t s2, int n)
{
	fdt64_t be[4] = { cpu_to_fdt64(a), cpu_to_fdt64(s), cpu_to_fdt64(a2), cpu_to_fdt64(s2) };

	return fdt_property(fdt, "reg", be, n * 2 * sizeof(fdt64_t));
}

static int build(void *fdt, int size, struct nx_vm *vm, struct nx_a64 *a)
{
	struct nx_config *c = vm->cfg;
	char name[64];
	int e = 0;

#define T(x) do { if ((e = (x)) < 0) return e; } while (0)
	T(fdt_create(fdt, size));
	T(fdt_finish_reservemap(fdt));
	T(fdt_begin_node(fdt, ""));
	T(fdt_property_string(fdt, "compatible", "linux,dummy-virt"));
	T(fdt_property_string(fdt, "model", "nexit"));
	T(fdt_property_u32(fdt, "#address-cells", 2));
	T(fdt_property_u32(fdt, "#size-cells", 2));
	T(fdt_property_u32(fdt, "interrupt-parent", PH_GIC));

	T(fdt_begin_node(fdt, "chosen"));
	T(fdt_property_string(fdt, "bootargs", c->cmdline));
	snprintf(name, sizeof(name), "/uart@%llx", (unsigned long long)NX_A64_UART);
	T(fdt_property_string(fdt, "stdout-path", name));
	if (a->initrd_size) {
		T(fdt_property_u64(fdt, "linux,initrd-start", a->initrd_gpa));
		T(fdt_property_u64(fdt, "linux,initrd-end", a->initrd_gpa + a->initrd_size));
	}
	T(fdt_end_node(fdt));

	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)NX_A64_RAM);
	T(fdt_begin_node(fdt, name));
	T(fdt_property_string(fdt, "device_type", "memory"));
	T(reg64(fdt, NX_A64_RAM, vm->mem.size, 0, 0, 1));
	T(fdt_end_node(fdt));

	T(fdt_begin_node(fdt, "cpus"));
	T(fdt_property_u32(fdt, "#address-cells", 1));
	T(fdt_property_u32(fdt, "#size-cells", 0));
	for (int i = 0; i < vm->ncpus; i++) {
		snprintf(name, sizeof(name), "cpu@%d", i);
		T(fdt_begin_node(fdt, name));
		T(fdt_property_string(fdt, "device_type", "cpu"));
		T(fdt_property_string(fdt, "compatible", "arm,armv8"));
		T(fdt_property_u32(fdt, "reg", i));	/* MPIDR Aff0: KVM's reset MPIDR */
		T(fdt_property_string(fdt, "enable-method", "psci"));
		T(fdt_end_node(fdt));
	}
	T(fdt_end_node(fdt));

	/* PSCI 0.2 through HVC: KVM implements it (KVM_ARM_VCPU_PSCI_0_2). */
	T(fdt_begin_node(fdt, "psci"));
	T(fdt_property_string(fdt, "compatible", "arm,psci-0.2"));
	T(fdt_property_string(fdt, "method", "hvc"));
	T(fdt_end_node(fdt));

	/* Arch timer PPIs, given as INTID - 16: secure phys, phys, virt, hyp. */
	{
		uint32_t t[] = { GIC_PPI, NX_A64_PPI_SPTIMER - 16, IRQ_LEVEL_HIGH,
				 GIC_PPI, NX_A64_PPI_PTIMER - 16, IRQ_LEVEL_HIGH,
				 GIC_PPI, NX_A64_PPI_VTIMER - 16, IRQ_LEVEL_HIGH,
				 GIC_PPI, NX_A64_PPI_HTIMER - 16, IRQ_LEVEL_HIGH };
		T(fdt_begin_node(fdt, "timer"));
		T(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
		T(cells(fdt, "interrupts", t, 12));
		T(fdt_property(fdt, "always-on", NULL, 0));
		T(fdt_end_node(fdt));
	}

	snprintf(name, sizeof(name), "intc@%llx", (unsigned long long)NX_A64_GICD);
	T(fdt_begin_node(fdt, name));
	T(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	T(fdt_property_u32(fdt, "#interrupt-cells", 3));
	T(fdt_property(fdt, "interrupt-controller", NULL, 0));
	T(fdt_property_u32(fdt, "#address-cells", 2));
	T(fdt_property_u32(fdt, "#size-cells", 2));
	T(fdt_property(fdt, "ranges", NULL, 0));
	T(reg64(fdt, NX_A64_GICD, NX_A64_GICD_SIZE, NX_A64_GICR,
		NX_A64_GICR_STRIDE * vm->ncpus, 2));
	T(fdt_property_u32(fdt, "phandle", PH_GIC));
	snprintf(name, sizeof(name), "its@%llx", (unsigned long long)NX_A64_ITS);
	T(fdt_begin_node(fdt, name));
	T(fdt_property_string(fdt, "compatible", "arm,gic-v3-its"));
	T(fdt_property(fdt, "msi-controller", NULL, 0));
	T(fdt_property_u32(fdt, "#msi-cells", 1));
	T(reg64(fdt, NX_A64_ITS, NX_A64_ITS_SIZE, 0, 0, 1));
	T(fdt_property_u32(fdt, "phandle", PH_ITS));
	T(fdt_end_node(fdt));
	T(fdt_end_node(fdt));

	/* The UART: a 16550A on MMIO, one byte per register (8250_of). */
	{
		uint32_t irq[] = { GIC_SPI, NX_A64_UART_SPI, IRQ_LEVEL_HIGH };
		snprintf(name, sizeof(name), "uart@%llx", (unsigned long long)NX_A64_UART);
		T(fdt_begin_node(fdt, name));
		T(fdt_property_string(fdt, "compatible", "ns16550a"));
		T(reg64(fdt, NX_A64_UART, NX_A64_UART_SIZE, 0, 0, 1));
		T(cells(fdt, "interrupts", irq, 3));
		T(fdt_property_u32(fdt, "clock-frequency", 1843200));
		T(fdt_property_u32(fdt, "reg-shift", 0));
		T(fdt_property_u32(fdt, "reg-io-width", 1));
		T(fdt_end_node(fdt));
	}

	/* Generic ECAM host, bus 0; MSIs go to the ITS with the requester ID
	 * (BDF) as device ID (msi-map identity, pci-msi.txt). */
	{
		uint32_t bus_range[] = { 0, 0 };
		uint32_t ranges[] = { 0x02000000, 0, (uint32_t)NX_A64_PCI_MMIO,
				      0, (uint32_t)NX_A64_PCI_MMIO,
				      0, (uint32_t)NX_A64_PCI_MMIO_SIZE };
		uint32_t msi_map[] = { 0, PH_ITS, 0, 0x10000 };
		uint32_t mask[] = { 0x1800, 0, 0, 7 };
		uint32_t map[NX_PCI_SLOTS * 4 * 10];
		int n = 0;

		/* INTx swizzle of every slot of bus 0: pin p (1..4) -> the SPI
		 * core/pci.c gives the device (nx_a64_pci_intx_spi). */
		for (uint32_t s = 0; s < NX_PCI_SLOTS; s++)
			for (uint32_t p = 1; p <= 4; p++) {
				uint32_t ent[10] = { s << 11, 0, 0, p, PH_GIC, 0, 0, GIC_SPI,
						     nx_a64_pci_intx_spi(s, p - 1), IRQ_LEVEL_HIGH };
				memcpy(&map[n], ent, sizeof(ent));
				n += 10;
			}
		snprintf(name, sizeof(name), "pcie@%llx", (unsigned long long)NX_A64_PCI_ECAM);
		T(fdt_begin_node(fdt, name));
		T(fdt_property_string(fdt, "compatible", "pci-host-ecam-generic"));
		T(fdt_property_string(fdt, "device_type", "pci"));
		T(fdt_property_u32(fdt, "#address-cells", 3));
		T(fdt_property_u32(fdt, "#size-cells", 2));
		T(fdt_property_u32(fdt, "#interrupt-cells", 1));
		T(cells(fdt, "bus-range", bus_range, 2));
		T(reg64(fdt, NX_A64_PCI_ECAM, NX_A64_PCI_ECAM_SIZE, 0, 0, 1));
		T(cells(fdt, "ranges", ranges, 7));
		T(cells(fdt, "msi-map", msi_map, 4));
		T(cells(fdt, "interrupt-map-mask", mask, 4));
		T(cells(fdt, "interrupt-map", map, n));
		T(fdt_property(fdt, "dma-coherent", NULL, 0));
		T(fdt_end_node(fdt));
	}

	T(fdt_end_node(fdt));
	T(fdt_finish(fdt));
#undef T
	return 0;
}

/* The DTB goes at the top 2 MiB of RAM (8-byte aligned, at most 2 MiB:
 * arm64 booting.rst); x0 points to it at entry. */
int nx_a64_fdt_build(struct nx_vm *vm, struct nx_a64 *a)
{
	uint64_t gpa = NX_A64_RAM + vm->mem.size - (2ull << 20);
	void *fdt = nx_gpa(&vm->mem, gpa, NX_A64_FDT_MAX);
	int e;

	if (!fdt)
		return nx_error("no room for the device tree in guest RAM");
	e = build(fdt, NX_A64_FDT_MAX, vm, a);
	if (e < 0)
		return nx_error("building the device tree: %s", fdt_strerror(e));
	a->fdt_gpa = gpa;
	return 0;
}
