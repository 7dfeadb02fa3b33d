/* SPDX-License-Identifier: MIT */
/*
 * appliance.c - the boot/appliance case: the Linux appliance (make
 * appliance: Debian's cloud kernel, the initramfs with the virtio drivers,
 * the ext4 root on virtio-blk) on nexit and on QEMU, same kernel, same
 * initramfs, same root image (a copy each), same command line
 * `console=ttyS0 panic=-1 quiet root=/dev/vda rootfstype=ext4 nexit.run=once`,
 * 256 MiB, 1 vCPU, no network device. Timed from fork to the appliance's
 * ready line (marker_ms) and to process exit after the guest powered off
 * (total_ms).
 *
 * nexit boots the kernel the way the appliance does: the uncompressed
 * vmlinux through its PVH entry (and, for the record, the bzImage). QEMU
 * runs every machine type a user could pick - pc (SeaBIOS), q35 (SeaBIOS),
 * microvm (qboot, PCIe on for virtio-blk-pci) - with the bzImage, and pc and
 * microvm with the same vmlinux (PVH, QEMU's pvh.bin / qboot); the row
 * compares nexit with QEMU's best of them (lowest median total_ms), and its
 * note lists every variant. Variants run in a different order each round.
 * Where this host's KVM cannot boot Linux the case runs in the nested L1
 * machine (bench/l1.c) and its rows say so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "core/vm.h"
#include "bench/bench.h"

#define MARKER		"NEXIT-APPLIANCE-READY"
#define CMDLINE		"console=ttyS0 panic=-1 quiet root=/dev/vda rootfstype=ext4 nexit.run=once"
#define NVAR		7

struct variant {
	const char *name;
	enum nxb_vmm vmm;
	const char *machine;	/* QEMU -machine */
	bool pvh;		/* the vmlinux, else the bzImage */
	/* out, per measured round */
	double total[NXB_MAX_ROUNDS], marker[NXB_MAX_ROUNDS];
	int n;
	char why[256];
	bool dead;
};

struct files {
	char dir[4096], vmlinuz[4200], vmlinux[4200], initrd[4200], root[4200];
};

static void find_files(const struct nxb_opts *o, struct files *f)
{
	char *slash;

	/* build/nexit -> build/appliance (make appliance). */
	snprintf(f->dir, sizeof(f->dir), "%s", o->nexit);
	slash = strrchr(f->dir, '/');
	if (slash)
		snprintf(slash, sizeof(f->dir) - (size_t)(slash - f->dir), "/appliance");
	else
		snprintf(f->dir, sizeof(f->dir), "build/appliance");
	/* A nexit built elsewhere (build/asan/nexit) boots the one appliance,
	 * as the probe's default falls back to build/guest (bench/cli.c). */
	snprintf(f->vmlinuz, sizeof(f->vmlinuz), "%s/vmlinuz", f->dir);
	if (access(f->vmlinuz, R_OK))
		snprintf(f->dir, sizeof(f->dir), "build/appliance");
	snprintf(f->vmlinuz, sizeof(f->vmlinuz), "%s/vmlinuz", f->dir);
	snprintf(f->vmlinux, sizeof(f->vmlinux), "%s/vmlinux", f->dir);
	snprintf(f->initrd, sizeof(f->initrd), "%s/initramfs.cpio", f->dir);
	snprintf(f->root, sizeof(f->root), "%s/root.img", f->dir);
}

/* The bench's own copy of the root image (every boot writes to it), sparse
 * where the image is zero: a scratch directory may be a tmpfs in RAM. */
static int copy_file(const char *from, const char *to)
{
	static const char zero[1 << 16];
	char buf[1 << 16];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	off_t size = 0;
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (memcmp(buf, zero, (size_t)n) ? pwrite(out, buf, (size_t)n, size) != n : 0) {
			n = -1;
			break;
		}
		size += n;
	}
	if (n == 0 && ftruncate(out, size) < 0)
		n = -1;
	close(in);
	close(out);
	return n < 0 ? -1 : 0;
}

static int argv_of(const struct nxb_opts *o, const struct files *f, const struct variant *v,
		   const char *img, struct nxb_argv *a)
{
	const char *kernel = v->pvh ? f->vmlinux : f->vmlinuz;
	int r = 0;

	nxb_argv_init(a);
	if (v->vmm == NXB_NEXIT) {
		r |= nxb_argv_add(a, "%s", o->nexit);
		r |= nxb_argv_add(a, "run");
		r |= nxb_argv_add(a, "--kernel");
		r |= nxb_argv_add(a, "%s", kernel);
		r |= nxb_argv_add(a, "--initrd");
		r |= nxb_argv_add(a, "%s", f->initrd);
		r |= nxb_argv_add(a, "--cmdline");
		r |= nxb_argv_add(a, "%s", CMDLINE);
		r |= nxb_argv_add(a, "--mem");
		r |= nxb_argv_add(a, "%lluM", NXB_GUEST_RAM >> 20);
		r |= nxb_argv_add(a, "--cpus");
		r |= nxb_argv_add(a, "1");
		r |= nxb_argv_add(a, "--no-defaults");
		r |= nxb_argv_add(a, "--device");
		r |= nxb_argv_add(a, "virtio-blk,path=%s", img);
		r |= nxb_argv_add(a, "--timeout");
		r |= nxb_argv_add(a, "%d", o->timeout_s > 2 ? o->timeout_s - 1 : o->timeout_s);
		return r ? -1 : 0;
	}
	r |= nxb_qemu_argv_head(o, NULL, NULL, a);
	r |= nxb_argv_add(a, "-machine");
	r |= nxb_argv_add(a, "%s", v->machine);
	r |= nxb_qemu_argv_common(1, a);
	r |= nxb_argv_add(a, "-kernel");
	r |= nxb_argv_add(a, "%s", kernel);
	r |= nxb_argv_add(a, "-initrd");
	r |= nxb_argv_add(a, "%s", f->initrd);
	r |= nxb_argv_add(a, "-append");
	r |= nxb_argv_add(a, "%s", CMDLINE);
	r |= nxb_argv_add(a, "-drive");
	r |= nxb_argv_add(a, "if=none,id=root,format=raw,file=%s", img);
	r |= nxb_argv_add(a, "-device");
	r |= nxb_argv_add(a, "virtio-blk-pci,drive=root");
	return r ? -1 : 0;
}

/* One boot: 0 with the times, or -1 and v->why. */
static int boot_once(const struct nxb_opts *o, const struct files *f, struct variant *v,
		     int round, double *total, double *marker)
{
	struct nxb_argv a;
	struct nxb_proc p = { 0 };
	char img[4400], log[4400];
	FILE *lf;
	int rc = -1;

	snprintf(img, sizeof(img), "%s/appliance-root.img", o->tmp);
	if (argv_of(o, f, v, img, &a) < 0) {
		snprintf(v->why, sizeof(v->why), "bench: cannot build the command line");
		return -1;
	}
	p.timeout_ms = o->timeout_s * 1000 + 2000;
	p.marker = MARKER;
	fprintf(stderr, "bench: boot  appliance  %-14s round %d\n", v->name, round);
	if (nxb_run(&a, &p) < 0) {
		snprintf(v->why, sizeof(v->why), "bench: could not start %s", a.v[0]);
		return -1;
	}
	snprintf(log, sizeof(log), "%s/boot-appliance-%s-r%d.log", o->tmp, v->name, round);
	lf = fopen(log, "w");
	if (lf) {
		for (int i = 0; i < a.n; i++)
			fprintf(lf, "%s%s", i ? " " : "# ", a.v[i]);
		fprintf(lf, "\n# status %d, %.1f ms\n", p.status, (p.end_ns - p.start_ns) / 1e6);
		fwrite(p.out, 1, p.out_len, lf);
		fprintf(lf, "\n# stderr (tail):\n%s\n", p.err);
		fclose(lf);
	}
	if (p.timed_out)
		snprintf(v->why, sizeof(v->why), "timed out after %d s", o->timeout_s);
	else if (!p.marker_ns)
		snprintf(v->why, sizeof(v->why), "no %s line (exit status %d): %.150s", MARKER,
			 p.status, p.err);
	else if (p.status != 0)
		snprintf(v->why, sizeof(v->why), "exit status %d after the ready line: %.150s",
			 p.status, p.err);
	else {
		*total = (p.end_ns - p.start_ns) / 1e6;
		*marker = (p.marker_ns - p.start_ns) / 1e6;
		rc = 0;
	}
	nxb_proc_free(&p);
	return rc;
}

static double median_of(const double *x, int n)
{
	double t[NXB_MAX_ROUNDS];

	memcpy(t, x, sizeof(*x) * (size_t)n);
	return nxb_median(t, n);
}

void nxb_case_appliance(const struct nxb_opts *o, struct nxb_results *res)
{
	struct variant vars[NVAR] = {
		{ "nexit-pvh", NXB_NEXIT, NULL, true },
		{ "nexit-bzimage", NXB_NEXIT, NULL, false },
		{ "qemu-pc", NXB_QEMU, "pc", false },
		{ "qemu-q35", NXB_QEMU, "q35", false },
		{ "qemu-microvm", NXB_QEMU, "microvm,pcie=on", false },
		{ "qemu-pc-pvh", NXB_QEMU, "pc", true },
		{ "qemu-microvm-pvh", NXB_QEMU, "microvm,pcie=on", true },
	};
	struct nxb_row *tot = nxb_row_get(res, "boot", "appliance", "total_ms", "ms", true);
	struct nxb_row *mk = nxb_row_get(res, "boot", "appliance", "marker_ms", "ms", true);
	int best[NXB_NVMM] = { -1, -1 }, total = o->warmup + o->rounds;
	double bestv[NXB_NVMM] = { 0, 0 };
	struct files f;
	char note[512] = "", img[4400];
	size_t nl = 0;

	find_files(o, &f);
	/* Linux boots only on a KVM that runs guest ring 0 (core/kvm_kind.c):
	 * elsewhere both VMMs boot it side by side in the nested L1 machine. */
	if (strcmp(res->host.kvm_kind, "linux") && !o->in_l1) {
		fprintf(stderr, "bench: boot/appliance: this KVM (%s) cannot boot Linux: the "
			"appliance runs in the nested L1 machine\n", res->host.kvm_kind);
		nxb_l1_case(o, res, "boot", "appliance", "measured in the nested L1 machine (QEMU "
			    "TCG, KVM-SVM): compare the two VMMs, not these figures with this host's");
		return;
	}
	if (access(f.vmlinuz, R_OK) || access(f.initrd, R_OK) || access(f.root, R_OK)) {
		for (int v = 0; v < NXB_NVMM; v++) {
			nxb_row_fail(tot, (enum nxb_vmm)v, "no appliance in %.200s (make appliance)", f.dir);
			nxb_row_fail(mk, (enum nxb_vmm)v, "%s", tot->s[v].reason);
		}
		return;
	}
	snprintf(img, sizeof(img), "%s/appliance-root.img", o->tmp);
	if (copy_file(f.root, img) < 0) {
		for (int v = 0; v < NXB_NVMM; v++) {
			nxb_row_fail(tot, (enum nxb_vmm)v, "cannot copy %.200s: %s", f.root, strerror(errno));
			nxb_row_fail(mk, (enum nxb_vmm)v, "%s", tot->s[v].reason);
		}
		return;
	}
	for (int i = 0; i < NVAR; i++)
		if (vars[i].pvh && access(f.vmlinux, R_OK)) {
			vars[i].dead = true;
			snprintf(vars[i].why, sizeof(vars[i].why), "no %.200s", f.vmlinux);
		}
	for (int round = 0; round < total; round++) {
		for (int k = 0; k < NVAR; k++) {
			struct variant *v = &vars[(k + round) % NVAR];
			double t, m;

			if (v->dead || res->unavailable[v->vmm][0])
				continue;
			if (boot_once(o, &f, v, round, &t, &m) < 0) {
				fprintf(stderr, "bench:   %s: failed: %s\n", v->name, v->why);
				v->dead = true;		/* the same boot fails the same way */
				continue;
			}
			if (round >= o->warmup && v->n < NXB_MAX_ROUNDS) {
				v->total[v->n] = t;
				v->marker[v->n++] = m;
			}
		}
	}
	/* Each VMM's best variant by median total time. */
	for (int i = 0; i < NVAR; i++) {
		double med;

		if (!vars[i].n)
			continue;
		med = median_of(vars[i].total, vars[i].n);
		if (best[vars[i].vmm] < 0 || med < bestv[vars[i].vmm]) {
			best[vars[i].vmm] = i;
			bestv[vars[i].vmm] = med;
		}
		nl += (size_t)snprintf(note + nl, sizeof(note) - nl, "%s%s %.0f", nl ? ", " : "",
				       vars[i].name, med);
		if (nl >= sizeof(note))
			nl = sizeof(note) - 1;
	}
	for (int v = 0; v < NXB_NVMM; v++) {
		const struct variant *b = best[v] >= 0 ? &vars[best[v]] : NULL;

		if (!b) {
			const char *why = "no variant ran";
			for (int i = 0; i < NVAR; i++)
				if (vars[i].vmm == (enum nxb_vmm)v && vars[i].why[0])
					why = vars[i].why;
			nxb_row_fail(tot, (enum nxb_vmm)v, "%s", why);
			nxb_row_fail(mk, (enum nxb_vmm)v, "%s", why);
			continue;
		}
		for (int i = 0; i < b->n; i++) {
			nxb_row_add(tot, (enum nxb_vmm)v, b->total[i], 1);
			nxb_row_add(mk, (enum nxb_vmm)v, b->marker[i], 1);
		}
	}
	if (best[NXB_NEXIT] >= 0 && best[NXB_QEMU] >= 0) {
		const struct variant *a = &vars[best[NXB_NEXIT]], *b = &vars[best[NXB_QEMU]];

		for (int i = 0; i < a->n && i < b->n; i++) {
			tot->ratios[tot->nratios++] = a->total[i] / b->total[i];
			mk->ratios[mk->nratios++] = a->marker[i] / b->marker[i];
		}
	}
	snprintf(tot->note, sizeof(tot->note), "best: nexit %s, QEMU %s; median total ms of every "
		 "variant: %s", best[0] >= 0 ? vars[best[0]].name : "none",
		 best[1] >= 0 ? vars[best[1]].name : "none", note);
	snprintf(mk->note, sizeof(mk->note), "fork to the appliance's %s line; same variants as "
		 "total_ms", MARKER);
}
