/* SPDX-License-Identifier: MIT */
/*
 * passthrough.h - the exitless interrupt path: interrupts of assigned (VFIO)
 * and out-of-process devices reach the vCPU through KVM alone.
 *
 *   device / backend ──eventfd──► KVM irqfd ──MSI route──► vLAPIC ──► vCPU
 *   guest doorbell write ──KVM ioeventfd──┘ (the same eventfd)
 *
 * nexit is only on the set-up path: when the guest programs an MSI/MSI-X
 * address/data, nexit rewrites that vector's GSI route (KVM_SET_GSI_ROUTING)
 * so KVM delivers where and how the guest asked. See docs/passthrough.md.
 */
#ifndef NEXIT_PASSTHROUGH_H
#define NEXIT_PASSTHROUGH_H

#include <pthread.h>
#include "core/vm.h"
#include "core/pci.h"

struct json_object;

/* ---- entry points (cli/run.c) ------------------------------------------ */
/* Creates the PCI bus and every [device] of vm->cfg, their backends and
 * their handlers on vm->loop, and the stats hook. */
int nx_passthrough_init(struct nx_vm *vm);

/* ---- MSI vectors whose routes follow the guest (route.c) ----------------- */
/*
 * One vector = one GSI with an MSI route + one eventfd bound to it as a KVM
 * irqfd. Rules (docs/passthrough.md):
 *  - enabled and unmasked: route = the guest's address/data, irqfd assigned;
 *  - masked: irqfd deassigned, route kept; signals while masked accumulate
 *    in the eventfd and KVM_IRQFD delivers them once at unmask (the PCI
 *    pending bit, 6.8.1.7 / 6.8.2.9, is "eventfd count > 0");
 *  - disabled: irqfd deassigned and route cleared;
 *  - source gone (backend died): as disabled, for good.
 */
enum nx_msi_vec_state { NX_MSI_VEC_DISABLED, NX_MSI_VEC_ACTIVE, NX_MSI_VEC_MASKED,
		       NX_MSI_VEC_GONE };
struct nx_msi_guard;
struct nx_msi_vec {
	struct nx_vm *vm;
	int gsi;
	uint32_t devid;			/* its function's requester ID (nx_pci_requester_id,
					 * set once registered): a GIC ITS's device ID */
	int efd;			/* the irqfd (VFIO: also the VFIO trigger) */
	enum nx_msi_vec_state state;
	bool routed, irqfd_on;
	struct nx_msi_msg msg;
	uint64_t route_updates;		/* set-up time route rewrites */
	uint64_t masks;			/* times masked at the host */
	/* Storm guard (guard.c): gated = irqfd off, the eventfd relayed by
	 * nexit, throttled, until the source calms down. */
	struct nx_msi_guard *guard;
	bool gated;
};
int  nx_msi_vec_init(struct nx_vm *vm, struct nx_msi_vec *v, int efd);	/* efd -1: new eventfd */
/* Follows the guest's capability: enabled, address/data and mask bit. */
int  nx_msi_vec_update(struct nx_msi_vec *v, bool enabled, const struct nx_msi_msg *m);
void nx_msi_vec_gone(struct nx_msi_vec *v);
/* Masked with a signal waiting in the eventfd (KVM's irqfd consumes the
 * counter while assigned, so only the pending count is observable). */
bool nx_msi_vec_pending(struct nx_msi_vec *v);
const char *nx_msi_vec_state_name(enum nx_msi_vec_state s);
uint64_t nx_eventfd_count(int fd);	/* /proc/self/fdinfo "eventfd-count" */

/* ---- storm guard of an exitless vector (guard.c, docs/passthrough.md) --- */
/*
 * An exitless vector's interrupts never reach nexit, so nexit samples the
 * source's own count once per window (the backend's counter page, the
 * host's /proc/interrupts line of a VFIO vector): no wake-up per interrupt.
 * Over budget in a window: the vector is gated - its irqfd deassigned, its
 * eventfd watched by the passthrough thread, which relays at most
 * NX_GUARD_RELAY(budget) interrupts per window (KVM_SIGNAL_MSI; signals in
 * between coalesce in the eventfd as in a pending bit; while held nothing
 * is read, so the storm wakes nobody). After backoff_ms whose every window
 * stayed at or below budget / 2 the irqfd is assigned again: exitless.
 */
#define NX_GUARD_BUDGET		5000	/* interrupts per window: 50 000/s */
#define NX_GUARD_WINDOW_MS	100
#define NX_GUARD_BACKOFF_MS	500
#define NX_GUARD_HIST		128	/* windows kept for the stats */
#define NX_GUARD_RELAY(b)	((b) / 10 ? (b) / 10 : 1)
struct nx_guard_cfg {
	uint32_t budget;		/* per window; 0 = no guard */
	uint32_t window_ms, backoff_ms;
};
/* The pure decision, once per window (unit-tested). */
enum nx_guard_action { NX_GUARD_NONE, NX_GUARD_GATE, NX_GUARD_UNGATE, NX_GUARD_EXTEND };
struct nx_guard_state {
	bool primed, gated;
	uint64_t last;			/* source count at the last tick */
	uint64_t last_ms;		/* and its time */
	uint64_t gated_at_ms;		/* start of the current back-off */
	uint64_t backoff_peak;		/* largest window count in it */
	uint64_t last_window, peak_window;	/* per window */
};
enum nx_guard_action nx_guard_tick(struct nx_guard_state *s, const struct nx_guard_cfg *c,
				   uint64_t count, uint64_t now_ms);
/* "msi_budget=N msi_window_ms=W msi_backoff_ms=B" in a device's options. */
int nx_guard_parse(const char *opts, struct nx_guard_cfg *c, const char *dev);

/* count: the source's own running total of interrupts raised. Its timer
 * and relay are handlers on l (the VM's event loop). */
struct nx_msi_guard *nx_guard_create(struct nx_msi_vec *v, struct nx_loop *l,
				     const struct nx_guard_cfg *c, const char *id,
				     const char *source, uint64_t (*count)(void *opaque),
				     void *opaque);
/* The vector's state changed (bus lock held): relay only while active. */
void nx_guard_sync(struct nx_msi_guard *g);
/* "guard": {...} of a line object (bus lock held). */
void nx_guard_json(struct nx_msi_guard *g, struct json_object *line);
/* Host interrupt count of a VFIO vector: in text (/proc/interrupts), the
 * line whose action is name ("vfio-msix[0](0000:00:03.0)"), summed over CPUs. */
uint64_t nx_host_irq_count(const char *text, const char *name);

/* ---- a device's ioeventfds (ioev.c) ------------------------------------- */
#define NX_REG_MAX_IOEV 40
struct nx_ioev {
	int fd;
	uint64_t addr;
	unsigned len;
	bool datamatch;
	uint64_t data;
};
struct nx_ioev_set {
	struct nx_vm *vm;
	struct nx_ioev ioev[NX_REG_MAX_IOEV];
	int n;
};
int  nx_reg_ioeventfd(struct nx_ioev_set *r, int fd, uint64_t addr, unsigned len,
		      bool datamatch, uint64_t data);
/* Deassigns every ioeventfd in [addr, addr + len) (len 0: all). */
void nx_reg_ioeventfd_drop(struct nx_ioev_set *r, uint64_t addr, uint64_t len);

/* ---- line reports for the stats JSON (stats.c) --------------------------- */
/* One exitless line object: id, path, gsi, vector, dest, state, counters;
 * delivered < 0: not observable by nexit (null). */
struct json_object *nx_pt_line_json(const char *id, struct nx_msi_vec *v, int64_t vmm_exits,
				    int64_t delivered);

/* ---- the out-of-process backend protocol (proto.c, docs/passthrough.md) -- */
/*
 * SOCK_SEQPACKET unix socket; every message is a header + payload, fds in
 * SCM_RIGHTS. nexit -> backend: SETUP (one fd: the MSI irqfd); backend ->
 * nexit: READY. Then nexit sends WORK (a factorial to compute) and the
 * backend answers DONE. nexit keeps every register in its own memory: the
 * backend sees one operand at a time and can only answer it, raise the
 * device's MSI, or hang up. Every message is length-checked; a backend that
 * sends anything else, too many fds, or no answer in time is cut off.
 */
#define NX_DEVD_VERSION		3
#define NX_DEVD_MSG_SETUP	1
#define NX_DEVD_MSG_READY	2
#define NX_DEVD_MSG_WORK	3
#define NX_DEVD_MSG_DONE	4
#define NX_DEVD_MAX_FDS		4
#define NX_DEVD_MAX_MSG		512	/* largest payload of any message */
#define NX_DEVD_REPLY_MS	2000	/* a WORK not answered by then: backend hung */
struct nx_devd_hdr {
	uint32_t type;
	uint32_t size;		/* payload bytes after the header */
	uint32_t nfds;
	uint32_t version;
};
/* SETUP fds, in order: the MSI vector's irqfd; the counter page, a sealed
 * memfd of NX_DEVD_COUNTERS_SIZE bytes (it cannot shrink) that the backend
 * maps and counts its MSI raises in: nexit's storm guard reads it. */
enum { NX_DEVD_FD_MSI, NX_DEVD_FD_COUNTERS, NX_DEVD_SETUP_FDS };
#define NX_DEVD_COUNTERS_SIZE	4096
struct nx_devd_counters {
	_Atomic uint64_t msi_raised;	/* every write of the MSI irqfd */
};
struct nx_devd_setup {
	char type[32];		/* "irqdev" */
	char name[32];
	char opts[256];		/* "wait=block ..." */
};
struct nx_devd_ready {
	int32_t status;		/* 0 ok */
	int32_t pid;
	char msg[128];
};
struct nx_devd_work {
	uint32_t seq;
	uint32_t n;		/* factorial operand */
	uint32_t raise_msi;	/* signal the MSI irqfd after DONE */
	uint32_t pad;
};
struct nx_devd_done {
	uint32_t seq;		/* the WORK's */
	uint32_t value;		/* n! in 32 bits */
	uint32_t raised;	/* the MSI irqfd was signalled */
	uint32_t pad;
};
int nx_devd_send(int sock, uint32_t type, const void *payload, uint32_t size,
		 const int *fds, unsigned nfds, int flags);
/* Receives one message: payload up to max bytes, fds into fds[max_fds];
 * returns the fd count, -2 on hang-up, -1 on a malformed message (every fd
 * it carried is closed) or an error (errno, EAGAIN with MSG_DONTWAIT). */
int nx_devd_recv(int sock, struct nx_devd_hdr *h, void *payload, uint32_t max,
		 int *fds, unsigned max_fds, int flags);

/* ---- irqdev: the edu-layout test device (irqdev.c, devd.c) --------------- */
#define NX_IRQDEV_BAR_SIZE	(1u << 20)
/* Vendor/device, ID and the NX_IRQDEV_REG_* registers: abi/guest_abi.h. */
/* Raise/ack values with their own exitless doorbell (datamatch 1 << i). */
#define NX_IRQDEV_DOORBELLS	8

enum nx_irqdev_mode { NX_IRQDEV_MODE_NONE, NX_IRQDEV_MODE_MSI, NX_IRQDEV_MODE_INTX };
enum nx_devd_wait { NX_WAIT_BLOCK, NX_WAIT_POLL, NX_WAIT_ADAPTIVE };

/* irqdev's registers, in nexit's private memory (never shared). */
struct nx_irqdev_regs {
	uint32_t status;		/* 0x20 */
	uint32_t irq_status;		/* 0x24 */
	uint32_t fact;			/* 0x08 */
	uint32_t live;			/* 0x04 */
	enum nx_irqdev_mode mode;
	bool intx_masked;		/* host-side mask (fallback controller) */
	uint64_t msi_raised, intx_raised, facts;
};

/* Register semantics (irqdev_regs.c); the caller holds the device lock. */
/* Applies pending ack then raise doorbells; returns true if the INTx level
 * rose. acks[]/raises[] may hold -1. */
bool nx_irqdev_drain(struct nx_irqdev_regs *r, const int *raises, const int *acks);
/* irq_status |= v: signals msi_fd in MSI mode (every raise); in INTx mode
 * returns true when the level rose unmasked: the caller asserts the line
 * (nx_irq_set_line, outside the device lock), the one way it is asserted. */
bool nx_irqdev_raise(struct nx_irqdev_regs *r, uint32_t v, int msi_fd);
/* edu's factorial: n! in 32 bits, at most 34 multiplications (34! holds 2^32). */
uint32_t nx_irqdev_factorial(uint32_t n);
int  nx_devd_parse_wait(const char *opts, enum nx_devd_wait *w);

/* The backend's side (devd.c): serves one nexit connection until hang-up. */
struct nx_devd_opts {
	enum nx_devd_wait wait;
	bool wait_forced;		/* --wait overrides the SETUP opts */
	unsigned spin_us;		/* adaptive: spin this long after an event */
	bool verbose;
};
int nx_devd_serve(int sock, const struct nx_devd_opts *o);

/* ---- VFIO assignment (vfio.c) -------------------------------------------- */
/* The guest's view of an assigned function from its own config bytes
 * (vfio_cfg.c): header, capability chain, MSI-X claimed; *msi = the MSI
 * capability to claim once VFIO offers MSI (0: none, or it does not fit). */
struct nx_pci_dev *nx_vfio_pci_new(struct nx_vm *vm, const char *name, const uint8_t *cfg,
				   uint8_t *msi);
uint8_t nx_vfio_find_cap(const uint8_t *cfg, uint8_t id);
/* The error checks alone, with sysfs rooted at root ("" = /): unit tests. */
int nx_vfio_check_host(const char *root, const char *bdf, char *group, size_t glen);

/* ---- vhost-user frontend (vhost_user.c) ---------------------------------- */
#define NX_VHU_MAX_REGIONS	8
#define NX_VHU_TIMEOUT_MS	5000
struct nx_vhost_user {
	int sock;
	char path[108];
	uint64_t sent;			/* messages sent */
};
/* Connects to a backend's socket, retrying for up to wait_ms, and takes
 * ownership of it (SET_OWNER). */
int  nx_vhost_user_connect(struct nx_vhost_user *u, const char *path, int wait_ms);
void nx_vhost_user_close(struct nx_vhost_user *u);
int  nx_vhost_user_get_features(struct nx_vhost_user *u, uint64_t *f);
/* The rings are handed over through nx_vhost_user_ops (below). */

/* ---- vhost backends: the same vring hand-over over two transports -------- */
/*
 * virtio-net hands its rings to a vhost backend at DRIVER_OK; vhost-user
 * (above) and the kernel's vhost-net (vhost_net.c) take the same calls.
 * enable: vhost-net attaches (on) or detaches (off) the tap of a ring; NULL
 * for vhost-user, where a ring runs once it has a kick fd.
 */
struct nx_vhost_ops {
	const char *kind;		/* "vhost-user", "vhost-net" */
	int (*set_features)(void *be, uint64_t f);
	int (*set_mem_table)(void *be, const struct nx_mem *mem);
	int (*set_vring_num)(void *be, unsigned idx, unsigned num);
	int (*set_vring_base)(void *be, unsigned idx, unsigned base);
	int (*set_vring_addr)(void *be, unsigned idx, const void *desc, const void *avail,
			      const void *used);
	int (*set_vring_kick)(void *be, unsigned idx, int fd);
	int (*set_vring_call)(void *be, unsigned idx, int fd);
	int (*get_vring_base)(void *be, unsigned idx, unsigned *base);
	int (*enable)(void *be, unsigned idx, bool on);
};
extern const struct nx_vhost_ops nx_vhost_user_ops, nx_vhost_net_ops;

/* The kernel's vhost-net over a tap device (vhost_net.c, tap.c). */
struct nx_vhost_net {
	int fd;				/* /dev/vhost-net */
	int tap_fd;
	char ifname[16];
	uint64_t ioctls;
};
/* Opens (creating if absent) tap NAME and /dev/vhost-net, SET_OWNER, and
 * reads what the kernel's vhost-net offers (GET_FEATURES). */
int nx_vhost_net_open(struct nx_vhost_net *v, const char *tap, const char *dev,
		      uint64_t *features);
/* A tap with a 12-byte virtio_net_hdr (virtio 1.1 5.1.6), no offloads;
 * created (and brought up) if absent. Returns the fd, -1 on error. */
int nx_tap_open(const char *name, char *ifname);

/* ---- device types (registry.c) ------------------------------------------ */
/*
 * Every [device] type is one ops table; nx_passthrough_init looks the
 * type up and keeps (type, instance) pairs, so a new type is one table
 * entry, not a branch in pt.c. A guest reset ends the VM (core/x86/
 * platform.c), so the VM's end is the only reset a device sees: stop.
 */
struct nx_pt;
struct nx_dev_type {
	const char *name;		/* [device] type = NAME */
	/* One instance from its config; NULL after one `nexit: error:` line. */
	void *(*create)(struct nx_pt *pt, const struct nx_device_cfg *c);
	/* The VM is over: backends end (NULL: nothing to do). */
	void (*stop)(void *dev);
	/* Stats: its interrupt lines into root."irq"."lines", and one object
	 * describing it into root."passthrough"."devices". */
	void (*lines_json)(void *dev, struct json_object *lines);
	void (*device_json)(void *dev, struct json_object *devices);
};
/* nexit's side of irqdev (irqdev.c), VFIO assignment (vfio.c), virtio-net
 * over vhost-user or vhost-net (virtio_net.c, docs/net.md), virtio-blk
 * (virtio_blk.c). */
extern const struct nx_dev_type nx_irqdev_type, nx_vfio_type, nx_virtio_net_type,
	nx_virtio_blk_type;
/* The type named name ("vfio" also for a device with assign = BDF and no
 * type); NULL with an error line if there is none. */
const struct nx_dev_type *nx_dev_type_find(const struct nx_device_cfg *c);

/* A [device]'s options, "key=value key=value" (registry.c): the value of
 * key into buf (cut to len - 1), NULL if absent; slot=N (1..NX_PCI_SLOTS-1,
 * -1 if absent) and on/off keys with one error line if malformed. */
const char *nx_dev_opt(const char *opts, const char *key, char *buf, size_t len);
int nx_dev_opt_slot(const char *opts, int *slot, const char *dev);
int nx_dev_opt_bool(const char *opts, const char *key, bool *v, const char *dev);

/* ---- the subsystem ------------------------------------------------------- */
struct nx_pt {
	struct nx_vm *vm;
	pthread_mutex_t lock;		/* device list and stats */
	struct nx_pt_dev {
		const struct nx_dev_type *type;
		void *dev;
	} dev[NX_MAX_DEVICES];
	int ndev;
	char exe_dir[4096];		/* where nexit-devd is looked for */
};
#endif
