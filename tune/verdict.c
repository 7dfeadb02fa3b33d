/* SPDX-License-Identifier: MIT */
/*
 * verdict.c - per interrupt path, what delivery the host gives and why.
 *
 *  posted      the hardware delivers into the running vCPU: VT-d posted
 *              interrupts + APICv, AMD-Vi guest vAPIC + AVIC, or GICv4
 *              direct vLPI injection. KVM's irq bypass (virt/lib/irqbypass)
 *              pairs the VFIO MSI eventfd with the KVM irqfd of its route.
 *  exitless    KVM injects from an irqfd in software: no exit to the VMM,
 *              but the target vCPU may be kicked out of guest mode.
 *  fallback    the VMM is on the path (exit-based emulation, EOI gating).
 *  exit        (IPIs) KVM handles the ICR write in a VM exit.
 *  unavailable the path cannot be used on this host at all.
 */
#include <stdarg.h>
#include <string.h>

#include "tune/tune.h"

struct why {
	char *buf;
	size_t n, len;
};

static void why(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why(struct why *w, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (w->len >= w->n)
		return;
	if (w->len)
		w->len += (size_t)snprintf(w->buf + w->len, w->n - w->len, "; ");
	if (w->len >= w->n)
		return;
	va_start(ap, fmt);
	r = vsnprintf(w->buf + w->len, w->n - w->len, fmt, ap);
	va_end(ap);
	if (r > 0)
		w->len += (size_t)r;
}

const char *nx_flavour_name(enum nx_flavour f)
{
	switch (f) {
	case NX_KVM_INTEL: return "kvm_intel";
	case NX_KVM_AMD: return "kvm_amd";
	case NX_KVM_PVM: return "kvm_pvm";
	case NX_KVM_ARM64: return "arm64";
	default: return "none";
	}
}

static bool cap(const struct nx_host *h, enum nx_kcap c)
{
	return h->kvm.usable && h->kvm.caps[c] > 0;
}

/* CPU side of posted delivery: APICv (Intel SDM 30.6) or AVIC (AMD APM 15.29). */
static bool cpu_posted(const struct nx_host *h, struct why *w)
{
	/* What KVM answers decides (core/kvm_kind.c); the module name only says more. */
	if (h->kvm.kind.kind == NX_KVM_KIND_NONE) {
		why(w, "no KVM runs here (%s)", h->kvm.kind.reason);
		return false;
	}
	if (h->kvm.kind.kind == NX_KVM_KIND_PROBE) {
		why(w, "KVM runs guest ring 0 in software (%s module), so there is no APICv/AVIC "
		    "posted-interrupt descriptor for a device to post into",
		    nx_flavour_name(h->flavour));
		return false;
	}
	switch (h->flavour) {
	case NX_KVM_INTEL:
		if (h->apicv == 1)
			return true;
		why(w, "APICv is off (kvm_intel enable_apicv=%s)%s",
		    h->apicv == 0 ? "N" : "unreadable",
		    h->cpu_posted_intr == 0 ? ": the CPU lacks posted_intr in its vmx flags" : "");
		return false;
	case NX_KVM_AMD:
		if (h->avic == 1)
			return true;
		why(w, "AVIC is off (%s)", h->avic == 0 ? "kvm_amd avic=0 or the CPU has no avic flag"
							: "kvm_amd avic unreadable");
		return false;
	case NX_KVM_PVM:
		why(w, "KVM flavour is kvm_pvm: software (paravirtualized) virtualization %s, so there "
		    "is no APICv/AVIC posted-interrupt descriptor for a device to post into",
		    h->hw_virt == 0 ? "on a CPU without VMX/SVM" : "without hardware VMX/SVM use");
		return false;
	case NX_KVM_ARM64:
		return true;	/* GICv4 needs no separate CPU-side switch */
	default:
		why(w, "no KVM vendor module (kvm_intel, kvm_amd, kvm_pvm) is loaded");
		return false;
	}
}

/* IOMMU side: the remapping unit rewrites a device MSI into a posted write. */
static bool iommu_posted(const struct nx_host *h, struct why *w)
{
	bool ok = true;

	if (h->arch == NX_ARCH_ARM64) {
		/* GICv4 (Arm IHI 0069, 5.1): the ITS maps a device event straight
		 * to a vPE's vLPI; KVM uses it only with kvm-arm.vgic_v4_enable=1. */
		if (h->gic_version != 4) {
			if (h->gic_version)
				why(w, "the GIC is v%d, direct vLPI injection needs GICv4", h->gic_version);
			else
				why(w, "GIC version unknown (no MADT GICD entry, no GICv4 irq chip; "
				    "direct vLPI injection needs GICv4)");
			ok = false;
		}
		if (h->gic_its != 1) {
			why(w, "no GIC ITS (MSIs to vLPIs need one)");
			ok = false;
		}
		if (h->vgic_v4_enable != 1) {
			why(w, "kvm-arm.vgic_v4_enable is not set on the kernel command line (default off)");
			ok = false;
		}
		if (!cap(h, NX_KCAP_VGIC_ITS)) {
			why(w, "KVM offers no vGIC ITS device");
			ok = false;
		}
		return ok;
	}
	if (h->iommu == NX_IOMMU_NONE) {
		why(w, "no IOMMU: /sys/class/iommu is empty%s", h->acpi_dmar || h->acpi_ivrs ?
		    " though the firmware describes one (DMAR/IVRS table present: enable it on the "
		    "kernel command line)" : " and there is no DMAR or IVRS ACPI table");
		return false;
	}
	if (h->flavour == NX_KVM_INTEL && h->iommu != NX_IOMMU_INTEL) {
		why(w, "the IOMMU is not Intel VT-d");
		ok = false;
	}
	if (h->flavour == NX_KVM_AMD && h->iommu != NX_IOMMU_AMD) {
		why(w, "the IOMMU is not AMD-Vi");
		ok = false;
	}
	if (h->cmdline_block[0]) {
		why(w, "the kernel command line has %s", h->cmdline_block);
		ok = false;
	}
	if (h->dmar_ir_flag == 0) {
		why(w, "the DMAR table does not set INTR_REMAP");
		ok = false;
	}
	if (h->ir_enabled == 0) {
		why(w, "interrupt remapping is not active (no IR- irq chips in /proc/interrupts)");
		ok = false;
	}
	if (h->iommu_pi == 0) {
		why(w, h->iommu == NX_IOMMU_AMD ? "the AMD IOMMU lacks GASup (guest virtual APIC)"
						: "the VT-d unit lacks posted interrupt support (CAP.PI)");
		ok = false;
	} else if (h->iommu_pi < 0) {
		why(w, "posted interrupt support of the IOMMU unreadable");
		ok = false;
	}
	if (h->device_posted_param == 0) {
		why(w, "kvm.enable_device_posted_irqs=N");
		ok = false;
	}
	return ok;
}

static bool vfio_ok(const struct nx_host *h, struct why *w, bool *loadable)
{
	*loadable = false;
	if (h->vfio_dev && (h->vfio_pci || h->vfio_noiommu))
		return true;
	if (h->iommu != NX_IOMMU_NONE || h->vfio_noiommu) {
		*loadable = true;	/* modprobe vfio-pci would do */
		return true;
	}
	why(w, "no VFIO: %s%s", h->vfio_dev ? "" : "/dev/vfio/vfio missing",
	    h->vfio_pci ? "" : (h->vfio_dev ? "vfio-pci not loaded" : ", vfio-pci not loaded"));
	return false;
}

static void set(struct nx_verdict *v, const char *verdict, const char *how)
{
	v->verdict = verdict;
	snprintf(v->how, sizeof(v->how), "%s", how);
}

static void assigned_msi(struct nx_host *h)
{
	struct nx_verdict *v = &h->v[NX_PATH_ASSIGNED_MSI];
	struct why w = { v->reason, sizeof(v->reason), 0 };
	struct why pw = { h->posted_reason, sizeof(h->posted_reason), 0 };
	bool loadable, vfio, cpu, iommu;

	v->path = "assigned device MSI";
	/* posted_reason: every reason posted delivery is not available */
	if (!h->kvm.usable)
		why(&pw, "KVM unusable: %s", h->kvm.error);
	cpu = cpu_posted(h, &pw);
	iommu = iommu_posted(h, &pw);
	vfio = vfio_ok(h, &pw, &loadable);
	if (vfio && !cap(h, NX_KCAP_IRQFD))
		why(&pw, "KVM has no irqfd to pair with the VFIO eventfd (irq bypass)");
	h->posted_available = h->kvm.usable && cpu && iommu && vfio && cap(h, NX_KCAP_IRQFD) &&
			      cap(h, NX_KCAP_IRQ_ROUTING);

	if (!h->kvm.usable) {
		set(v, "unavailable", "no KVM");
		why(&w, "%s", h->kvm.error);
		return;
	}
	if (!vfio) {
		set(v, "unavailable", "no VFIO");
		vfio_ok(h, &w, &loadable);
		why(&w, "use an out-of-process backend (nexit-devd) instead");
		return;
	}
	if (!cap(h, NX_KCAP_IRQFD) || !cap(h, NX_KCAP_IRQ_ROUTING)) {
		set(v, "fallback", cap(h, NX_KCAP_SIGNAL_MSI) ? "VMM relays with KVM_SIGNAL_MSI"
							       : "VMM relays");
		why(&w, "KVM lacks %s%s%s: the VMM reads each VFIO MSI eventfd and injects it",
		    cap(h, NX_KCAP_IRQFD) ? "" : "irqfd",
		    !cap(h, NX_KCAP_IRQFD) && !cap(h, NX_KCAP_IRQ_ROUTING) ? " and " : "",
		    cap(h, NX_KCAP_IRQ_ROUTING) ? "" : "GSI routing");
		return;
	}
	if (h->posted_available) {
		set(v, "posted", "hardware");
		if (h->arch == NX_ARCH_ARM64)
			why(&w, "GICv4 with ITS and kvm-arm.vgic_v4_enable=1: the ITS maps the "
			    "device's MSI straight to a vLPI of the running vCPU");
		else if (h->flavour == NX_KVM_AMD)
			why(&w, "AVIC + AMD-Vi guest virtual APIC mode: the IOMMU writes the vector "
			    "into the vCPU's vAPIC backing page and rings its doorbell");
		else
			why(&w, "APICv + VT-d posted interrupts: the IOMMU posts the vector into the "
			    "vCPU's posted-interrupt descriptor, no VM exit and no VMM");
	} else {
		set(v, "exitless", "irqfd, software");
		why(&w, "the VFIO eventfd is a KVM irqfd: KVM injects without the VMM; not posted "
		    "because: %s", h->posted_reason);
	}
	if (loadable)
		why(&w, "load vfio-pci first (modprobe vfio-pci)");
}

static void backend_msi(struct nx_host *h)
{
	struct nx_verdict *v = &h->v[NX_PATH_BACKEND_MSI];
	struct why w = { v->reason, sizeof(v->reason), 0 };
	struct why dummy = { (char[8]){0}, 8, 0 };

	v->path = "out-of-process backend MSI";
	if (!h->kvm.usable) {
		set(v, "unavailable", "no KVM");
		why(&w, "%s", h->kvm.error);
		return;
	}
	if (!cap(h, NX_KCAP_IRQFD) || !cap(h, NX_KCAP_IRQ_ROUTING)) {
		set(v, "fallback", "VMM relays");
		why(&w, "KVM lacks irqfd or GSI routing: the VMM reads the backend's eventfd and "
		    "injects (KVM_SIGNAL_MSI)");
		return;
	}
	if (h->arch == NX_ARCH_ARM64 && !cap(h, NX_KCAP_VGIC_ITS)) {
		set(v, "fallback", "vGIC SPI");
		why(&w, "no vGIC ITS: MSIs become level SPIs through the exit-based path");
		return;
	}
	set(v, "exitless", "irqfd, software");
	if (h->arch == NX_ARCH_ARM64)
		why(&w, "irqfd on an MSI route to the vGIC ITS: KVM injects the LPI, the VMM is "
		    "not involved");
	else if (cpu_posted(h, &dummy))
		why(&w, "irqfd on an MSI route: KVM sets the vector in the posted-interrupt "
		    "descriptor and notifies a running vCPU without a VM exit (%s)",
		    h->flavour == NX_KVM_AMD ? "AVIC doorbell" : "APICv notification vector");
	else
		why(&w, "irqfd on an MSI route: KVM injects without the VMM, but without APICv/AVIC "
		    "the target vCPU is kicked out of guest mode to take it (an exit into KVM)");
	if (!cap(h, NX_KCAP_IOEVENTFD))
		why(&w, "no ioeventfd: the backend's doorbell writes exit to the VMM");
}

static void intx(struct nx_host *h)
{
	struct nx_verdict *v = &h->v[NX_PATH_INTX];
	struct why w = { v->reason, sizeof(v->reason), 0 };
	bool split = cap(h, NX_KCAP_SPLIT_IRQCHIP);
	bool resample = cap(h, NX_KCAP_IRQCHIP) && cap(h, NX_KCAP_IRQFD_RESAMPLE);

	v->path = "legacy INTx";
	if (!h->kvm.usable) {
		set(v, "unavailable", "no KVM");
		why(&w, "%s", h->kvm.error);
		return;
	}
	if (h->arch == NX_ARCH_ARM64) {
		if (!cap(h, NX_KCAP_VGIC_V3) && !cap(h, NX_KCAP_VGIC_V2)) {
			set(v, "unavailable", "no vGIC");
			why(&w, "KVM offers neither a vGICv2 nor a vGICv3 device");
			return;
		}
		set(v, "fallback", cap(h, NX_KCAP_IRQFD_RESAMPLE) ? "vGIC SPI resample"
								   : "vGIC SPI, VMM-gated");
		why(&w, "level SPIs on the in-kernel vGIC; the source stays masked until the guest's "
		    "EOI %s", cap(h, NX_KCAP_IRQFD_RESAMPLE) ? "signals the resample eventfd"
							   : "(no irqfd resample: the VMM gates it)");
		return;
	}
	if (split) {
		set(v, "fallback", "split irqchip EOI-gated");
		why(&w, "IOAPIC/PIC emulated in nexit, LAPIC in KVM; the guest's EOI reaches nexit as "
		    "KVM_EXIT_IOAPIC_EOI and only then is the source unmasked%s",
		    resample ? "; kernel irqchip with resample is also available (irqchip = kernel)" : "");
	} else if (resample) {
		set(v, "fallback", "kernel irqchip resample");
		why(&w, "no split irqchip: KVM's IOAPIC with a resample irqfd signals the guest's EOI");
	} else {
		set(v, "unavailable", "no EOI-gated irqchip");
		why(&w, "KVM has neither split irqchip nor kernel irqchip with irqfd resample");
	}
}

static void ipi(struct nx_host *h)
{
	struct nx_verdict *v = &h->v[NX_PATH_IPI];
	struct why w = { v->reason, sizeof(v->reason), 0 };

	v->path = "guest IPI";
	if (!h->kvm.usable) {
		set(v, "unavailable", "no KVM");
		why(&w, "%s", h->kvm.error);
		return;
	}
	if (h->flavour == NX_KVM_INTEL && h->apicv == 1 && h->ipiv == 1) {
		set(v, "posted", "IPI virtualization");
		why(&w, "IPIv (kvm_intel enable_ipiv=Y): the CPU posts ICR writes to a running "
		    "target without a VM exit");
	} else if (h->flavour == NX_KVM_AMD && h->avic == 1) {
		set(v, "posted", "AVIC");
		why(&w, "AVIC delivers ICR writes to running targets without a VM exit");
	} else if (h->flavour == NX_KVM_INTEL && h->apicv == 1) {
		set(v, "exit", "APICv posted");
		why(&w, "the ICR write exits to KVM (enable_ipiv=%s), which posts to the target",
		    h->ipiv == 0 ? "N" : "unknown");
	} else if (h->arch == NX_ARCH_ARM64) {
		set(v, "exit", "vGIC SGI");
		why(&w, "SGIs are trapped and emulated by KVM (GICv4.1 vSGIs are not detectable "
		    "from sysfs)");
	} else {
		set(v, "exit", "emulated ICR");
		why(&w, "no APICv/AVIC: every ICR write exits to KVM and the target is kicked");
	}
}

void nx_host_verdicts(struct nx_host *h)
{
	memset(h->v, 0, sizeof(h->v));
	h->posted_reason[0] = 0;
	assigned_msi(h);
	backend_msi(h);
	intx(h);
	ipi(h);
	if (h->posted_available)
		snprintf(h->posted_reason, sizeof(h->posted_reason), "%s",
			 h->v[NX_PATH_ASSIGNED_MSI].reason);
}
