/* The exception frame of the guest library's handlers (struct exc_frame in
 * guest/lib/guest.h): the 15 GPRs pushed over the vector, error code and
 * IRETQ frame, a C handler called with the frame (RSP 16-aligned for the
 * call), then the registers restored (the handler may change them and RIP)
 * and IRETQ. Used by exc_common (start.S) and the #VC entry (vc.S). */
#ifndef GUEST_LIB_FRAME_H
#define GUEST_LIB_FRAME_H

.macro EXC_FRAME_CALL handler
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	mov	%rsp, %rbx
	and	$-16, %rsp
	call	\handler
	mov	%rbx, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp	/* vector and error code */
	iretq
.endm

#endif
