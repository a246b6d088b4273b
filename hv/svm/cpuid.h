/* The CPUID a guest sees: the host's leaves filtered through a policy
 * (hv/svm/cpuid.c). Pure code: the host's CPUID comes in through a function so
 * that unit tests can feed a fake processor. */
#ifndef HV_CPUID_H
#define HV_CPUID_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

struct cpuid_res {
	u32 eax, ebx, ecx, edx;
};

/* Reads the host processor's leaf (real CPUID in the hypervisor). */
typedef void (*cpuid_host_fn)(u32 leaf, u32 subleaf, struct cpuid_res *out);

/* The C-bit position of SNP guests: the one value reported by CPUID
 * 0x8000001F EBX[5:0], the GHCB MSR-protocol SEV-information response
 * (56421 2.3.1.1, bits 31:24) and HC_GET_INFO, set in the launched boot page
 * tables (snp_boot_tables_build) and stripped by the PVALIDATE walker.
 * Hardware reports 51 (Milan, Genoa) or 47 (Naples, Rome). Emulated: 52,
 * because QEMU TCG (physical address width 40) reserves guest PTE bits 40-51
 * (#PF, error code RSVD) but ignores bits 52-62, in leaf and table entries
 * alike (measured by guest/cbitprobe.c, docs/guest-abi.md "C-bit"): 52 is
 * the lowest bit a guest can set under the emulation and still run. */
#define GUEST_CBIT 52

/* The position actually reported and launched: GUEST_CBIT under the
 * emulation; on the hardware platform snp_host_init sets the processor's own
 * (host CPUID 0x8000001F EBX[5:0]), since SEV-SNP guests see the host's leaf
 * and the firmware encrypts by it. The PVALIDATE walker (emulation only) keeps
 * GUEST_CBIT. */
extern unsigned guest_cbit_pos;

/* Highest leaves the guest sees (capped so that every leaf it can read is
 * one this file has decided about). */
#define GUEST_MAX_BASIC_LEAF   0xd
#define GUEST_MAX_EXT_LEAF     0x8000001e
#define GUEST_MAX_EXT_LEAF_SNP 0x8000001f

/* CPUID 1 ECX bits (APM vol 3, E.3.2) */
#define CPUID_1_ECX_MONITOR	   BIT(3)
#define CPUID_1_ECX_VMX		   BIT(5)
#define CPUID_1_ECX_X2APIC	   BIT(21)
#define CPUID_1_ECX_TSC_DEADLINE   BIT(24)
#define CPUID_1_ECX_XSAVE	   BIT(26)
#define CPUID_1_ECX_OSXSAVE	   BIT(27)
#define CPUID_1_ECX_AVX		   BIT(28)
#define CPUID_1_ECX_HYPERVISOR	   BIT(31)
#define CPUID_1_EDX_APIC	   BIT(9)
#define CPUID_1_EDX_MCE		   BIT(7)
#define CPUID_1_EDX_MTRR	   BIT(12)
#define CPUID_1_EDX_MCA		   BIT(14)
#define CPUID_6_EAX_ARAT	   BIT(2) /* APIC timer always running */
#define CPUID_80000001_ECX_EXTAPIC BIT(3)
#define CPUID_80000001_EDX_RDTSCP  BIT(27)
/* CPUID 7.0 EBX */
#define CPUID_7_EBX_AVX2 BIT(5)
#define CPUID_7_EBX_AVX512_MASK                                                                    \
	(BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31))
/* CPUID 8000_001F EAX (APM vol 3, E.4.17) */
#define CPUID_SEV_EAX_SME	     BIT(0)
#define CPUID_SEV_EAX_SEV	     BIT(1)
#define CPUID_SEV_EAX_SEV_ES	     BIT(3)
#define CPUID_SEV_EAX_SNP	     BIT(4)
#define CPUID_SEV_EBX_CBIT_MASK	     GENMASK(5, 0)
#define CPUID_SEV_EBX_REDUCTION_MASK GENMASK(11, 6)

struct cpuid_policy {
	bool snp; /* present leaf 0x8000001F as an SNP guest would see it */
	/* A Linux guest's platform (docs/linux.md): the virtual xAPIC with
	 * TSC-deadline (1 ECX[24]) and ARAT (6 EAX[2]); no MCE/MCA, MTRR,
	 * RDTSCP, extended APIC space, whose MSRs are not emulated. */
	bool lapic;
	cpuid_host_fn host;
};

/* Computes the guest's view of (leaf, subleaf). Never fails: leaves beyond
 * the guest's maximum read as zeros. */
void cpuid_guest(const struct cpuid_policy *p, u32 leaf, u32 subleaf, struct cpuid_res *out);

#endif
