/* SPDX-License-Identifier: MIT */
/*
 * platform.c - the small fixed-function pieces of a PC nexit emulates:
 * isa-debug-exit (0xf4), ACPI PM1a event/control (power-off and the
 * fixed-feature power button), the ACPI PM timer, the reset control
 * register (0xcf9), the i8042 reset line, the POST port, and the nexit
 * counter page at NX_COUNTER_PAGE.
 */
#include <stdlib.h>
#include <string.h>
#include "core/vm.h"
#include "core/x86/x86.h"

/* PM1 status/enable bits (ACPI 6.4 4.8.3.1): the power button's. */
#define PM1_PWRBTN		(1u << 8)

struct nx_platform {
	struct nx_vm *vm;
	pthread_mutex_t lock;		/* PM1: vCPUs and the power button */
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	bool sci;
};

static uint64_t rd(const uint8_t *d, uint32_t len)
{
	uint64_t v = 0;

	memcpy(&v, d, len > 8 ? 8 : len);
	return v;
}

static void wr(uint8_t *d, uint32_t len, uint64_t v)
{
	memcpy(d, &v, len > 8 ? 8 : len);
}

/* isa-debug-exit: the guest writes v, nexit exits with (v << 1) | 1. */
static void debug_exit(void *op, uint64_t off, uint8_t *d, uint32_t len, bool w,
		       struct nx_vcpu *vcpu)
{
	struct nx_platform *p = op;
	char why[64];

	if (!w) {
		wr(d, len, 0);
		return;
	}
	snprintf(why, sizeof(why), "guest wrote 0x%llx to isa-debug-exit",
		 (unsigned long long)rd(d, len));
	nx_vm_stop(p->vm, (int)(((rd(d, len) & 0x7f) << 1) | 1), why);
}

/*
 * The SCI (FADT SCI_INT, level, active high: MADT override) is asserted
 * while an enabled fixed event is pending: PM1_STS & PM1_EN (4.8.3.1).
 * Called with p->lock held.
 */
static void sci_update(struct nx_platform *p)
{
	bool level = p->pm1_sts & p->pm1_en & PM1_PWRBTN;

	if (level != p->sci) {
		p->sci = level;
		nx_irq_set_line(p->vm, NX_ACPI_SCI_IRQ, level);
	}
}

/*
 * The fixed-feature power button (4.8.2.2.1.1, the FADT's PWR_BUTTON flag
 * clear): pressing it sets PWRBTN_STS; with PWRBTN_EN (OSPM's button
 * driver listens) that raises the SCI and OSPM starts an orderly shutdown.
 * Returns false if nobody listens (the enable bit is clear).
 */
static bool power_button(void *op)
{
	struct nx_platform *p = op;
	bool listening;

	pthread_mutex_lock(&p->lock);
	listening = p->pm1_en & PM1_PWRBTN;
	p->pm1_sts |= PM1_PWRBTN;
	sci_update(p);
	pthread_mutex_unlock(&p->lock);
	return listening;
}

/*
 * ACPI PM1a: EVT_BLK = PM1_STS (2 bytes) + PM1_EN (2 bytes); CNT_BLK = PM1_CNT.
 * Writing SLP_EN (bit 13) with SLP_TYP (bits 12:10) = the \_S5 value powers off.
 */
static void pm1(void *op, uint64_t off, uint8_t *d, uint32_t len, bool w,
		struct nx_vcpu *vcpu)
{
	struct nx_platform *p = op;
	uint64_t port = NX_PORT_PM1A_EVT + off;
	uint16_t v = (uint16_t)rd(d, len);

	pthread_mutex_lock(&p->lock);
	switch (port) {
	case NX_PORT_PM1A_EVT:			/* PM1_STS: write 1 to clear */
		if (w) p->pm1_sts &= ~v; else wr(d, len, p->pm1_sts);
		sci_update(p);
		break;
	case NX_PORT_PM1A_EVT + 2:		/* PM1_EN */
		if (w) p->pm1_en = v; else wr(d, len, p->pm1_en);
		sci_update(p);
		break;
	case NX_PORT_PM1A_CNT:
		if (!w) {
			wr(d, len, p->pm1_cnt | 1);	/* SCI_EN: ACPI mode, always */
			break;
		}
		p->pm1_cnt = v & ~(1u << 13);
		if ((v & (1u << 13)) && ((v >> 10) & 7) == NX_ACPI_SLP_TYP_S5)
			nx_vm_stop(p->vm, 0, "guest powered off (ACPI S5)");
		break;
	default:
		if (!w) wr(d, len, 0);
	}
	pthread_mutex_unlock(&p->lock);
}

/*
 * ACPI PM timer (ACPI 6.4 4.8.3.3): a free-running 24-bit counter at
 * 3.579545 MHz (the FADT leaves TMR_VAL_EXT clear), read-only, counted
 * from nexit's monotonic clock so that it advances while vCPUs are halted.
 */
static void pm_timer(void *op, uint64_t off, uint8_t *d, uint32_t len, bool w,
		     struct nx_vcpu *vcpu)
{
	unsigned __int128 ticks = (unsigned __int128)nx_now_ns() * NX_PM_TMR_HZ / 1000000000u;

	if (!w)
		wr(d, len, ((uint32_t)ticks & 0xffffff) >> (8 * off));
}

/* Reset Control Register (0xcf9): bit 2 (RST_CPU) set requests a reset. */
static void reset_port(void *op, uint64_t off, uint8_t *d, uint32_t len, bool w,
		       struct nx_vcpu *vcpu)
{
	struct nx_platform *p = op;

	if (!w) {
		wr(d, len, 0);
		return;
	}
	if (d[0] & 0x04)
		nx_vm_stop(p->vm, 0, "guest requested reset");
}

/* i8042 command port: 0xfe pulses the CPU reset line (Linux's reboot=k). */
static void i8042(void *op, uint64_t off, uint8_t *d, uint32_t len, bool w,
		  struct nx_vcpu *vcpu)
{
	struct nx_platform *p = op;

	if (!w) {
		wr(d, len, 0);		/* status: no data, input buffer empty */
		return;
	}
	if (off == 4 && d[0] == 0xfe)
		nx_vm_stop(p->vm, 0, "guest requested reset (i8042)");
}

static void sink(void *op, uint64_t off, uint8_t *d, uint32_t len, bool w,
		 struct nx_vcpu *vcpu)
{
	if (!w)
		wr(d, len, 0);
}

/* The counter page: how the probe guest reads the VMM's exit count. */
static void counter_page(void *op, uint64_t off, uint8_t *d, uint32_t len, bool w,
			 struct nx_vcpu *vcpu)
{
	struct nx_vm *vm = ((struct nx_platform *)op)->vm;
	uint64_t v = 0;

	if (w)
		return;
	v = nx_counter_page_reg(vm, off & ~7ull);
	if (off & 4)
		v >>= 32;
	wr(d, len, v);
}

int nx_platform_init(struct nx_vm *vm)
{
	struct nx_platform *p = calloc(1, sizeof(*p));

	if (!p)
		return nx_error("out of memory");
	p->vm = vm;
	pthread_mutex_init(&p->lock, NULL);
	vm->power_button = power_button;
	vm->power_button_opaque = p;
	if (nx_bus_register(&vm->pio, NX_PORT_DEBUG_EXIT, 4, debug_exit, p, "isa-debug-exit") < 0 ||
	    nx_bus_register(&vm->pio, NX_PORT_PM1A_EVT, 6, pm1, p, "acpi-pm1a") < 0 ||
	    nx_bus_register(&vm->pio, NX_PORT_PM_TMR, 4, pm_timer, p, "acpi-pm-timer") < 0 ||
	    nx_bus_register(&vm->pio, NX_PORT_RESET, 1, reset_port, p, "reset") < 0 ||
	    nx_bus_register(&vm->pio, 0x60, 5, i8042, p, "i8042") < 0 ||
	    nx_bus_register(&vm->pio, 0x80, 1, sink, p, "post") < 0 ||
	    nx_bus_register(&vm->mmio, NX_COUNTER_PAGE, 0x1000, counter_page, p, "counter-page") < 0)
		return -1;
	return 0;
}
