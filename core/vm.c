/* SPDX-License-Identifier: MIT */
/*
 * vm.c - the KVM VM: /dev/kvm checks, capabilities, guest memory slots.
 * What differs per architecture (more capabilities, the interrupt
 * controller, the RAM layout) is behind the nx_arch_* hooks (core/arch.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysinfo.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "core/vm.h"
#include "core/kvm_kind.h"
#include "core/arch.h"

int nx_vm_check_cap(struct nx_vm *vm, int cap, const char *name)
{
	int fd = vm->vm_fd >= 0 ? vm->vm_fd : vm->kvm_fd;
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	if (r <= 0)
		return nx_error("KVM lacks capability %s (KVM_CHECK_EXTENSION %d), which nexit needs",
				name, cap);
	return r;
}

static int open_kvm(struct nx_vm *vm)
{
	const char *dev = nx_kvm_device();
	int v;

	vm->kvm_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		if (errno == ENOENT)
			return nx_error("%s does not exist: KVM is not available on this host "
					"(%s)", dev, nx_arch_info.kvm_hint);
		if (errno == EACCES || errno == EPERM)
			return nx_error("permission denied opening %s (run as root or join the kvm group)",
					dev);
		return nx_error("cannot open %s: %s", dev, strerror(errno));
	}
	v = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION)
		return nx_error("KVM API version %d, nexit needs %d", v, KVM_API_VERSION);
	return 0;
}

/* Capabilities without which nexit cannot deliver interrupts the way it
 * promises, on every arch; nx_arch_check_caps adds the arch's own. */
static int check_caps(struct nx_vm *vm)
{
	static const struct { int cap; const char *name; } need[] = {
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
		{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
		{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
		{ KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
	};
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (nx_vm_check_cap(vm, need[i].cap, need[i].name) < 0)
			return -1;
	return nx_arch_check_caps(vm);
}

static int check_cpus(struct nx_vm *vm)
{
	int max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max <= 0)
		max = 4;	/* KVM API: assume 4 when neither cap is reported */
	if (max > NX_MAX_CPUS)
		max = NX_MAX_CPUS;
	if (vm->cfg->cpus < 1 || vm->cfg->cpus > max)
		return nx_error("cpus = %d is out of range: KVM on this host allows 1..%d",
				vm->cfg->cpus, max);
	return 0;
}

static int check_mem(struct nx_vm *vm)
{
	struct sysinfo si;
	uint64_t host;

	if (vm->cfg->mem_bytes < nx_arch_info.min_mem)
		return nx_error("memory = %llu bytes is too small: give at least %lluM",
				(unsigned long long)vm->cfg->mem_bytes,
				(unsigned long long)(nx_arch_info.min_mem >> 20));
	if (sysinfo(&si) == 0) {
		host = (uint64_t)si.totalram * si.mem_unit;
		if (vm->cfg->mem_bytes > host)
			return nx_error("memory = %llu MiB is more than this host has (%llu MiB)",
					(unsigned long long)(vm->cfg->mem_bytes >> 20),
					(unsigned long long)(host >> 20));
	}
	return 0;
}

static int set_memslots(struct nx_vm *vm)
{
	for (int i = 0; i < vm->mem.nregions; i++) {
		struct nx_mem_region *r = &vm->mem.regions[i];
		struct kvm_userspace_memory_region m = {
			.slot = r->slot, .guest_phys_addr = r->gpa,
			.memory_size = r->size, .userspace_addr = (uintptr_t)r->hva,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &m) < 0)
			return nx_error("KVM_SET_USER_MEMORY_REGION slot %u (RAM at 0x%llx): %s", r->slot,
					(unsigned long long)r->gpa, strerror(errno));
	}
	return 0;
}

int nx_vm_create(struct nx_vm *vm, struct nx_config *cfg)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = vm->stats_fd_vm = -1;
	vm->mem.memfd = -1;
	pthread_mutex_init(&vm->stop_lock, NULL);
	nx_loop_init(&vm->loop);
	nx_bus_init(&vm->pio);
	nx_bus_init(&vm->mmio);
	nx_routes_init(vm);
	vm->stats.start_ns = nx_now_ns();

	if (open_kvm(vm) < 0 || check_caps(vm) < 0 || check_cpus(vm) < 0 || check_mem(vm) < 0)
		return -1;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return nx_error("KVM_CREATE_VM: %s", strerror(errno));
	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_mmap_size <= 0)
		return nx_error("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	if (nx_arch_vm_init(vm) < 0)
		return -1;
	/* A memfd only where another process maps guest RAM or hugetlbfs
	 * pages are asked for; else private memory in transparent huge pages. */
	if ((cfg->hugepages || nx_config_shared_ram(cfg) ?
	     nx_mem_init(&vm->mem, cfg->mem_bytes, cfg->hugepages) :
	     nx_mem_init_private(&vm->mem, cfg->mem_bytes)) < 0 || set_memslots(vm) < 0)
		return -1;
	if (nx_arch_irqchip_create(vm) < 0 || nx_loop_start(&vm->loop) < 0)
		return -1;
#ifdef KVM_GET_STATS_FD
	vm->stats_fd_vm = ioctl(vm->vm_fd, KVM_GET_STATS_FD, NULL);
#endif
	vm->ncpus = cfg->cpus;
	return 0;
}

void nx_vm_destroy(struct nx_vm *vm)
{
	nx_loop_stop(&vm->loop);
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].fd > 0)
			close(vm->vcpus[i].fd);
	if (vm->stats_fd_vm >= 0)
		close(vm->stats_fd_vm);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	nx_mem_destroy(&vm->mem);
}
