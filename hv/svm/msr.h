/* The MSRs a guest may touch (hv/svm/msr.c): which pass through (MSRPM clear),
 * which are emulated, and #GP for everything else. */
#ifndef HV_MSR_H
#define HV_MSR_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

struct vcpu;

#define MSR_IA32_SYSENTER_CS  0x00000174
#define MSR_IA32_SYSENTER_ESP 0x00000175
#define MSR_IA32_SYSENTER_EIP 0x00000176
#define MSR_IA32_CR_PAT	      0x00000277
#define MSR_EFER_NR	      0xc0000080
#define MSR_STAR	      0xc0000081
#define MSR_LSTAR	      0xc0000082
#define MSR_CSTAR	      0xc0000083
#define MSR_SYSCALL_MASK      0xc0000084
#define MSR_FS_BASE	      0xc0000100
#define MSR_GS_BASE	      0xc0000101
#define MSR_KERNEL_GS_BASE    0xc0000102
#define MSR_AMD64_SEV_ES_GHCB 0xc0010130 /* snp-facts.md: GHCB MSR protocol */
#define MSR_AMD64_SEV	      0xc0010131 /* SEV_STATUS */

#define MSR_AMD64_SEV_ENABLED	  BIT(0)
#define MSR_AMD64_SEV_ES_ENABLED  BIT(1)
#define MSR_AMD64_SEV_SNP_ENABLED BIT(2)

#define EFER_GUEST_SCE	BIT(0)
#define EFER_GUEST_LME	BIT(8)
#define EFER_GUEST_LMA	BIT(10)
#define EFER_GUEST_NXE	BIT(11)
#define EFER_GUEST_SVME BIT(12)

/* Fills an MSRPM (SVM_MSRPM_SIZE bytes): every MSR intercepted except the
 * ones VMLOAD/VMSAVE/VMRUN switch anyway (FS/GS bases, syscall MSRs). */
void msrpm_build(u8 *msrpm);

/* Emulated RDMSR/WRMSR: 0, or -EPERM when the guest must get #GP. */
int msr_guest_read(struct vcpu *v, u32 msr, u64 *val);
int msr_guest_write(struct vcpu *v, u32 msr, u64 val);

#endif
