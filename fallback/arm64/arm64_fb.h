/* SPDX-License-Identifier: MIT */
/*
 * fallback/arm64/arm64_fb.h - the EOI-gated fallback path on arm64: level
 * lines are vGIC SPIs driven through an irqfd with KVM_IRQFD_FLAG_RESAMPLE;
 * the guest's EOI comes back on the resamplefd; the per-line rules are the
 * shared gate (fallback/gate.c: mask at the host before delivery, unmask
 * only after the EOI, once per EOI while asserted, mask until ready, storm
 * back-off) on the shared controller core (fallback/lines.c); spi_gate.c
 * says how "mask until ready" maps to arm64.
 */
#ifndef NEXIT_FALLBACK_ARM64_H
#define NEXIT_FALLBACK_ARM64_H

#include "fallback/fallback.h"
#include "core/arm64/arm64.h"

/* Installs the controller as vm->irq (set_line, attach_source,
 * detach_source, delivered, shutdown): devices reach it only through those
 * core hooks. A source's storm budget comes from the opts of the [device]
 * whose name is the source's (storm_budget, storm_window_ms,
 * storm_backoff_ms). */
int  nx_a64_fb_init(struct nx_vm *vm);

#endif
