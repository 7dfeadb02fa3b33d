/* SPDX-License-Identifier: MIT */
/*
 * vfio.c - assigning a host PCI device to the guest with VFIO (Linux
 * Documentation/driver-api/vfio.rst), on x86 and arm64 alike: container +
 * group (type1 IOMMU), all guest RAM mapped for the device's DMA at its
 * guest-physical address, BARs mmapped into KVM memory slots (one each,
 * from nx_mem_slot_alloc), config space passed through except the header's
 * BARs and the MSI/MSI-X capabilities, which core/pci.c emulates.
 *
 * Interrupts, exitless: each MSI vector's eventfd is at once the VFIO
 * trigger (VFIO_DEVICE_SET_IRQS, ACTION_TRIGGER) and the KVM irqfd of the
 * vector's MSI route. Because producer (VFIO) and consumer (KVM irqfd)
 * share one eventfd, the kernel's irq bypass manager pairs them and, on
 * VT-d/APICv or AVIC hardware, programs the IOMMU's interrupt remapping
 * entry as a posted interrupt straight into the vCPU; on a GICv4 host the
 * route's device ID (the requester ID, routes.msi_devid) lets KVM resolve
 * the guest's ITS translation and map the host LPI as a direct vLPI.
 *
 * INTx: VFIO's automasked INTx (the host line is masked when it fires)
 * with its trigger eventfd as the fallback controller's source, gated under
 * both irqchips: the gate unmasks (ACTION_UNMASK) only after the guest's
 * EOI, with its per-line counters, mask-until-ready and storm control.
 * With the device option intx=kernel the line is KVM's alone instead: the
 * trigger is the line's irqfd and its resamplefd VFIO's unmask eventfd
 * (still unmasked only after the EOI, nexit off the path, no counters).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "passthrough/virtio.h"

#define VFIO_MAX_MSI	32

struct vfio_bar {
	struct nx_vfio *v;
	uint64_t size, offset;	/* region size and offset in the device fd */
	void *map;		/* mmap of the region, NULL if it must trap */
	int slot;		/* KVM memslot while mapped, else -1 */
};

struct nx_vfio {
	struct nx_pt *pt;
	struct nx_vm *vm;
	char name[32], bdf[32], group[16];
	int container, group_fd, dev;
	uint64_t cfg_off;		/* config region offset in dev */
	struct nx_pci_dev *pci;
	struct vfio_bar bar[6];
	unsigned msi_count;		/* vectors VFIO offers */
	struct nx_msi_vec msi[VFIO_MAX_MSI];
	bool msi_on;			/* VFIO MSI trigger set */
	unsigned msi_nvec;
	unsigned msix_count;		/* MSI-X vectors emulated */
	struct nx_msi_vec msix[NX_PCI_MAX_MSIX];
	bool msix_on;
	bool has_intx, intx_on;
	int intx_trigger;
	int intx_unmask;		/* intx=kernel: KVM's resamplefd, VFIO's unmask; else -1 */
	bool intx_mask_want;		/* the controller's last mask/unmask */
	unsigned intx_gsi;
	struct nx_irq_source src;
	bool intx_attached;
	_Atomic uint64_t mmio_exits;
	/* Storm guard: each vector's host IRQ count in /proc/interrupts. */
	struct nx_guard_cfg guard;
	struct host_irqs {
		int fd;			/* /proc/interrupts, -1 */
		char *text;		/* its last read, shared by the vectors */
		uint64_t at_ns;
	} irqs;
	struct vfio_irq_name { struct host_irqs *h; char name[64]; } msi_name[VFIO_MAX_MSI],
		msix_name[NX_PCI_MAX_MSIX];
};

/* The host's count of one vector: vfio-pci names its IRQ action
 * "vfio-msi[i](BDF)" / "vfio-msix[i](BDF)" (vfio_pci_core's
 * vfio_msi_set_vector_signal); it exists while the guest has the vector
 * enabled, and its count only grows. Every vector's timer fires in the
 * same window, so one read of the file serves them all (pt thread only). */
static uint64_t host_count(void *op)
{
	struct vfio_irq_name *n = op;
	struct host_irqs *h = n->h;
	static const size_t max = 1 << 16;
	uint64_t now = nx_now_ns();

	if (!h->text && !(h->text = malloc(max + 1)))
		return 0;
	if (now - h->at_ns > 1000000) {
		/* A seq_file reads from offset 0 afresh on each pread. */
		ssize_t r = pread(h->fd, h->text, max, 0);

		h->text[r > 0 ? r : 0] = 0;
		h->at_ns = now;
	}
	return nx_host_irq_count(h->text, n->name);
}

static int guard_vectors(struct nx_vfio *v, struct nx_msi_vec *vec, struct vfio_irq_name *names,
			 unsigned count, const char *kind)
{
	for (unsigned i = 0; v->guard.budget && v->irqs.fd >= 0 && i < count; i++) {
		char id[64];

		names[i].h = &v->irqs;
		snprintf(names[i].name, sizeof(names[i].name), "vfio-%s[%u](%s)", kind, i, v->bdf);
		snprintf(id, sizeof(id), "%s.%s%u", v->name, kind, i);
		if (!nx_guard_create(&vec[i], &v->vm->loop, &v->guard, id, "host-irq", host_count,
				     &names[i]))
			return -1;
	}
	return 0;
}

/* ---- host checks: one clear line per way it can be wrong ---------------- */
static int normalize_bdf(const char *in, char *out, size_t n)
{
	unsigned dom = 0, bus, dev, fn;
	char tail;

	if (sscanf(in, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4 &&
	    sscanf(in, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3)
		return nx_error("'%s' is not a PCI address DDDD:BB:DD.F", in);
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return nx_error("'%s' is not a PCI address DDDD:BB:DD.F", in);
	snprintf(out, n, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

/* basename of the symlink path -> out ("" if no link). */
static void link_name(const char *path, char *out, size_t n)
{
	char buf[PATH_MAX];
	ssize_t l = readlink(path, buf, sizeof(buf) - 1);

	out[0] = 0;
	if (l <= 0)
		return;
	buf[l] = 0;
	snprintf(out, n, "%s", basename(buf));
}

/* Any entry in a sysfs directory (root-relative). */
static bool dir_has_entries(const char *root, const char *dir)
{
	char p[PATH_MAX];
	DIR *d;
	struct dirent *e;
	bool any = false;

	snprintf(p, sizeof(p), "%s%s", root, dir);
	d = opendir(p);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			any = true;
	if (d)
		closedir(d);
	return any;
}

/*
 * The ways an assignment goes wrong before any ioctl, one line each, in
 * the order a user fixes them. An IOMMU group may appear only once a
 * driver binds (arm64's SMMUv3 configures DMA at probe), so a missing group
 * means "no IOMMU" only on a host without one; otherwise the driver is
 * named first.
 */
int nx_vfio_check_host(const char *root, const char *bdf_in, char *group, size_t glen)
{
	char bdf[32], p[PATH_MAX], drv[64], name[32] = "";
	struct stat st;
	DIR *dir;
	struct dirent *e;
	FILE *f;

	if (normalize_bdf(bdf_in, bdf, sizeof(bdf)) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/%s", root, bdf);
	if (stat(p, &st) < 0)
		return nx_error("assign %s: no such PCI device on this host (see lspci -D)", bdf);
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/%s/iommu_group", root, bdf);
	link_name(p, group, glen);
	/* No IOMMU, no VFIO: the device could DMA anywhere in host memory. */
	if (!group[0] && !dir_has_entries(root, "/sys/class/iommu") &&
	    !dir_has_entries(root, "/sys/kernel/iommu_groups"))
		return nx_error("assign %s: this host has no IOMMU (/sys/class/iommu and "
				"/sys/kernel/iommu_groups are empty): VFIO needs one (enable the "
				"SMMU, VT-d or AMD-Vi: intel_iommu=on / amd_iommu=on)", bdf);
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/%s/driver", root, bdf);
	link_name(p, drv, sizeof(drv));
	if (strcmp(drv, "vfio-pci"))
		return nx_error("assign %s: device is not bound to vfio-pci (driver: %s): echo "
				"vfio-pci > /sys/bus/pci/devices/%s/driver_override; echo %s > "
				"/sys/bus/pci/drivers_probe (after unbinding it)", bdf,
				drv[0] ? drv : "none", bdf, bdf);
	if (!group[0])
		return nx_error("assign %s: no IOMMU: the device has no IOMMU group", bdf);
	/* VFIO's unsafe no-IOMMU mode makes groups without an IOMMU behind them. */
	snprintf(p, sizeof(p), "%s/sys/kernel/iommu_groups/%s/name", root, group);
	f = fopen(p, "r");
	if (f) {
		if (!fgets(name, sizeof(name), f))
			name[0] = 0;
		fclose(f);
	}
	if (!strncmp(name, "vfio-noiommu", 12))
		return nx_error("assign %s: no IOMMU: group %s is VFIO's unsafe no-IOMMU mode, "
				"which cannot isolate the device's DMA", bdf, group);
	/* The group is the unit of isolation: every member must be VFIO's. */
	snprintf(p, sizeof(p), "%s/sys/kernel/iommu_groups/%s/devices", root, group);
	dir = opendir(p);
	while (dir && (e = readdir(dir))) {
		char q[PATH_MAX + 300];

		if (e->d_name[0] == '.' || !strcmp(e->d_name, bdf))
			continue;
		snprintf(q, sizeof(q), "%s/%s/driver", p, e->d_name);
		link_name(q, drv, sizeof(drv));
		if (drv[0] && strcmp(drv, "vfio-pci") && strcmp(drv, "pcieport")) {
			closedir(dir);
			return nx_error("assign %s: IOMMU group %s also holds %s, bound to %s: bind "
					"every device of /sys/kernel/iommu_groups/%s/devices to vfio-pci",
					bdf, group, e->d_name, drv, group);
		}
	}
	if (dir)
		closedir(dir);
	return 0;
}

/* ---- config space ------------------------------------------------------- */
static int cfg_rw(struct nx_vfio *v, unsigned off, void *buf, unsigned len, bool w)
{
	ssize_t r = w ? pwrite(v->dev, buf, len, (off_t)(v->cfg_off + off)) :
			pread(v->dev, buf, len, (off_t)(v->cfg_off + off));

	return r == (ssize_t)len ? 0 : -1;
}

static bool op_cfg_access(struct nx_pci_dev *d, unsigned off, uint8_t *data, unsigned len,
			  bool w)
{
	struct nx_vfio *v = d->priv;

	/* Past the 4 KiB of PCIe config space, or an access VFIO refused: all ones. */
	if ((off >= 0x1000 || cfg_rw(v, off, data, len, w) < 0) && !w)
		memset(data, 0xff, len);
	return true;
}

static void op_command(struct nx_pci_dev *d, uint16_t old, uint16_t val)
{
	struct nx_vfio *v = d->priv;

	/* Memory/I/O decode, bus mastering (DMA) and INTx disable: the real
	 * device must follow (vfio-pci virtualizes what it must). */
	cfg_rw(v, 0x04, &val, 2, true);
}

/* ---- BARs --------------------------------------------------------------- */
static void bar_io(void *op, uint64_t off, uint8_t *data, uint32_t len, bool w,
		   struct nx_vcpu *vcpu)
{
	struct vfio_bar *b = op;
	ssize_t r;

	atomic_fetch_add(&b->v->mmio_exits, 1);
	r = w ? pwrite(b->v->dev, data, len, (off_t)(b->offset + off)) :
		pread(b->v->dev, data, len, (off_t)(b->offset + off));
	if (r != (ssize_t)len && !w)
		memset(data, 0xff, len);
}

static void op_bar_map(struct nx_pci_dev *d, int i, uint64_t gpa, bool on)
{
	struct nx_vfio *v = d->priv;
	struct vfio_bar *b = &v->bar[i];
	struct kvm_userspace_memory_region m = { .slot = (uint32_t)b->slot };

	if (!b->map || (d->bar[i].flags & NX_PCI_BAR_IO))
		return;		/* traps: bar_io serves it */
	if (b->slot >= 0) {
		/* Deleting a slot: memory_size 0 (KVM api.rst 4.35). */
		ioctl(v->vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &m);
		nx_mem_slot_free(&v->vm->mem, b->slot);
		b->slot = -1;
	}
	if (!on)
		return;
	b->slot = nx_mem_slot_alloc(&v->vm->mem);
	if (b->slot < 0) {
		nx_warn("vfio %s: BAR%d: no free KVM memory slot (accesses will exit)", v->name, i);
		return;
	}
	m.slot = (uint32_t)b->slot;
	m.guest_phys_addr = gpa;
	m.memory_size = b->size;
	m.userspace_addr = (uintptr_t)b->map;
	if (ioctl(v->vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &m) < 0) {
		nx_warn("vfio %s: BAR%d memslot at 0x%llx: %s (accesses will exit)", v->name, i,
			(unsigned long long)gpa, strerror(errno));
		nx_mem_slot_free(&v->vm->mem, b->slot);
		b->slot = -1;
	}
}

/* ---- MSI ---------------------------------------------------------------- */
/* VFIO_DEVICE_SET_IRQS on vectors 0..count-1 of index: with fds, their
 * eventfds; without, DATA_NONE (count 0 with ACTION_TRIGGER: all off). */
static int set_irqs(struct nx_vfio *v, unsigned index, uint32_t action, unsigned count,
		    const int *fds)
{
	size_t sz = sizeof(struct vfio_irq_set) + sizeof(int) * (fds ? count : 0);
	struct vfio_irq_set *s = calloc(1, sz);
	int r;

	if (!s)
		return -1;
	s->argsz = (uint32_t)sz;
	s->flags = action | (fds ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE);
	s->index = index;
	s->count = count;
	if (fds)
		memcpy(s->data, fds, sizeof(int) * count);
	r = ioctl(v->dev, VFIO_DEVICE_SET_IRQS, s);
	free(s);
	return r;
}

static void intx_enable(struct nx_vfio *v, bool on)
{
	if (!v->has_intx || v->intx_on == on)
		return;
	if (on) {
		if (set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 1,
			     &v->intx_trigger) < 0) {
			nx_warn("vfio %s: INTx trigger: %s", v->name, strerror(errno));
			return;
		}
		/* intx=kernel: VFIO unmasks when KVM signals the EOI (the
		 * trigger's resamplefd); VFIO drops it with the trigger. */
		if (v->intx_unmask >= 0 && set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX,
						    VFIO_IRQ_SET_ACTION_UNMASK, 1, &v->intx_unmask) < 0)
			nx_warn("vfio %s: INTx unmask eventfd: %s", v->name, strerror(errno));
		/* VFIO enables INTx unmasked; the controller may hold it masked
		 * (a guest-masked RTE), and a fire could reach KVM's irqfd. */
		if (v->intx_mask_want)
			set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK, 1, NULL);
	} else {
		set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, NULL);
	}
	v->intx_on = on;
}

/* MSI or MSI-X on with n vectors. VFIO allows one interrupt type at a time;
 * the pairing: VFIO's trigger eventfd == the KVM irqfd. */
static bool vectors_on(struct nx_vfio *v, unsigned index, unsigned n, const int *fds)
{
	intx_enable(v, false);
	if (set_irqs(v, index, VFIO_IRQ_SET_ACTION_TRIGGER, n, fds) == 0)
		return true;
	nx_warn("vfio %s: VFIO_DEVICE_SET_IRQS (%s, %u vectors): %s", v->name,
		index == VFIO_PCI_MSI_IRQ_INDEX ? "MSI" : "MSI-X", n, strerror(errno));
	return false;
}

/* MSI or MSI-X off; INTx again unless the other type is on. */
static void vectors_off(struct nx_vfio *v, unsigned index, bool *on, bool other_on)
{
	set_irqs(v, index, VFIO_IRQ_SET_ACTION_TRIGGER, 0, NULL);
	*on = false;
	if (!other_on)
		intx_enable(v, true);
}

static void op_msi(struct nx_pci_dev *d)
{
	struct nx_vfio *v = d->priv;
	bool en = nx_pci_msi_enabled(d);
	unsigned n = nx_pci_msi_vectors(d);
	int fds[VFIO_MAX_MSI];

	if (n > v->msi_count)
		n = v->msi_count;
	/* Routes first, so the first interrupt VFIO raises has a destination. */
	for (unsigned i = 0; i < v->msi_count; i++) {
		struct nx_msi_msg m;

		nx_pci_msi_msg(d, i, &m);
		nx_msi_vec_update(&v->msi[i], en && i < n, &m);
		fds[i] = v->msi[i].efd;
	}
	if (en && (!v->msi_on || v->msi_nvec != n)) {
		if (v->msi_on)
			set_irqs(v, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, NULL);
		if (!vectors_on(v, VFIO_PCI_MSI_IRQ_INDEX, n, fds))
			return;
		v->msi_on = true;
		v->msi_nvec = n;
	} else if (!en && v->msi_on) {
		vectors_off(v, VFIO_PCI_MSI_IRQ_INDEX, &v->msi_on, v->msix_on);
	}
}

/* MSI-X: the table lives in nexit (core/pci.c); VFIO gets every vector's
 * eventfd at enable, and masking is the irqfd's (route.c rules). */
static void op_msix(struct nx_pci_dev *d, int vec)
{
	struct nx_vfio *v = d->priv;
	bool en = nx_pci_msix_enabled(d);
	int fds[NX_PCI_MAX_MSIX];

	for (unsigned i = 0; i < v->msix_count; i++) {
		struct nx_msi_msg m;

		fds[i] = v->msix[i].efd;
		if (vec >= 0 && (unsigned)vec != i)
			continue;
		nx_pci_msix_msg(d, i, &m);
		nx_msi_vec_update(&v->msix[i], en, &m);
	}
	if (en && !v->msix_on)
		v->msix_on = vectors_on(v, VFIO_PCI_MSIX_IRQ_INDEX, v->msix_count, fds);
	else if (!en && v->msix_on)
		vectors_off(v, VFIO_PCI_MSIX_IRQ_INDEX, &v->msix_on, v->msi_on);
}

static const struct nx_pci_ops vfio_ops = {
	.bar_map = op_bar_map, .msi_update = op_msi, .msix_update = op_msix,
	.command = op_command, .cfg_access = op_cfg_access,
};

/* ---- INTx source ---------------------------------------------------------- */
static void src_mask(void *op)
{
	struct nx_vfio *v = op;

	v->intx_mask_want = true;
	set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK, 1, NULL);
}

static void src_unmask(void *op)
{
	struct nx_vfio *v = op;

	v->intx_mask_want = false;
	set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 1, NULL);
}

/* PCI 2.3 Interrupt Status (status bit 3) is the device's INTx level. */
static bool src_is_asserted(void *op)
{
	struct nx_vfio *v = op;
	uint16_t st = 0;

	return v->intx_on && cfg_rw(v, 0x06, &st, 2, false) == 0 && (st & 0x08);
}

/*
 * intx=kernel: KVM alone runs the line. The trigger is the line's irqfd
 * with a resamplefd (KVM_IRQFD_FLAG_RESAMPLE: the line stays asserted until
 * the guest's EOI), and the resamplefd is VFIO's unmask eventfd: VFIO
 * unmasks the automasked line on the EOI, in the kernel. No counters.
 */
static int intx_kernel(struct nx_vfio *v)
{
	v->intx_gsi = nx_pci_intx_line(v->pci);
	v->intx_trigger = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	v->intx_unmask = eventfd(0, EFD_CLOEXEC);
	if (v->intx_trigger < 0 || v->intx_unmask < 0)
		return nx_error("vfio %s: eventfd: %s", v->name, strerror(errno));
	if (nx_irqfd_assign(v->vm, v->intx_trigger, v->intx_gsi, v->intx_unmask) < 0)
		return -1;
	intx_enable(v, true);
	if (!v->intx_on)
		return nx_error("vfio %s: VFIO_DEVICE_SET_IRQS (INTx trigger) refused", v->name);
	return 0;
}

/* ---- set-up --------------------------------------------------------------- */
static int open_group(struct nx_vfio *v)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	char p[64];
	int iommu;

	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0)
		return nx_error("assign %s: cannot open /dev/vfio/vfio: %s (modprobe vfio-pci)",
				v->bdf, strerror(errno));
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return nx_error("assign %s: VFIO API version mismatch", v->bdf);
	iommu = ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0 ?
		VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU;
	if (ioctl(v->container, VFIO_CHECK_EXTENSION, iommu) <= 0)
		return nx_error("assign %s: VFIO has no type1 IOMMU backend (modprobe vfio_iommu_type1)",
				v->bdf);
	snprintf(p, sizeof(p), "/dev/vfio/%s", v->group);
	v->group_fd = open(p, O_RDWR | O_CLOEXEC);
	if (v->group_fd < 0)
		return nx_error("assign %s: cannot open %s: %s", v->bdf, p, strerror(errno));
	if (ioctl(v->group_fd, VFIO_GROUP_GET_STATUS, &gs) < 0 ||
	    !(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		return nx_error("assign %s: IOMMU group %s is not viable: bind every device of "
				"/sys/kernel/iommu_groups/%s/devices to vfio-pci", v->bdf, v->group,
				v->group);
	if (ioctl(v->group_fd, VFIO_GROUP_SET_CONTAINER, &v->container) < 0 ||
	    ioctl(v->container, VFIO_SET_IOMMU, iommu) < 0)
		return nx_error("assign %s: attaching group %s to a type1 container: %s", v->bdf,
				v->group, strerror(errno));
	/* Guest RAM at its guest-physical addresses: the device's DMA sees
	 * what the guest driver programmed (IOVA = GPA). */
	for (int i = 0; i < v->vm->mem.nregions; i++) {
		struct nx_mem_region *r = &v->vm->mem.regions[i];
		struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uintptr_t)r->hva, .iova = r->gpa, .size = r->size };
		if (ioctl(v->container, VFIO_IOMMU_MAP_DMA, &map) < 0)
			return nx_error("assign %s: VFIO_IOMMU_MAP_DMA of guest RAM 0x%llx+0x%llx: %s",
					v->bdf, (unsigned long long)r->gpa,
					(unsigned long long)r->size, strerror(errno));
	}
	v->dev = ioctl(v->group_fd, VFIO_GROUP_GET_DEVICE_FD, v->bdf);
	if (v->dev < 0)
		return nx_error("assign %s: VFIO_GROUP_GET_DEVICE_FD: %s", v->bdf, strerror(errno));
	return 0;
}

static int setup_bars(struct nx_vfio *v, const uint8_t *cfg)
{
	for (int i = 0; i < 6; i++)
		v->bar[i].slot = -1;
	for (int i = 0; i < 6; i++) {
		struct vfio_region_info ri = { .argsz = sizeof(ri), .index = (uint32_t)i };
		uint32_t raw = (uint32_t)cfg[0x10 + 4 * i] | (uint32_t)cfg[0x11 + 4 * i] << 8;
		uint32_t flags = 0;
		struct vfio_bar *b = &v->bar[i];

		if (ioctl(v->dev, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0 || !ri.size)
			continue;
		if (raw & 1)
			flags = NX_PCI_BAR_IO;
		else
			flags = ((raw & 6) == 4 ? NX_PCI_BAR_MEM64 : 0) | (raw & 8 ? NX_PCI_BAR_PREFETCH : 0);
		if ((flags & NX_PCI_BAR_IO) && !nx_pci_arch_of(v->vm)->io_end) {
			nx_warn("vfio %s: BAR%d is an I/O BAR and this host bridge has no I/O space: "
				"not offered", v->name, i);
			continue;
		}
		*b = (struct vfio_bar){ .v = v, .size = ri.size, .offset = ri.offset, .slot = -1 };
		/* mmap unless the MSI-X table lives here (it must trap). */
		if ((ri.flags & VFIO_REGION_INFO_FLAG_MMAP) && !(flags & NX_PCI_BAR_IO) &&
		    !(v->pci->msix_cap && v->pci->msix_bar == i) && ri.size >= 4096) {
			b->map = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, v->dev,
				      (off_t)ri.offset);
			if (b->map == MAP_FAILED)
				b->map = NULL;
		}
		if (nx_pci_add_bar(v->pci, i, ri.size < 4096 && !(flags & NX_PCI_BAR_IO) ? 4096 :
				   ri.size, flags, bar_io, b) < 0)
			return -1;
		if (flags & NX_PCI_BAR_MEM64)
			i++;
	}
	return 0;
}

/* The host side: the checks, the container and group, the device fd. */
static int vfio_open(struct nx_vfio *v, const struct nx_device_cfg *c)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ci = { .argsz = sizeof(ci), .index = VFIO_PCI_CONFIG_REGION_INDEX };

	if (normalize_bdf(c->assign, v->bdf, sizeof(v->bdf)) < 0 ||
	    nx_vfio_check_host("", v->bdf, v->group, sizeof(v->group)) < 0 || open_group(v) < 0)
		return -1;
	if (ioctl(v->dev, VFIO_DEVICE_GET_INFO, &di) < 0 || !(di.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    ioctl(v->dev, VFIO_DEVICE_GET_REGION_INFO, &ci) < 0)
		return nx_error("assign %s: not a VFIO PCI device", v->bdf);
	v->cfg_off = ci.offset;
	/* Start from a clean device, as a reset machine would (FLR, PM or bus
	 * reset, whatever vfio-pci has for it; without one, as it is). */
	if (di.flags & VFIO_DEVICE_FLAGS_RESET)
		ioctl(v->dev, VFIO_DEVICE_RESET);
	return 0;
}

/* The guest side, from the device fd alone (unit tests fake it): the PCI
 * function on bus 0, its BARs, MSI/MSI-X vectors and INTx line. */
static int vfio_expose(struct nx_vfio *v, const struct nx_device_cfg *c)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_MSI_IRQ_INDEX };
	struct vfio_irq_info xi = { .argsz = sizeof(ii), .index = VFIO_PCI_INTX_IRQ_INDEX };
	uint8_t cfg[NX_PCI_CFG_SIZE];
	char pname[48], ik[16];
	uint8_t msi;
	struct nx_vm *vm = v->vm;

	if (cfg_rw(v, 0, cfg, sizeof(cfg), false) < 0)
		return nx_error("assign %s: cannot read config space: %s", v->bdf, strerror(errno));
	/* The function as the guest sees it: the device's own header and
	 * capability chain; BARs, MSI and MSI-X emulated. */
	snprintf(pname, sizeof(pname), "vfio-%s", c->name);
	v->pci = nx_vfio_pci_new(vm, pname, cfg, &msi);
	if (!v->pci)
		return -1;
	v->pci->ops = &vfio_ops;
	v->pci->priv = v;
	if (setup_bars(v, cfg) < 0)
		return -1;
	if (msi && ioctl(v->dev, VFIO_DEVICE_GET_IRQ_INFO, &ii) == 0 && ii.count) {
		if (nx_pci_claim_msi(v->pci, msi) < 0)
			return -1;
		v->msi_count = ii.count > VFIO_MAX_MSI ? VFIO_MAX_MSI : ii.count;
		for (unsigned i = 0; i < v->msi_count; i++)
			if (nx_msi_vec_init(vm, &v->msi[i], -1) < 0)
				return -1;
	}
	if (v->pci->msix_cap) {
		struct vfio_irq_info mi = { .argsz = sizeof(mi), .index = VFIO_PCI_MSIX_IRQ_INDEX };

		if (ioctl(v->dev, VFIO_DEVICE_GET_IRQ_INFO, &mi) == 0 && mi.count)
			v->msix_count = mi.count < v->pci->msix_n ? mi.count : v->pci->msix_n;
		for (unsigned i = 0; i < v->msix_count; i++)
			if (nx_msi_vec_init(vm, &v->msix[i], -1) < 0)
				return -1;
	}
	v->has_intx = cfg[0x3d] && ioctl(v->dev, VFIO_DEVICE_GET_IRQ_INFO, &xi) == 0 && xi.count;
	if (v->has_intx && nx_pci_set_intx(v->pci, cfg[0x3d] - 1u) < 0)
		return -1;
	if (nx_pci_dev_register(v->pci) < 0)
		return -1;
	/* The requester ID exists now: the device ID of every vector. */
	for (unsigned i = 0; i < v->msi_count; i++)
		v->msi[i].devid = nx_pci_requester_id(v->pci);
	for (unsigned i = 0; i < v->msix_count; i++)
		v->msix[i].devid = nx_pci_requester_id(v->pci);
	nx_pci_lock(vm);
	if (guard_vectors(v, v->msi, v->msi_name, v->msi_count, "msi") < 0 ||
	    guard_vectors(v, v->msix, v->msix_name, v->msix_count, "msix") < 0) {
		nx_pci_unlock(vm);
		return -1;
	}
	nx_pci_unlock(vm);
	if (v->has_intx && nx_pci_arch_of(vm)->intx_off_until_driver) {
		/* Mask until ready: the guest's driver clears INTx Disable (Linux:
		 * pci_enable_device); vfio-pci holds INTx masked at the host until then. */
		uint16_t cmd = 0;

		cfg_rw(v, 0x04, &cmd, 2, false);
		cmd |= 0x400;
		cfg_rw(v, 0x04, &cmd, 2, true);
		v->pci->cfg[0x05] |= 0x04;
	}
	if (!nx_dev_opt(c->opts, "intx", ik, sizeof(ik)))
		ik[0] = 0;
	if (ik[0] && strcmp(ik, "kernel")) {
		return nx_error("device %s: intx = %s: the only choice for an assigned device is "
				"kernel (KVM's own EOI-gated line; default: nexit's gated line)",
				c->name, ik);
	}
	if (v->has_intx && ik[0]) {
		if (intx_kernel(v) < 0)
			return -1;
	} else if (v->has_intx) {
		v->intx_trigger = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		v->intx_gsi = nx_pci_intx_line(v->pci);
		v->src = (struct nx_irq_source){ .name = v->pci->name, .opaque = v,
			.trigger_fd = v->intx_trigger, .resample_fd = -1,
			/* VFIO masks INTx in its host handler before it signals
			 * the trigger eventfd (automask). */
			.automask = true,
			.mask = src_mask, .unmask = src_unmask, .is_asserted = src_is_asserted };
		intx_enable(v, true);
		if (vm->irq.attach_source &&
		    vm->irq.attach_source(vm->irq.opaque, v->intx_gsi, &v->src) == 0)
			v->intx_attached = true;
	}
	nx_info("vfio %s: %s (%04x:%04x) at PCI 00:%02x.0, group %s, %u MSI / %u MSI-X vector(s)%s",
		c->name, v->bdf, v->pci->cfg[0] | v->pci->cfg[1] << 8,
		v->pci->cfg[2] | v->pci->cfg[3] << 8, v->pci->slot, v->group, v->msi_count,
		v->msix_count, v->has_intx ? ", INTx" : "");
	return 0;
}

static void *vfio_create(struct nx_pt *pt, const struct nx_device_cfg *c)
{
	struct nx_vfio *v;

	if (!c->assign[0])
		return nx_error_null("device %s: type vfio needs assign = BDF", c->name);
	v = calloc(1, sizeof(*v));
	if (!v)
		return nx_error_null("out of memory");
	nx_lives_until_exit(v);	/* a failed set-up stops nexit */
	v->pt = pt;
	v->vm = pt->vm;
	v->container = v->group_fd = v->dev = v->intx_trigger = v->intx_unmask = -1;
	snprintf(v->name, sizeof(v->name), "%s", c->name);
	if (nx_guard_parse(c->opts, &v->guard, c->name) < 0)
		return NULL;
	/* Opened now, read by the passthrough thread (pread) once per window. */
	v->irqs.fd = v->guard.budget ? open("/proc/interrupts", O_RDONLY | O_CLOEXEC) : -1;
	if (v->guard.budget && v->irqs.fd < 0)
		nx_warn("vfio %s: /proc/interrupts: %s: MSI storms are not contained", c->name,
			strerror(errno));
	if (vfio_open(v, c) < 0 || vfio_expose(v, c) < 0)
		return NULL;
	return v;
}

/* live is one counter for every MSI vector, one per vector for MSI-X. */
static void vectors_json(struct nx_vfio *v, struct json_object *arr, struct nx_msi_vec *vec,
			 unsigned count, const char *kind, const uint64_t *live, unsigned live_step)
{
	for (unsigned i = 0; i < count; i++) {
		struct json_object *o;
		char id[64];

		snprintf(id, sizeof(id), "%s.%s%u", v->name, kind, i);
		o = nx_pt_line_json(id, &vec[i], -1, -1);
		nx_json_u64(o, "live_exits", live[i * live_step]);
		json_object_object_add(o, "device", json_object_new_string(v->name));
		json_object_object_add(o, "vfio", json_object_new_string(v->bdf));
		json_object_array_add(arr, o);
	}
}

static void vfio_lines_json(void *dev, struct json_object *arr)
{
	struct nx_vfio *v = dev;

	nx_pci_lock(v->vm);
	vectors_json(v, arr, v->msi, v->msi_count, "msi", &v->pci->msi_live_exits, 0);
	vectors_json(v, arr, v->msix, v->msix_count, "msix", v->pci->msix_live_exits, 1);
	nx_pci_unlock(v->vm);
}

static void vfio_device_json(void *dev, struct json_object *arr)
{
	struct nx_vfio *v = dev;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(v->name));
	json_object_object_add(o, "type", json_object_new_string("vfio"));
	json_object_object_add(o, "bdf", json_object_new_string(v->bdf));
	json_object_object_add(o, "slot", json_object_new_int(v->pci->slot));
	json_object_object_add(o, "iommu_group", json_object_new_string(v->group));
	nx_json_u64(o, "mmio_exits", atomic_load(&v->mmio_exits));
	json_object_object_add(o, "intx_gsi", v->has_intx ? json_object_new_int((int)v->intx_gsi) : NULL);
	json_object_object_add(o, "intx_state", json_object_new_string(
		!v->has_intx ? "none" : v->intx_unmask >= 0 ? "kernel" :
		v->intx_attached ? "attached" : "no-controller"));
	json_object_array_add(arr, o);
}

const struct nx_dev_type nx_vfio_type = {
	.name = "vfio", .create = vfio_create,
	.lines_json = vfio_lines_json, .device_json = vfio_device_json,
};
