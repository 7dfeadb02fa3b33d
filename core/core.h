/* SPDX-License-Identifier: MIT */
/*
 * core.h - every header of nexit's core at once, for files not yet moved to
 * the narrow headers they need:
 *   core/log.h      errors, logging, the clock, object lifetime
 *   core/config.h   struct nx_config (INI, flags)
 *   core/mem.h      guest RAM
 *   core/bus.h      PIO/MMIO buses
 *   core/irq.h      GSI routes, irqfd/ioeventfd, level sources, vm->irq ops
 *   core/stats.h    exit counters, stats JSON, counter page
 *   core/vm.h       the VM and its vCPUs (includes the five above)
 *   core/kvm_kind.h what kind of KVM the host has
 *   core/control.h  local sockets, control socket, sd_notify
 *   core/sandbox.h  seccomp
 *   core/arch.h     the arch hooks
 *   core/serial.h   16550A
 *   core/pci.h      PCI bus 0
 * New code includes the narrow headers it needs. The arches' own headers
 * (core/x86/x86.h, core/arm64/arm64.h) are included by arch code only:
 * shared code reaches the arch through the hooks of core/arch.h
 * (tests/integration/layering.sh).
 */
#ifndef NEXIT_CORE_H
#define NEXIT_CORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <sys/types.h>

#include "core/log.h"
#include "core/config.h"
#include "core/mem.h"
#include "core/bus.h"
#include "core/irq.h"
#include "core/stats.h"
#include "core/vm.h"
#include "core/kvm_kind.h"
#include "core/control.h"
#include "core/sandbox.h"
#include "core/arch.h"
#include "core/serial.h"
#include "core/pci.h"

#endif
