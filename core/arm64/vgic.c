/* SPDX-License-Identifier: MIT */
/*
 * vgic.c - the in-kernel vGICv3 and its ITS (KVM devices
 * KVM_DEV_TYPE_ARM_VGIC_V3 and KVM_DEV_TYPE_ARM_VGIC_ITS, kernel docs
 * virt/kvm/devices/arm-vgic-v3.rst and arm-vgic-its.rst).
 *
 * MSIs are LPIs translated by the ITS: an MSI route carries the device ID
 * (KVM_MSI_VALID_DEVID) the guest's ITS tables are indexed by. With a GICv4
 * host and kvm-arm.vgic_v4_enable=1, an irqfd on such a route whose producer
 * is a VFIO MSI becomes a hardware vLPI (irq bypass): no exit at all.
 * Level lines are SPIs; the fallback path drives them with irqfd+resamplefd.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "core/arm64/arm64.h"

static int dev_attr(int fd, uint32_t group, uint64_t attr, void *addr, const char *what)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)addr };

	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		return nx_error("vGIC: %s: %s", what, strerror(errno));
	return 0;
}

static int create_dev(struct nx_vm *vm, uint32_t type, const char *name)
{
	struct kvm_create_device cd = { .type = type };

	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &cd) < 0)
		return nx_error("KVM_CREATE_DEVICE %s: %s (the host needs a GICv3%s)", name,
				strerror(errno), type == KVM_DEV_TYPE_ARM_VGIC_ITS ? " with an ITS" : "");
	return cd.fd;
}

/* Needs every vCPU created (CTRL_INIT sizes the redistributors by them). */
int nx_a64_gic_create(struct nx_vm *vm, struct nx_a64 *a)
{
	uint64_t dist = NX_A64_GICD, redist = NX_A64_GICR, its = NX_A64_ITS;
	uint32_t nr_irqs = NX_A64_NR_IRQS;

	a->gic_fd = create_dev(vm, KVM_DEV_TYPE_ARM_VGIC_V3, "ARM_VGIC_V3");
	if (a->gic_fd < 0)
		return -1;
	if (dev_attr(a->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist,
		     "distributor address") < 0 ||
	    dev_attr(a->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist,
		     "redistributor address") < 0 ||
	    dev_attr(a->gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs, "NR_IRQS") < 0)
		return -1;
	a->its_fd = create_dev(vm, KVM_DEV_TYPE_ARM_VGIC_ITS, "ARM_VGIC_ITS");
	if (a->its_fd < 0)
		return -1;
	if (dev_attr(a->its_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &its,
		     "ITS address") < 0)
		return -1;
	/* GIC first, then the ITS (arm-vgic-its.rst: the ITS needs an initialized vGIC). */
	if (dev_attr(a->gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL,
		     "CTRL_INIT") < 0 ||
	    dev_attr(a->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL,
		     "ITS CTRL_INIT") < 0)
		return -1;
	/* Reported per VM once it has an ITS: MSI routes carry device IDs. */
	if (nx_vm_check_cap(vm, KVM_CAP_MSI_DEVID, "KVM_CAP_MSI_DEVID") < 0)
		return -1;
	vm->routes.msi_devid = true;
	return 0;
}

/*
 * CTRL_INIT installs KVM's default routing (GSI n -> SPI n); our table
 * replaces it on every commit, so it re-declares GSI n -> SPI n for the
 * legacy lines (irqchip 0, pin = SPI number) below NX_IOAPIC_PINS, where
 * route allocation never goes.
 */
int nx_a64_routes_init(struct nx_vm *vm)
{
	for (unsigned g = 0; g < NX_IOAPIC_PINS; g++)
		if (nx_route_set_irqchip(vm, g, 0, g) < 0)
			return -1;
	return nx_routes_commit(vm);
}

/* KVM_IRQ_LINE on arm64: irq = type << 24 | vcpu << 16 | INTID (SPIs: vcpu 0). */
void nx_a64_set_spi(struct nx_vm *vm, unsigned spi, bool level)
{
	struct kvm_irq_level l = {
		.irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (NX_A64_SPI_BASE + spi),
		.level = level,
	};

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		nx_warn("KVM_IRQ_LINE SPI %u: %s", spi, strerror(errno));
}
