/* The guest MSR policy (hv/svm/guest_msr.c): which MSRs pass through (MSRPM
 * clear), which are emulated, and #GP for everything else. The MSR numbers
 * are in hv/arch/x86/msr.h. */
#ifndef HV_SVM_GUEST_MSR_H
#define HV_SVM_GUEST_MSR_H

#include "hv/base/types.h"

struct vcpu;

/* Fills an MSRPM (SVM_MSRPM_SIZE bytes): every MSR intercepted except the
 * ones VMLOAD/VMSAVE/VMRUN switch anyway (FS/GS bases, syscall MSRs). */
void msrpm_build(u8 *msrpm);

/* Emulated RDMSR/WRMSR: 0, or -EPERM when the guest must get #GP. */
int msr_guest_read(struct vcpu *v, u32 msr, u64 *val);
int msr_guest_write(struct vcpu *v, u32 msr, u64 val);

#endif
