/* SPDX-License-Identifier: MIT */
/*
 * net.c - the `net` case: DPDK traffic into the probe guest through
 * vhost-user-net, nexit side by side with QEMU (docs/net.md).
 *
 * One dpdk-testpmd for the whole case, in txonly mode with a net_vhost
 * port whose unix socket both VMMs connect to as vhost-user frontends
 * (testpmd is the server and takes one frontend at a time; the run order
 * makes sure only one VMM is up). It needs 2 MiB hugepages: the case
 * raises vm.nr_hugepages if too few are free and mounts a private
 * hugetlbfs, and undoes both at the end.
 *   nexit: --device virtio-net,backend=SOCK (passthrough/virtio_net.c:
 *          kick = ioeventfd, call = irqfd, the data path never exits);
 *   QEMU:  q35, guest RAM a shared memfd, -netdev vhost-user,
 *          -device virtio-net-pci,disable-legacy=on.
 * The probe's `net` scenario receives for a window in two modes: irq
 * (MSI-X interrupt per backend burst, path testpmd-txonly) and poll (no
 * interrupts, path testpmd-txonly-poll: the ceiling). Packets/s and
 * interrupts/s are what the guest counted in its window. VMM exits per
 * 1000 packets: nexit's counter page read by the guest around the window;
 * QEMU has none, so it is differential over two runs under `perf stat -e
 * kvm:kvm_userspace_exit` with windows W and 3W (boot and set-up cancel).
 * testpmd's forwarding lcore busy-polls CPU 1; every VMM run is pinned to
 * CPU 0 (both VMMs alike), or its vCPU would time-slice with the poller
 * and the figures measure the scheduler (seen here: 10x swings).
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "core/vm.h"
#include "bench/bench.h"

#define NET_PATH_IRQ	"testpmd-txonly"
#define NET_PATH_POLL	"testpmd-txonly-poll"
#define HUGE_PAGES	96		/* 2 MiB pages for testpmd -m 128 and slack */
#define TESTPMD_MEM_MB	128

struct net_env {
	char testpmd[4096];
	char huge_dir[4400];
	char sock[4400];
	char log[4400];
	long nr_orig;			/* vm.nr_hugepages before, -1 = untouched */
	bool mounted;
	pid_t pid;
	char why[256];			/* why the case cannot run */
};

static bool find_exe(const char *name, char *out, size_t sz)
{
	const char *path = getenv("PATH");
	char dirs[4096];

	snprintf(dirs, sizeof(dirs), "%s", path && *path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, sz, "%s/%s", d, name);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

static long read_long(const char *file, const char *key)
{
	FILE *f = fopen(file, "r");
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			v = strtol(line, NULL, 10);
			break;
		}
		if (!strncmp(line, key, strlen(key))) {
			v = strtol(line + strlen(key), NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static int write_long(const char *file, long v)
{
	FILE *f = fopen(file, "w");
	int r;

	if (!f)
		return -1;
	r = fprintf(f, "%ld\n", v) > 0 ? 0 : -1;
	return fclose(f) == 0 ? r : -1;
}

/* 2 MiB hugepages and a private hugetlbfs mount for testpmd. */
static bool huge_setup(const struct nxb_opts *o, struct net_env *e)
{
	const char *nr = "/proc/sys/vm/nr_hugepages";
	long size_kb = read_long("/proc/meminfo", "Hugepagesize:");
	long free_pages = read_long("/proc/meminfo", "HugePages_Free:");

	e->nr_orig = -1;
	if (size_kb != 2048) {
		snprintf(e->why, sizeof(e->why), "the default hugepage size is %ld kB, testpmd "
			 "here is set up for 2 MiB pages", size_kb);
		return false;
	}
	if (free_pages < HUGE_PAGES) {
		long cur = read_long(nr, NULL), total = read_long("/proc/meminfo", "HugePages_Total:");

		/* Pages in use may be surplus ones (above nr_hugepages): grow
		 * the pool from its real size, not from the sysctl. */
		if (cur < 0 || write_long(nr, (total > cur ? total : cur) + HUGE_PAGES - free_pages) < 0) {
			snprintf(e->why, sizeof(e->why), "no 2 MiB hugepages for testpmd: %ld free, "
				 "cannot raise %s (%s)", free_pages, nr, strerror(errno));
			return false;
		}
		e->nr_orig = cur;
		free_pages = read_long("/proc/meminfo", "HugePages_Free:");
		if (free_pages < HUGE_PAGES) {
			snprintf(e->why, sizeof(e->why), "no 2 MiB hugepages for testpmd: only %ld "
				 "free after raising %s (memory fragmented?)", free_pages, nr);
			return false;
		}
	}
	snprintf(e->huge_dir, sizeof(e->huge_dir), "%s/net-hugetlbfs", o->tmp);
	if (mkdir(e->huge_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(e->why, sizeof(e->why), "mkdir %.150s: %s", e->huge_dir, strerror(errno));
		return false;
	}
	if (mount("nodev", e->huge_dir, "hugetlbfs", 0, "pagesize=2M") < 0) {
		snprintf(e->why, sizeof(e->why), "cannot mount hugetlbfs for testpmd: %s "
			 "(needs root)", strerror(errno));
		return false;
	}
	e->mounted = true;
	return true;
}

static bool testpmd_start(const struct nxb_opts *o, struct net_env *e)
{
	char mem[16], prefix[64], vdev[4500];

	snprintf(e->sock, sizeof(e->sock), "%s/net-vhost.sock", o->tmp);
	snprintf(e->log, sizeof(e->log), "%s/net-testpmd.log", o->tmp);
	snprintf(mem, sizeof(mem), "%d", TESTPMD_MEM_MB);
	snprintf(prefix, sizeof(prefix), "nexit-bench-%d", (int)getpid());
	snprintf(vdev, sizeof(vdev), "net_vhost0,iface=%s", e->sock);
	unlink(e->sock);
	e->pid = fork();
	if (e->pid < 0) {
		snprintf(e->why, sizeof(e->why), "fork: %s", strerror(errno));
		return false;
	}
	if (e->pid == 0) {
		int in = open("/dev/null", O_RDONLY), out = open(e->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGTERM);	/* never outlives the bench */
		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		/* --stats-period keeps a non-interactive testpmd running (it
		 * would otherwise exit at EOF on stdin). */
		execl(e->testpmd, "dpdk-testpmd", "-l", "0-1", "--no-pci", "--huge-dir", e->huge_dir,
		      "--file-prefix", prefix, "--no-shconf", "--no-telemetry", "--huge-unlink", "-m", mem, "--vdev", vdev, "--",
		      "--total-num-mbufs=8192", "--forward-mode=txonly", "--auto-start",
		      "--stats-period", "3600", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300; i++) {		/* up to 30 s for EAL init */
		struct stat st;
		int status;

		if (stat(e->sock, &st) == 0 && S_ISSOCK(st.st_mode))
			return true;
		if (waitpid(e->pid, &status, WNOHANG) == e->pid) {
			e->pid = 0;
			snprintf(e->why, sizeof(e->why), "dpdk-testpmd exited during start-up "
				 "(status %d), see %.150s", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
				 e->log);
			return false;
		}
		usleep(100 * 1000);
	}
	snprintf(e->why, sizeof(e->why), "dpdk-testpmd created no vhost-user socket in 30 s, "
		 "see %.150s", e->log);
	return false;
}

static void net_teardown(struct net_env *e)
{
	if (e->pid > 0) {
		int status;

		kill(e->pid, SIGINT);			/* testpmd stops its ports and exits */
		for (int i = 0; i < 50 && waitpid(e->pid, &status, WNOHANG) != e->pid; i++) {
			if (i == 49) {
				kill(e->pid, SIGKILL);
				waitpid(e->pid, &status, 0);
			}
			usleep(100 * 1000);
		}
		e->pid = 0;
	}
	{
		/* EAL's runtime directory (empty with --no-shconf). */
		char run[96];
		snprintf(run, sizeof(run), "/var/run/dpdk/nexit-bench-%d", (int)getpid());
		rmdir(run);
	}
	if (e->mounted && umount2(e->huge_dir, MNT_DETACH) == 0)
		rmdir(e->huge_dir);
	e->mounted = false;
	if (e->nr_orig >= 0)
		write_long("/proc/sys/vm/nr_hugepages", e->nr_orig);
	e->nr_orig = -1;
	unlink(e->sock);
}

/* ---- one run --------------------------------------------------------------- */
static int net_argv(const struct nxb_opts *o, const struct net_env *e, enum nxb_vmm v,
		    const char *cmdline, const char *perf_out, struct nxb_argv *a)
{
	int r = 0;

	nxb_argv_init(a);
	if (v == NXB_NEXIT) {
		r |= nxb_argv_add(a, "%s", o->nexit);
		r |= nxb_argv_add(a, "run");
		r |= nxb_argv_add(a, "--kernel");
		r |= nxb_argv_add(a, "%s", o->probe);
		r |= nxb_argv_add(a, "--cmdline");
		r |= nxb_argv_add(a, "%s", cmdline);
		r |= nxb_argv_add(a, "--mem");
		r |= nxb_argv_add(a, "%lluM", NXB_GUEST_RAM >> 20);
		r |= nxb_argv_add(a, "--irqchip");
		r |= nxb_argv_add(a, "split");
		r |= nxb_argv_add(a, "--device");
		r |= nxb_argv_add(a, "virtio-net,backend=%s", e->sock);
		r |= nxb_argv_add(a, "--timeout");
		r |= nxb_argv_add(a, "%d", o->timeout_s > 2 ? o->timeout_s - 1 : o->timeout_s);
		return r ? -1 : 0;
	}
	r |= nxb_qemu_argv_head(o, perf_out, "kvm:kvm_userspace_exit", a);
	/* vhost-user needs guest RAM the backend can map: a shared memfd. */
	r |= nxb_argv_add(a, "-machine");
	r |= nxb_argv_add(a, "q35,kernel-irqchip=split,memory-backend=mem");
	r |= nxb_argv_add(a, "-object");
	r |= nxb_argv_add(a, "memory-backend-memfd,id=mem,size=%lluM,share=on", NXB_GUEST_RAM >> 20);
	r |= nxb_qemu_argv_common(1, a);
	r |= nxb_argv_add(a, "-device");
	r |= nxb_argv_add(a, "isa-debug-exit,iobase=0xf4,iosize=4");
	r |= nxb_argv_add(a, "-chardev");
	r |= nxb_argv_add(a, "socket,id=vhu0,path=%s", e->sock);
	r |= nxb_argv_add(a, "-netdev");
	r |= nxb_argv_add(a, "vhost-user,id=net0,chardev=vhu0");
	r |= nxb_argv_add(a, "-device");
	r |= nxb_argv_add(a, "virtio-net-pci,netdev=net0,disable-legacy=on");
	r |= nxb_argv_add(a, "-kernel");
	r |= nxb_argv_add(a, "%s", o->probe);
	r |= nxb_argv_add(a, "-append");
	r |= nxb_argv_add(a, "%s", cmdline);
	return r ? -1 : 0;
}

struct net_out {
	double pps, irqs_per_s, exits_per_1000, packets;
	bool have_exits;
	double perf_exits;		/* QEMU under perf: kvm_userspace_exit */
	bool have_perf;
};

static bool perf_exits(const char *file, double *v)
{
	FILE *f = fopen(file, "r");
	char line[512];
	bool ok = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, ",kvm:kvm_userspace_exit") && line[0] >= '0' && line[0] <= '9') {
			*v = strtod(line, NULL);
			ok = true;
		}
	fclose(f);
	return ok;
}

static bool net_run(const struct nxb_opts *o, struct nxb_results *res, const struct net_env *e,
		    enum nxb_vmm v, const char *mode, int ms, bool perf, const char *tag,
		    struct net_out *out, char *why, size_t wsz)
{
	char cmdline[256], perf_out[4400], log[4400], line[200];
	struct nxb_argv a;
	struct nxb_proc p = { 0 };
	struct json_object *j, *x;
	bool ok = false;
	FILE *f;

	memset(out, 0, sizeof(*out));
	if (res->unavailable[v][0]) {
		snprintf(why, wsz, "%s", res->unavailable[v]);
		return false;
	}
	snprintf(cmdline, sizeof(cmdline), "scenario=net mode=%s ms=%d wait_ms=%d", mode, ms,
		 o->timeout_s * 1000 / 2);
	snprintf(perf_out, sizeof(perf_out), "%s/%s.perf", o->tmp, tag);
	unlink(perf_out);
	if (net_argv(o, e, v, cmdline, perf && v == NXB_QEMU ? perf_out : NULL, &a) < 0) {
		snprintf(why, wsz, "bench: cannot build the command line");
		return false;
	}
	p.timeout_ms = o->timeout_s * 1000 + 2000;
	p.guest_ram = NXB_GUEST_RAM;
	if (nxb_run(&a, &p) < 0) {
		snprintf(why, wsz, "bench: could not start %s", a.v[0]);
		return false;
	}
	snprintf(log, sizeof(log), "%s/%s.log", o->tmp, tag);
	if ((f = fopen(log, "w"))) {
		fprintf(f, "#");
		for (int i = 0; i < a.n; i++)
			fprintf(f, " %s", a.v[i]);
		fprintf(f, "\n# status %d%s\n", p.status, p.timed_out ? " (timed out)" : "");
		fwrite(p.out, 1, p.out_len, f);
		fprintf(f, "\n# stderr (tail):\n%s\n", p.err);
		fclose(f);
	}
	j = nxb_probe_json(p.out, p.out_len);
	if (!j) {
		nxb_last_line(p.err, strlen(p.err), line, sizeof(line));
		if (!line[0])
			nxb_last_line(p.out, p.out_len, line, sizeof(line));
		snprintf(why, wsz, "%sno PROBE line (exit status %d): %s",
			 p.timed_out ? "timed out, " : "", p.status, line[0] ? line : "no output");
	} else if (!json_object_object_get_ex(j, NX_PROBE_KEY_RESULT, &x) ||
		   strcmp(json_object_get_string(x), NX_PROBE_PASS)) {
		snprintf(why, wsz, "guest reported fail: %.180s",
			 json_object_object_get_ex(j, "error", &x) ? json_object_get_string(x)
								   : json_object_to_json_string(j));
	} else if (!nxb_json_num(j, "pps", &out->pps) ||
		   !nxb_json_num(j, "irqs_per_s", &out->irqs_per_s) ||
		   !nxb_json_num(j, "packets", &out->packets)) {
		snprintf(why, wsz, "the PROBE line lacks pps/irqs_per_s/packets");
	} else {
		out->have_exits = nxb_json_num(j, "vmm_exits_per_1000_pkts", &out->exits_per_1000);
		if (perf && v == NXB_QEMU)
			out->have_perf = perf_exits(perf_out, &out->perf_exits);
		ok = true;
	}
	if (j)
		json_object_put(j);
	nxb_proc_free(&p);
	return ok;
}

/* ---- the case ---------------------------------------------------------------- */
struct net_mode {
	const char *mode, *path;
	struct nxb_row *pps, *ips, *exits;
};

static void fail_all(struct net_mode *m, int nm, enum nxb_vmm v, const char *why)
{
	for (int i = 0; i < nm; i++) {
		if (!m[i].pps->s[v].n)
			nxb_row_fail(m[i].pps, v, "%s", why);
		if (m[i].ips && !m[i].ips->s[v].n)
			nxb_row_fail(m[i].ips, v, "%s", why);
		if (!m[i].exits->s[v].n)
			nxb_row_fail(m[i].exits, v, "%s", why);
	}
}

/* QEMU: exits per 1000 packets = 1000 * (E(3W) - E(W)) / (P(3W) - P(W)). */
static void qemu_exits(const struct nxb_opts *o, struct nxb_results *res,
		       const struct net_env *e, struct net_mode *m, int ms)
{
	struct net_out a, b;
	char why[256], tag[96];

	snprintf(tag, sizeof(tag), "net-%s-qemu-perf-w1", m->mode);
	fprintf(stderr, "bench: net   %-10s qemu  exits (perf, windows %d and %d ms)\n",
		m->mode, ms, 3 * ms);
	if (!net_run(o, res, e, NXB_QEMU, m->mode, ms, true, tag, &a, why, sizeof(why))) {
		nxb_row_fail(m->exits, NXB_QEMU, "perf run failed: %s", why);
		return;
	}
	snprintf(tag, sizeof(tag), "net-%s-qemu-perf-w3", m->mode);
	if (!net_run(o, res, e, NXB_QEMU, m->mode, 3 * ms, true, tag, &b, why, sizeof(why))) {
		nxb_row_fail(m->exits, NXB_QEMU, "perf run failed: %s", why);
		return;
	}
	if (!a.have_perf || !b.have_perf) {
		nxb_row_fail(m->exits, NXB_QEMU, "perf stat could not count kvm:kvm_userspace_exit");
		return;
	}
	if (b.packets <= a.packets) {
		nxb_row_fail(m->exits, NXB_QEMU, "the 3x window received no more packets than the 1x "
			     "one (%.0f vs %.0f): no differential", b.packets, a.packets);
		return;
	}
	nxb_row_add(m->exits, NXB_QEMU,
		    1000.0 * (b.perf_exits > a.perf_exits ? b.perf_exits - a.perf_exits : 0) /
		    (b.packets - a.packets), b.packets - a.packets);
}

void nxb_case_net(const struct nxb_opts *o, struct nxb_results *res)
{
	struct net_mode modes[2] = {
		{ "irq", NET_PATH_IRQ, NULL, NULL, NULL },
		{ "poll", NET_PATH_POLL, NULL, NULL, NULL },
	};
	int nm = o->mode == NXB_SMOKE ? 1 : 2;
	int rounds = o->mode == NXB_SMOKE ? 1 : o->mode == NXB_QUICK ? 2 :
		     (o->rounds < 8 ? o->rounds : 8);
	int ms = o->mode == NXB_SMOKE ? 100 : o->mode == NXB_QUICK ? 300 : 1000;
	struct net_env e = { .nr_orig = -1 };
	bool dead[NXB_NVMM] = { false, false };

	for (int i = 0; i < nm; i++) {
		struct net_mode *m = &modes[i];

		m->pps = nxb_row_get(res, "net", m->path, "pps", "1/s", false);
		m->ips = i == 0 ? nxb_row_get(res, "net", m->path, "irqs_per_s", "1/s", false) : NULL;
		m->exits = nxb_row_get(res, "net", m->path, "vmm_exits_per_1000_pkts", "exits", true);
	}
	snprintf(modes[0].pps->note, sizeof(modes[0].pps->note),
		 "dpdk-testpmd txonly (64-byte frames) -> vhost-user -> virtio-net (one rx queue, "
		 "%d x 2 KiB buffers); guest receives with MSI-X interrupts in a %d ms ring-3 window; "
		 "nexit: exitless kick/call; QEMU: q35 vhost-user-net; VMMs pinned to CPU 0, "
		 "testpmd's poller on CPU 1", 256, ms);
	if (nm > 1)
		snprintf(modes[1].pps->note, sizeof(modes[1].pps->note),
			 "as testpmd-txonly, but the guest polls its used ring (no interrupts): the "
			 "receive ceiling");
	snprintf(modes[0].exits->note, sizeof(modes[0].exits->note),
		 "nexit: its counter page read by the guest around the window; QEMU: differential "
		 "kvm:kvm_userspace_exit (perf stat) over %d and %d ms windows%s", ms, 3 * ms,
		 o->mode == NXB_SMOKE ? " (not run in --smoke)" : "");

	if (!find_exe("dpdk-testpmd", e.testpmd, sizeof(e.testpmd))) {
		snprintf(e.why, sizeof(e.why), "dpdk-testpmd is missing (Debian package dpdk-dev; "
			 "make deps installs it)");
	} else if (huge_setup(o, &e) && testpmd_start(o, &e)) {
		e.why[0] = 0;
	}
	if (e.why[0]) {
		fprintf(stderr, "bench: net: cannot run: %s\n", e.why);
		for (int v = 0; v < NXB_NVMM; v++)
			fail_all(modes, nm, (enum nxb_vmm)v, e.why);
		net_teardown(&e);
		return;
	}

	/* VMMs on CPU 0, away from testpmd's poller on CPU 1 (children
	 * inherit the affinity; restored below). */
	cpu_set_t saved, vmm_cpus;
	bool pinned = false;
	if (sched_getaffinity(0, sizeof(saved), &saved) == 0 && CPU_ISSET(0, &saved) &&
	    CPU_ISSET(1, &saved)) {
		CPU_ZERO(&vmm_cpus);
		CPU_SET(0, &vmm_cpus);
		pinned = sched_setaffinity(0, sizeof(vmm_cpus), &vmm_cpus) == 0;
	}
	for (int round = 0; round < rounds; round++) {
		for (int i = 0; i < nm; i++) {
			struct net_mode *m = &modes[i];
			struct net_out r[NXB_NVMM];
			bool have[NXB_NVMM] = { false, false };

			for (int k = 0; k < NXB_NVMM; k++) {
				enum nxb_vmm v = (round & 1) ? (enum nxb_vmm)(NXB_NVMM - 1 - k) : (enum nxb_vmm)k;
				char tag[96], why[256];

				if (dead[v])
					continue;
				snprintf(tag, sizeof(tag), "net-%s-%s-r%d", m->mode, nxb_vmm_name(v), round);
				fprintf(stderr, "bench: net   %-10s %-5s round %d\n", m->path,
					nxb_vmm_name(v), round);
				if (!net_run(o, res, &e, v, m->mode, ms, false, tag, &r[v], why, sizeof(why))) {
					fprintf(stderr, "bench:   %s: failed: %s\n", nxb_vmm_name(v), why);
					if (!m->pps->s[v].n) {
						fail_all(modes, nm, v, why);
						dead[v] = true;
					}
					continue;
				}
				have[v] = true;
				nxb_row_add(m->pps, v, r[v].pps, r[v].packets);
				if (m->ips)
					nxb_row_add(m->ips, v, r[v].irqs_per_s, r[v].packets);
				if (v == NXB_NEXIT) {
					if (r[v].have_exits)
						nxb_row_add(m->exits, v, r[v].exits_per_1000, r[v].packets);
					else
						nxb_row_fail(m->exits, v, "the probe saw no counter page");
				}
			}
			if (have[NXB_NEXIT] && have[NXB_QEMU] && r[NXB_QEMU].pps > 0 &&
			    m->pps->nratios < NXB_MAX_ROUNDS)
				m->pps->ratios[m->pps->nratios++] = r[NXB_NEXIT].pps / r[NXB_QEMU].pps;
			if (m->ips && have[NXB_NEXIT] && have[NXB_QEMU] && r[NXB_QEMU].irqs_per_s > 0 &&
			    m->ips->nratios < NXB_MAX_ROUNDS)
				m->ips->ratios[m->ips->nratios++] =
					r[NXB_NEXIT].irqs_per_s / r[NXB_QEMU].irqs_per_s;
		}
	}
	for (int i = 0; i < nm; i++) {
		if (dead[NXB_QEMU])
			break;
		if (o->mode == NXB_SMOKE)
			nxb_row_fail(modes[i].exits, NXB_QEMU, "QEMU's differential exit count is not "
				     "run in --smoke (two extra QEMU boots)");
		else if (o->mode == NXB_QUICK && i > 0)
			nxb_row_fail(modes[i].exits, NXB_QEMU, "QEMU's differential exit count of the "
				     "poll path runs in full runs only (--quick: the irq path)");
		else
			qemu_exits(o, res, &e, &modes[i], ms);
	}
	if (pinned)
		sched_setaffinity(0, sizeof(saved), &saved);
	net_teardown(&e);
}
