/* hv/snp_hw: the SEV-SNP hardware bring-up glue (hv.efi only): gathers the
 * facts (CPUID, MSRs, IOMMU, PCI), lets snp/snp_hw_plan.c decide, and runs
 * the plan (RMP hardware backend, PSP BAR2 mapped uncached, mailbox driver,
 * SNP_PLATFORM_STATUS, SNP_INIT_EX/SNP_INIT, DF_FLUSH). docs/hardware.md. */
#ifndef HV_SNP_HW_H
#define HV_SNP_HW_H

struct snp_platform;

/* Brings the real SNP platform up into s (rmp, psp). 0, or a negative errno
 * after messages naming every missing fact and what to do; nothing panics
 * and the hypervisor goes on without SNP guests. Calls iommu_init() first:
 * the IOMMU must be enabled before SNP_INIT. */
int snp_hw_init(struct snp_platform *s);

#endif
