/* The SNP platform as the hypervisor sees it: one RMP and one PSP, real or
 * modelled (hv.cfg [hv] snp = off|emulated|hardware|auto). */
#ifndef HV_SNP_HOST_H
#define HV_SNP_HOST_H

#include "snp/psp.h"
#include "snp/psp_model.h"
#include "snp/rmp.h"

struct snp_host {
	bool enabled;  /* an RMP and a PSP are up and SNP guests may use them */
	bool hardware; /* the real SNP platform is up (SNP_INIT done); SNP guests
			* then run as SEV-ES/SNP guests (docs/hardware.md) */
	struct rmp rmp;
	struct psp psp;
	struct psp_model model; /* emulation: the firmware behind psp */
	spa_t rmp_base;
	u64 rmp_size;
	u8 owner; /* pmem owner of the RMP table and PSP pages */
};

extern struct snp_host snp_host;

/* SNP guests run on the real platform: SNP ASID, VMSA-backed VMCB, the
 * SEV-ES world switch, exit 0x403 (hv/vm/guest.c). False under emulation. */
static inline bool snp_host_hw_guests(void)
{
	return snp_host.hardware && snp_host.enabled;
}

/* Brings the platform up per hv.cfg; logs what it did. 0, or a negative
 * errno when SNP was asked for and cannot be had (snp = hardware, or auto
 * on a CPU reporting SNP, with a missing fact: every one is named with what
 * to do; or no memory for the RMP model). snp = off: 0, disabled. On the
 * hardware path the IOMMU is brought up first (iommu_init). */
int snp_host_init(void);

#endif
