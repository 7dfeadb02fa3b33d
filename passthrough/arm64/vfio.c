/* SPDX-License-Identifier: MIT */
/*
 * vfio.c - a host PCI device bound to vfio-pci, assigned to the arm64 guest
 * (kernel Documentation/driver-api/vfio.rst: container, type1 IOMMU, group,
 * device fd, regions, VFIO_DEVICE_SET_IRQS).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include "passthrough/arm64/pci.h"

static int sysfs_link(const char *bdf, const char *what, char *out, size_t n)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t l;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, what);
	l = readlink(path, target, sizeof(target) - 1);
	if (l < 0)
		return -1;
	target[l] = 0;
	snprintf(out, n, "%s", basename(target));
	return 0;
}

static bool host_has_iommu(void)
{
	DIR *d = opendir("/sys/class/iommu");
	struct dirent *e;
	bool any = false;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			any = true;
	if (d)
		closedir(d);
	return any;
}

/* The three ways an assignment goes wrong before any ioctl, one line each. */
static int check_host(const char *bdf, int *group)
{
	char path[PATH_MAX], s[64];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	if (access(path, F_OK) < 0)
		return nx_error("assign %s: no such PCI device on this host (see lspci -D)", bdf);
	/* Without an IOMMU vfio-pci cannot even bind: say that, not "unbound". */
	if (sysfs_link(bdf, "iommu_group", s, sizeof(s)) < 0 && !host_has_iommu())
		return nx_error("assign %s: no IOMMU on this host (/sys/class/iommu is empty): "
				"VFIO needs one (enable the SMMU/VT-d/AMD-Vi)", bdf);
	if (sysfs_link(bdf, "driver", s, sizeof(s)) < 0 || strcmp(s, "vfio-pci"))
		return nx_error("assign %s: device is not bound to vfio-pci (driver: %s); "
				"echo vfio-pci > /sys/bus/pci/devices/%s/driver_override and re-probe",
				bdf, access(path, F_OK) == 0 && sysfs_link(bdf, "driver", s, sizeof(s)) == 0 ?
				s : "none", bdf);
	if (sysfs_link(bdf, "iommu_group", s, sizeof(s)) < 0)
		return nx_error("assign %s: no IOMMU: the device has no IOMMU group "
				"(enable the SMMU/IOMMU; VFIO needs one)", bdf);
	*group = atoi(s);
	/* VFIO's unsafe no-IOMMU mode gives a group without an IOMMU behind it. */
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%s/name", s);
	{
		FILE *f = fopen(path, "r");
		char name[32] = "";
		if (f) {
			if (!fgets(name, sizeof(name), f))
				name[0] = 0;
			fclose(f);
		}
		if (!strncmp(name, "vfio-noiommu", 12))
			return nx_error("assign %s: no IOMMU: group %s is VFIO's unsafe no-IOMMU "
					"mode, which cannot isolate the device's DMA", bdf, s);
	}
	return 0;
}

static int region(struct nx_a64_vfio_dev *d, unsigned idx, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = idx;
	return ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, ri);
}

int nx_a64_vfio_cfg_read(struct nx_a64_vfio_dev *d, unsigned off, void *buf, unsigned len)
{
	return pread(d->fd, buf, len, d->cfg_off + off) == (ssize_t)len ? 0 : -1;
}

int nx_a64_vfio_cfg_write(struct nx_a64_vfio_dev *d, unsigned off, const void *buf, unsigned len)
{
	return pwrite(d->fd, buf, len, d->cfg_off + off) == (ssize_t)len ? 0 : -1;
}

/* Sizes the BARs from VFIO's region info (vfio-pci reports the BAR size). */
static int probe_bars(struct nx_a64_vfio_dev *d)
{
	for (int i = 0; i < 6; i++) {
		struct vfio_region_info ri;
		struct nx_a64_bar *b = &d->bar[i];
		uint32_t raw = 0;

		b->slot = -1;
		b->dev = d;
		if (region(d, VFIO_PCI_BAR0_REGION_INDEX + i, &ri) < 0 || !ri.size)
			continue;
		nx_a64_vfio_cfg_read(d, 0x10 + 4 * i, &raw, 4);
		if (raw & 1)
			continue;	/* I/O BARs: none on arm64 ECAM hosts here */
		b->size = ri.size;
		b->region_off = ri.offset;
		b->mem64 = ((raw >> 1) & 3) == 2;
		if ((ri.flags & VFIO_REGION_INFO_FLAG_MMAP) && !(ri.size & 0xfff)) {
			b->hva = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, ri.offset);
			if (b->hva == MAP_FAILED)
				b->hva = NULL;
		}
		if (b->mem64)
			i++;
	}
	return 0;
}

int nx_a64_vfio_open(struct nx_vm *vm, struct nx_a64_vfio_dev *d, const struct nx_device_cfg *dc,
		     unsigned slot)
{
	const char *bdf = dc->assign;
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct vfio_region_info ri;
	struct vfio_iommu_type1_dma_map dma = { .argsz = sizeof(dma) };
	char path[64];
	int gnum;

	memset(d, 0, sizeof(*d));
	d->vm = vm;
	d->slot = slot;
	d->container = d->group = d->fd = d->msi_fd = d->intx_fd = d->unmask_fd = -1;
	d->msi_gsi = -1;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	snprintf(d->name, sizeof(d->name), "%s", dc->name);
	d->intx_kernel = strstr(dc->opts, "intx=kernel") != NULL;
	if (check_host(bdf, &gnum) < 0)
		return -1;

	d->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (d->container < 0)
		return nx_error("assign %s: cannot open /dev/vfio/vfio: %s (modprobe vfio-pci)",
				bdf, strerror(errno));
	if (ioctl(d->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    !ioctl(d->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU))
		return nx_error("assign %s: no IOMMU: VFIO has no type1 IOMMU backend "
				"(modprobe vfio_iommu_type1)", bdf);
	snprintf(path, sizeof(path), "/dev/vfio/%d", gnum);
	d->group = open(path, O_RDWR | O_CLOEXEC);
	if (d->group < 0)
		return nx_error("assign %s: cannot open %s: %s", bdf, path, strerror(errno));
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &gs) < 0 || !(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		return nx_error("assign %s: IOMMU group %d is not viable: every device in it "
				"must be bound to vfio-pci", bdf, gnum);
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container) < 0)
		return nx_error("assign %s: VFIO_GROUP_SET_CONTAINER: %s", bdf, strerror(errno));
	if (ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0 &&
	    ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0)
		return nx_error("assign %s: VFIO_SET_IOMMU(type1): %s", bdf, strerror(errno));
	/* The device DMAs to guest-physical addresses: map all of RAM, IOVA = GPA. */
	dma.vaddr = (uintptr_t)vm->mem.base;
	dma.iova = vm->mem.regions[0].gpa;
	dma.size = vm->mem.size;
	dma.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (ioctl(d->container, VFIO_IOMMU_MAP_DMA, &dma) < 0)
		return nx_error("assign %s: VFIO_IOMMU_MAP_DMA of guest RAM: %s", bdf, strerror(errno));
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (d->fd < 0)
		return nx_error("assign %s: VFIO_GROUP_GET_DEVICE_FD: %s", bdf, strerror(errno));
	if (region(d, VFIO_PCI_CONFIG_REGION_INDEX, &ri) < 0)
		return nx_error("assign %s: no config space region: %s", bdf, strerror(errno));
	d->cfg_off = ri.offset;
	if (nx_a64_vfio_cfg_read(d, 0, d->cfg, sizeof(d->cfg)) < 0)
		return nx_error("assign %s: cannot read config space: %s", bdf, strerror(errno));
	return probe_bars(d);
}

/* A BAR the guest enabled becomes a KVM memslot over VFIO's mmap: guest
 * accesses go to the device without exits. */
int nx_a64_vfio_bar_map(struct nx_a64_vfio_dev *d, int i, bool on)
{
	struct nx_a64_bar *b = &d->bar[i];
	struct kvm_userspace_memory_region m = { .slot = 8 + d->slot * 6 + i };

	if (!b->hva)
		return 0;
	if (b->slot >= 0) {	/* delete the old slot: size 0 */
		m.slot = b->slot;
		ioctl(d->vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &m);
		b->slot = -1;
		b->dev = d;
	}
	if (!on || !b->gpa)
		return 0;
	m.guest_phys_addr = b->gpa;
	m.memory_size = b->size;
	m.userspace_addr = (uintptr_t)b->hva;
	if (ioctl(d->vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &m) < 0)
		return nx_error("assign %s: BAR%d memslot at 0x%llx: %s", d->bdf, i,
				(unsigned long long)b->gpa, strerror(errno));
	b->slot = m.slot;
	return 0;
}

/* BARs that are not mmappable: each access forwarded to the VFIO region. */
void nx_a64_vfio_bar_io(void *opaque, uint64_t addr, uint8_t *data, uint32_t len,
			bool is_write, struct nx_vcpu *vcpu)
{
	struct nx_a64_bar *b = opaque;
	struct nx_a64_vfio_dev *d = b->dev;
	ssize_t r;

	(void)vcpu;
	r = is_write ? pwrite(d->fd, data, len, b->region_off + addr)
		     : pread(d->fd, data, len, b->region_off + addr);
	if (r != (ssize_t)len && !is_write)
		memset(data, 0xff, len);
}

static int set_irqs(struct nx_a64_vfio_dev *d, unsigned index, unsigned flags, int fd, int count)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *s = (void *)buf;

	memset(buf, 0, sizeof(buf));
	s->argsz = sizeof(*s) + (fd >= 0 ? sizeof(int) : 0);
	s->flags = flags | (fd >= 0 ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE);
	s->index = index;
	s->start = 0;
	s->count = count;
	if (fd >= 0)
		memcpy(s->data, &fd, sizeof(int));
	return ioctl(d->fd, VFIO_DEVICE_SET_IRQS, s);
}

/*
 * MSI: route first (MSI to the ITS doorbell with the guest's address and
 * data, device ID = requester ID), then the irqfd (consumer), then VFIO's
 * trigger on the same eventfd (producer): when both meet, KVM's irq bypass
 * maps the host LPI as a vLPI if the guest's ITS already translates
 * (device ID, event) (kvm_vgic_v4_set_forwarding). A later address/data
 * change only updates the route; KVM re-resolves the forwarding.
 */
int nx_a64_vfio_msi(struct nx_a64_vfio_dev *d, bool on)
{
	struct nx_vm *vm = d->vm;
	unsigned c = d->msi_cap;
	uint16_t ctl = d->cfg[c + 2] | d->cfg[c + 3] << 8;
	bool is64 = ctl & (1 << 7);
	uint64_t addr;
	uint32_t data;

	data = d->cfg[c + (is64 ? 0xc : 0x8)] | d->cfg[c + (is64 ? 0xd : 0x9)] << 8;
	addr = d->cfg[c + 4] | d->cfg[c + 5] << 8 | d->cfg[c + 6] << 16 | (uint64_t)d->cfg[c + 7] << 24;
	if (is64)
		addr |= (uint64_t)(d->cfg[c + 8] | d->cfg[c + 9] << 8 | d->cfg[c + 10] << 16 |
				   (uint32_t)d->cfg[c + 11] << 24) << 32;

	if (!on) {
		if (!d->msi_on)
			return 0;
		set_irqs(d, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, -1, 0);
		nx_irqfd_deassign(vm, d->msi_fd, d->msi_gsi);
		nx_route_free(vm, d->msi_gsi);
		nx_routes_commit(vm);
		close(d->msi_fd);
		d->msi_fd = d->msi_gsi = -1;
		d->msi_on = false;
		return nx_a64_vfio_intx(d, true);	/* INTx back, as on real hardware */
	}
	if (d->msi_on) {	/* address/data changed while enabled */
		if (nx_route_set_msi(vm, d->msi_gsi, addr, data, KVM_MSI_VALID_DEVID, d->slot << 3) < 0)
			return -1;
		return nx_routes_commit(vm);
	}
	nx_a64_vfio_intx(d, false);
	d->msi_gsi = nx_route_alloc(vm);
	if (d->msi_gsi < 0)
		return -1;
	d->msi_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->msi_fd < 0) {
		nx_error("eventfd: %s", strerror(errno));
		goto fail;
	}
	if (nx_route_set_msi(vm, d->msi_gsi, addr, data, KVM_MSI_VALID_DEVID, d->slot << 3) < 0 ||
	    nx_routes_commit(vm) < 0)
		goto fail;
	if (nx_irqfd_assign(vm, d->msi_fd, d->msi_gsi, -1) < 0)
		goto fail;
	if (set_irqs(d, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, d->msi_fd, 1) < 0) {
		nx_error("assign %s: VFIO_DEVICE_SET_IRQS(MSI): %s", d->bdf, strerror(errno));
		nx_irqfd_deassign(vm, d->msi_fd, d->msi_gsi);
		goto fail;
	}
	d->msi_on = true;
	nx_info("assign %s: MSI -> GSI %d, ITS doorbell 0x%llx, device ID 0x%x, event %u "
		"(VFIO eventfd = KVM irqfd)", d->bdf, d->msi_gsi, (unsigned long long)addr,
		d->slot << 3, data);
	return 0;
fail:
	/* Nothing half set up stays: the GSI and the eventfd go back. */
	nx_route_free(vm, d->msi_gsi);
	nx_routes_commit(vm);
	if (d->msi_fd >= 0)
		close(d->msi_fd);
	d->msi_fd = d->msi_gsi = -1;
	nx_a64_vfio_intx(d, true);		/* still on INTx, as before */
	return -1;
}

/* The gate's view of VFIO INTx (fallback.h, struct nx_irq_source). */
static void intx_mask(void *opaque)
{
	set_irqs(opaque, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK, -1, 1);
}

static void intx_unmask(void *opaque)
{
	set_irqs(opaque, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, -1, 1);
}

/* VFIO cannot tell the line's level; its trigger is the edge. After an
 * unmask VFIO signals the trigger again if the device still asserts the
 * line, so "not asserted" lets the gate unmask and VFIO re-deliver. */
static bool intx_asserted(void *opaque)
{
	(void)opaque;
	return false;
}

/*
 * INTx. VFIO masks the line when it fires (automask). Gated (default): the
 * trigger eventfd goes to the fallback controller, which counts, delivers
 * on the SPI, and unmasks (VFIO_IRQ_SET_ACTION_UNMASK) after the guest's
 * EOI, or holds the line masked (mask until ready, storms, shutdown).
 * intx=kernel: KVM signals the resamplefd on the guest's EOI of the SPI,
 * and that is VFIO's unmask eventfd: unmasking waits for the EOI, entirely
 * in the kernel, and nexit is not on the path (no counters).
 */
int nx_a64_vfio_intx(struct nx_a64_vfio_dev *d, bool on)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_INTX_IRQ_INDEX };
	struct nx_vm *vm = d->vm;

	if (!on) {
		if (d->intx_fd < 0)
			return 0;
		if (d->intx_attached && vm->irq.detach_source)
			vm->irq.detach_source(vm->irq.opaque, d->intx_spi);
		d->intx_attached = false;
		set_irqs(d, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, -1, 0);
		if (d->unmask_fd >= 0) {
			nx_irqfd_deassign(vm, d->intx_fd, d->intx_spi);
			close(d->unmask_fd);
		}
		close(d->intx_fd);
		d->intx_fd = d->unmask_fd = -1;
		return 0;
	}
	if (d->intx_fd >= 0)
		return 0;
	if (ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0 || ii.count == 0 || !d->cfg[0x3d])
		return 0;	/* no INTx pin */
	d->intx_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->intx_fd < 0)
		return nx_error("eventfd: %s", strerror(errno));
	if (!d->intx_kernel && vm->irq.attach_source) {
		d->intx_src = (struct nx_irq_source){ .name = d->name, .opaque = d,
			.trigger_fd = d->intx_fd, .resample_fd = -1, .mask = intx_mask,
			.unmask = intx_unmask, .is_asserted = intx_asserted };
		if (set_irqs(d, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, d->intx_fd, 1) < 0)
			return nx_error("assign %s: VFIO_DEVICE_SET_IRQS(INTx): %s", d->bdf, strerror(errno));
		if (vm->irq.attach_source(vm->irq.opaque, d->intx_spi, &d->intx_src) < 0)
			return -1;
		d->intx_attached = true;
		d->intx_ok = true;
		return 0;
	}
	d->unmask_fd = eventfd(0, EFD_CLOEXEC);
	if (d->unmask_fd < 0)
		return nx_error("eventfd: %s", strerror(errno));
	/* GSI n routes to SPI n (nx_a64_routes_init). */
	if (nx_irqfd_assign(vm, d->intx_fd, d->intx_spi, d->unmask_fd) < 0)
		return -1;
	if (set_irqs(d, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, d->intx_fd, 1) < 0 ||
	    set_irqs(d, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, d->unmask_fd, 1) < 0)
		return nx_error("assign %s: VFIO_DEVICE_SET_IRQS(INTx): %s", d->bdf, strerror(errno));
	d->intx_ok = true;
	return 0;
}
