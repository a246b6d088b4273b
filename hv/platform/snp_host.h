/* The SNP platform of this machine (snp/platform.h), brought up per hv.cfg. */
#ifndef HV_SNP_HOST_H
#define HV_SNP_HOST_H

#include "snp/platform.h"

extern struct snp_platform snp_host;


/* SNP guests run on the real platform: SNP ASID, VMSA-backed VMCB, the
 * SEV-ES world switch, exit 0x403 (hv/vm/guest.c). False under emulation. */
static inline bool snp_host_hw_guests(void)
{
	return snp_platform_hw_guests(&snp_host);
}

/* Brings the platform up per hv.cfg; logs what it did. 0, or a negative
 * errno when SNP was asked for and cannot be had (snp = hardware, or auto
 * on a CPU reporting SNP, with a missing fact: every one is named with what
 * to do; or no memory for the RMP model). snp = off: 0, disabled. On the
 * hardware path the IOMMU is brought up first (iommu_init). */
int snp_host_init(void);

#endif
