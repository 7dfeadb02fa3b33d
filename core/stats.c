/* SPDX-License-Identifier: MIT */
/*
 * stats.c - exit counters and the --stats-json file (json-c). VMM exits are
 * counted by the run loop; kernel-side exits come from KVM's binary stats
 * (KVM_GET_STATS_FD, Documentation/virt/kvm/api.rst 4.133).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <linux/kvm.h>
#include "core/vm.h"

static const char *const reason_names[NX_EXIT_REASONS] = {
	[KVM_EXIT_UNKNOWN] = "unknown", [KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io", [KVM_EXIT_HYPERCALL] = "hypercall",
	[KVM_EXIT_DEBUG] = "debug", [KVM_EXIT_HLT] = "hlt", [KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open", [KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry", [KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_SET_TPR] = "set_tpr", [KVM_EXIT_TPR_ACCESS] = "tpr_access",
	[KVM_EXIT_NMI] = "nmi", [KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event", [KVM_EXIT_IOAPIC_EOI] = "ioapic_eoi",
	[KVM_EXIT_HYPERV] = "hyperv", [KVM_EXIT_X86_RDMSR] = "rdmsr", [KVM_EXIT_X86_WRMSR] = "wrmsr",
};

const char *nx_exit_reason_name(unsigned reason)
{
	if (reason < NX_EXIT_REASONS && reason_names[reason])
		return reason_names[reason];
	return "other";
}

void nx_stats_count_exit(struct nx_vm *vm, unsigned reason)
{
	atomic_fetch_add_explicit(&vm->stats.exits_total, 1, memory_order_relaxed);
	if (reason < NX_EXIT_REASONS)
		atomic_fetch_add_explicit(&vm->stats.exits_by_reason[reason], 1,
					  memory_order_relaxed);
}

int nx_stats_add_hook(struct nx_vm *vm, nx_stats_hook fn, void *opaque)
{
	if (vm->nstats_hooks == NX_MAX_STATS_HOOKS)
		return nx_error("too many stats hooks");
	vm->stats_hooks[vm->nstats_hooks].fn = fn;
	vm->stats_hooks[vm->nstats_hooks++].opaque = opaque;
	return 0;
}

/*
 * Reads one named cumulative counter from a KVM binary stats fd: a header,
 * then name+descriptor records, then the data block of u64 values; -1 if
 * absent.
 */
static int kvm_stat(int fd, const char *name, uint64_t *val)
{
	struct kvm_stats_header h;
	size_t dsz;
	char *descs;
	int ret = -1;

	if (fd < 0 || pread(fd, &h, sizeof(h), 0) != sizeof(h))
		return -1;
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = calloc(h.num_desc, dsz);
	if (!descs)
		return -1;
	if (pread(fd, descs, dsz * h.num_desc, h.desc_offset) != (ssize_t)(dsz * h.num_desc))
		goto out;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (void *)(descs + i * dsz);

		if (strcmp(d->name, name) || d->size < 1)
			continue;
		if (pread(fd, val, sizeof(*val), h.data_offset + d->offset) == sizeof(*val))
			ret = 0;
		break;
	}
out:
	free(descs);
	return ret;
}

/* Sum of one per-vCPU KVM counter over all vCPUs; -1 if KVM has no such stat. */
int nx_kvm_vcpu_stat_sum(struct nx_vm *vm, const char *name, uint64_t *sum)
{
	*sum = 0;
	for (int i = 0; i < vm->ncpus; i++) {
		uint64_t v;

		if (kvm_stat(vm->vcpus[i].stats_fd, name, &v) < 0)
			return -1;
		*sum += v;
	}
	return 0;
}

uint64_t nx_counter_page_reg(struct nx_vm *vm, uint64_t reg)
{
	switch (reg) {
	case NX_CP_MAGIC:
		return NX_COUNTER_MAGIC;
	case NX_CP_EXITS:	/* minus this read's own exit */
		return atomic_load(&vm->stats.exits_total) - 1;
	case NX_CP_FALLBACK:
		return vm->irq.delivered ? vm->irq.delivered(vm->irq.opaque) : 0;
	case NX_CP_RELAYED:
		return atomic_load(&vm->stats.msi_relayed);
	}
	return 0;
}

void nx_json_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static json_object *kernel_stats(struct nx_vm *vm)
{
	static const char *const names[] = { "exits", "io_exits", "mmio_exits", "irq_exits",
		"halt_exits", "irq_window_exits", "irq_injections", "halt_wakeup",
		"request_irq_exits", "signal_exits" };
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint64_t v;

		if (nx_kvm_vcpu_stat_sum(vm, names[i], &v) == 0)
			nx_json_u64(o, names[i], v);
	}
	return o;
}

static double ms_since(uint64_t start, uint64_t t)
{
	return t > start ? (double)(t - start) / 1e6 : 0.0;
}

static json_object *get_or_add(json_object *parent, const char *key, json_type t)
{
	json_object *o;

	if (json_object_object_get_ex(parent, key, &o) && json_object_is_type(o, t))
		return o;
	o = t == json_type_array ? json_object_new_array() : json_object_new_object();
	json_object_object_add(parent, key, o);
	return o;
}

json_object *nx_stats_irq(json_object *root, json_object **lines)
{
	json_object *irq = get_or_add(root, "irq", json_type_object);

	*lines = get_or_add(irq, "lines", json_type_array);
	return irq;
}

json_object *nx_stats_json(struct nx_vm *vm)
{
	json_object *root = json_object_new_object();
	json_object *exits = json_object_new_object();
	json_object *by = json_object_new_object();
	uint64_t end = vm->stats.end_ns ? vm->stats.end_ns : nx_now_ns();
	uint64_t first = atomic_load(&vm->stats.first_output_ns);

	for (unsigned r = 0; r < NX_EXIT_REASONS; r++) {
		uint64_t n = atomic_load(&vm->stats.exits_by_reason[r]);

		if (n)
			nx_json_u64(by, nx_exit_reason_name(r), n);
	}
	/* The keys everybody reads are present even when zero. */
	for (unsigned r = 0; r < NX_EXIT_REASONS; r++) {
		if ((r == KVM_EXIT_IO || r == KVM_EXIT_MMIO || r == KVM_EXIT_HLT ||
		     r == KVM_EXIT_IOAPIC_EOI) && !json_object_object_get_ex(by, reason_names[r], NULL))
			nx_json_u64(by, reason_names[r], 0);
	}
	nx_json_u64(exits, "total", atomic_load(&vm->stats.exits_total));
	json_object_object_add(exits, "by_reason", by);
	json_object_object_add(root, "exits", exits);
	/* Interrupts of exitless vectors nexit had to relay (storm guard). */
	nx_json_u64(root, "msi_relayed", atomic_load(&vm->stats.msi_relayed));
	json_object_object_add(root, "kvm", kernel_stats(vm));
	json_object_object_add(root, "run_ms", json_object_new_double(ms_since(vm->stats.start_ns, end)));
	/* VM creation to the vCPU threads' start: nexit's own set-up (RAM,
	 * devices, loading the kernel and initrd, tables). */
	json_object_object_add(root, "setup_ms", vm->stats.vcpus_ns ?
			       json_object_new_double(ms_since(vm->stats.start_ns, vm->stats.vcpus_ns)) : NULL);
	json_object_object_add(root, "first_output_ms",
			       first ? json_object_new_double(ms_since(vm->stats.start_ns, first)) : NULL);
	json_object_object_add(root, "cpus", json_object_new_int(vm->ncpus));
	json_object_object_add(root, "irqchip", json_object_new_string(
		vm->cfg->irqchip == NX_IRQCHIP_SPLIT ? "split" : "kernel"));
	json_object_object_add(root, "exit_status", json_object_new_int(atomic_load(&vm->exit_status)));
	json_object_object_add(root, "stop_reason", json_object_new_string(vm->stop_reason));
	for (int i = 0; i < vm->nstats_hooks; i++)
		vm->stats_hooks[i].fn(vm->stats_hooks[i].opaque, root);
	return root;
}

int nx_stats_open_json(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return nx_error("cannot write stats to %s: %s", path, strerror(errno));
	return fd;
}

int nx_stats_write_json(struct nx_vm *vm, int fd, const char *path)
{
	json_object *root = nx_stats_json(vm);
	int ret = json_object_to_fd(fd, root, JSON_C_TO_STRING_PRETTY);

	json_object_put(root);
	close(fd);
	if (ret < 0)
		return nx_error("cannot write stats to %s: %s", path, strerror(errno));
	return 0;
}
