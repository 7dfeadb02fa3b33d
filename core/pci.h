/* SPDX-License-Identifier: MIT */
/*
 * pci.h - PCI bus 0: the host bridge, config space, BARs, MSI and MSI-X
 * (core/pci.c).
 */
#ifndef NEXIT_CORE_PCI_H
#define NEXIT_CORE_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include "core/bus.h"

/*
 * One host bridge (slot 0) and up to 31 single-function devices on bus 0,
 * reached through ECAM (PCIe 7.2.2) and, on x86, configuration mechanism #1
 * (0xCF8/0xCFC, PCI 3.0 3.2.2.3.2). nexit assigns every BAR from the arch's
 * window before boot (there is no firmware); guests read them. MSI and
 * MSI-X are emulated here and reported to the device through ops, so the
 * device's routes follow what the guest programs.
 */
#define NX_PCI_SLOTS		32
#define NX_PCI_CFG_SIZE		256
#define NX_PCI_MAX_MSIX		64
#define NX_PCI_BAR_IO		0x1	/* BAR flags: I/O space                */
#define NX_PCI_BAR_MEM64	0x4	/* 64-bit memory BAR (two dwords)      */
#define NX_PCI_BAR_PREFETCH	0x8

struct nx_mem;
struct nx_vm;
/* x86's PCI host (core/x86/pci.c) is made of these (the window: memmap.c). */
/* PCI INTx -> IOAPIC pin (GSI): 16 + ((slot + pin) % 8), pin 0 = INTA#.
 * The MP table, PCI and fallback code all follow this (core/x86/pci.c). */
unsigned nx_pci_intx_gsi(unsigned slot, unsigned pin);
/* The 64-bit PCI MMIO window above guest RAM (the DSDT's _CRS, BAR checks). */
void nx_pci_mmio64_window(const struct nx_mem *m, uint64_t *base, uint64_t *size);

struct nx_pci_dev;
struct nx_pci_ops {
	/* BAR bar is now decoded at gpa (on) or no longer decoded (off). */
	void (*bar_map)(struct nx_pci_dev *d, int bar, uint64_t gpa, bool on);
	/* The guest changed the MSI capability (enable, address, data, mask). */
	void (*msi_update)(struct nx_pci_dev *d);
	/* The guest changed MSI-X entry vector, or the control (vector -1). */
	void (*msix_update)(struct nx_pci_dev *d, int vector);
	/* The guest wrote the command register. */
	void (*command)(struct nx_pci_dev *d, uint16_t old, uint16_t val);
	/* Config space not emulated here (VFIO passes it through); true if handled. */
	bool (*cfg_access)(struct nx_pci_dev *d, unsigned off, uint8_t *data, unsigned len,
			   bool is_write);
};

struct nx_pci_bar {
	uint64_t size;		/* power of two; 0 = no BAR */
	uint32_t flags;		/* NX_PCI_BAR_* */
	uint64_t addr;		/* guest address as programmed */
	bool mapped;		/* decoded on the bus now */
	nx_io_fn fn;		/* MMIO/PIO exit handler, NULL = device maps it (bar_map) */
	void *opaque;
};

struct nx_msix_entry { uint32_t addr_lo, addr_hi, data, ctrl; };

struct nx_pci_dev {
	struct nx_vm *vm;
	struct nx_pci *bus;
	char name[32];
	int slot;
	uint8_t cfg[NX_PCI_CFG_SIZE];
	uint8_t wmask[NX_PCI_CFG_SIZE];	/* guest-writable bits */
	uint8_t w1c[NX_PCI_CFG_SIZE];	/* write-1-to-clear bits */
	uint8_t cap_end;		/* next free capability offset */
	struct nx_pci_bar bar[6];
	uint8_t msi_cap;		/* 0 = none */
	unsigned msi_nvec;
	uint8_t msix_cap;		/* 0 = none */
	unsigned msix_n;
	int msix_bar;
	uint32_t msix_table, msix_pba;	/* offsets in msix_bar */
	struct nx_msix_entry msix[NX_PCI_MAX_MSIX];
	uint64_t msix_pending;		/* PBA bits as read (exitless vectors keep theirs in the eventfd) */
	/* VMM exits on a live interrupt path: MSI-X table accesses to a vector
	 * while it is enabled and unmasked, MSI capability accesses while MSI
	 * is enabled. Set-up (programming a masked vector) does not count. */
	uint64_t msix_live_exits[NX_PCI_MAX_MSIX];
	uint64_t msi_live_exits;
	const struct nx_pci_ops *ops;
	void *priv;
};

struct nx_msi_msg { uint64_t addr; uint32_t data; bool masked; };

/* Where the arches' PCI hosts differ (core/x86/pci.c, core/arm64/pci.c). */
struct nx_pci_arch {
	uint16_t bridge_vendor, bridge_device;	/* the host bridge in slot 0 */
	uint64_t ecam;				/* ECAM of bus 0 (1 MiB) */
	bool cf8;				/* mechanism #1 at 0xCF8/0xCFC */
	uint64_t mmio_base, mmio_size;		/* BARs are assigned from here */
	uint64_t decode_base, decode_end;	/* and decoded inside [base, end) */
	/* The 64-bit window above RAM (decode only), NULL = none. */
	void (*mmio64_window)(const struct nx_mem *m, uint64_t *base, uint64_t *size);
	uint64_t io_base, io_min, io_end;	/* I/O BARs: assigned from io_base,
						 * decoded in [io_min, io_end); 0 = no I/O space */
	/* INTx pin (0 = INTA#) of a slot -> the line vm->irq takes (GSI / SPI). */
	unsigned (*intx_gsi)(unsigned slot, unsigned pin);
	unsigned intx_line_base;		/* Interrupt Line register = base + line */
	/* The controller cannot see the guest mask its line (arm64: the SPI's
	 * enable lives in KVM's distributor): an assigned function starts with
	 * INTx Disable set, its driver's readiness (PCI 3.0 6.2.2). */
	bool intx_off_until_driver;
};
const struct nx_pci_arch *nx_arch_pci(void);

/* Creates the bus on first use: host bridge in slot 0, ECAM (and 0xCF8/0xCFC). */
int  nx_pci_init(struct nx_vm *vm);
int  nx_pci_init_arch(struct nx_vm *vm, const struct nx_pci_arch *arch);	/* tests */
const struct nx_pci_arch *nx_pci_arch_of(struct nx_vm *vm);	/* the bus's (nx_pci_init first) */
/* A device to fill before nx_pci_dev_register(); slot -1 = first free. */
struct nx_pci_dev *nx_pci_dev_new(struct nx_vm *vm, const char *name, uint16_t vendor,
				  uint16_t device, uint32_t class_code, int slot);
int  nx_pci_add_bar(struct nx_pci_dev *d, int bar, uint64_t size, uint32_t flags,
		    nx_io_fn fn, void *opaque);
/* A capability of size bytes with this id, first on the list: its offset,
 * <0 when the config space is full. */
int  nx_pci_add_cap(struct nx_pci_dev *d, uint8_t id, unsigned size);
/* MSI capability: nvec (1..32, power of two), 64-bit, per-vector masking. */
int  nx_pci_add_msi(struct nx_pci_dev *d, unsigned nvec, bool per_vector_mask);
/* Emulates the MSI / MSI-X capability already at off (a real device's,
 * VFIO); <0 if it does not lie wholly inside the 256-byte config space. */
int  nx_pci_claim_msi(struct nx_pci_dev *d, unsigned off);
int  nx_pci_claim_msix(struct nx_pci_dev *d, unsigned off);
/* MSI-X capability with its table at table_off and PBA at pba_off in bar. */
int  nx_pci_add_msix(struct nx_pci_dev *d, unsigned n, int bar, uint32_t table_off,
		     uint32_t pba_off);
/* INTx pin 0 = INTA#..3; the interrupt line register gets the arch's line. */
int  nx_pci_set_intx(struct nx_pci_dev *d, unsigned pin);
unsigned nx_pci_intx_line(const struct nx_pci_dev *d);	/* GSI (x86) / SPI (arm64) of its INTx */
/* Requester ID (bus 0: device << 3 | function): the device ID of its MSIs. */
static inline uint32_t nx_pci_requester_id(const struct nx_pci_dev *d) { return (uint32_t)d->slot << 3; }
/* Places the device on bus 0 and assigns its BARs (decoded once the guest
 * sets the command register's enables). */
int  nx_pci_dev_register(struct nx_pci_dev *d);
/* Guest-programmed state, read under nx_pci_lock (ops run with it held). */
bool nx_pci_msi_enabled(const struct nx_pci_dev *d);
unsigned nx_pci_msi_vectors(const struct nx_pci_dev *d);	/* enabled count */
void nx_pci_msi_msg(const struct nx_pci_dev *d, unsigned vec, struct nx_msi_msg *m);
bool nx_pci_msix_enabled(const struct nx_pci_dev *d);
void nx_pci_msix_msg(const struct nx_pci_dev *d, unsigned vec, struct nx_msi_msg *m);
uint16_t nx_pci_command(const struct nx_pci_dev *d);
/* Status register bit 3 (Interrupt Status) follows the INTx level. */
void nx_pci_set_intx_status(struct nx_pci_dev *d, bool asserted);
/* One recursive lock for the whole bus: config accesses, BAR moves, ops. */
void nx_pci_lock(struct nx_vm *vm);
void nx_pci_unlock(struct nx_vm *vm);
/* One config access to bus 0 (what 0xCFC and ECAM do; unit tests). */
void nx_pci_cfg_access(struct nx_vm *vm, unsigned slot, unsigned fn, unsigned off,
		       uint8_t *data, unsigned len, bool is_write);
/* Iterates devices (slot 0 = host bridge); NULL if the slot is empty. */
struct nx_pci_dev *nx_pci_slot(struct nx_vm *vm, unsigned slot);

#endif
