/* SPDX-License-Identifier: MIT */
/*
 * acpi.h - ACPI table layouts (ACPI 6.4 chapter 5) that nexit builds, and
 * the Intel MP spec 1.4 structures; shared by acpi.c, mptable.c and the
 * unit tests that parse the tables back. Offsets are checked against the
 * spec's tables below.
 */
#ifndef NEXIT_X86_ACPI_H
#define NEXIT_X86_ACPI_H

#include <stddef.h>
#include <stdint.h>

#define NX_PACKED __attribute__((packed))

/* Bytes sum to zero (ACPI 5.2.5.3/5.2.6, MP spec 4.1/4.2). */
static inline uint8_t nx_fw_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return (uint8_t)-s;
}

/* 5.2.5.3 Root System Description Pointer, revision 2. */
struct acpi_rsdp {
	char signature[8];		/* "RSD PTR " */
	uint8_t checksum;		/* first 20 bytes */
	char oem_id[6];
	uint8_t revision;		/* 2 = ACPI 2.0+ */
	uint32_t rsdt_address;
	uint32_t length;		/* 36 */
	uint64_t xsdt_address;
	uint8_t extended_checksum;	/* all 36 bytes */
	uint8_t reserved[3];
} NX_PACKED;

/* 5.2.6 System Description Table Header. */
struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} NX_PACKED;

/* 5.2.3.2 Generic Address Structure. */
struct acpi_gas {
	uint8_t space_id;		/* 0 memory, 1 system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;		/* 1 byte, 2 word, 3 dword, 4 qword */
	uint64_t address;
} NX_PACKED;
#define ACPI_GAS_IO		1
#define ACPI_ACCESS_BYTE	1
#define ACPI_ACCESS_WORD	2
#define ACPI_ACCESS_DWORD	3

/* 5.2.9 Fixed ACPI Description Table, revision 6 (276 bytes). */
struct acpi_fadt {
	struct acpi_header h;		/* "FACP" */
	uint32_t firmware_ctrl;		/* 36 FACS */
	uint32_t dsdt;			/* 40 */
	uint8_t reserved0;		/* 44 */
	uint8_t preferred_pm_profile;	/* 45 */
	uint16_t sci_int;		/* 46 */
	uint32_t smi_cmd;		/* 48 */
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;	/* 52 */
	uint32_t pm1a_evt_blk, pm1b_evt_blk;	/* 56, 60 */
	uint32_t pm1a_cnt_blk, pm1b_cnt_blk;	/* 64, 68 */
	uint32_t pm2_cnt_blk, pm_tmr_blk;	/* 72, 76 */
	uint32_t gpe0_blk, gpe1_blk;		/* 80, 84 */
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;	/* 88 */
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;		/* 92 */
	uint16_t p_lvl2_lat, p_lvl3_lat;	/* 96, 98 */
	uint16_t flush_size, flush_stride;	/* 100, 102 */
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;	/* 104 */
	uint16_t iapc_boot_arch;		/* 109 */
	uint8_t reserved1;			/* 111 */
	uint32_t flags;				/* 112 */
	struct acpi_gas reset_reg;		/* 116 */
	uint8_t reset_value;			/* 128 */
	uint16_t arm_boot_arch;			/* 129 */
	uint8_t minor_version;			/* 131 */
	uint64_t x_firmware_ctrl;		/* 132 */
	uint64_t x_dsdt;			/* 140 */
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk;	/* 148, 160 */
	struct acpi_gas x_pm1a_cnt_blk, x_pm1b_cnt_blk;	/* 172, 184 */
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk;	/* 196, 208 */
	struct acpi_gas x_gpe0_blk, x_gpe1_blk;		/* 220, 232 */
	struct acpi_gas sleep_control_reg, sleep_status_reg;	/* 244, 256 */
	char hypervisor_vendor_id[8];		/* 268 */
} NX_PACKED;
_Static_assert(offsetof(struct acpi_fadt, sci_int) == 46, "FADT SCI_INT");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT IAPC_BOOT_ARCH");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT Flags");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT RESET_REG");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT SLEEP_CONTROL");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6 is 276 bytes");

/* FADT Flags (Table 5.10). */
#define FADT_F_WBINVD		(1u << 0)
#define FADT_F_PROC_C1		(1u << 2)
#define FADT_F_PWR_BUTTON	(1u << 4)	/* power button is a control method */
#define FADT_F_SLP_BUTTON	(1u << 5)	/* no fixed sleep button            */
#define FADT_F_FIX_RTC		(1u << 6)	/* no RTC wake status               */
#define FADT_F_RESET_REG_SUP	(1u << 10)
#define FADT_F_HW_REDUCED	(1u << 20)
/* IA-PC boot architecture flags (Table 5.11). */
#define FADT_BA_8042		(1u << 1)
#define FADT_BA_VGA_ABSENT	(1u << 2)
#define FADT_BA_MSI_ABSENT	(1u << 3)
#define FADT_BA_ASPM_OFF	(1u << 4)
#define FADT_BA_RTC_ABSENT	(1u << 5)

/* 5.2.10 Firmware ACPI Control Structure (64 bytes, no checksum). */
struct acpi_facs {
	char signature[4];		/* "FACS" */
	uint32_t length;		/* 64 */
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;		/* 2 */
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} NX_PACKED;
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS is 64 bytes");

/* 5.2.12 Multiple APIC Description Table. */
struct acpi_madt {
	struct acpi_header h;		/* "APIC" */
	uint32_t lapic_address;
	uint32_t flags;			/* bit 0 PCAT_COMPAT: dual 8259 present */
} NX_PACKED;
#define MADT_PCAT_COMPAT	1u

enum {
	MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_LAPIC_NMI = 4,
};
struct madt_lapic {		/* 5.2.12.2 */
	uint8_t type, length;	/* 0, 8 */
	uint8_t processor_uid, apic_id;
	uint32_t flags;		/* bit 0 enabled */
} NX_PACKED;
struct madt_ioapic {		/* 5.2.12.3 */
	uint8_t type, length;	/* 1, 12 */
	uint8_t ioapic_id, reserved;
	uint32_t address, gsi_base;
} NX_PACKED;
struct madt_iso {		/* 5.2.12.5 Interrupt Source Override */
	uint8_t type, length;	/* 2, 10 */
	uint8_t bus, source;	/* bus 0 = ISA */
	uint32_t gsi;
	uint16_t flags;		/* MPS INTI flags */
} NX_PACKED;
struct madt_lapic_nmi {		/* 5.2.12.7 */
	uint8_t type, length;	/* 4, 6 */
	uint8_t processor_uid;	/* 0xff = all */
	uint16_t flags;
	uint8_t lint;
} NX_PACKED;
/* MPS INTI flags (Table 5.26), also the MP spec's I/O interrupt flags. */
#define INTI_POLARITY_HIGH	0x1
#define INTI_POLARITY_LOW	0x3
#define INTI_TRIGGER_EDGE	(0x1 << 2)
#define INTI_TRIGGER_LEVEL	(0x3 << 2)

/* PCI Firmware spec 3.2, 4.1.2 MCFG. */
struct acpi_mcfg {
	struct acpi_header h;		/* "MCFG" */
	uint64_t reserved;
} NX_PACKED;
struct mcfg_alloc {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
} NX_PACKED;

/* The DSDT's AML (dsdt.c): \_S5 and \_SB.PCI0 for guest memory m. */
#define NX_DSDT_MAX		8192
struct nx_mem;
int nx_dsdt_aml(const struct nx_mem *m, uint8_t *buf, size_t cap, size_t *len);

/* Where nx_acpi_build puts the tables, relative to NX_ACPI_BASE. */
#define ACPI_OFF_RSDP		0x000	/* 16-byte aligned (5.2.5.1) */
#define ACPI_OFF_FACS		0x040	/* 64-byte aligned (5.2.10)  */

/* ---- Intel MultiProcessor Specification 1.4, chapter 4 ---------------- */
struct mp_floating {		/* 4.1, 16 bytes */
	char signature[4];	/* "_MP_" */
	uint32_t config;	/* physical address of the config table */
	uint8_t length;		/* in 16-byte units: 1 */
	uint8_t spec_rev;	/* 4 = 1.4 */
	uint8_t checksum;
	uint8_t feature[5];	/* [0] 0 = config table present; [1] bit 7 IMCR */
} NX_PACKED;

struct mp_config {		/* 4.2, 44 bytes */
	char signature[4];	/* "PCMP" */
	uint16_t length;	/* base table incl. header */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_address;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} NX_PACKED;

enum { MP_PROCESSOR = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_IOINT = 3, MP_LINT = 4 };
struct mp_processor {		/* 4.3.1, 20 bytes */
	uint8_t type, lapic_id, lapic_version, flags;	/* flags: 1 EN, 2 BP */
	uint32_t signature, features;
	uint32_t reserved[2];
} NX_PACKED;
struct mp_bus {			/* 4.3.2 */
	uint8_t type, bus_id;
	char bus_type[6];	/* "PCI   ", "ISA   " */
} NX_PACKED;
struct mp_ioapic {		/* 4.3.3 */
	uint8_t type, id, version, flags;	/* flags: 1 EN */
	uint32_t address;
} NX_PACKED;
struct mp_intsrc {		/* 4.3.4 I/O and 4.3.5 local interrupt assignment */
	uint8_t type, irq_type;	/* 0 INT, 1 NMI, 2 SMI, 3 ExtINT */
	uint16_t flags;		/* INTI_* */
	uint8_t src_bus, src_irq;	/* PCI: (device << 2) | INTx pin */
	uint8_t dst_id, dst_pin;	/* IOAPIC id / LAPIC id (0xff all), INTIN / LINTIN */
} NX_PACKED;
enum { MP_INT = 0, MP_NMI = 1, MP_SMI = 2, MP_EXTINT = 3 };
#define MP_CPU_EN		1
#define MP_CPU_BP		2
#define MP_BUS_PCI		0
#define MP_BUS_ISA		1

#endif
