/* SPDX-License-Identifier: MIT */
/*
 * irq.h - interrupt plumbing every interrupt path shares: the GSI routing
 * table, irqfd / ioeventfd / KVM_SIGNAL_MSI (core/irq.c), host-side level
 * sources and the hooks an interrupt controller installs in vm->irq.
 */
#ifndef NEXIT_CORE_IRQ_H
#define NEXIT_CORE_IRQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct nx_vm;
struct nx_vcpu;

/*
 * KVM_SET_GSI_ROUTING replaces the whole table, so one owner keeps it:
 * passthrough/ adds MSI routes, fallback/ adds per-RTE level routes for EOI
 * detection (split irqchip) or irqchip pin routes (kernel irqchip).
 */
#define NX_IOAPIC_PINS		24	/* also KVM_ENABLE_CAP(SPLIT_IRQCHIP) arg */
#define NX_MAX_GSI		256
struct nx_route {
	bool used;
	uint32_t type;		/* KVM_IRQ_ROUTING_MSI / _IRQCHIP       */
	uint32_t flags;		/* KVM_MSI_VALID_DEVID                  */
	uint64_t addr;		/* MSI address, or irqchip number       */
	uint32_t data;		/* MSI data, or irqchip pin             */
	uint32_t devid;
};
struct nx_routes {
	pthread_mutex_t lock;
	struct nx_route r[NX_MAX_GSI];
	unsigned next_gsi;	/* allocation cursor, starts above pins */
	/* Second irqchip routes on GSIs that already have one (KVM allows
	 * several per GSI): x86 irqchip=kernel's ISA IRQs into the 8259s. */
	struct { unsigned gsi, chip, pin; } also[16];
	unsigned nalso;
	/* MSIs are translated by a GIC ITS: routes and KVM_SIGNAL_MSI carry
	 * the requester ID as device ID (KVM_MSI_VALID_DEVID, KVM_CAP_MSI_DEVID). */
	bool msi_devid;
};
void nx_routes_init(struct nx_vm *vm);
int  nx_route_alloc(struct nx_vm *vm);				/* a free GSI >= NX_IOAPIC_PINS */
int  nx_route_set_msi(struct nx_vm *vm, unsigned gsi, uint64_t addr, uint32_t data,
		      uint32_t flags, uint32_t devid);
int  nx_route_set_irqchip(struct nx_vm *vm, unsigned gsi, unsigned chip, unsigned pin);
int  nx_route_also_irqchip(struct nx_vm *vm, unsigned gsi, unsigned chip, unsigned pin);
int  nx_route_clear(struct nx_vm *vm, unsigned gsi);
int  nx_routes_commit(struct nx_vm *vm);		/* KVM_SET_GSI_ROUTING */
int  nx_irqfd_assign(struct nx_vm *vm, int fd, unsigned gsi, int resamplefd);	/* resamplefd -1 = none */
int  nx_irqfd_deassign(struct nx_vm *vm, int fd, unsigned gsi);
/* KVM_SIGNAL_MSI; devid: a PCI function's requester ID, which a GIC ITS
 * translates by (used when routes.msi_devid). */
int  nx_signal_msi(struct nx_vm *vm, uint64_t addr, uint32_t data, uint32_t devid);

/*
 * A host-side interrupt source behind a level line (irqdev INTx, VFIO
 * INTx). The fallback controller masks it when it fires and unmasks it only
 * after the guest's EOI. Its line is asserted exactly one way: its
 * trigger_fd, or (trigger_fd -1) nx_irq_set_line; never from inside mask,
 * unmask or is_asserted, which the controller calls with its (plain, not
 * recursive) lock held.
 */
struct nx_irq_source {
	const char *name;
	void *opaque;
	int trigger_fd;		/* eventfd the source signals on assertion (-1: uses nx_irq_set_line) */
	int resample_fd;	/* irqchip=kernel: KVM signals it on EOI; source unmasks (-1: fallback does) */
	bool automask;		/* masks itself when it fires (VFIO INTx): KVM may deliver
				 * trigger_fd through an irqfd, the fallback sees the EOI */
	void (*mask)(void *opaque);
	void (*unmask)(void *opaque);
	bool (*is_asserted)(void *opaque);
};

/* Hooks that passthrough/ and fallback/ install without core depending on them. */
struct nx_irq_ops {
	void *opaque;
	/* Raise/lower a legacy GSI line (IOAPIC pin or PIC irq). */
	void (*set_line)(void *opaque, unsigned gsi, bool level);
	/* Attach a host-side source to a level line (gsi = IOAPIC pin). */
	int (*attach_source)(void *opaque, unsigned gsi, struct nx_irq_source *src);
	/* The source went away (backend died): mask its line, keep the VM going. */
	void (*detach_source)(void *opaque, unsigned gsi);
	/* Counter page 0x10: interrupts the controller delivered. */
	uint64_t (*delivered)(void *opaque);
	/* KVM_EXIT_IOAPIC_EOI with this vector (split irqchip). */
	void (*eoi)(void *opaque, unsigned vector);
	/* VM is shutting down or resetting: mask every line. */
	void (*shutdown)(void *opaque);
	/* On vcpu's thread before each of its KVM_RUNs: what the controller
	 * must hand KVM itself (x86 split irqchip: the 8259's ExtINT to vCPU 0,
	 * KVM_INTERRUPT). NULL: nothing. */
	void (*before_run)(void *opaque, struct nx_vcpu *vcpu);
};

/* Convenience wrappers over vm->irq (no-ops when no controller is installed). */
void nx_irq_set_line(struct nx_vm *vm, unsigned gsi, bool level);

#endif
