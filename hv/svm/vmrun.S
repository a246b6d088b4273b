/* The world switch (AMD APM vol 2, 15.5 VMRUN, 15.6 #VMEXIT, 15.17 GIF).
 *
 * void __svm_vcpu_run(struct vcpu *v)   (SysV: v in %rdi)
 *
 * VMRUN switches RAX, RSP, RIP, RFLAGS, CR0/3/4, EFER, CS/SS/DS/ES, GDTR,
 * IDTR (guest values from the VMCB, host values to VM_HSAVE_PA). VMLOAD and
 * VMSAVE move FS, GS, TR, LDTR with their hidden state, KernelGSBase, STAR,
 * LSTAR, CSTAR, SFMASK and the SYSENTER MSRs. Everything else is ours: the
 * other 14 GPRs (struct vcpu_regs) and the x87/SSE state (FXSAVE64 images,
 * 512 bytes, 16-byte aligned), saved here before any C code can run, since
 * newlib may use SSE even though hypervisor objects do not.
 *
 * Interrupts: CLGI holds them off; STI inside the CLGI window means that once
 * the guest runs (GIF = 1) a physical interrupt exits with SVM_EXIT_INTR
 * (V_INTR_MASKING: the host's IF decides). After #VMEXIT GIF = 0; we clear IF
 * before STGI so the interrupt stays pending for svm_host_intr_ack(). */
#include "hv/svm/vcpu.h"
#include "hv/svm/vmrun_frame.h"

	.text
	.globl	__svm_vcpu_run
	.type	__svm_vcpu_run, @function
__svm_vcpu_run:
	HOST_CALLEE_SAVE
	push	%rdi			/* the vcpu, for after VMRUN */

	fxsave64 VCPU_HOST_FPU(%rdi)
	fxrstor64 VCPU_GUEST_FPU(%rdi)

	clgi
	mov	VCPU_HOST_VMCB_PA(%rdi), %rax
	vmsave	%rax			/* host FS/GS/TR/LDTR/syscall MSRs */
	mov	VCPU_VMCB_PA(%rdi), %rax
	vmload	%rax
	sti				/* held by GIF = 0 until VMRUN */

	mov	VCPU_RBX(%rdi), %rbx
	mov	VCPU_RCX(%rdi), %rcx
	mov	VCPU_RDX(%rdi), %rdx
	mov	VCPU_RSI(%rdi), %rsi
	mov	VCPU_RBP(%rdi), %rbp
	mov	VCPU_R8(%rdi), %r8
	mov	VCPU_R9(%rdi), %r9
	mov	VCPU_R10(%rdi), %r10
	mov	VCPU_R11(%rdi), %r11
	mov	VCPU_R12(%rdi), %r12
	mov	VCPU_R13(%rdi), %r13
	mov	VCPU_R14(%rdi), %r14
	mov	VCPU_R15(%rdi), %r15
	mov	VCPU_RDI(%rdi), %rdi

	vmrun	%rax			/* RAX = VMCB PA; restored by #VMEXIT */

	/* GIF = 0; host RSP, RAX, RFLAGS (IF = 1) are back */
	push	%rdi			/* guest RDI */
	mov	8(%rsp), %rdi		/* vcpu */
	mov	%rbx, VCPU_RBX(%rdi)
	mov	%rcx, VCPU_RCX(%rdi)
	mov	%rdx, VCPU_RDX(%rdi)
	mov	%rsi, VCPU_RSI(%rdi)
	mov	%rbp, VCPU_RBP(%rdi)
	mov	%r8, VCPU_R8(%rdi)
	mov	%r9, VCPU_R9(%rdi)
	mov	%r10, VCPU_R10(%rdi)
	mov	%r11, VCPU_R11(%rdi)
	mov	%r12, VCPU_R12(%rdi)
	mov	%r13, VCPU_R13(%rdi)
	mov	%r14, VCPU_R14(%rdi)
	mov	%r15, VCPU_R15(%rdi)
	popq	VCPU_RDI(%rdi)

	vmsave	%rax			/* guest FS/GS/TR/LDTR/syscall MSRs */
	mov	VCPU_HOST_VMCB_PA(%rdi), %rax
	vmload	%rax
	cli				/* a pending interrupt waits for svm_host_intr_ack */
	stgi

	fxsave64 VCPU_GUEST_FPU(%rdi)
	fxrstor64 VCPU_HOST_FPU(%rdi)

	pop	%rdi
	HOST_CALLEE_RESTORE
	ret
	.size	__svm_vcpu_run, . - __svm_vcpu_run

/* Host interrupt gate target used by svm_host_intr_ack(): the interrupt is
 * taken only to move it from IRR to ISR; the caller sends EOI. */
	.globl	svm_intr_stub
	.type	svm_intr_stub, @function
svm_intr_stub:
	iretq
	.size	svm_intr_stub, . - svm_intr_stub

	.section .note.GNU-stack, "", @progbits
