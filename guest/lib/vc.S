/* #VC entry (vector 29, APM vol 2 15.35.5): the processor pushes an error
 * code (the exit code); the frame is struct exc_frame as exc_common in
 * start.S builds it, handed to snp_vc_handler() (guest/lib/snp.c), which
 * may change registers and RIP before the IRETQ. */
#include "guest/lib/frame.h"
	.text
	.align 16
	.globl	snp_vc_entry
snp_vc_entry:
	/* On hardware #VC pushes an error code. QEMU TCG pushes error codes
	 * only for vectors 8, 10-14 and 17, so the #VC that snpvisor injects
	 * under emulation (EVENTINJ with the error code valid) arrives without
	 * one (measured: docs/snp-guest.md). In 64-bit mode the processor
	 * aligns RSP to 16 before pushing the 40-byte frame: with an error code
	 * RSP is 16-aligned here, without one it is not; then push
	 * SNP_VC_ERR_NONE (all ones) and snp_vc_handler recovers the exit code
	 * from the instruction at RIP. */
	test	$8, %rsp
	jz	1f
	push	$-1
1:	push	$29
	EXC_FRAME_CALL snp_vc_fx

	/* A #VC can hit any instruction, and the handler is C built with SSE
	 * allowed (memcpy, printf): the interrupted code's x87/SSE state is
	 * kept in an FXSAVE area on the stack around the handler (as the
	 * hypervisor keeps it around an exit). RDI = the frame, passed on. */
snp_vc_fx:
	push	%rbp
	mov	%rsp, %rbp
	sub	$512, %rsp
	and	$-16, %rsp
	fxsave64 (%rsp)
	call	snp_vc_handler
	fxrstor64 (%rsp)
	leave
	ret

	.section .note.GNU-stack, "", @progbits
