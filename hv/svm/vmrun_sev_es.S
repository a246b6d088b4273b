/* The SEV-ES/SNP world switch (AMD APM vol 2, 15.35.8 "Host State Save and
 * Restore"; facts cross-checked with Linux arch/x86/kvm/svm/vmenter.S
 * __svm_sev_es_vcpu_run and svm.c/sev.c sev_es_prepare_switch_to_guest).
 *
 * void __svm_sev_es_vcpu_run(struct vcpu *v)   (SysV: v in %rdi)
 *
 * The guest's whole register state (GPRs, FS/GS/TR/LDTR and the syscall
 * MSRs, x87/SSE/AVX) lives in its encrypted VMSA (VMCB vmsa_pa): VMRUN loads
 * it and #VMEXIT saves it. So, unlike hv/svm/vmrun.S, no guest GPR is loaded or
 * stored, and there is no VMLOAD/VMSAVE of the guest VMCB.
 *
 * Host state:
 * - "type A": saved by VMRUN into the host save area (VM_HSAVE_PA) and
 *   restored by #VMEXIT, as for any guest: RIP, RSP, RAX, RFLAGS, CR0/3/4,
 *   EFER, CS/SS/DS/ES, GDTR/IDTR.
 * - "type B": NOT saved by VMRUN but restored by #VMEXIT from the host save
 *   area's SEV-ES layout at VM_HSAVE_PA + 0x400: the VMSAVE/VMLOAD set (FS,
 *   GS, TR, LDTR with hidden state, KernelGSBase, STAR/LSTAR/CSTAR/SFMASK,
 *   SYSENTER_*), the GPRs, XCR0, XSS, PKRU. The VMSAVE below writes the
 *   first set into the host save area (the processor does the VMLOAD at
 *   #VMEXIT); svm_sev_es_host_state() (hv/svm/svm.c) writes XCR0/XSS/PKRU. The
 *   callee-saved GPRs and the vcpu pointer are kept on the stack (RSP is
 *   type A): whatever the processor loads into them is overwritten below.
 * - x87/SSE: not swapped by us for the guest (the VMSA holds it); the
 *   host's image is kept with FXSAVE64/FXRSTOR64 around the switch, as in
 *   hv/svm/vmrun.S, so newlib's SSE state survives whatever the processor does.
 *
 * Interrupts as in hv/svm/vmrun.S: CLGI, STI held by GIF = 0, VMRUN; after
 * #VMEXIT (GIF = 0, host RFLAGS back) CLI before STGI.
 *
 * QEMU (7.2, and every version to date) has no SEV-ES: it never executes
 * this path; it only links (tools/check-link.sh). Untested on hardware. */
#include "hv/svm/vcpu.h"
#include "hv/svm/vmrun_frame.h"

	.text
	.globl	__svm_sev_es_vcpu_run
	.type	__svm_sev_es_vcpu_run, @function
__svm_sev_es_vcpu_run:
	HOST_CALLEE_SAVE
	push	%rdi			/* the vcpu, for after VMRUN */

	fxsave64 VCPU_HOST_FPU(%rdi)

	clgi
	mov	VCPU_HSAVE_PA(%rdi), %rax
	vmsave	%rax			/* type B host state: restored by #VMEXIT */
	mov	VCPU_VMCB_PA(%rdi), %rax
	sti				/* held by GIF = 0 until VMRUN */

	vmrun	%rax			/* guest state from the VMSA at vmcb->vmsa_pa */

	/* GIF = 0; type A and type B host state are back */
	cli				/* a pending interrupt waits for svm_host_intr_ack */
	stgi

	pop	%rdi
	fxrstor64 VCPU_HOST_FPU(%rdi)

	HOST_CALLEE_RESTORE
	ret
	.size	__svm_sev_es_vcpu_run, . - __svm_sev_es_vcpu_run

	.section .note.GNU-stack, "", @progbits
