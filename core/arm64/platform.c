/* SPDX-License-Identifier: MIT */
/*
 * platform.c - the arm64 MMIO devices nexit itself provides: the 16550A of
 * core/serial.c on MMIO at NX_A64_UART (ns16550a, reg-shift 0: register n
 * at byte n, as the PC's port n) with its line on an SPI, and the counter
 * page (layout in arm64.h), which also takes the guest's debug exit.
 */
#include <string.h>
#include "core/arm64/arm64.h"
#include "core/arch.h"
#include "core/serial.h"

static void uart_io(void *opaque, uint64_t addr, uint8_t *data, uint32_t len,
		    bool is_write, struct nx_vcpu *vcpu)
{
	struct nx_vm *vm = opaque;

	/* Byte registers: a wider access only touches its first byte; beyond
	 * the 8 registers everything reads as zero. */
	if (!is_write)
		memset(data, 0, len);
	if (addr < 8)
		nx_serial_bus_io(vm->serial, addr, data, 1, is_write, vcpu);
}

static void counters_io(void *opaque, uint64_t addr, uint8_t *data, uint32_t len,
			bool is_write, struct nx_vcpu *vcpu)
{
	struct nx_a64 *a = opaque;
	struct nx_vm *vm = a->vm;
	uint64_t v = 0, w = 0;

	if (is_write) {
		memcpy(&w, data, len < 8 ? len : 8);
		if (addr == NX_CP_DEBUG_EXIT) {
			char why[64];
			snprintf(why, sizeof(why), "guest debug exit %llu", (unsigned long long)w);
			nx_vm_stop(vm, (int)((w << 1) | 1) & 0xff, why);
		}
		return;
	}
	switch (addr & ~7ull) {
	case NX_CP_KVM_EXITS:
		if (nx_kvm_vcpu_stat_sum(vm, "exits", &v) < 0)
			v = ~0ull;
		break;
	case NX_CP_KVM_MMIO: {
		uint64_t u = 0, k = 0;
		if (nx_kvm_vcpu_stat_sum(vm, "mmio_exit_user", &u) < 0 ||
		    nx_kvm_vcpu_stat_sum(vm, "mmio_exit_kernel", &k) < 0)
			v = ~0ull;
		else
			v = u + k;
		break;
	}
	default:
		v = nx_counter_page_reg(vm, addr & ~7ull);
	}
	if (addr & 4)
		v >>= 32;
	memcpy(data, &v, len < 8 ? len : 8);
}

/* The arch hook (core/arch.h): the platform devices, before the vCPUs. */
int nx_arch_platform_init(struct nx_vm *vm)
{
	struct nx_a64 *a = vm->arch;

	vm->serial = nx_serial_create(vm, NX_A64_UART_SPI, vm->cfg->serial_out);
	if (!vm->serial)
		return -1;
	if (nx_bus_register(&vm->mmio, NX_A64_UART, NX_A64_UART_SIZE, uart_io, vm, "uart") < 0 ||
	    nx_bus_register(&vm->mmio, NX_A64_COUNTERS, 0x1000, counters_io, a, "counters") < 0)
		return -1;
	return 0;
}
