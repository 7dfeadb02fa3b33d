/* SPDX-License-Identifier: MIT */
/*
 * aml.h - a small ACPI Machine Language writer (ACPI 6.4 chapter 20, AML
 * grammar; 6.4 resource descriptors) for the DSDT nexit builds. Objects are
 * appended to a caller's buffer; the scoped ones (Scope, Device, Method, If,
 * Else, Package) are opened with nx_aml_*() and closed with nx_aml_end(),
 * which then encodes their PkgLength (20.2.4) in 1-4 bytes. Errors
 * (overflow, nesting) are sticky and reported once by nx_aml_finish().
 */
#ifndef NEXIT_X86_AML_H
#define NEXIT_X86_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opcodes used by callers that spell out expressions (20.2.5). */
#define AML_ZERO		0x00
#define AML_ONE			0x01
#define AML_ARG(n)		(0x68 + (n))	/* Arg0Op .. Arg6Op */
#define AML_LOCAL(n)		(0x60 + (n))	/* Local0Op .. Local7Op */
#define AML_OR			0x7d		/* Operand Operand Target */
#define AML_CREATE_DWORD_FIELD	0x8a		/* SourceBuff ByteIndex NameString */
#define AML_LNOT		0x92
#define AML_LEQUAL		0x93		/* Operand Operand */
#define AML_RETURN		0xa4

#define NX_AML_MAX_DEPTH	16

struct nx_aml {
	uint8_t *buf;
	size_t cap, len;
	size_t open[NX_AML_MAX_DEPTH];	/* where each open object's PkgLength goes */
	int depth;
	bool bad;			/* overflowed or mis-nested: sticky */
};

void nx_aml_init(struct nx_aml *a, uint8_t *buf, size_t cap);
/* 0 if every object was closed and everything fitted, else -1. */
int  nx_aml_finish(const struct nx_aml *a);

void nx_aml_byte(struct nx_aml *a, uint8_t b);
void nx_aml_bytes(struct nx_aml *a, const void *p, size_t n);

/* Data objects (20.2.3): the shortest integer encoding, an EISA
 * id ("PNP0A08" as a compressed DWordConst) and ToUUID's 16-byte Buffer. */
void nx_aml_int(struct nx_aml *a, uint64_t v);
void nx_aml_eisaid(struct nx_aml *a, const char *id);
void nx_aml_uuid(struct nx_aml *a, const char *uuid);
/* Buffer (n) { bytes } */
void nx_aml_buffer(struct nx_aml *a, const uint8_t *p, size_t n);

/* NameString (20.2.2): "\\_SB_.PCI0", "PCI0", "_S5"; segments of fewer
 * than four characters are padded with '_'. */
void nx_aml_namestring(struct nx_aml *a, const char *path);
/* Name (name, <the object the caller writes next>) */
void nx_aml_name(struct nx_aml *a, const char *name);

/* Scoped objects, closed by nx_aml_end(). */
void nx_aml_scope(struct nx_aml *a, const char *path);
void nx_aml_device(struct nx_aml *a, const char *name);
void nx_aml_method(struct nx_aml *a, const char *name, unsigned nargs, bool serialized);
void nx_aml_if(struct nx_aml *a);		/* the predicate follows */
void nx_aml_else(struct nx_aml *a);
void nx_aml_package(struct nx_aml *a, unsigned nelem);
void nx_aml_end(struct nx_aml *a);

/* Resource template descriptors (6.4.2, 6.4.3), written into a (separate)
 * nx_aml whose bytes then become a Buffer (nx_aml_resource_template). */
enum nx_aml_space { NX_AML_SPACE_MEM = 0, NX_AML_SPACE_IO = 1, NX_AML_SPACE_BUS = 2 };
/* IO (Decode16, min, min, 1, len): a fixed range the device consumes. */
void nx_aml_rt_io(struct nx_aml *a, uint16_t base, uint8_t len);
/* Word/DWord/QWord address space (width 16/32/64) produced by a bridge:
 * MinFixed, MaxFixed, PosDecode, [min, max]; memory read-write, I/O
 * EntireRange. cacheable applies to memory. */
void nx_aml_rt_window(struct nx_aml *a, unsigned width, enum nx_aml_space space,
		      bool cacheable, uint64_t min, uint64_t max);
/* Ends rt (End Tag with checksum) and writes it to a as a Buffer. */
void nx_aml_resource_template(struct nx_aml *a, struct nx_aml *rt);

#endif
