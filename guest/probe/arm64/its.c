/* SPDX-License-Identifier: MIT */
/*
 * its.c - a minimal GICv3 ITS driver (IHI 0069, chapter 6 and 5.3): LPI
 * property and pending tables on the redistributor, flat device and
 * collection tables, the command queue, and MAPC/MAPD/MAPTI/INV/SYNC.
 * Tables are 64 KiB-aligned and zeroed; the MMU is off, so the ITS (KVM's
 * or a GICv4's) sees exactly what we wrote.
 */
#include "probe.h"

#define GICR_CTLR	0x0000
#define GICR_TYPER	0x0008
#define GICR_PROPBASER	0x0070
#define GICR_PENDBASER	0x0078
#define GITS_CTLR	0x0000
#define GITS_TYPER	0x0008
#define GITS_CBASER	0x0080
#define GITS_CWRITER	0x0088
#define GITS_CREADR	0x0090
#define GITS_BASER(n)	(0x0100 + 8 * (n))
#define LPI_ID_BITS	14		/* INTIDs up to 16383 */
#define CMDQ_SIZE	0x10000

extern char __heap_start[];
static u64 heap;
static u32 last_devid, last_event;
static u64 cmdq, cwriter, prop_table;
static u32 target;		/* RDbase as MAPC wants it (GITS_TYPER.PTA) */
static bool pta;
static u32 itt_entry;

static u64 alloc(u64 size, u64 align)
{
	u64 p;

	if (!heap)
		heap = (u64)__heap_start;
	heap = (heap + align - 1) & ~(align - 1);
	p = heap;
	heap += size;
	memset((void *)p, 0, size);
	return p;
}

static int its_cmd(u64 d0, u64 d1, u64 d2, u64 d3)
{
	u64 *c = (u64 *)(cmdq + cwriter);
	u64 t0 = now_ticks(), hz = ticks_hz();

	c[0] = d0;
	c[1] = d1;
	c[2] = d2;
	c[3] = d3;
	dsb();
	cwriter = (cwriter + 32) % CMDQ_SIZE;
	wr64(ITS_BASE + GITS_CWRITER, cwriter);
	while ((rd64(ITS_BASE + GITS_CREADR) & 0xfffe0) != cwriter)
		if (now_ticks() - t0 > hz)
			return -1;	/* the ITS did not consume it within 1 s */
	return 0;
}

int its_init(void)
{
	u64 typer, pend, rtyper;

	/* Redistributor of CPU 0: LPI tables, then EnableLPIs (GICR_CTLR bit 0). */
	prop_table = alloc(1u << LPI_ID_BITS, 0x10000);
	pend = alloc(0x10000, 0x10000);
	wr64(GICR_BASE + GICR_PROPBASER, prop_table | (LPI_ID_BITS - 1));
	wr64(GICR_BASE + GICR_PENDBASER, pend | (1ull << 62));	/* PTZ: table is zero */
	wr32(GICR_BASE + GICR_CTLR, rd32(GICR_BASE + GICR_CTLR) | 1);
	rtyper = rd64(GICR_BASE + GICR_TYPER);

	typer = rd64(ITS_BASE + GITS_TYPER);
	itt_entry = ((typer >> 4) & 0xf) + 1;
	pta = (typer >> 19) & 1;
	target = pta ? (u32)(GICR_BASE >> 16) : (u32)((rtyper >> 8) & 0xffff);
	/* Device and collection tables: one flat 64 KiB page each. */
	for (int n = 0; n < 8; n++) {
		u64 b = rd64(ITS_BASE + GITS_BASER(n));
		u64 type = (b >> 56) & 7;

		if (!type)
			continue;
		b &= (7ull << 56) | (0x1full << 48);		/* keep Type, Entry_Size */
		b |= 1ull << 63 | alloc(0x10000, 0x10000) | (2ull << 8);	/* Valid, 64K pages, 1 page */
		wr64(ITS_BASE + GITS_BASER(n), b);
	}
	cmdq = alloc(CMDQ_SIZE, 0x10000);
	wr64(ITS_BASE + GITS_CBASER, 1ull << 63 | cmdq | (CMDQ_SIZE / 4096 - 1));
	cwriter = 0;
	wr64(ITS_BASE + GITS_CWRITER, 0);
	wr32(ITS_BASE + GITS_CTLR, rd32(ITS_BASE + GITS_CTLR) | 1);
	/* Collection 0 -> CPU 0. */
	if (its_cmd(0x09, 0, 1ull << 63 | (u64)target << 16 | 0, 0) < 0 ||
	    its_cmd(0x05, 0, (u64)target << 16, 0) < 0)
		return -1;
	return 0;
}

/* Device devid's event -> LPI intid on collection 0, at priority prio. */
int its_map(u32 devid, u32 event, u32 intid, u8 prio)
{
	u64 itt = alloc(16 * itt_entry > 256 ? 16 * itt_entry : 256, 256);
	u8 *prop = (u8 *)prop_table;

	prop[intid - LPI_BASE] = (prio & 0xfc) | 1;	/* priority, Enable */
	last_devid = devid;
	last_event = event;
	dsb();
	if (its_cmd(0x08 | (u64)devid << 32, 4 - 1, 1ull << 63 | (itt & 0xffffffffff00ull), 0) < 0 ||
	    its_cmd(0x0a | (u64)devid << 32, event | (u64)intid << 32, 0, 0) < 0 ||
	    its_cmd(0x0c | (u64)devid << 32, event, 0, 0) < 0 ||
	    its_cmd(0x05, 0, (u64)target << 16, 0) < 0)
		return -1;
	return 0;
}

/* RDbase of a CPU's redistributor as MAPC/SYNC want it: its physical
 * address >> 16 (GITS_TYPER.PTA = 1) or its processor number. */
static u32 rdbase(unsigned cpu)
{
	u64 rd = GICR_BASE + cpu * 0x20000ull;

	return pta ? (u32)(rd >> 16) : (u32)((rd64(rd + GICR_TYPER) >> 8) & 0xffff);
}

/* The LPI tables on another CPU's redistributor: the property table is
 * shared, each CPU has its own pending table. */
int its_lpis_on(unsigned cpu)
{
	u64 rd = GICR_BASE + cpu * 0x20000ull;

	wr64(rd + GICR_PROPBASER, prop_table | (LPI_ID_BITS - 1));
	wr64(rd + GICR_PENDBASER, alloc(0x10000, 0x10000) | (1ull << 62));
	wr32(rd + GICR_CTLR, rd32(rd + GICR_CTLR) | 1);
	return 0;
}

int its_mapc(u32 icid, unsigned cpu)
{
	if (its_cmd(0x09, 0, 1ull << 63 | (u64)rdbase(cpu) << 16 | icid, 0) < 0)
		return -1;
	return its_cmd(0x05, 0, (u64)rdbase(cpu) << 16, 0);
}

/* MOVI: the event's LPI to another collection (GICv3 5.3.15). */
int its_movi(u32 devid, u32 event, u32 icid)
{
	if (its_cmd(0x01 | (u64)devid << 32, event, icid, 0) < 0)
		return -1;
	return its_cmd(0x05, 0, (u64)target << 16, 0);
}

/* Priority lives in the LPI property table; INV makes the ITS re-read it
 * (KVM caches it; a GICv4 forwards it to the vLPI). */
void lpi_set_prio(u32 intid, u8 prio)
{
	((u8 *)prop_table)[intid - LPI_BASE] = (prio & 0xfc) | 1;
	dsb();
	its_cmd(0x0c | (u64)last_devid << 32, last_event, 0, 0);
	its_cmd(0x05, 0, (u64)target << 16, 0);
}
