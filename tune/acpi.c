/* SPDX-License-Identifier: MIT */
/*
 * acpi.c - the two ACPI tables whose contents say what the platform can do
 * for interrupts, read raw from /sys/firmware/acpi/tables:
 *  - DMAR (Intel VT-d spec, 8.1): byte 37 is Flags; bit 0 INTR_REMAP says
 *    the platform supports interrupt remapping, a precondition of VT-d
 *    posted interrupts.
 *  - MADT / "APIC" (ACPI 6.5, 5.2.12): after the 44-byte header, entries of
 *    (type, length). Type 0xC is the GIC Distributor, whose byte 20 is the
 *    GIC version (1..4; 4 = GICv4, which can inject vLPIs directly); type
 *    0xF is a GIC ITS, needed for MSIs (LPIs) at all.
 */
#include <string.h>

#include "tune/tune.h"

#define ACPI_HDR_LEN	36
#define DMAR_FLAGS_OFF	37
#define MADT_ENTRIES	44
#define MADT_GICD	0x0c
#define MADT_GICD_VER	20
#define MADT_GIC_ITS	0x0f

static int acpi_len_ok(const uint8_t *buf, size_t len, const char *sig)
{
	uint32_t tl;

	if (len < ACPI_HDR_LEN || memcmp(buf, sig, 4))
		return 0;
	memcpy(&tl, buf + 4, 4);	/* header Length, little-endian */
	return tl >= ACPI_HDR_LEN && tl <= len;
}

int nx_acpi_dmar_flags(const uint8_t *buf, size_t len)
{
	if (!acpi_len_ok(buf, len, "DMAR") || len <= DMAR_FLAGS_OFF)
		return -1;
	return buf[DMAR_FLAGS_OFF];
}

int nx_acpi_madt_gic(const uint8_t *buf, size_t len, int *gic_version, int *its)
{
	uint32_t tl;
	size_t off = MADT_ENTRIES;

	*gic_version = 0;
	*its = 0;
	if (!acpi_len_ok(buf, len, "APIC"))
		return -1;
	memcpy(&tl, buf + 4, 4);
	while (off + 2 <= tl) {
		uint8_t type = buf[off], elen = buf[off + 1];

		if (elen < 2 || off + elen > tl)
			return -1;
		if (type == MADT_GICD && elen > MADT_GICD_VER)
			*gic_version = buf[off + MADT_GICD_VER];
		if (type == MADT_GIC_ITS)
			*its = 1;
		off += elen;
	}
	return 0;
}
