/* SPDX-License-Identifier: MIT */
/*
 * vm.c - the KVM VM on arm64: /dev/kvm checks, the capabilities the vGICv3
 * interrupt paths need, and RAM at NX_A64_RAM. (x86's core/vm.c asks for
 * split irqchip and CPUID, which arm64 KVM has not.)
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysinfo.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "core/arm64/arm64.h"

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
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		if (errno == ENOENT)
			return nx_error("/dev/kvm does not exist: KVM is not available on this host "
					"(boot the kernel at EL2, e.g. kvm-arm.mode=nvhe)");
		return nx_error("cannot open /dev/kvm: %s", strerror(errno));
	}
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return nx_error("KVM API version mismatch, nexit needs %d", KVM_API_VERSION);
	return 0;
}

/* vGICv3 with an ITS is what makes MSIs (and GICv4 vLPIs) possible. */
static int check_caps(struct nx_vm *vm)
{
	static const struct { int cap; const char *name; } need[] = {
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
		{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
		{ KVM_CAP_IRQFD_RESAMPLE, "KVM_CAP_IRQFD_RESAMPLE" },
		{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
		{ KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
		{ KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL" },
		{ KVM_CAP_ARM_PSCI_0_2, "KVM_CAP_ARM_PSCI_0_2" },
	};
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (nx_vm_check_cap(vm, need[i].cap, need[i].name) < 0)
			return -1;
	return 0;
}

static int check_cpus(struct nx_vm *vm)
{
	int max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (max <= 0)
		max = 4;
	if (max > NX_MAX_CPUS)
		max = NX_MAX_CPUS;
	vm->max_vcpus = max;
	if (vm->cfg->cpus < 1 || vm->cfg->cpus > max)
		return nx_error("cpus = %d is out of range: KVM on this host allows 1..%d",
				vm->cfg->cpus, max);
	return 0;
}

static int check_mem(struct nx_vm *vm)
{
	struct sysinfo si;

	if (vm->cfg->mem_bytes < (16ull << 20))
		return nx_error("memory = %llu bytes is too small: give at least 16M on arm64",
				(unsigned long long)vm->cfg->mem_bytes);
	if (sysinfo(&si) == 0 && vm->cfg->mem_bytes > (uint64_t)si.totalram * si.mem_unit)
		return nx_error("memory = %llu MiB is more than this host has",
				(unsigned long long)(vm->cfg->mem_bytes >> 20));
	return 0;
}

int nx_vm_create(struct nx_vm *vm, struct nx_config *cfg)
{
	struct nx_mem_region *r;
	struct kvm_userspace_memory_region m;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = vm->stats_fd_vm = -1;
	vm->mem.memfd = -1;
	pthread_mutex_init(&vm->stop_lock, NULL);
	nx_bus_init(&vm->pio);
	nx_bus_init(&vm->mmio);
	nx_routes_init(vm);
	vm->stats.start_ns = nx_now_ns();

	if (open_kvm(vm) < 0 || check_caps(vm) < 0 || check_cpus(vm) < 0 || check_mem(vm) < 0)
		return -1;
	/* Type 0: the default 40-bit IPA space (KVM_CAP_ARM_VM_IPA_SIZE). */
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return nx_error("KVM_CREATE_VM: %s", strerror(errno));
	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_mmap_size <= 0)
		return nx_error("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	if (nx_mem_init(&vm->mem, cfg->mem_bytes, cfg->hugepages) < 0)
		return -1;
	r = &vm->mem.regions[0];
	m = (struct kvm_userspace_memory_region){ .slot = r->slot, .guest_phys_addr = r->gpa,
		.memory_size = r->size, .userspace_addr = (uintptr_t)r->hva };
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &m) < 0)
		return nx_error("KVM_SET_USER_MEMORY_REGION (RAM at 0x%llx): %s",
				(unsigned long long)r->gpa, strerror(errno));
#ifdef KVM_GET_STATS_FD
	vm->stats_fd_vm = ioctl(vm->vm_fd, KVM_GET_STATS_FD, NULL);
#endif
	vm->ncpus = cfg->cpus;
	return 0;
}

void nx_vm_destroy(struct nx_vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].fd > 0)
			close(vm->vcpus[i].fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	nx_mem_destroy(&vm->mem);
}
