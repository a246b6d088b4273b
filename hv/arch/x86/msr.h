/* The one list of MSR numbers and their bit masks, with Linux's names
 * (arch/x86/include/asm/msr-index.h; facts only). Numbers and masks only, no
 * prototypes: included by hypervisor code, pure code, guest code and
 * assembly (.S files: only BIT() is available there). RDMSR/WRMSR are in
 * hv/arch/x86/cpu.h; the guest MSR policy is hv/svm/guest_msr.h.
 *
 * AMD APM vol 2 (24593) appendix A "MSR Cross-Reference", 15.30 (SVM MSRs),
 * 15.34.10 (SEV_STATUS), 15.36.3-4 (SYSCFG and RMP MSRs); Intel SDM vol 4
 * (architectural MSRs), vol 3A 10.4.4 and 10.12.1.2 (APIC base, x2APIC). */
#ifndef HV_ARCH_X86_MSR_H
#define HV_ARCH_X86_MSR_H

#ifdef __ASSEMBLY__
#ifndef BIT
#define BIT(n) (1 << (n))
#endif
#else
#include "hv/base/bits.h"
#endif

/* ---- architectural (Intel SDM vol 4, 2.1) ---- */
#define MSR_IA32_TSC 0x00000010

#define MSR_IA32_APICBASE	 0x0000001b
#define MSR_IA32_APICBASE_BSP	 BIT(8)
#define X2APIC_ENABLE		 BIT(10) /* EXTD: x2APIC mode */
#define MSR_IA32_APICBASE_ENABLE BIT(11)
#define MSR_IA32_APICBASE_BASE	 GENMASK(51, 12)

#define MSR_MTRRcap 0x000000fe

#define MSR_IA32_SYSENTER_CS  0x00000174
#define MSR_IA32_SYSENTER_ESP 0x00000175
#define MSR_IA32_SYSENTER_EIP 0x00000176

#define MSR_IA32_CR_PAT 0x00000277

#define MSR_IA32_XSS 0x00000da0

/* x2APIC registers as MSRs: 0x800 + (xAPIC MMIO offset >> 4) (SDM 10.12.1.2) */
#define APIC_BASE_MSR	0x00000800
#define X2APIC_MSR(reg) (APIC_BASE_MSR + ((reg) >> 4))

/* ---- EFER and the syscall/segment-base MSRs (APM vol 2, 3.1.7, 6.1.1) ---- */
#define MSR_EFER   0xc0000080
#define EFER_SCE   BIT(0)
#define EFER_LME   BIT(8)
#define EFER_LMA   BIT(10)
#define EFER_NX	   BIT(11)
#define EFER_SVME  BIT(12)
#define EFER_FFXSR BIT(14) /* fast FXSAVE/FXRSTOR skips the XMM registers at CPL 0 */

#define MSR_STAR	   0xc0000081
#define MSR_LSTAR	   0xc0000082
#define MSR_CSTAR	   0xc0000083
#define MSR_SYSCALL_MASK   0xc0000084
#define MSR_FS_BASE	   0xc0000100
#define MSR_GS_BASE	   0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

/* ---- AMD system configuration (APM vol 2, 15.34.1, 15.36.3) ---- */
#define MSR_AMD64_SYSCFG	     0xc0010010
#define MSR_AMD64_SYSCFG_MFDM	     BIT(19) /* MtrrFixDramModEn */
#define MSR_AMD64_SYSCFG_MEM_ENCRYPT BIT(23) /* SMEE */
#define MSR_AMD64_SYSCFG_SNP_EN	     BIT(24)
#define MSR_AMD64_SYSCFG_SNP_VMPL_EN BIT(25)

/* ---- SVM (APM vol 2, 15.30.1, 15.30.4) ---- */
#define MSR_VM_CR	       0xc0010114
#define SVM_VM_CR_SVM_DIS_MASK BIT(4)
#define MSR_VM_HSAVE_PA	       0xc0010117

/* ---- SEV (APM vol 2, 15.34.10; GHCB spec 56421, 2.3.1) ---- */
#define MSR_AMD64_SEV_ES_GHCB	  0xc0010130
#define MSR_AMD64_SEV		  0xc0010131 /* SEV_STATUS, read-only */
#define MSR_AMD64_SEV_ENABLED	  BIT(0)
#define MSR_AMD64_SEV_ES_ENABLED  BIT(1)
#define MSR_AMD64_SEV_SNP_ENABLED BIT(2)
#define MSR_AMD64_SNP_REFLECT_VC  BIT(4) /* SEV_FEATURES ReflectVC (APM vol 2, 15.35.9) */

/* ---- SNP RMP (APM vol 2, 15.36.3-4) ---- */
#define MSR_AMD64_RMP_BASE	  0xc0010132
#define MSR_AMD64_RMP_END	  0xc0010133
#define RMP_ADDR_MASK		  GENMASK(51, 13) /* address field of RMP_BASE and RMP_END */
#define MSR_AMD64_RMP_CFG	  0xc0010136
#define MSR_AMD64_SEG_RMP_ENABLED BIT(0)

#endif
