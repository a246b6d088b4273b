/* The SNP platform: one RMP and one PSP, real or modelled. hv/platform
 * brings it up (hv.cfg [hv] snp = off|emulated|hardware|auto) and hands it to
 * the guests (hv/vm guests_run), which launch and run SNP guests on it. */
#ifndef SNP_PLATFORM_H
#define SNP_PLATFORM_H

#include "snp/psp.h"
#include "snp/psp_model.h"
#include "snp/rmp.h"

struct snp_platform {
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

/* SNP guests run on the real platform: SNP ASID, VMSA-backed VMCB, the
 * SEV-ES world switch (docs/hardware.md). */
static inline bool snp_platform_hw_guests(const struct snp_platform *p)
{
	return p && p->hardware && p->enabled;
}

#endif
