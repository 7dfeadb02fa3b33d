/* SPDX-License-Identifier: MIT */
/*
 * sandbox.c - nexit's seccomp sandbox, the way Firecracker and crosvm build
 * theirs: after its own set-up every thread loads the allow-list of its
 * kind (vCPU, event thread, control socket, main; nexit-devd has its own)
 * and may from then on make only those system calls, some only with the
 * arguments it needs (ioctl only of the KVM, VFIO and vhost families,
 * mmap/mprotect never executable, clone only for threads, tgkill only to
 * this process). PR_SET_NO_NEW_PRIVS is set first (seccomp(2) needs it
 * without CAP_SYS_ADMIN, and no exec can gain privileges afterwards).
 *
 * The filters are compiled once with libseccomp, before any thread starts,
 * into classic BPF programs each thread loads with seccomp(2) itself (no
 * allocation then, and no TSYNC: each thread's list is its own).
 *
 * A denied call traps (SECCOMP_RET_TRAP): the SIGSYS handler writes one
 * line naming the system call and the thread and ends the process with
 * status 1. Killing with SECCOMP_RET_KILL_PROCESS would leave only the
 * kernel's audit record, which a user running an appliance does not see;
 * the handler is a few async-signal-safe instructions and the filter of
 * every thread lets only write(2) and exit_group(2) through for it.
 * sandbox = log loads the same lists with SECCOMP_RET_LOG instead: the
 * kernel logs each call the lists lack (audit type 1326 in dmesg) and lets
 * it through, for finding what a new code path needs.
 *
 * The SIGSYS handler cannot be handed state, so the policy lives in one
 * static of this file (one per process) and each thread's kind in a
 * thread-local; both are written before any filter exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "core/vm.h"
#include "core/sandbox.h"

#define MAX_NR		512	/* syscall numbers named in reports */

struct nx_sandbox {
	enum nx_sandbox_mode mode;
	struct sock_fprog prog[NX_SANDBOX_KIND_KINDS];
	const char *names[MAX_NR];	/* syscall names for the SIGSYS report */
	uid_t uid;			/* user to drop to (0: none) */
	gid_t gid;
};

static const char *const kind_names[NX_SANDBOX_KIND_KINDS] = {
	[NX_SANDBOX_KIND_MAIN] = "main", [NX_SANDBOX_KIND_VCPU] = "vcpu", [NX_SANDBOX_KIND_EVENT] = "event",
	[NX_SANDBOX_KIND_LOOP] = "loop", [NX_SANDBOX_KIND_DEVD] = "devd",
};

/* The policy and its filters: see the file comment for why static. */
static struct nx_sandbox *sb_active;
static __thread int sb_kind = -1;
static __thread char sb_comm[16] = "?";

/* ---- the allow-lists ------------------------------------------------------ */
/* What any thread does: memory, locks, time, its own end, errors to stderr. */
static const int base_calls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(close), SCMP_SYS(futex),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(gettid), SCMP_SYS(getpid), SCMP_SYS(sched_yield), SCMP_SYS(restart_syscall),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(getrandom), SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid),
};

static const int main_calls[] = {
	SCMP_SYS(rt_sigtimedwait), SCMP_SYS(rt_sigaction), SCMP_SYS(fsync),
	SCMP_SYS(lseek), SCMP_SYS(newfstatat), SCMP_SYS(fstat),
	SCMP_SYS(pread64), SCMP_SYS(epoll_ctl), SCMP_SYS(wait4), SCMP_SYS(waitid),
	/* the end: backends hung up on, waited for (bounded), killed, reaped */
	SCMP_SYS(shutdown), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(pidfd_send_signal),
	SCMP_SYS(sendto),	/* sd_notify STOPPING=1 on the socket READY=1 made */
};

#ifdef __SANITIZE_ADDRESS__
/* The ASan test build only, for every thread kind: LeakSanitizer's check
 * at exit (in whichever thread ends the process, nexit-devd's too) stops
 * the threads from a ptrace-ing child with its own signal handlers, and
 * reads /proc/self/maps; ASan's thread start reads the affinity mask and
 * sets an alternate signal stack (ASan's overflow reports). */
static const int sanitizer_calls[] = {
	SCMP_SYS(getppid), SCMP_SYS(sigaltstack), SCMP_SYS(prctl), SCMP_SYS(open),
	SCMP_SYS(getdents), SCMP_SYS(getdents64), SCMP_SYS(ptrace),
	SCMP_SYS(wait4), SCMP_SYS(waitid), SCMP_SYS(sched_getaffinity), SCMP_SYS(readlink),
	SCMP_SYS(rt_sigaction), SCMP_SYS(lseek),
};
#endif

static const int vcpu_calls[] = {
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(shutdown), SCMP_SYS(timerfd_settime),
	SCMP_SYS(timerfd_create),	/* a storm's back-off timer, made at the first storm */
	SCMP_SYS(epoll_ctl), SCMP_SYS(eventfd2), SCMP_SYS(newfstatat), SCMP_SYS(fstat),
	/* a device started by the guest (virtio-blk) gets its I/O thread now */
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(prctl), SCMP_SYS(seccomp),
};

static const int event_calls[] = {
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(shutdown), SCMP_SYS(timerfd_create),
	SCMP_SYS(timerfd_settime), SCMP_SYS(wait4), SCMP_SYS(waitid),
	SCMP_SYS(pidfd_send_signal), SCMP_SYS(pread64), SCMP_SYS(pwrite64),
	SCMP_SYS(preadv), SCMP_SYS(pwritev), SCMP_SYS(fdatasync), SCMP_SYS(fsync),
	SCMP_SYS(eventfd2), SCMP_SYS(prctl),
};

/* The event loop (core/loop.c) does what the event list allows, and serves
 * the control socket (core/control.c): these on top. */
static const int control_calls[] = {
	SCMP_SYS(accept4), SCMP_SYS(accept), SCMP_SYS(getsockopt), SCMP_SYS(sendto),
	SCMP_SYS(sendmsg), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(pread64), SCMP_SYS(newfstatat), SCMP_SYS(fstat), SCMP_SYS(lseek),
};

static const int devd_calls[] = {
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
};

static int allow_all(scmp_filter_ctx c, const int *nr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (seccomp_rule_add(c, SCMP_ACT_ALLOW, nr[i], 0) < 0)
			return -1;
	return 0;
}

/* ioctl only of the families nexit drives: KVM (KVMIO 0xAE), VFIO (';'),
 * vhost (VHOST_VIRTIO 0xAF) and the tap's TUNSET* ('T'... no: 'T' is also
 * the terminal's TIOCSTI, so tap ioctls stay in set-up). _IOC_TYPE is bits
 * 8-15 of the request (asm-generic/ioctl.h). */
static int allow_ioctls(scmp_filter_ctx c)
{
	static const unsigned types[] = { 0xae, ';', 0xaf };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00, types[i] << 8)) < 0)
			return -1;
	return 0;
}

static int add_rules(scmp_filter_ctx c, enum nx_sandbox_kind k, const struct nx_sandbox *sb,
		     bool with_uring)
{
	pid_t pid = getpid();
	int r = allow_all(c, base_calls, sizeof(base_calls) / sizeof(base_calls[0]));

#ifdef __SANITIZE_ADDRESS__
	r |= allow_all(c, sanitizer_calls, sizeof(sanitizer_calls) / sizeof(sanitizer_calls[0]));
	/* LeakSanitizer's tracer shares the address space (CLONE_VM); a
	 * fork (no CLONE_VM) stays denied in this build too. */
	r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
			      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_VM, CLONE_VM));
#endif
	/* Memory never becomes executable (no code injection by mmap/mprotect). */
	r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
			      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* Signals only to our own threads (the vCPU kick, nx_vm_stop). */
	r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, SCMP_A0(SCMP_CMP_EQ, pid));
	/* Threads yes, processes no: clone needs CLONE_THREAD; clone3 passes
	 * its flags in memory seccomp cannot read, so it says ENOSYS and glibc
	 * falls back to clone. */
	r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
			      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	r |= seccomp_rule_add(c, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* glibc's setuid/setgid run in every thread (SIGSETXID): only to the
	 * user nexit drops to. */
	if (sb->uid) {
		r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(setgroups), 1,
				      SCMP_A0(SCMP_CMP_EQ, 0));
		r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(setresgid), 3,
				      SCMP_A0(SCMP_CMP_EQ, sb->gid), SCMP_A1(SCMP_CMP_EQ, sb->gid),
				      SCMP_A2(SCMP_CMP_EQ, sb->gid));
		r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(setresuid), 3,
				      SCMP_A0(SCMP_CMP_EQ, sb->uid), SCMP_A1(SCMP_CMP_EQ, sb->uid),
				      SCMP_A2(SCMP_CMP_EQ, sb->uid));
	}
	switch (k) {
	case NX_SANDBOX_KIND_MAIN:
		r |= allow_all(c, main_calls, sizeof(main_calls) / sizeof(main_calls[0]));
		r |= allow_ioctls(c);
		break;
	case NX_SANDBOX_KIND_VCPU:
		r |= allow_all(c, vcpu_calls, sizeof(vcpu_calls) / sizeof(vcpu_calls[0]));
		r |= allow_ioctls(c);
		break;
	case NX_SANDBOX_KIND_EVENT:
		r |= allow_all(c, event_calls, sizeof(event_calls) / sizeof(event_calls[0]));
		r |= allow_ioctls(c);
		break;
	case NX_SANDBOX_KIND_LOOP:
		r |= allow_all(c, event_calls, sizeof(event_calls) / sizeof(event_calls[0]));
		r |= allow_all(c, control_calls, sizeof(control_calls) / sizeof(control_calls[0]));
		r |= allow_ioctls(c);
		/* `nexit stop`: SIGTERM to this process, nothing else. */
		r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(kill), 2, SCMP_A0(SCMP_CMP_EQ, pid),
				      SCMP_A1(SCMP_CMP_EQ, SIGTERM));
		break;
	case NX_SANDBOX_KIND_DEVD:
		r |= allow_all(c, devd_calls, sizeof(devd_calls) / sizeof(devd_calls[0]));
		break;
	default:
		return -1;
	}
	/* /proc/self/fdinfo (an eventfd's pending count) for the stats: read-only. */
	if (k == NX_SANDBOX_KIND_MAIN || k == NX_SANDBOX_KIND_LOOP)
		r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT, O_RDONLY));
	/* io_uring only where a virtio-blk device runs: its rings do I/O that
	 * seccomp does not see. */
	if (with_uring && (k == NX_SANDBOX_KIND_VCPU || k == NX_SANDBOX_KIND_EVENT || k == NX_SANDBOX_KIND_LOOP)) {
		r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(io_uring_setup), 0);
		r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(io_uring_enter), 0);
		r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(io_uring_register), 0);
	}
	return r ? -1 : 0;
}

/* libseccomp 2.5 exports BPF to an fd only: a memfd, read back. */
static int compile(enum nx_sandbox_kind k, struct nx_sandbox *sb, bool with_uring)
{
	uint32_t def = sb->mode == NX_SANDBOX_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP;
	scmp_filter_ctx c = seccomp_init(def);
	struct sock_filter *f = NULL;
	off_t len;
	int fd = -1, ret = -1;

	if (!c)
		return nx_error("sandbox: seccomp_init failed");
	/* Errors of the kernel's seccomp(2), not libseccomp's NNP set-up. */
	seccomp_attr_set(c, SCMP_FLTATR_CTL_NNP, 0);
	if (add_rules(c, k, sb, with_uring) < 0) {
		nx_error("sandbox: cannot build the %s filter", kind_names[k]);
		goto out;
	}
	fd = memfd_create("nexit-seccomp", MFD_CLOEXEC);
	if (fd < 0 || seccomp_export_bpf(c, fd) < 0 || (len = lseek(fd, 0, SEEK_END)) <= 0 ||
	    len % sizeof(*f) || !(f = malloc((size_t)len)) ||
	    pread(fd, f, (size_t)len, 0) != len) {
		nx_error("sandbox: cannot compile the %s filter", kind_names[k]);
		free(f);
		goto out;
	}
	sb->prog[k] = (struct sock_fprog){ .len = (unsigned short)(len / sizeof(*f)), .filter = f };
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	seccomp_release(c);
	return ret;
}

/* ---- the report of a denied call (SIGSYS, async-signal-safe) ------------- */
static size_t put(char *b, size_t at, size_t n, const char *s)
{
	while (*s && at < n - 1)
		b[at++] = *s++;
	return at;
}

static size_t put_num(char *b, size_t at, size_t n, long v)
{
	char d[24];
	int i = 0;

	if (v < 0) {
		at = put(b, at, n, "-");
		v = -v;
	}
	do
		d[i++] = (char)('0' + v % 10);
	while ((v /= 10) && i < (int)sizeof(d));
	while (i && at < n - 1)
		b[at++] = d[--i];
	return at;
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char line[256];
	size_t n = sizeof(line), at = 0;
	int nr = si->si_syscall;
	const char *name = sb_active && nr >= 0 && nr < MAX_NR ? sb_active->names[nr] : NULL;

	at = put(line, at, n, "nexit: error: sandbox: thread ");
	at = put(line, at, n, sb_comm);
	at = put(line, at, n, " (");
	at = put(line, at, n, sb_kind >= 0 ? kind_names[sb_kind] : "?");
	at = put(line, at, n, " filter) made system call ");
	at = put(line, at, n, name ? name : "?");
	at = put(line, at, n, " (");
	at = put_num(line, at, n, nr);
	at = put(line, at, n, "), which its filter denies: VM stopped\n");
	if (write(2, line, at) < 0)
		at = 0;
	syscall(SYS_exit_group, 1);
}

/* ---- the user to drop to ---------------------------------------------------- */
/* NAME from /etc/passwd (read directly: a static nexit has no NSS), or
 * UID[:GID] in numbers. */
static int find_user(const char *user, uid_t *uid, gid_t *gid)
{
	unsigned long u, g;
	char *end;
	FILE *f;
	struct passwd *pw;

	u = strtoul(user, &end, 10);
	if (end != user && (!*end || *end == ':')) {
		g = *end ? strtoul(end + 1, &end, 10) : u;
		if (*end)
			return nx_error("user = %s: give a name or UID[:GID]", user);
		*uid = (uid_t)u;
		*gid = (gid_t)g;
	} else {
		f = fopen("/etc/passwd", "re");
		while (f && (pw = fgetpwent(f)) && strcmp(pw->pw_name, user))
			;
		if (!f || !pw) {
			if (f)
				fclose(f);
			return nx_error("user = %s: no such user in /etc/passwd", user);
		}
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		fclose(f);
	}
	if (!*uid || !*gid)
		return nx_error("user = %s is root's: name an unprivileged user", user);
	return 0;
}

/* ---- entry points ---------------------------------------------------------- */
const char *nx_sandbox_mode_name(enum nx_sandbox_mode m)
{
	return m == NX_SANDBOX_OFF ? "off" : m == NX_SANDBOX_LOG ? "log" : "on";
}

int nx_sandbox_init(enum nx_sandbox_mode mode, const char *user, bool with_uring)
{
	struct nx_sandbox *sb;
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	if (mode == NX_SANDBOX_OFF)
		return 0;
	sb = calloc(1, sizeof(*sb));
	if (!sb)
		return nx_error("out of memory");
	sb->mode = mode;
	if (user && user[0] && find_user(user, &sb->uid, &sb->gid) < 0)
		goto fail;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		nx_error("sandbox: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		goto fail;
	}
	for (int k = 0; k < NX_SANDBOX_KIND_KINDS; k++)
		if (compile((enum nx_sandbox_kind)k, sb, with_uring) < 0)
			goto fail;
	for (int nr = 0; nr < MAX_NR; nr++)
		sb->names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		nx_error("sandbox: sigaction(SIGSYS): %s", strerror(errno));
		goto fail;
	}
	sb_active = sb;
	return 0;
fail:
	for (int k = 0; k < NX_SANDBOX_KIND_KINDS; k++)
		free(sb->prog[k].filter);
	for (int nr = 0; nr < MAX_NR; nr++)
		free((void *)sb->names[nr]);
	free(sb);
	return -1;
}

int nx_sandbox_thread(enum nx_sandbox_kind k, const char *name)
{
	sigset_t sys;

	/* Threads name themselves: a name set by their creator may come after
	 * the filter, and the report names the thread. */
	if (name)
		prctl(PR_SET_NAME, name, 0, 0, 0);
	if (!sb_active || k < 0 || k >= NX_SANDBOX_KIND_KINDS)
		return 0;
	/* A SIGSYS this thread blocks would be delivered with the default
	 * action (a silent kill): it must reach the handler. */
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
	sb_kind = (int)k;
	prctl(PR_GET_NAME, sb_comm);	/* the report names the thread */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sb_active->prog[k]) < 0)
		return nx_error("sandbox: cannot load the %s filter: %s", kind_names[k],
				strerror(errno));
	return 0;
}

int nx_sandbox_drop(void)
{
	struct nx_sandbox *sb = sb_active;

	if (!sb || !sb->uid)
		return 0;
	/* Groups, then group, then user (after setuid nothing else can change). */
	if (setgroups(0, NULL) < 0 || setresgid(sb->gid, sb->gid, sb->gid) < 0 ||
	    setresuid(sb->uid, sb->uid, sb->uid) < 0)
		return nx_error("sandbox: cannot drop to uid %u gid %u: %s", (unsigned)sb->uid,
				(unsigned)sb->gid, strerror(errno));
	/* A credential change clears "dumpable", which makes /proc/self root's:
	 * the stats read /proc/self/fdinfo. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return 0;
}

bool nx_sandbox_user(uid_t *uid, gid_t *gid)
{
	if (sb_active && sb_active->uid) {
		*uid = sb_active->uid;
		*gid = sb_active->gid;
	}
	return sb_active != NULL;
}
