/* SPDX-License-Identifier: MIT */
/*
 * vm.h - the VM and its vCPUs: /dev/kvm, KVM_CREATE_VM, the KVM_RUN loop
 * with its exit dispatch table, stop (core/vm.c, core/vcpu.c).
 */
#ifndef NEXIT_CORE_VM_H
#define NEXIT_CORE_VM_H

#include <stdatomic.h>
#include <stdio.h>
#include <pthread.h>
#include "core/bus.h"
#include "core/config.h"
#include "core/irq.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/mem.h"
#include "core/stats.h"

struct kvm_run;
struct nx_vm;
struct nx_vcpu;

/* Exit dispatch table: one handler per KVM_EXIT_* reason. Return 0 to keep
 * running, >0 to stop the VM normally, <0 on a fatal error. */
typedef int (*nx_exit_fn)(struct nx_vcpu *vcpu);

struct nx_vcpu {
	struct nx_vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	int stats_fd;		/* KVM_GET_STATS_FD, -1 if absent */
};

struct nx_vm {
	struct nx_config *cfg;
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	struct nx_mem mem;
	struct nx_bus pio;
	struct nx_bus mmio;
	struct nx_vcpu vcpus[NX_MAX_CPUS];
	int ncpus;
	nx_exit_fn exit_handlers[NX_EXIT_REASONS];
	struct nx_stats stats;
	struct nx_irq_ops irq;		/* set by the interrupt controller */
	struct nx_loop loop;		/* the event thread: every host fd's handler */
	struct nx_serial *serial;
	int stats_fd_vm;		/* VM-wide KVM_GET_STATS_FD, -1 if absent */
	struct nx_routes routes;
	struct { nx_stats_hook fn; void *opaque; } stats_hooks[NX_MAX_STATS_HOOKS];
	int nstats_hooks;
	/* Run by nx_vm_stop_hooks once the VM is over and its stats written
	 * (backends ended and reaped). */
	struct { void (*fn)(void *opaque); void *opaque; } stop_hooks[NX_MAX_STATS_HOOKS];
	int nstop_hooks;
	void *pci;			/* struct nx_pci, core/pci.c */
	void *arch;			/* per-arch platform state (nx_arch_vm_init), or NULL */
	/* Called by each vCPU thread before its first KVM_RUN (pinning, FIFO). */
	void (*vcpu_start)(void *opaque, struct nx_vcpu *vcpu);
	void *vcpu_start_opaque;
	/* The platform's power button (x86: ACPI fixed feature); true if the
	 * guest listens for it. NULL: the VM stops at once. */
	bool (*power_button)(void *opaque);
	void *power_button_opaque;

	/* Shutdown: the first vCPU to stop the VM sets these and kicks the others. */
	atomic_bool stopping;
	atomic_int exit_status;		/* process exit status */
	char stop_reason[128];
	pthread_mutex_t stop_lock;
	pthread_t main_thread;		/* woken by nx_vm_stop */
};

/* Opens /dev/kvm, checks API version and the capabilities nexit needs. */
int  nx_vm_create(struct nx_vm *vm, struct nx_config *cfg);
int  nx_vm_check_cap(struct nx_vm *vm, int cap, const char *name);	/* <0 if missing */
void nx_vm_destroy(struct nx_vm *vm);
int  nx_vcpus_create(struct nx_vm *vm);
/* Runs every vCPU thread until the VM stops; returns the process exit status. */
int  nx_vm_run(struct nx_vm *vm);
/* Asks every vCPU to leave KVM_RUN and the VM to stop with this exit status. */
void nx_vm_stop(struct nx_vm *vm, int status, const char *reason);
/* Makes a vCPU leave KVM_RUN once, so that it sees new work (an ExtINT). */
void nx_vcpu_kick(struct nx_vcpu *vcpu);
/* Prints regs, sregs and the instruction bytes at RIP (fatal exits). */
void nx_vcpu_dump(struct nx_vcpu *vcpu, FILE *out);
int  nx_vm_add_stop_hook(struct nx_vm *vm, void (*fn)(void *opaque), void *opaque);
void nx_vm_stop_hooks(struct nx_vm *vm);

#endif
