/* SPDX-License-Identifier: MIT */
/*
 * vcpu.c - vCPU threads and the KVM_RUN loop with its exit dispatch table.
 *
 * Every return of KVM_RUN to userspace is a VMM exit and is counted: the
 * exitless interrupt path is proven by these counters staying flat.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>
#include "core/vm.h"
#include "core/control.h"
#include "core/sandbox.h"
#include "core/arch.h"

#define NX_KICK_SIGNAL SIGUSR1

static void kick_handler(int sig) { (void)sig; }

/* ---- exit handlers ----------------------------------------------------- */

static int exit_io(struct nx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool wr = run->io.direction == KVM_EXIT_IO_OUT;

	/* String I/O (rep outsb) arrives as count back-to-back elements. */
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		nx_bus_access(&vcpu->vm->pio, run->io.port, data, run->io.size, wr, vcpu);
	return 0;
}

static int exit_mmio(struct nx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	nx_bus_access(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data,
		      run->mmio.len, run->mmio.is_write, vcpu);
	return 0;
}

/* KVM_EXIT_HLT: with the LAPIC in KVM, HLT is handled in the kernel; a HLT
 * exit means the guest halted with nothing that can wake it.
 * KVM_EXIT_IRQ_WINDOW_OPEN: the vCPU can take the interrupt the controller
 * asked a window for; its before_run hands it to KVM before the next KVM_RUN. */
static int exit_nothing(struct nx_vcpu *vcpu)
{
	return 0;
}

static int exit_eoi(struct nx_vcpu *vcpu)
{
	struct nx_vm *vm = vcpu->vm;

	/* KVM_EXIT_IOAPIC_EOI: split irqchip, a level vector was EOIed. */
	if (vm->irq.eoi)
		vm->irq.eoi(vm->irq.opaque, vcpu->run->eoi.vector);
	return 0;
}

static int exit_system_event(struct nx_vcpu *vcpu)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		nx_vm_stop(vcpu->vm, 0, "guest powered off");
		return 1;
	case KVM_SYSTEM_EVENT_RESET:
		nx_vm_stop(vcpu->vm, 0, "guest requested reset");
		return 1;
	default:
		nx_vm_stop(vcpu->vm, NX_EXIT_ERROR, "guest system event");
		return -1;
	}
}

static int exit_fatal(struct nx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char reason[128];

	switch (run->exit_reason) {
	case KVM_EXIT_SHUTDOWN:
		snprintf(reason, sizeof(reason), "vCPU %d: triple fault (KVM_EXIT_SHUTDOWN)", vcpu->id);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(reason, sizeof(reason), "vCPU %d: KVM internal error, suberror %u%s", vcpu->id,
			 run->internal.suberror,
			 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ? " (emulation failure)" : "");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(reason, sizeof(reason), "vCPU %d: VM entry failed, hardware reason 0x%llx",
			 vcpu->id, (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		snprintf(reason, sizeof(reason), "vCPU %d: unhandled exit %s (%u)", vcpu->id,
			 nx_exit_reason_name(run->exit_reason), run->exit_reason);
		break;
	}
	nx_error("%s", reason);
	nx_vcpu_dump(vcpu, stderr);
	nx_vm_stop(vcpu->vm, NX_EXIT_ERROR, reason);
	return -1;
}

static void install_default_handlers(struct nx_vm *vm)
{
	for (int i = 0; i < NX_EXIT_REASONS; i++)
		if (!vm->exit_handlers[i])
			vm->exit_handlers[i] = exit_fatal;
	vm->exit_handlers[KVM_EXIT_IO] = exit_io;
	vm->exit_handlers[KVM_EXIT_MMIO] = exit_mmio;
	vm->exit_handlers[KVM_EXIT_HLT] = exit_nothing;
	vm->exit_handlers[KVM_EXIT_IOAPIC_EOI] = exit_eoi;
	vm->exit_handlers[KVM_EXIT_SYSTEM_EVENT] = exit_system_event;
	vm->exit_handlers[KVM_EXIT_IRQ_WINDOW_OPEN] = exit_nothing;
}

void nx_vcpu_kick(struct nx_vcpu *vcpu)
{
	if (!vcpu->thread || pthread_equal(vcpu->thread, pthread_self()))
		return;		/* not running yet, or it checks before its next KVM_RUN */
	/* immediate_exit closes the race with a vCPU about to enter KVM_RUN. */
	vcpu->run->immediate_exit = 1;
	pthread_kill(vcpu->thread, NX_KICK_SIGNAL);
}

/* ---- the run loop ------------------------------------------------------ */

static void *vcpu_thread(void *arg)
{
	struct nx_vcpu *vcpu = arg;
	struct nx_vm *vm = vcpu->vm;
	sigset_t set;
	char name[16];

	snprintf(name, sizeof(name), "nexit-vcpu%d", vcpu->id);
	/* The kick signal is the only one a vCPU thread takes. */
	sigemptyset(&set);
	sigaddset(&set, NX_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (vm->vcpu_start)
		vm->vcpu_start(vm->vcpu_start_opaque, vcpu);
	/* Set-up done (pinning, priority): from here on the vCPU allow-list. */
	if (nx_sandbox_thread(NX_SANDBOX_KIND_VCPU, name) < 0) {
		nx_vm_stop(vm, 1, "sandbox");
		return NULL;
	}

	while (!atomic_load(&vm->stopping)) {
		unsigned reason;
		int r;

		if (vm->irq.before_run)
			vm->irq.before_run(vm->irq.opaque, vcpu);
		r = ioctl(vcpu->fd, KVM_RUN, 0);

		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				vcpu->run->immediate_exit = 0;
				nx_stats_count_exit(vm, KVM_EXIT_INTR);
				continue;
			}
			nx_error("vCPU %d: KVM_RUN: %s", vcpu->id, strerror(errno));
			nx_vcpu_dump(vcpu, stderr);
			nx_vm_stop(vm, NX_EXIT_ERROR, "KVM_RUN failed");
			break;
		}
		reason = vcpu->run->exit_reason;
		nx_stats_count_exit(vm, reason);
		nx_bus_flush(&vm->mmio);	/* writes queued before this exit come first */
		if (reason >= NX_EXIT_REASONS) {
			exit_fatal(vcpu);
			break;
		}
		if (vm->exit_handlers[reason](vcpu) != 0)
			break;
	}
	return NULL;
}

/* KVM's coalesced MMIO ring is page r of every vCPU's mapping, r = what
 * KVM_CHECK_EXTENSION(KVM_CAP_COALESCED_MMIO) answers (0: none). */
static void map_ring(struct nx_vm *vm, struct nx_vcpu *v)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int r = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);

	if (r > 0 && (size_t)(r + 1) * page <= v->run_size) {
		vm->mmio.ring = (void *)((char *)v->run + r * page);
		vm->mmio.ring_max = (page - sizeof(*vm->mmio.ring)) / sizeof(struct kvm_coalesced_mmio);
	}
}

int nx_vcpus_create(struct nx_vm *vm)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigaction(NX_KICK_SIGNAL, &sa, NULL);
	install_default_handlers(vm);
	for (int i = 0; i < vm->ncpus; i++) {
		struct nx_vcpu *v = &vm->vcpus[i];

		v->vm = vm;
		v->id = i;
		v->stats_fd = -1;
		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0)
			return nx_error("KVM_CREATE_VCPU %d: %s", i, strerror(errno));
		v->run_size = vm->vcpu_mmap_size;
		v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED)
			return nx_error("mmap of vCPU %d kvm_run: %s", i, strerror(errno));
		if (nx_arch_vcpu_init(v) < 0)
			return -1;
		if (i == 0)
			map_ring(vm, v);
#ifdef KVM_GET_STATS_FD
		v->stats_fd = ioctl(v->fd, KVM_GET_STATS_FD, NULL);
#endif
	}
	return 0;
}

void nx_vm_stop_hooks(struct nx_vm *vm)
{
	for (int i = 0; i < vm->nstop_hooks; i++)
		vm->stop_hooks[i].fn(vm->stop_hooks[i].opaque);
}

int nx_vm_add_stop_hook(struct nx_vm *vm, void (*fn)(void *opaque), void *opaque)
{
	if (vm->nstop_hooks == NX_MAX_STATS_HOOKS)
		return nx_error("too many stop hooks");
	vm->stop_hooks[vm->nstop_hooks].fn = fn;
	vm->stop_hooks[vm->nstop_hooks++].opaque = opaque;
	return 0;
}

void nx_vm_stop(struct nx_vm *vm, int status, const char *reason)
{
	pthread_mutex_lock(&vm->stop_lock);
	if (!atomic_load(&vm->stopping)) {
		atomic_store(&vm->exit_status, status);
		snprintf(vm->stop_reason, sizeof(vm->stop_reason), "%s", reason);
		atomic_store(&vm->stopping, true);
		if (vm->main_thread)
			pthread_kill(vm->main_thread, SIGUSR2);
	}
	pthread_mutex_unlock(&vm->stop_lock);
}

/* The guest's power button, if the platform has one and the guest listens. */
static bool press_button(struct nx_vm *vm)
{
	return vm->power_button && vm->cfg->stop_grace_s > 0 &&
	       vm->power_button(vm->power_button_opaque);
}

/* A guest that missed its deadline: where each vCPU was. KVM_GET_MP_STATE
 * tells a vCPU halted waiting for an interrupt (one that never came) from
 * one that was executing (a spin, say on another CPU's IPI reply). */
static void report_timeout(struct nx_vcpu *vcpu)
{
	static const char *const names[] = {
		[KVM_MP_STATE_RUNNABLE] = "running", [KVM_MP_STATE_UNINITIALIZED] = "not started",
		[KVM_MP_STATE_INIT_RECEIVED] = "waiting for SIPI after INIT",
		[KVM_MP_STATE_HALTED] = "halted, waiting for an interrupt",
		[KVM_MP_STATE_SIPI_RECEIVED] = "SIPI received", [KVM_MP_STATE_STOPPED] = "stopped (PSCI)",
	};
	struct kvm_mp_state mp;
	const char *st = "state unreadable";

	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp) == 0)
		st = mp.mp_state < sizeof(names) / sizeof(names[0]) && names[mp.mp_state] ?
		     names[mp.mp_state] : "in another state";
	nx_error("at the timeout vCPU %d was %s", vcpu->id, st);
	nx_vcpu_dump(vcpu, stderr);
}

int nx_vm_run(struct nx_vm *vm)
{
	sigset_t set, old;
	uint64_t grace_start = 0, grace_end = 0;
	int grace_sig = 0;
	bool timed_out = false;
	struct sigaction noop = { .sa_handler = kick_handler };
	uint64_t deadline = vm->cfg->timeout_s ?
			    nx_now_ns() + (uint64_t)vm->cfg->timeout_s * 1000000000ull : 0;

	/* vCPU threads inherit a mask with everything blocked; each unblocks
	 * only the kick. The main thread takes SIGINT/SIGTERM synchronously. */
	sigfillset(&set);
	sigdelset(&set, SIGSEGV);
	sigdelset(&set, SIGBUS);
	sigdelset(&set, SIGFPE);
	sigdelset(&set, SIGILL);
	sigdelset(&set, SIGABRT);
	sigdelset(&set, SIGSYS);	/* the sandbox's report (core/sandbox.c) */
	pthread_sigmask(SIG_BLOCK, &set, &old);
	/* nx_vm_stop wakes this thread with SIGUSR2; a handler (not the default
	 * action, which kills) makes a late one harmless once unblocked. */
	sigaction(SIGUSR2, &noop, NULL);
	for (int i = 0; i < vm->ncpus; i++) {
		if (pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i]) != 0) {
			nx_vm_stop(vm, NX_EXIT_ERROR, "cannot create vCPU thread");
			nx_error("cannot create the thread of vCPU %d", i);
			break;
		}
	}

	vm->stats.vcpus_ns = nx_now_ns();
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);	/* nx_vm_stop's wake-up */
	vm->main_thread = pthread_self();
	nx_sd_notify("READY=1\nSTATUS=vCPUs running");
	/* Every thread exists: the main thread's own allow-list from here on. */
	if (nx_sandbox_thread(NX_SANDBOX_KIND_MAIN, NULL) < 0)
		nx_vm_stop(vm, 1, "sandbox");
	while (!atomic_load(&vm->stopping)) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		int sig = sigtimedwait(&set, NULL, &ts);

		if (sig > 0 && sig != SIGUSR2) {
			char why[64];

			/* SIGTERM/SIGINT (and nexit stop): an orderly shutdown
			 * when the guest listens for the power button; a second
			 * signal, or nobody listening, stops the VM at once. */
			if (!grace_end && sig != SIGHUP && press_button(vm)) {
				grace_sig = sig;
				grace_start = nx_now_ns();
				grace_end = grace_start + (uint64_t)vm->cfg->stop_grace_s * 1000000000ull;
				nx_info("signal %d: pressed the power button, the guest has %d s to power off",
					sig, vm->cfg->stop_grace_s);
				nx_sd_notify("STOPPING=1\nSTATUS=power button pressed");
				continue;
			}
			/* One press, many deliveries: `timeout` and process-group
			 * kills send the same signal twice; a second one a second
			 * later is the user insisting. */
			if (grace_end && nx_now_ns() - grace_start < 1000000000ull)
				continue;
			snprintf(why, sizeof(why), "stopped by signal %d", sig);
			nx_vm_stop(vm, 128 + sig, why);
		} else if (grace_end && nx_now_ns() > grace_end) {
			nx_warn("the guest did not power off within stop_grace = %d s: stopping it",
				vm->cfg->stop_grace_s);
			nx_vm_stop(vm, 128 + grace_sig, "did not power off after the power button");
		} else if (deadline && nx_now_ns() > deadline) {
			nx_error("guest did not finish within timeout = %d s", vm->cfg->timeout_s);
			nx_vm_stop(vm, 124, "timeout");
			timed_out = true;
		}
	}
	nx_sd_notify("STOPPING=1");
	for (int i = 0; i < vm->ncpus; i++)
		nx_vcpu_kick(&vm->vcpus[i]);
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].thread)
			pthread_join(vm->vcpus[i].thread, NULL);
	for (int i = 0; timed_out && i < vm->ncpus; i++)
		report_timeout(&vm->vcpus[i]);
	vm->stats.end_ns = nx_now_ns();
	if (vm->irq.shutdown)
		vm->irq.shutdown(vm->irq.opaque);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return atomic_load(&vm->exit_status);
}
