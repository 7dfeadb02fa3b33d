/* SPDX-License-Identifier: MIT */
/*
 * core.h - the one public header of nexit's core: VM, vCPUs, guest memory,
 * device bus, boot loaders, serial, config and stats.
 *
 * Conventions (kvmtool/Jailhouse style):
 *  - state lives in structs passed explicitly; no globals;
 *  - a function that fails prints exactly one "nexit: error: ..." line
 *    (nx_error) and returns a negative value; only main() exits.
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
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

/* nexit exits without tearing a VM down (fds and memory go with the
 * process), on error paths too: an object made for the VM lives until
 * exit. The ASan test build's leak check is told so (it and what it
 * points to); elsewhere this is nothing. */
static inline void nx_lives_until_exit(const void *p)
{
#ifdef __SANITIZE_ADDRESS__
	__lsan_ignore_object(p);
#else
	(void)p;
#endif
}

#define NX_MAX_CPUS	64
#define NX_MAX_DEVICES	16
#define NX_MAX_CPUID_HIDE 16

struct nx_vm;
struct nx_vcpu;

/* ---- errors and logging ------------------------------------------------ */
/*
 * nexit run's exit status for its own errors (bad input, a refused kernel, a
 * fatal guest error such as a triple fault): even, so a test runner can tell
 * it from any status a guest picks through isa-debug-exit, (v << 1) | 1.
 */
#define NX_EXIT_ERROR	2
int  nx_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));	/* returns -1 */
void nx_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nx_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t nx_now_ns(void);		/* CLOCK_MONOTONIC */

/* ---- x86 guest physical layout ----------------------------------------- */
/*
 * RAM is [0, min(mem, NX_MMIO_HOLE)) and [4G, 4G + rest): the 32-bit PCI/MMIO
 * hole from 3 GiB to 4 GiB holds ECAM, BARs, the IOAPIC and the LAPIC.
 */
#define NX_MMIO_HOLE		0xc0000000ULL	/* start of the 32-bit hole   */
#define NX_HIGH_RAM		0x100000000ULL	/* RAM resumes at 4 GiB       */
#define NX_PCI_ECAM		0xe0000000ULL	/* MCFG window, 1 bus = 1 MiB  */
#define NX_PCI_MMIO_BASE	0xc0000000ULL	/* BAR allocation window      */
#define NX_PCI_MMIO_SIZE	0x10000000ULL
#define NX_IOAPIC_BASE		0xfec00000ULL
#define NX_LAPIC_BASE		0xfee00000ULL
#define NX_COUNTER_PAGE		0xfed00000ULL	/* nexit counter page (MMIO)  */

/* ---- config ------------------------------------------------------------ */
enum nx_irqchip { NX_IRQCHIP_SPLIT = 0, NX_IRQCHIP_KERNEL = 1 };

struct nx_device_cfg {
	char name[32];
	char type[32];		/* "irqdev", "virtio-net", ... ("" = assign) */
	char assign[32];	/* VFIO BDF, e.g. 0000:00:03.0               */
	char backend[256];	/* unix socket of an out-of-process backend  */
	char opts[256];		/* free-form key=value list for the device   */
};

struct nx_config {
	uint64_t mem_bytes;
	int cpus;
	enum nx_irqchip irqchip;
	bool hugepages;
	char kernel[4096];
	char initrd[4096];
	char cmdline[4096];
	char serial_out[4096];	/* "" or "stdio" = stdout, else a file path */
	uint64_t serial_rate;	/* guest output bytes/s the host takes, 0 = any */
	char stats_json[4096];
	char control[4096];	/* control socket path (nexit stat)          */
	char profile[4096];	/* a profile name, or the path of a profile file */
	char cpuid_hide[NX_MAX_CPUID_HIDE][16];	/* feature names, e.g. "cx16" */
	int ncpuid_hide;
	struct nx_device_cfg devices[NX_MAX_DEVICES];
	int ndevices;
	int timeout_s;		/* 0 = none; guest killed after this */
	int stop_grace_s;	/* SIGTERM / nexit stop: power button, then this long */
	bool defaults;		/* default devices (one irqdev) when none is configured */
	int sandbox;		/* enum nx_sandbox_mode */
	char user[64];		/* drop to this user after set-up ("" = stay) */
};

void nx_config_defaults(struct nx_config *c);
/* Parses an INI file into c (libinih). Errors name file:line and the key. */
int  nx_config_load(struct nx_config *c, const char *path);
/* Applies one key of a section, as from the INI or a CLI flag. where = "file:line" or "--flag". */
int  nx_config_set(struct nx_config *c, const char *section, const char *key,
		   const char *value, const char *where);
int  nx_parse_size(const char *s, uint64_t *out);	/* "256M", "1G", "4096" */
int  nx_config_find_line(const char *path, const char *section, const char *key);
/* True if a device maps guest RAM from another process (vhost-user). */
bool nx_config_shared_ram(const struct nx_config *c);

/* ---- guest memory ------------------------------------------------------ */
struct nx_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
	uint32_t slot;
};

struct nx_mem {
	int memfd;
	uint8_t *base;		/* whole memfd mapping              */
	uint64_t size;		/* total RAM                         */
	struct nx_mem_region regions[2];
	int nregions;
};

/* e820 as the guest sees it (also the multiboot memory map). */
#define NX_E820_RAM		1
#define NX_E820_RESERVED	2
#define NX_E820_ACPI		3
#define NX_E820_MAX		8
struct nx_e820_entry { uint64_t addr, size; uint32_t type; };

/* A sealed memfd other processes can map (hugepages: hugetlbfs pages). */
int   nx_mem_init(struct nx_mem *m, uint64_t size, bool hugepages);
/* Private anonymous memory in transparent huge pages; memfd -1. */
int   nx_mem_init_private(struct nx_mem *m, uint64_t size);
void  nx_mem_destroy(struct nx_mem *m);
/* Host pointer for [gpa, gpa+len) if it lies entirely in RAM, else NULL. */
void *nx_gpa(const struct nx_mem *m, uint64_t gpa, uint64_t len);
int   nx_mem_e820(const struct nx_mem *m, struct nx_e820_entry *e, int max);

/* ---- device bus -------------------------------------------------------- */
struct nx_vcpu;
/* addr is the offset inside the registered range; data is little-endian,
 * len 1/2/4/8; a read fills data. */
typedef void (*nx_io_fn)(void *opaque, uint64_t addr, uint8_t *data,
			 uint32_t len, bool is_write, struct nx_vcpu *vcpu);

struct nx_bus_range {
	uint64_t base, len;
	nx_io_fn fn;
	void *opaque;
	const char *name;
};

#define NX_BUS_MAX 64
struct nx_bus {
	struct nx_bus_range r[NX_BUS_MAX];
	int n;
	pthread_rwlock_t lock;	/* ranges may move (BAR remap) while vCPUs run */
};

void nx_bus_init(struct nx_bus *b);
int  nx_bus_register(struct nx_bus *b, uint64_t base, uint64_t len,
		     nx_io_fn fn, void *opaque, const char *name);
int  nx_bus_unregister(struct nx_bus *b, uint64_t base);
/* Returns false if nothing is mapped there (reads then return all-ones). */
bool nx_bus_access(struct nx_bus *b, uint64_t addr, uint8_t *data, uint32_t len,
		   bool is_write, struct nx_vcpu *vcpu);

/* ---- stats ------------------------------------------------------------- */
#define NX_EXIT_REASONS 64
struct nx_stats {
	_Atomic uint64_t exits_total;			/* KVM_RUN returns to userspace */
	_Atomic uint64_t exits_by_reason[NX_EXIT_REASONS];
	uint64_t start_ns;				/* nx_vm_create */
	uint64_t vcpus_ns;				/* the vCPU threads started */
	_Atomic uint64_t first_output_ns;		/* 0 until the first serial byte */
	_Atomic uint64_t msi_relayed;			/* exitless-vector MSIs nexit relayed (storm guard) */
	uint64_t end_ns;
};
const char *nx_exit_reason_name(unsigned reason);

/* ---- platform ports and MMIO nexit itself provides (core) ------------- */
#define NX_PORT_DEBUG_EXIT	0xf4	/* isa-debug-exit: write v -> exit (v<<1)|1  */
#define NX_PORT_PM1A_EVT	0x600	/* ACPI PM1a_EVT_BLK (4 bytes)                */
#define NX_PORT_PM1A_CNT	0x604	/* ACPI PM1a_CNT_BLK (2 bytes): SLP_EN|SLP_TYP */
#define NX_PORT_PM_TMR		0x608	/* ACPI PM_TMR_BLK (4 bytes): 24-bit 3.579545 MHz */
#define NX_PM_TMR_HZ		3579545
#define NX_ACPI_SLP_TYP_S5	5	/* DSDT \_S5 package value; 0x604 <- (5<<10)|(1<<13) */
#define NX_ACPI_SCI_IRQ		9
#define NX_PORT_RESET		0xcf9	/* FADT RESET_REG, RESET_VALUE 0x06           */
#define NX_COM1_PORT		0x3f8
#define NX_COM1_IRQ		4
/*
 * Counter page at NX_COUNTER_PAGE (MMIO, read with 4- or 8-byte loads):
 *   0x00 u32 magic NX_COUNTER_MAGIC
 *   0x08 u64 VMM exits so far, not counting this read (so a window's exits
 *        are end - start - 1)
 *   0x10 u64 interrupts delivered by the fallback controller so far
 *   0x18 u64 MSIs of exitless vectors that nexit relayed (a vector gated by
 *        the storm guard, passthrough/guard.c); 0 while all are exitless
 * Absent under other VMMs (reads return all-ones).
 */
#define NX_COUNTER_MAGIC	0x5043584eU	/* "NXCP" */

/* ---- GSI routing and KVM interrupt plumbing (core/irq.c) --------------- */
/*
 * KVM_SET_GSI_ROUTING replaces the whole table, so one owner keeps it:
 * passthrough/ adds MSI routes, fallback/ adds per-RTE level routes for EOI
 * detection (split irqchip) or irqchip pin routes (kernel irqchip).
 */
#define NX_IOAPIC_PINS		24	/* also KVM_ENABLE_CAP(SPLIT_IRQCHIP) arg */
#define NX_MAX_GSI		256
struct nx_route {
	bool used;
	uint32_t type;		/* KVM_IRQ_ROUTING_MSI / _IRQCHIP       */
	uint32_t flags;		/* KVM_MSI_VALID_DEVID                  */
	uint64_t addr;		/* MSI address, or irqchip number       */
	uint32_t data;		/* MSI data, or irqchip pin             */
	uint32_t devid;
};
struct nx_routes {
	pthread_mutex_t lock;
	struct nx_route r[NX_MAX_GSI];
	unsigned next_gsi;	/* allocation cursor, starts above pins */
	/* Second irqchip routes on GSIs that already have one (KVM allows
	 * several per GSI): x86 irqchip=kernel's ISA IRQs into the 8259s. */
	struct { unsigned gsi, chip, pin; } also[16];
	unsigned nalso;
};
void nx_routes_init(struct nx_vm *vm);
int  nx_route_alloc(struct nx_vm *vm);				/* a free GSI >= NX_IOAPIC_PINS */
void nx_route_free(struct nx_vm *vm, unsigned gsi);
int  nx_route_set_msi(struct nx_vm *vm, unsigned gsi, uint64_t addr, uint32_t data,
		      uint32_t flags, uint32_t devid);
int  nx_route_set_irqchip(struct nx_vm *vm, unsigned gsi, unsigned chip, unsigned pin);
int  nx_route_also_irqchip(struct nx_vm *vm, unsigned gsi, unsigned chip, unsigned pin);
int  nx_route_clear(struct nx_vm *vm, unsigned gsi);
int  nx_routes_commit(struct nx_vm *vm);		/* KVM_SET_GSI_ROUTING */
int  nx_irqfd_assign(struct nx_vm *vm, int fd, unsigned gsi, int resamplefd);	/* resamplefd -1 = none */
int  nx_irqfd_deassign(struct nx_vm *vm, int fd, unsigned gsi);
int  nx_ioeventfd_assign(struct nx_vm *vm, int fd, uint64_t addr, unsigned len,
			 bool pio, bool datamatch, uint64_t data);
int  nx_ioeventfd_deassign(struct nx_vm *vm, int fd, uint64_t addr, unsigned len,
			   bool pio, bool datamatch, uint64_t data);
int  nx_signal_msi(struct nx_vm *vm, uint64_t addr, uint32_t data);	/* KVM_SIGNAL_MSI */
/* x86 MSI address/data as the guest writes them (Intel SDM 11.11). */
static inline uint32_t nx_msi_dest(uint64_t addr) { return (addr >> 12) & 0xff; }
static inline uint32_t nx_msi_vector(uint32_t data) { return data & 0xff; }

/*
 * A host-side interrupt source behind a level line (irqdev INTx, the
 * out-of-process backend, VFIO INTx). The fallback controller masks it when
 * it fires and unmasks it only after the guest's EOI.
 */
struct nx_irq_source {
	const char *name;
	void *opaque;
	int trigger_fd;		/* eventfd the source signals on assertion (-1: uses nx_irq_set_line) */
	int resample_fd;	/* irqchip=kernel: KVM signals it on EOI; source unmasks (-1: fallback does) */
	bool automask;		/* masks itself when it fires (VFIO INTx): KVM may deliver
				 * trigger_fd through an irqfd, the fallback sees the EOI */
	void (*mask)(void *opaque);
	void (*unmask)(void *opaque);
	bool (*is_asserted)(void *opaque);
};

/* Stats hooks: subsystems add their per-line counters to the stats JSON. */
typedef void (*nx_stats_hook)(void *opaque, void *json_obj /* struct json_object * */);
#define NX_MAX_STATS_HOOKS 8

/* ---- what kind of KVM this host has (core/kvm_kind.c) ------------------ */
enum nx_kvm_kind {
	NX_KVM_KIND_NONE,	/* no /dev/kvm, or it cannot create and run a VM      */
	NX_KVM_KIND_PROBE,	/* VMs run, guest ring 0 does not (kvm_pvm): ring-3 guests only */
	NX_KVM_KIND_LINUX,	/* guest ring 0 runs: Linux guests boot              */
};
struct nx_kvm_kind_info {
	enum nx_kvm_kind kind;
	int api_version;
	char reason[400];	/* one sentence: what /dev/kvm answered            */
};
const char *nx_kvm_device(void);	/* NEXIT_KVM_DEVICE (tests) or /dev/kvm */
const char *nx_kvm_kind_name(enum nx_kvm_kind k);	/* "none" | "probe" | "linux" */
int  nx_kvm_detect(struct nx_kvm_kind_info *k);

/* ---- VM and vCPUs ------------------------------------------------------ */
struct kvm_run;
struct nx_vm;

/* Exit dispatch table: one handler per KVM_EXIT_* reason. Return 0 to keep
 * running, >0 to stop the VM normally, <0 on a fatal error. */
typedef int (*nx_exit_fn)(struct nx_vcpu *vcpu);

struct nx_vcpu {
	struct nx_vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	int stats_fd;		/* KVM_GET_STATS_FD, -1 if absent */
};

/* Hooks that passthrough/ and fallback/ install without core depending on them. */
struct nx_irq_ops {
	void *opaque;
	/* Raise/lower a legacy GSI line (IOAPIC pin or PIC irq). */
	void (*set_line)(void *opaque, unsigned gsi, bool level);
	/* Attach a host-side source to a level line (gsi = IOAPIC pin). */
	int (*attach_source)(void *opaque, unsigned gsi, struct nx_irq_source *src);
	/* The source went away (backend died): mask its line, keep the VM going. */
	void (*detach_source)(void *opaque, unsigned gsi);
	/* Counter page 0x10: interrupts the controller delivered. */
	uint64_t (*delivered)(void *opaque);
	/* KVM_EXIT_IOAPIC_EOI with this vector (split irqchip). */
	void (*eoi)(void *opaque, unsigned vector);
	/* VM is shutting down or resetting: mask every line. */
	void (*shutdown)(void *opaque);
	/* Split irqchip: the 8259's INT output to vCPU 0's LINT0 (ExtINT).
	 * extint_pending says it is raised; extint_ack is the INTA cycle,
	 * returning the vector (the 8259 moves the request to in-service). */
	bool (*extint_pending)(void *opaque);
	int (*extint_ack)(void *opaque);
};

struct nx_vm {
	struct nx_config *cfg;
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	int max_vcpus;
	struct nx_mem mem;
	struct nx_bus pio;
	struct nx_bus mmio;
	struct nx_vcpu vcpus[NX_MAX_CPUS];
	int ncpus;
	nx_exit_fn exit_handlers[NX_EXIT_REASONS];
	struct nx_stats stats;
	struct nx_irq_ops irq;		/* set by the interrupt controller */
	struct nx_serial *serial;
	int stats_fd_vm;		/* VM-wide KVM_GET_STATS_FD, -1 if absent */
	struct nx_routes routes;
	struct { nx_stats_hook fn; void *opaque; } stats_hooks[NX_MAX_STATS_HOOKS];
	int nstats_hooks;
	/* Run by nx_vm_stop_hooks once the VM is over and its stats written
	 * (backends ended and reaped). */
	struct { void (*fn)(void *opaque); void *opaque; } stop_hooks[NX_MAX_STATS_HOOKS];
	int nstop_hooks;
	void *pci;			/* struct nx_pci, core/pci.c */
	void *arch;			/* per-arch platform state (nx_arch_vm_init), or NULL */
	/* Called by each vCPU thread before its first KVM_RUN (pinning, FIFO). */
	void (*vcpu_start)(void *opaque, struct nx_vcpu *vcpu);
	void *vcpu_start_opaque;
	/* The platform's power button (x86: ACPI fixed feature); true if the
	 * guest listens for it. NULL: the VM stops at once. */
	bool (*power_button)(void *opaque);
	void *power_button_opaque;

	/* Shutdown: the first vCPU to stop the VM sets these and kicks the others. */
	atomic_bool stopping;
	atomic_int exit_status;		/* process exit status */
	char stop_reason[128];
	pthread_mutex_t stop_lock;
	pthread_t main_thread;		/* woken by nx_vm_stop */
};

/* Opens /dev/kvm, checks API version and the capabilities nexit needs. */
int  nx_vm_create(struct nx_vm *vm, struct nx_config *cfg);
int  nx_vm_check_cap(struct nx_vm *vm, int cap, const char *name);	/* <0 if missing */
void nx_vm_destroy(struct nx_vm *vm);
int  nx_vcpus_create(struct nx_vm *vm);
/* Runs every vCPU thread until the VM stops; returns the process exit status. */
int  nx_vm_run(struct nx_vm *vm);
/* Asks every vCPU to leave KVM_RUN and the VM to stop with this exit status. */
void nx_vm_stop(struct nx_vm *vm, int status, const char *reason);
/* Makes a vCPU leave KVM_RUN once, so that it sees new work (an ExtINT). */
void nx_vcpu_kick(struct nx_vcpu *vcpu);
/* Prints regs, sregs and the instruction bytes at RIP (fatal exits). */
void nx_vcpu_dump(struct nx_vcpu *vcpu, FILE *out);
/* Register a userspace exit in the counters (called by the run loop). */
void nx_stats_count_exit(struct nx_vm *vm, unsigned reason);
/* The stats file is opened at set-up (before the sandbox), written at exit. */
int  nx_stats_open_json(const char *path);
int  nx_stats_write_json(struct nx_vm *vm, int fd, const char *path);
int  nx_stats_add_hook(struct nx_vm *vm, nx_stats_hook fn, void *opaque);
int  nx_vm_add_stop_hook(struct nx_vm *vm, void (*fn)(void *opaque), void *opaque);
void nx_vm_stop_hooks(struct nx_vm *vm);
struct json_object;
struct json_object *nx_stats_json(struct nx_vm *vm);	/* caller puts it */
/* KVM binary stats (KVM_GET_STATS_FD): one named counter; -1 if absent. */
int  nx_kvm_stat(int stats_fd, const char *name, uint64_t *val);
int  nx_kvm_vcpu_stat_sum(struct nx_vm *vm, const char *name, uint64_t *sum);
/* Local sockets (core/unixsock.c): listening ones are created 0600; a peer
 * is trusted when it runs as nexit's own user or root (SO_PEERCRED). */
struct sockaddr_un;
int  nx_unix_addr(const char *path, struct sockaddr_un *a);
int  nx_unix_listen(const char *path, int type, int backlog);
bool nx_unix_peer_ok(int fd, char *who, size_t n);
/* Control socket (core/control.c): serves `nexit stat` and `nexit stop` (cli/). */
int  nx_control_start(struct nx_vm *vm, const char *path);
/* systemd's notify protocol (core/notify.c): "READY=1", "STOPPING=1", ...
 * to $NOTIFY_SOCKET, a datagram socket; nothing if it is unset. */
void nx_sd_notify(const char *msg);
/* Convenience wrappers over vm->irq (no-ops when no controller is installed). */
void nx_irq_set_line(struct nx_vm *vm, unsigned gsi, bool level);

/* ---- the seccomp sandbox (core/sandbox.c, docs/security.md) ------------ */
enum nx_sandbox_mode { NX_SANDBOX_ON = 0, NX_SANDBOX_OFF, NX_SANDBOX_LOG };
/* Thread kinds, each with its own allow-list. */
enum nx_sb_kind { NX_SB_MAIN, NX_SB_VCPU, NX_SB_EVENT, NX_SB_CONTROL, NX_SB_DEVD, NX_SB_KINDS };
/* Compiles every kind's filter and sets NO_NEW_PRIVS (once, before any
 * thread starts); user: drop to it later (nx_sandbox_drop), NULL = stay;
 * with_uring: a virtio-blk device's threads may use io_uring. */
int  nx_sandbox_init(enum nx_sandbox_mode mode, const char *user, bool with_uring);
/* The calling thread names itself (name != NULL) and loads its kind's
 * filter (no filter with the sandbox off). */
int  nx_sandbox_thread(enum nx_sb_kind kind, const char *name);
/* Drops to the configured user (end of set-up); 0 if none configured. */
int  nx_sandbox_drop(void);
bool nx_sandbox_active(void);
int  nx_sandbox_user(uid_t *uid, gid_t *gid);	/* <0: no user configured */
const char *nx_sandbox_mode_name(enum nx_sandbox_mode m);

/* ---- arch hooks (core/x86/arch.c, core/arm64/arch.c) ------------------- */
/*
 * Where the architectures differ, the shared VM (vm.c, mem.c, vcpu.c) and
 * the one composition root (main.c) call these; every arch folder
 * implements all of them. In nexit run's order:
 *   nx_vm_create: nx_arch_check_caps, nx_arch_vm_init, nx_arch_mem_layout,
 *                 memory slots, nx_arch_irqchip_create (KVM: before vCPUs)
 *   nx_arch_platform_init (serial port, platform devices)
 *   nx_vcpus_create: nx_arch_vcpu_init per vCPU
 *   nx_arch_irqchip_init (KVM: after every vCPU exists)
 *   fallback/ and passthrough/ init, nx_arch_boot.
 */
struct nx_arch_info {
	const char *build;		/* "" (x86_64) or "arm64": version and usage say so */
	const char *kvm_hint;		/* what to do when /dev/kvm does not exist */
	uint64_t min_mem;		/* smallest guest RAM that boots */
	const char *default_device;	/* device type of a VM with none, NULL = none */
	const char *const *run_flags;	/* nexit run long options this arch has, NULL-ended */
	void (*usage_run)(FILE *o);	/* nexit run --help */
};
extern const struct nx_arch_info nx_arch_info;

int  nx_arch_config(struct nx_config *cfg);		/* after parsing: arch-fixed settings */
int  nx_arch_check_caps(struct nx_vm *vm);		/* KVM capabilities beyond core's */
int  nx_arch_vm_init(struct nx_vm *vm);		/* right after KVM_CREATE_VM */
void nx_arch_mem_layout(struct nx_mem *m);		/* RAM -> guest physical regions */
int  nx_arch_irqchip_create(struct nx_vm *vm);		/* before the vCPUs */
int  nx_arch_platform_init(struct nx_vm *vm);		/* serial port, platform devices */
int  nx_arch_vcpu_init(struct nx_vcpu *vcpu);		/* after KVM_CREATE_VCPU */
int  nx_arch_irqchip_init(struct nx_vm *vm);		/* after every vCPU exists */
int  nx_arch_boot(struct nx_vm *vm);			/* kernel, boot tables, vCPU 0 */
/* Runs a tiny ring-0 guest on a fresh VM: 1 when it ran natively, 0 when
 * not (why says what happened), <0 when no vCPU could run at all. */
int  nx_arch_ring0_test(int kvm_fd, int vm_fd, char *why, size_t len);

/* ---- x86 platform (core/x86) ------------------------------------------- */
/* CPUID: KVM_GET_SUPPORTED_CPUID minus hidden features, per vCPU APIC id. */
int nx_cpuid_setup(struct nx_vcpu *vcpu);
int nx_cpuid_hide_valid(const char *feature);	/* 0 if known */
/* Leaf 0xD made consistent with the features offered; returns the XCR0 bits
 * offered (0 = no XSAVE). */
struct kvm_cpuid_entry2;
uint64_t nx_cpuid_xsave_fixup(struct kvm_cpuid_entry2 *e, unsigned n);
const char *nx_cpuid_feature_list(void);

/* ACPI (RSDP/XSDT/MADT/FADT/DSDT/MCFG) and MP table into guest memory. */
int nx_acpi_build(struct nx_vm *vm);
int nx_mptable_build(struct nx_vm *vm);
/* PCI INTx -> IOAPIC pin (GSI): 16 + ((slot + pin) % 8), pin 0 = INTA#.
 * The MP table, PCI and fallback code all follow this (core/x86/intx.c). */
unsigned nx_pci_intx_gsi(unsigned slot, unsigned pin);
/* The 64-bit PCI MMIO window above guest RAM (the DSDT's _CRS, BAR checks). */
void nx_pci_mmio64_window(const struct nx_mem *m, uint64_t *base, uint64_t *size);

/* Boot: loads cfg->kernel (bzImage, multiboot ELF, PVH ELF such as Linux's
 * vmlinux, ELF64) and sets vCPU 0. */
enum nx_kernel_kind { NX_KERNEL_BZIMAGE, NX_KERNEL_MULTIBOOT, NX_KERNEL_ELF64, NX_KERNEL_PVH };
struct nx_boot {
	enum nx_kernel_kind kind;
	uint64_t entry;
	uint64_t rsi;		/* boot_params (Linux) */
	uint32_t eax, ebx;	/* multiboot magic and info */
	uint64_t gdt;		/* boot GDT address, 0 = NX_BOOT_GDT */
	bool long_mode;		/* enter in 64-bit mode (else 32-bit protected) */
};
int nx_boot_load(struct nx_vm *vm, struct nx_boot *b);
int nx_boot_setup_vcpu(struct nx_vcpu *vcpu, const struct nx_boot *b);

/* Debug-exit, ACPI PM1a, reset ports and the counter page (core/x86/platform.c). */
int nx_platform_init(struct nx_vm *vm);

/* ---- serial (16550A on COM1) ------------------------------------------- */
/* A guest may write its UART as fast as it can: the host file or terminal
 * takes NX_SERIAL_RATE bytes/s ([serial] rate) after a burst of 4 s worth;
 * the rest is dropped, counted and reported. */
#define NX_SERIAL_RATE		(1ull << 20)
struct nx_serial;
struct nx_serial *nx_serial_create(struct nx_vm *vm, uint16_t port, unsigned irq,
				    const char *out_path);
void nx_serial_destroy(struct nx_serial *s);
void nx_serial_io(struct nx_serial *s, unsigned off, uint8_t *data, bool wr);	/* tests */

/* ---- guest memory layout of boot data ---------------------------------- */
#define NX_BOOT_GDT		0x0500
#define NX_BOOT_PARAMS		0x7000	/* Linux zero page            */
#define NX_BOOT_CMDLINE		0x20000
#define NX_BOOT_CMDLINE_MAX	0x10000
#define NX_BOOT_PML4		0x9000	/* identity page tables       */
#define NX_MB_INFO		0x6000	/* multiboot info + mmap      */
#define NX_MPTABLE		0x9fc00	/* MP floating pointer + table (below EBDA end) */
#define NX_ACPI_BASE		0xe0000	/* RSDP must be in 0xe0000-0xfffff */
#define NX_ACPI_SIZE		0x10000


/* ---- PCI bus 0 (core/pci.c) -------------------------------------------- */
/*
 * One host bridge (slot 0) and up to 31 single-function devices on bus 0,
 * reached through configuration mechanism #1 (0xCF8/0xCFC, PCI 3.0 3.2.2.3.2)
 * and ECAM at NX_PCI_ECAM (PCIe 7.2.2). nexit assigns every BAR from
 * NX_PCI_MMIO_BASE before boot (there is no firmware); guests read them.
 * MSI and MSI-X are emulated here and reported to the device through ops,
 * so the device's routes follow what the guest programs.
 */
#define NX_PCI_SLOTS		32
#define NX_PCI_CFG_SIZE		256
#define NX_PCI_MAX_MSIX		64
#define NX_PCI_BAR_IO		0x1	/* BAR flags: I/O space                */
#define NX_PCI_BAR_MEM64	0x4	/* 64-bit memory BAR (two dwords)      */
#define NX_PCI_BAR_PREFETCH	0x8

struct nx_pci_dev;
struct nx_pci_ops {
	/* BAR bar is now decoded at gpa (on) or no longer decoded (off). */
	void (*bar_map)(struct nx_pci_dev *d, int bar, uint64_t gpa, bool on);
	/* The guest changed the MSI capability (enable, address, data, mask). */
	void (*msi_update)(struct nx_pci_dev *d);
	/* The guest changed MSI-X entry vector, or the control (vector -1). */
	void (*msix_update)(struct nx_pci_dev *d, int vector);
	/* The guest wrote the command register. */
	void (*command)(struct nx_pci_dev *d, uint16_t old, uint16_t val);
	/* Config space not emulated here (VFIO passes it through); true if handled. */
	bool (*cfg_access)(struct nx_pci_dev *d, unsigned off, uint8_t *data, unsigned len,
			   bool is_write);
};

struct nx_pci_bar {
	uint64_t size;		/* power of two; 0 = no BAR */
	uint32_t flags;		/* NX_PCI_BAR_* */
	uint64_t addr;		/* guest address as programmed */
	bool mapped;		/* decoded on the bus now */
	nx_io_fn fn;		/* MMIO/PIO exit handler, NULL = device maps it (bar_map) */
	void *opaque;
};

struct nx_msix_entry { uint32_t addr_lo, addr_hi, data, ctrl; };

struct nx_pci_dev {
	struct nx_vm *vm;
	struct nx_pci *bus;
	char name[32];
	int slot;
	uint8_t cfg[NX_PCI_CFG_SIZE];
	uint8_t wmask[NX_PCI_CFG_SIZE];	/* guest-writable bits */
	uint8_t w1c[NX_PCI_CFG_SIZE];	/* write-1-to-clear bits */
	uint8_t cap_end;		/* next free capability offset */
	struct nx_pci_bar bar[6];
	uint8_t msi_cap;		/* 0 = none */
	unsigned msi_nvec;
	uint8_t msix_cap;		/* 0 = none */
	unsigned msix_n;
	int msix_bar;
	uint32_t msix_table, msix_pba;	/* offsets in msix_bar */
	struct nx_msix_entry msix[NX_PCI_MAX_MSIX];
	uint64_t msix_pending;		/* PBA bits (set by the device, see nx_pci_msix_pba) */
	/* VMM exits on a live interrupt path: MSI-X table accesses to a vector
	 * while it is enabled and unmasked, MSI capability accesses while MSI
	 * is enabled. Set-up (programming a masked vector) does not count. */
	uint64_t msix_live_exits[NX_PCI_MAX_MSIX];
	uint64_t msi_live_exits;
	const struct nx_pci_ops *ops;
	void *priv;
};

struct nx_msi_msg { uint64_t addr; uint32_t data; bool masked; };

/* Creates the bus on first use: host bridge in slot 0, 0xCF8/0xCFC, ECAM. */
int  nx_pci_init(struct nx_vm *vm);
/* A device to fill before nx_pci_dev_register(); slot -1 = first free. */
struct nx_pci_dev *nx_pci_dev_new(struct nx_vm *vm, const char *name, uint16_t vendor,
				  uint16_t device, uint32_t class_code, int slot);
int  nx_pci_add_bar(struct nx_pci_dev *d, int bar, uint64_t size, uint32_t flags,
		    nx_io_fn fn, void *opaque);
/* MSI capability: nvec (1..32, power of two), 64-bit, per-vector masking. */
int  nx_pci_add_msi(struct nx_pci_dev *d, unsigned nvec, bool per_vector_mask);
/* Emulates the MSI / MSI-X capability already at off (a real device's,
 * VFIO); <0 if it does not lie wholly inside the 256-byte config space. */
int  nx_pci_claim_msi(struct nx_pci_dev *d, unsigned off);
int  nx_pci_claim_msix(struct nx_pci_dev *d, unsigned off);
/* MSI-X capability with its table at table_off and PBA at pba_off in bar. */
int  nx_pci_add_msix(struct nx_pci_dev *d, unsigned n, int bar, uint32_t table_off,
		     uint32_t pba_off);
/* INTx pin 0 = INTA#..3; the interrupt line register gets nx_pci_intx_gsi(). */
int  nx_pci_set_intx(struct nx_pci_dev *d, unsigned pin);
unsigned nx_pci_intx_line(const struct nx_pci_dev *d);	/* GSI of the device's INTx */
/* Places the device on bus 0 and assigns its BARs (decoded once the guest
 * sets the command register's enables). */
int  nx_pci_dev_register(struct nx_pci_dev *d);
/* Guest-programmed state, read under nx_pci_lock (ops run with it held). */
bool nx_pci_msi_enabled(const struct nx_pci_dev *d);
unsigned nx_pci_msi_vectors(const struct nx_pci_dev *d);	/* enabled count */
void nx_pci_msi_msg(const struct nx_pci_dev *d, unsigned vec, struct nx_msi_msg *m);
bool nx_pci_msix_enabled(const struct nx_pci_dev *d);
void nx_pci_msix_msg(const struct nx_pci_dev *d, unsigned vec, struct nx_msi_msg *m);
uint16_t nx_pci_command(const struct nx_pci_dev *d);
/* Status register bit 3 (Interrupt Status) follows the INTx level. */
void nx_pci_set_intx_status(struct nx_pci_dev *d, bool asserted);
/* One recursive lock for the whole bus: config accesses, BAR moves, ops. */
void nx_pci_lock(struct nx_vm *vm);
void nx_pci_unlock(struct nx_vm *vm);
/* One config access to bus 0 (what 0xCFC and ECAM do; unit tests). */
void nx_pci_cfg_access(struct nx_vm *vm, unsigned slot, unsigned fn, unsigned off,
		       uint8_t *data, unsigned len, bool is_write);
/* Iterates devices (slot 0 = host bridge); NULL if the slot is empty. */
struct nx_pci_dev *nx_pci_slot(struct nx_vm *vm, unsigned slot);

#endif
