/* The host frame both world-switch entries keep around VMRUN (hv/svm/vmrun.S,
 * hv/svm/vmrun_sev_es.S): the SysV callee-saved registers, which VMRUN/#VMEXIT
 * neither save nor (for plain guests) restore. Assembler only. */
#ifndef SNPV_HV_VMRUN_FRAME_H
#define SNPV_HV_VMRUN_FRAME_H
#ifdef __ASSEMBLER__

.macro HOST_CALLEE_SAVE
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
.endm

.macro HOST_CALLEE_RESTORE
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
.endm

#endif
#endif
