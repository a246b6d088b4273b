/* CPU features the hypervisor depends on, read once at boot (hv/arch/x86/cpu_report.c)
 * from CPUID (AMD APM vol 3, appendix E). */
#ifndef HV_CPUFEAT_H
#define HV_CPUFEAT_H

#include "hv/base/types.h"

struct cpu_features {
	char vendor[13];
	char brand[49];
	u32 family, model, stepping;
	u32 max_leaf, max_ext_leaf;
	bool svm, npt, nrips, vmcb_clean, flush_by_asid, decode_assists, vgif, avic;
	u32 svm_rev, nr_asids;
	bool nx, gbpages, xsave, apic, x2apic, tsc_deadline, invariant_tsc, rdrand;
	u32 phys_addr_bits, virt_addr_bits;
	/* CPUID 0x8000001F, read only when max_ext_leaf covers it. */
	bool sev_leaf, sme, sev, sev_es, snp;
	u32 cbit, nr_encrypted_guests, min_sev_asid;
};

extern struct cpu_features cpu;

void cpu_features_read(void);
void cpu_report(void);

#endif
