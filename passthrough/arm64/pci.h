/* SPDX-License-Identifier: MIT */
/*
 * passthrough/arm64/pci.h - the arm64 ECAM PCI host and VFIO-assigned
 * devices on it. Each MSI vector's VFIO eventfd is the KVM irqfd of an MSI
 * route to the ITS doorbell carrying the device's requester ID
 * (KVM_MSI_VALID_DEVID): the pairing KVM's irq bypass turns into a GICv4
 * vLPI. INTx is VFIO's automasked INTx handed to the fallback controller
 * as a level source on the slot's SPI (vm->irq.attach_source), which
 * unmasks it only after the guest's EOI; with intx=kernel the SPI's irqfd
 * resamplefd is VFIO's unmask eventfd instead (all in the kernel).
 */
#ifndef NEXIT_PASSTHROUGH_ARM64_PCI_H
#define NEXIT_PASSTHROUGH_ARM64_PCI_H

#include "core/arm64/arm64.h"

#define NX_A64_PCI_SLOTS	4	/* assigned devices get slots 1..3 */

struct nx_a64_vfio_dev;
struct nx_a64_bar {
	struct nx_a64_vfio_dev *dev;
	uint64_t size;		/* 0 = unimplemented                  */
	uint64_t gpa;		/* as the guest programmed it         */
	uint64_t region_off;	/* offset of the VFIO region          */
	bool mem64, mmapped;
	bool on_bus;		/* its exit handler is registered at gpa */
	void *hva;		/* VFIO mmap, NULL if not mmappable   */
	int slot;		/* KVM memslot while mapped, else -1  */
};

struct nx_a64_vfio_dev {
	struct nx_vm *vm;
	char bdf[32];
	unsigned slot;		/* guest device number on bus 0       */
	int container, group, fd;
	uint64_t cfg_off;	/* VFIO config region offset          */
	uint8_t cfg[256];	/* shadow of the emulated registers   */
	struct nx_a64_bar bar[6];
	bool mem_on;		/* COMMAND.Memory Space as the guest set it */
	/* MSI, emulated by nexit (capability at msi_cap) */
	unsigned msi_cap, msi_len;	/* msi_cap + msi_len <= 256 */
	bool msi_on;
	int msi_gsi, msi_fd;
	uint64_t msi_irqs;	/* MSIs signalled while we watched (not on the fast path) */
	/* INTx. Gated (default): VFIO's automasked trigger is a source of the
	 * fallback controller (vm->irq.attach_source), which delivers on the
	 * SPI and unmasks after the guest's EOI. intx=kernel: the trigger is
	 * the SPI's irqfd and KVM's resamplefd is VFIO's unmask eventfd. */
	bool intx_ok, intx_kernel, intx_attached;
	int intx_fd, unmask_fd;
	unsigned intx_spi;
	struct nx_irq_source intx_src;
	char name[32];
};

struct nx_a64_pci {
	struct nx_vm *vm;
	struct nx_a64 *a;
	struct nx_a64_vfio_dev *dev[NX_A64_PCI_SLOTS];
};

/* Registers the ECAM window and assigns every [device] with assign = BDF. */
int nx_a64_pci_init(struct nx_vm *vm, struct nx_a64 *a, struct nx_a64_pci *pci);

/* vfio.c */
int  nx_a64_vfio_open(struct nx_vm *vm, struct nx_a64_vfio_dev *d, const struct nx_device_cfg *dc,
		      unsigned slot);
int  nx_a64_vfio_cfg_read(struct nx_a64_vfio_dev *d, unsigned off, void *buf, unsigned len);
int  nx_a64_vfio_cfg_write(struct nx_a64_vfio_dev *d, unsigned off, const void *buf, unsigned len);
int  nx_a64_vfio_bar_map(struct nx_a64_vfio_dev *d, int i, bool on);
int  nx_a64_vfio_msi(struct nx_a64_vfio_dev *d, bool on);	/* enable/disable/update */
int  nx_a64_vfio_intx(struct nx_a64_vfio_dev *d, bool on);
void nx_a64_vfio_bar_io(void *opaque, uint64_t addr, uint8_t *data, uint32_t len,
			bool is_write, struct nx_vcpu *vcpu);

#endif
