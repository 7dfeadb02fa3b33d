/* SPDX-License-Identifier: MIT */
/*
 * guest_abi.h - what a guest sees of nexit, and what the probe guest tells
 * the host: the counter page, the irqdev test device's registers and the
 * keys of the probe's "PROBE {json}" line. Included by nexit (core/,
 * passthrough/, bench/) and by the freestanding probe guests
 * (guest/probe/), so it holds macros only and needs no header beyond the
 * compiler's own.
 */
#ifndef NX_GUEST_ABI_H
#define NX_GUEST_ABI_H

/* ---- the counter page -------------------------------------------------- */
/*
 * One MMIO page that only nexit backs (read with 4- or 8-byte loads; under
 * other VMMs the magic does not match: QEMU has its HPET at the x86 address).
 * Every read is itself one VMM exit.
 */
#define NX_COUNTER_PAGE_X86	0xfed00000ULL	/* in the x86 MMIO hole        */
#define NX_COUNTER_PAGE_ARM64	0x09010000ULL	/* next to the arm64 PL011 area */
#define NX_COUNTER_MAGIC	0x5043584eU	/* "NXCP" */
#define NX_CP_MAGIC		0x00	/* u32 NX_COUNTER_MAGIC                     */
#define NX_CP_EXITS		0x08	/* u64 VMM exits so far, not counting this
					 * read: a window's exits are end - start - 1 */
#define NX_CP_FALLBACK		0x10	/* u64 interrupts delivered by the fallback
					 * (exit-based) controller so far          */
#define NX_CP_RELAYED		0x18	/* u64 MSIs of exitless vectors nexit
					 * relayed (storm guard); 0 while exitless */
#define NX_CP_DEBUG_EXIT	0x20	/* write v: stop with status (v << 1) | 1
					 * (arm64; x86 has the isa-debug-exit port) */
#define NX_CP_KVM_MMIO		0x28	/* u64 KVM's mmio_exit_user + mmio_exit_kernel
					 * summed over vCPUs (arm64); ~0 unknown   */
#define NX_CP_KVM_EXITS		0x30	/* u64 KVM's per-vCPU "exits" summed
					 * (KVM_GET_STATS_FD, arm64); ~0 unknown   */

/* ---- irqdev: QEMU edu's register layout (docs/specs/edu.rst) ----------- */
#define NX_IRQDEV_VENDOR	0x1234
#define NX_IRQDEV_DEVICE	0x11e8
#define NX_IRQDEV_ID		0x010000ed	/* edu: major 1, minor 0, 0xed */
#define NX_IRQDEV_REG_ID	0x00
#define NX_IRQDEV_REG_LIVE	0x04	/* reads ~value written */
#define NX_IRQDEV_REG_FACT	0x08	/* write n: computes n! */
#define NX_IRQDEV_REG_STATUS	0x20
#define NX_IRQDEV_REG_IRQ_STATUS 0x24
#define NX_IRQDEV_REG_RAISE	0x60	/* irq_status |= value, interrupt */
#define NX_IRQDEV_REG_ACK	0x64	/* irq_status &= ~value */
#define NX_IRQDEV_ST_COMPUTING	0x01	/* status: factorial in progress */
#define NX_IRQDEV_ST_IRQFACT	0x80	/* status: interrupt when the factorial is done */
#define NX_IRQDEV_IRQ_FACT	0x01	/* irq_status bit of a finished factorial */

/* ---- the probe's result line (docs/probe.md) ---------------------------- */
/* One line "PROBE {json}" per scenario on the console; the last one wins. */
#define NX_PROBE_PREFIX		"PROBE "
#define NX_PROBE_KEY_SCENARIO	"scenario"
#define NX_PROBE_KEY_RESULT	"result"	/* NX_PROBE_PASS or NX_PROBE_FAIL */
#define NX_PROBE_PASS		"pass"
#define NX_PROBE_FAIL		"fail"
#define NX_PROBE_KEY_ERROR	"error"
#define NX_PROBE_KEY_ARCH	"arch"		/* arm64 only */
/* A latency run: n asked, received delivered, isr_entries handler runs
 * (received plus re-deliveries), then per percentile "<p>_cycles" and
 * "<p>_ns" (timer ticks on arm64), and the VMM exits in the window. */
#define NX_PROBE_KEY_N		"n"
#define NX_PROBE_KEY_RECEIVED	"received"
#define NX_PROBE_KEY_ISR_ENTRIES "isr_entries"
#define NX_PROBE_KEY_VMM_EXITS	"vmm_exits"
#define NX_PROBE_KEY_VMM_EXITS_PER_IRQ "vmm_exits_per_irq"
#define NX_PROBE_KEY_KVM_EXITS	"kvm_exits"
#define NX_PROBE_KEY_KVM_EXITS_PER_IRQ "kvm_exits_per_irq"
#define NX_PROBE_SUFFIX_CYCLES	"_cycles"
#define NX_PROBE_SUFFIX_NS	"_ns"
/* The percentiles, in order, with their rank in thousandths (nearest rank;
 * 0 = the minimum, 1000 = the maximum). X(name, permille). */
#define NX_PROBE_PERCENTILES(X) \
	X("min", 0) X("p50", 500) X("p99", 990) X("p999", 999) X("max", 1000)

#endif
