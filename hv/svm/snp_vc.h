/* #VC delivery under the SNP emulation (hv/svm/snp_vc.c): the processor's
 * control transfer through IDT gate 29 with the error code on the stack,
 * which QEMU TCG does not push for vector 29 (docs/snp-guest.md "#VC
 * delivery"). */
#ifndef HV_SVM_SNP_VC_H
#define HV_SVM_SNP_VC_H

#include <stddef.h>
#include <stdio.h>

#include "hv/base/types.h"

struct vcpu;

/* Delivers #VC with error code `code` to the vCPU's guest: frame on the
 * gate's stack, CS:RIP of the handler. 0, or a negative errno with the
 * reason in why (nothing changed; the caller ends the guest): -ENOENT when
 * the guest has no #VC gate at all (IDT too short, gate 29 not present: a
 * guest without a #VC handler), -EINVAL for a malformed gate or segment,
 * -EFAULT/-EPERM for a table, TSS or frame it cannot read or write. */
int snp_vc_deliver(struct vcpu *v, u32 code, char *why, size_t why_len);
/* A processor write of len bytes at guest VA va with the RMP checks of a
 * guest access (C=1: the guest's private validated page; C=0: a shared
 * page). Nothing is written if any page refuses; *bad_gpa names it. */
int snp_vc_cpu_write(struct vcpu *v, u64 va, const void *buf, unsigned len, u64 *bad_gpa);

#endif
