/* SPDX-License-Identifier: MIT */
/*
 * fake_vfio_free.h - gives back what passthrough/vfio.c's vfio_expose made
 * for a fake VFIO device (fake_vfio.h): vector and INTx eventfds, BAR
 * mappings, the PCI function, the struct. Include after passthrough/vfio.c.
 */
#ifndef NEXIT_TESTS_FAKE_VFIO_FREE_H
#define NEXIT_TESTS_FAKE_VFIO_FREE_H

static void fake_vfio_free(struct nx_vfio *v)
{
	for (unsigned i = 0; i < VFIO_MAX_MSI; i++)
		if (v->msi[i].vm && v->msi[i].efd >= 0)
			close(v->msi[i].efd);
	for (unsigned i = 0; i < NX_PCI_MAX_MSIX; i++)
		if (v->msix[i].vm && v->msix[i].efd >= 0)
			close(v->msix[i].efd);
	if (v->intx_trigger >= 0)
		close(v->intx_trigger);
	if (v->intx_unmask >= 0)
		close(v->intx_unmask);
	for (int i = 0; i < 6; i++)
		if (v->bar[i].map)
			munmap(v->bar[i].map, v->bar[i].size);
	free(v->pci);
	free(v);
}

#endif
