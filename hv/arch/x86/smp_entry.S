/* The AP's first hypervisor code and its interrupt stubs (docs/smp.md).
 *
 * smp_ap_entry64: reached from the trampoline in 64-bit mode on the bridge
 * tables with RDI = the hypervisor's CR3. It loads that CR3 (this page is
 * mapped read-only + executable in both tables, so the next fetch works),
 * the BSP's CR4/CR0, GDT and the APs' IDT from smp_ap_boot, the stack the
 * BSP chose for this AP, reloads the segment registers with the BSP's
 * selectors (far return for CS), and calls smp_ap_main(cpu). APM vol 2
 * 4.8 (64-bit segments), 8.9 (64-bit IDT gates).
 *
 * It is 128-byte aligned and shorter than 128 bytes, so that it never
 * straddles a page: the bridge tables map exactly one page of it. */
#include "hv/arch/x86/smp.h"

	.text
	.hidden	smp_ap_boot
	.hidden	smp_ap_main
	.hidden	smp_ap_fault
	.hidden	smp_ap_eoi

	.balign	128
	.globl	smp_ap_entry64
	.type	smp_ap_entry64, @function
smp_ap_entry64:
	mov	%rdi, %cr3
	lea	smp_ap_boot(%rip), %rsi
	mov	SMP_BOOT_CR4(%rsi), %rax
	mov	%rax, %cr4
	mov	SMP_BOOT_CR0(%rsi), %rax
	mov	%rax, %cr0
	lgdt	SMP_BOOT_GDTR(%rsi)
	lidt	SMP_BOOT_IDTR(%rsi)
	mov	SMP_BOOT_STACK(%rsi), %rsp
	movzwl	SMP_BOOT_DS(%rsi), %eax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	movzwl	SMP_BOOT_CS(%rsi), %eax
	push	%rax
	lea	1f(%rip), %rax
	push	%rax
	lretq
1:	mov	SMP_BOOT_CPU(%rsi), %edi
	xor	%ebp, %ebp
	call	smp_ap_main
2:	cli
	hlt
	jmp	2b
	.size	smp_ap_entry64, . - smp_ap_entry64
	/* "attempt to move .org backwards" if the entry outgrew 128 bytes */
	.org	smp_ap_entry64 + 128

/* Exception stubs for vectors 0-31, 16 bytes each (smp.c computes the gate
 * addresses from smp_ap_fault_stubs): push a zero error code where the CPU
 * pushes none (APM vol 2 8.2), push the vector, go to the common part,
 * which hands vector, error code and RIP to smp_ap_fault (never returns). */
	.balign	16
	.globl	smp_ap_fault_stubs
smp_ap_fault_stubs:
	.irp	vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign	16
	.if	(\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	nop
	nop
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	fault_common
	.endr

fault_common:
	mov	0(%rsp), %rdi			/* vector */
	mov	8(%rsp), %rsi			/* error code */
	mov	16(%rsp), %rdx			/* RIP */
	and	$~0xf, %rsp
	call	smp_ap_fault
3:	cli
	hlt
	jmp	3b

/* Vectors 32-255: the wake IPI (and a spurious interrupt): EOI and return.
 * RSP is 8 mod 16 after the 5-quadword frame; nine pushes realign it. */
	.balign	16
	.globl	smp_ap_wake_stub
smp_ap_wake_stub:
	push	%rax
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	call	smp_ap_eoi
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq
