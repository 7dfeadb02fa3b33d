/* SPDX-License-Identifier: MIT */
/*
 * vfio.c - the device of the vfio case: an edu function (QEMU's PCI test
 * device, 1234:11e8) in an IOMMU group, bound to vfio-pci. One that is bound
 * to another driver (or none) is handed to vfio-pci the way the kernel's
 * Documentation/driver-api/vfio.rst says: driver_override, unbind,
 * drivers_probe. Only edu functions are touched.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/vm.h"
#include "bench/bench.h"

#define PCI_DEVS "/sys/bus/pci/devices"

static bool read_line(const char *path, char *buf, size_t sz)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)sz, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok;
}

static bool write_str(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs(s, f) >= 0;
	return fclose(f) == 0 && ok;
}

/* The driver bound to BDF ("" for none). */
static void driver_of(const char *bdf, char *buf, size_t sz)
{
	char p[PATH_MAX], t[PATH_MAX];
	ssize_t l;
	char *s;

	buf[0] = 0;
	snprintf(p, sizeof(p), PCI_DEVS "/%s/driver", bdf);
	l = readlink(p, t, sizeof(t) - 1);
	if (l <= 0)
		return;
	t[l] = 0;
	s = strrchr(t, '/');
	snprintf(buf, sz, "%.63s", s ? s + 1 : t);
}

static bool bind_vfio(const char *bdf, char *why, size_t wsz)
{
	char p[PATH_MAX], drv[64];

	driver_of(bdf, drv, sizeof(drv));
	if (!strcmp(drv, "vfio-pci"))
		return true;
	/* The modules, by name from the running kernel's package (modprobe, or
	 * busybox's where kmod is missing); the result is checked below. */
	if (access("/sys/bus/pci/drivers/vfio-pci", F_OK)) {
		int r = system("modprobe vfio-pci >/dev/null 2>&1 || "
			       "busybox modprobe vfio-pci >/dev/null 2>&1");
		(void)r;
	}
	if (access("/sys/bus/pci/drivers/vfio-pci", F_OK)) {
		snprintf(why, wsz, "edu %s: vfio-pci is not loaded and modprobe failed", bdf);
		return false;
	}
	/* The type1 IOMMU backend of /dev/vfio/vfio. */
	if (access("/sys/module/vfio_iommu_type1", F_OK)) {
		int r = system("modprobe vfio_iommu_type1 >/dev/null 2>&1 || "
			       "busybox modprobe vfio_iommu_type1 >/dev/null 2>&1");
		(void)r;
	}
	snprintf(p, sizeof(p), PCI_DEVS "/%s/driver_override", bdf);
	if (!write_str(p, "vfio-pci")) {
		snprintf(why, wsz, "edu %s: cannot write %s: %s", bdf, p, strerror(errno));
		return false;
	}
	if (drv[0]) {
		snprintf(p, sizeof(p), PCI_DEVS "/%s/driver/unbind", bdf);
		write_str(p, bdf);
	}
	write_str("/sys/bus/pci/drivers_probe", bdf);
	driver_of(bdf, drv, sizeof(drv));
	if (strcmp(drv, "vfio-pci")) {
		snprintf(why, wsz, "edu %s: vfio-pci did not take it (driver: %s)", bdf,
			 drv[0] ? drv : "none");
		return false;
	}
	return true;
}

bool nxb_vfio_edu(char *bdf, size_t sz, char *why, size_t wsz)
{
	DIR *d = opendir(PCI_DEVS);
	struct dirent *e;
	bool ok = false;

	snprintf(why, wsz, "no edu device (PCI 1234:11e8) on this host");
	if (!d)
		return false;
	while (!ok && (e = readdir(d))) {
		char p[PATH_MAX], v[16], dv[16];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), PCI_DEVS "/%s/vendor", e->d_name);
		if (!read_line(p, v, sizeof(v)) || strcmp(v, "0x1234"))
			continue;
		snprintf(p, sizeof(p), PCI_DEVS "/%s/device", e->d_name);
		if (!read_line(p, dv, sizeof(dv)) || strcmp(dv, "0x11e8"))
			continue;
		snprintf(p, sizeof(p), PCI_DEVS "/%s/iommu_group", e->d_name);
		if (access(p, F_OK)) {
			snprintf(why, wsz, "edu %s is in no IOMMU group (no IOMMU)", e->d_name);
			continue;
		}
		if (bind_vfio(e->d_name, why, wsz)) {
			snprintf(bdf, sz, "%s", e->d_name);
			ok = true;
		}
	}
	closedir(d);
	return ok;
}
