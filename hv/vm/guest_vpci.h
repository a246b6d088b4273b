/* A Linux guest's passed-through functions behind the virtual PCI of
 * hv/vm/vpci.h: configuration through ports 0xCF8/0xCFC, BAR0 mapped into
 * the NPT at the address the guest programs (minus the MSI-X table and PBA
 * pages, which are trapped), and MSI-X remapped to vectors of the
 * hypervisor (docs/devices.md "Linux guests: virtual PCI and MSI-X"). */
#ifndef HV_VM_GUEST_VPCI_H
#define HV_VM_GUEST_VPCI_H

#include "hv/svm/guest.h"
#include "iommu/pci.h"

/* Host vectors handed to passed-through functions' MSI-X entries; the
 * preemption timer is 0xEC (hv/svm/svm.c). */
#define GUEST_VPCI_VEC_FIRST 0x40
#define GUEST_VPCI_VEC_LAST  0xdf

/* Adds the validated function bdf (BAR0 bar at spa) to g's virtual bus with
 * BAR0 shown at bar_gpa; the guest may move it inside [win_lo, win_hi).
 * Maps it (holes for MSI-X), allocates host vectors, enables the real
 * MSI-X with every real entry masked, bus mastering off until the guest
 * sets it. 0, or a negative errno with why filled. */
int guest_vpci_add(struct guest *g, u16 bdf, const struct pci_bar *bar, gpa_t bar_gpa, u64 win_lo,
		   u64 win_hi, char *why, unsigned whylen);
/* Masks and disables the real MSI-X, unmaps every BAR range, frees the host
 * vectors; prints the guest's interrupt figures. Before the DTE is blocked. */
void guest_vpci_remove(struct guest *g);
/* Hands the device vectors the hypervisor took (svm_host_irq_take) to the
 * guests owning them (vlapic_set_irq through the MSI-X model). */
void guest_vpci_poll(void);
/* g has an enabled MSI-X entry: a device may wake it from HLT. */
bool guest_vpci_can_wake(const struct guest *g);

#endif
