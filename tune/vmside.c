/* SPDX-License-Identifier: MIT */
/*
 * vmside.c - the [vm] half of a profile, applied by nexit itself:
 *  - mlockall(MCL_CURRENT | MCL_FUTURE): guest RAM never faults in from
 *    swap or zero pages on the interrupt path;
 *  - KVM_CAP_HALT_POLL (api.rst 7.26): per-VM halt-poll ns, how long a
 *    halted vCPU spins before sleeping, so an interrupt arriving soon after
 *    HLT is taken without a wakeup;
 *  - per vCPU thread: sched_setaffinity to its CPU (1:1 pinning keeps the
 *    target vCPU on the pCPU the host IRQ is affine to) and SCHED_FIFO;
 *  - everything else (nexit's main, event, irq and control threads, and the
 *    device backends it starts) on the CPUs no vCPU is pinned to: a
 *    SCHED_FIFO vCPU spinning in its guest would otherwise hold off the
 *    backend or irq thread woken on its CPU until the RT throttle lets go
 *    (measured in L1: MSI completions through nexit-devd timed out).
 * In a container SCHED_FIFO and mlock may be refused (EPERM): warn once and
 * go on.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "core/vm.h"
#include "tune/tune.h"

int nx_profile_apply_vm_p(struct nx_profile *p, struct nx_vm *vm)
{
	if (p->mlock && mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		nx_warn("profile %s: mlockall: %s (guest memory stays pageable)", p->name,
			strerror(errno));
	if (p->vm_halt_poll_ns != NX_KEEP) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_HALT_POLL,
			.args[0] = (uint64_t)p->vm_halt_poll_ns,
		};

		if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_HALT_POLL) <= 0)
			nx_warn("profile %s: KVM has no KVM_CAP_HALT_POLL; the host's "
				"kvm.halt_poll_ns applies", p->name);
		else if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
			return nx_error("profile %s: KVM_ENABLE_CAP(HALT_POLL, %ld): %s", p->name,
					p->vm_halt_poll_ns, strerror(errno));
	}
	return 0;
}

/* Pins and schedules `thread` as vCPU `id` (pthread_self() from the thread itself). */
static int apply_thread(struct nx_profile *p, pthread_t thread, int id)
{
	int cpu = nx_profile_vcpu_cpu(p, id), e;

	if (cpu >= 0) {
		cpu_set_t set;

		if (id >= p->ncpus && !atomic_exchange(&p->pin_warned, 1))
			nx_warn("profile %s: %d CPUs for pinning, vCPU %d shares CPU %d", p->name,
				p->ncpus, id, cpu);
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		e = pthread_setaffinity_np(thread, sizeof(set), &set);
		if (e)
			return nx_error("profile %s: pin vCPU %d to CPU %d: %s", p->name, id, cpu,
					strerror(e));
	}
	if (p->sched_fifo > 0) {
		struct sched_param sp = { .sched_priority = p->sched_fifo };

		e = pthread_setschedparam(thread, SCHED_FIFO, &sp);
		if (e == EPERM) {
			if (!atomic_exchange(&p->fifo_warned, 1))
				nx_warn("profile %s: SCHED_FIFO %d refused (EPERM: no CAP_SYS_NICE or "
					"RT runtime in this container); vCPUs stay SCHED_OTHER",
					p->name, p->sched_fifo);
		} else if (e) {
			return nx_error("profile %s: SCHED_FIFO for vCPU %d: %s", p->name, id,
					strerror(e));
		}
	}
	return 0;
}

int nx_profile_apply_vcpu(struct nx_profile *p, struct nx_vcpu *vcpu)
{
	return apply_thread(p, pthread_self(), vcpu->id);
}

/* vm->vcpu_start: each vCPU thread pins and schedules itself before its
 * first KVM_RUN. Errors were reported; the vCPU runs unpinned. */
static void vcpu_start(void *opaque, struct nx_vcpu *vcpu)
{
	nx_profile_apply_vcpu(opaque, vcpu);
}

int nx_profile_apply_vm(struct nx_vm *vm, const char *name)
{
	struct nx_profile *p = calloc(1, sizeof(*p));

	if (!p)
		return nx_error("profile %s: out of memory", name);
	if (nx_profile_load(name, p) < 0 || nx_profile_apply_vm_p(p, vm) < 0) {
		free(p);
		return -1;
	}
	if (p->hugepages && vm->cfg && !vm->cfg->hugepages && vm->mem.size)
		nx_warn("profile %s: hugepages = on, but guest memory is already allocated "
			"without them (nx_profile_apply_config runs before the VM is created)",
			p->name);
	if (p->pin == NX_PIN_OFF && p->sched_fifo == 0) {
		free(p);
		return 0;
	}
	/* vCPU threads that exist already are set from here; later ones set
	 * themselves through the hook. p lives as long as the VM. */
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].thread && apply_thread(p, vm->vcpus[i].thread, vm->vcpus[i].id) < 0)
			return -1;
	vm->vcpu_start = vcpu_start;
	vm->vcpu_start_opaque = p;
	return 0;
}

/* The process (every thread created after this, and children) goes to the
 * online CPUs that none of the cfg->cpus vCPUs is pinned to; vCPU threads
 * then pin themselves (vcpu_start). No such CPU: left as it is, said once. */
static void housekeeping(struct nx_profile *p, int vcpus)
{
	cpu_set_t online, hk;
	char list[64];
	uint64_t mask = 0;

	if (p->pin == NX_PIN_OFF || sched_getaffinity(0, sizeof(online), &online) < 0)
		return;
	hk = online;
	for (int id = 0; id < vcpus; id++) {
		int cpu = nx_profile_vcpu_cpu(p, id);

		if (cpu >= 0)
			CPU_CLR(cpu, &hk);
	}
	if (!CPU_COUNT(&hk)) {
		nx_warn("profile %s: every CPU runs a vCPU: nexit's own threads and backends share "
			"them", p->name);
		return;
	}
	for (int c = 0; c < 64; c++)
		if (CPU_ISSET(c, &hk))
			mask |= 1ull << c;
	nx_cpulist_format(mask, list, sizeof(list));
	if (sched_setaffinity(0, sizeof(hk), &hk) < 0)
		nx_warn("profile %s: cannot move nexit's own threads to CPUs %s: %s", p->name, list,
			strerror(errno));
}

int nx_profile_apply_config(struct nx_config *cfg, const char *name)
{
	struct nx_profile *p = calloc(1, sizeof(*p));
	int rc = -1;

	if (!p)
		return nx_error("profile %s: out of memory", name);
	if (nx_profile_load(name, p) == 0) {
		/* hugepages = on backs guest RAM with 2 MiB pages (fewer TLB misses
		 * in the guest's interrupt handlers); off leaves the [vm] config */
		if (p->hugepages)
			cfg->hugepages = true;
		/* Before any thread exists: they all inherit it. */
		housekeeping(p, cfg->cpus > 0 ? cfg->cpus : 1);
		rc = 0;
	}
	free(p);
	return rc;
}
