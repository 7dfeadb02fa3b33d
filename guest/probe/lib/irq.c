/* SPDX-License-Identifier: MIT */
/* irq.c - the per-vector records the interrupt entry (isr.S) fills. */
#include "probe.h"

struct irq_rec irq_rec[256] __attribute__((aligned(64)));
u32 irq_log[IRQ_LOG_SIZE];
u32 irq_log_idx;

void irq_setup(unsigned vec, u32 flags, u64 ack_addr, u32 ack_val)
{
	struct irq_rec *r = &irq_rec[vec];
	r->flags = flags;
	r->ack_addr = ack_addr;
	r->ack_val = ack_val;
	r->eoi_limit = 0;
	WRITE_ONCE(r->count, 0);
	r->tsc = 0;
	r->cpu = ~0u;
}
