/* SPDX-License-Identifier: MIT */
/*
 * fuzz_irqchip - the register files of nexit's interrupt controllers as a
 * hostile guest (and its devices) drive them: the 82093AA IOAPIC (indirect
 * IOREGSEL/IOWIN accesses of any size and offset, redirection entries,
 * line acceptance, EOI broadcasts, Remote IRR) and the 8259A pair with
 * ELCR (ICW/OCW sequences, polls, any port, any IRQ number, acks).
 * What the guest controls comes from the input unchecked (offsets, sizes,
 * values, EOI vectors); pins and IRQ numbers only as nexit's own devices
 * can name them (< 24, < 16).
 */
#include <stdbool.h>
#include "fallback/x86/x86_fb.h"
#include "tests/fuzz/fuzz.h"

static void changed(void *o, unsigned pin, uint64_t old, uint64_t new)
{
	FZ_ASSERT(pin < NX_IOAPIC_PINS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	static struct nx_ioapic io;
	static struct nx_pic pic;
	static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 };

	nx_ioapic_init(&io, NULL, changed);
	nx_pic_reset(&pic);
	while (fz_left(&f)) {
		uint8_t op = fz_u8(&f) % 9, buf[8];
		uint32_t len = fz_len(&f);
		uint64_t v = fz_u64(&f), addr;
		uint32_t d;

		memcpy(buf, &v, 8);
		switch (op) {
		case 0:
			nx_ioapic_mmio(&io, fz_u8(&f) & 0x1f, buf, len, fz_u8(&f) & 1);
			break;
		case 1:
			nx_ioapic_mmio(&io, fz_u32(&f), buf, len, fz_u8(&f) & 1);
			break;
		case 2:
			nx_ioapic_accept(&io, fz_u8(&f) % NX_IOAPIC_PINS);
			break;
		case 3:
			nx_ioapic_eoi(&io, fz_u8(&f));
			break;
		case 4:
			nx_ioapic_clear_remote_irr(&io, fz_u8(&f) % NX_IOAPIC_PINS);
			break;
		case 5:
			nx_ioapic_msi(&io, fz_u8(&f) % NX_IOAPIC_PINS, &addr, &d);
			break;
		case 6:
			nx_pic_io(&pic, ports[fz_u8(&f) % 6], buf, fz_u8(&f) & 1);
			break;
		case 7:
			nx_pic_set_irq(&pic, fz_u8(&f) % 16, fz_u8(&f) & 1);
			break;
		default:
			if (nx_pic_output(&pic))
				FZ_ASSERT(nx_pic_ack(&pic) < 256);
			break;
		}
	}
	return 0;
}
