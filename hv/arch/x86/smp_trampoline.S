/* The AP start-up trampoline (docs/smp.md "Trampoline layout").
 *
 * These bytes are data in the hypervisor image: smp_init copies
 * [smp_tramp_start, smp_tramp_end) to the page boot/efi_main.c reserved
 * below 1 MiB and patches the parameter block (hv/arch/x86/smp.h SMP_TR_*), so the
 * code is position-independent: it finds its page from CS and every
 * address it uses is an offset in the page or a patched value. No
 * relocation is emitted (only label differences inside this section).
 *
 * An AP leaves wait-for-SIPI in real mode with CS = vector << 8, IP = 0
 * (Intel SDM vol 3A 9.4.4 / 8.4.4.1; AMD APM vol 2 16.5 "startup IPI").
 * Path (APM vol 2 14.6 "Enabling and Activating Long Mode", SDM 9.8.5):
 *   real mode: DS = CS, EBX = page base, LGDT, CR0.PE, far jump to pm32;
 *   pm32: flat data segments, caches on (INIT leaves CR0.CD/NW set),
 *         CR4.PAE, CR3 = bridge tables (below 4 GiB: CR3 is 32 bits here),
 *         EFER.LME|NXE, CR0.PG -> compatibility mode, far jump to the
 *         64-bit code segment;
 *   lm64: RDI = the hypervisor's CR3, jump to smp_ap_entry64 (hypervisor
 *         code, also mapped by the bridge tables), which switches CR3.
 * Nothing here writes memory: the page is read-only in both page tables
 * (the GDT descriptors have their accessed bit preset for that reason). */
#include "hv/arch/x86/smp.h"
#include "hv/arch/x86/msr.h"

#define CR0_PE	 0x00000001
#define CR0_NW	 0x20000000
#define CR0_CD	 0x40000000
#define CR0_PG	 0x80000000
#define CR4_PAE	 0x00000020

	.section .rodata.smp_trampoline, "a"
	.globl	smp_tramp_start
	.globl	smp_tramp_end
	.code16
smp_tramp_start:
	cli
	cld
	mov	%cs, %ax
	mov	%ax, %ds
	xor	%ebx, %ebx
	mov	%ax, %bx
	shl	$4, %ebx			/* EBX = the page's physical address */
	lgdtl	SMP_TR_GDTR
	mov	%cr0, %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmpl	*SMP_TR_JMP32

	.code32
pm32:
	mov	$SMP_SEL_DATA32, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%cr0, %eax
	and	$~(CR0_CD | CR0_NW), %eax
	mov	%eax, %cr0
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	SMP_TR_BRIDGE_CR3(%ebx), %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$(EFER_LME | EFER_NX), %eax
	wrmsr
	mov	%cr0, %eax
	or	$(CR0_PG | CR0_PE), %eax
	mov	%eax, %cr0			/* compatibility mode, bridge tables */
	ljmp	*SMP_TR_JMP64(%ebx)

	.code64
lm64:
	mov	%ebx, %ebx			/* upper halves are undefined after the switch */
	mov	SMP_TR_HV_CR3(%rbx), %rdi
	mov	SMP_TR_ENTRY64(%rbx), %rax
	jmp	*%rax
tramp_code_end:

	/* Parameters at fixed offsets (hv/arch/x86/smp.h); the code must end before. */
	.if	tramp_code_end - smp_tramp_start > SMP_TR_GDT
	.error	"trampoline code overlaps its GDT"
	.endif
	.org	SMP_TR_GDT
	.quad	0				/* null */
	.quad	0x00CF9B000000FFFF		/* 0x08 code32: base 0, 4 GiB, D=1, accessed */
	.quad	0x00CF93000000FFFF		/* 0x10 data32: base 0, 4 GiB, writable, accessed */
	.quad	0x00AF9B000000FFFF		/* 0x18 code64: L=1, accessed */
	.org	SMP_TR_GDTR
	.word	4 * 8 - 1
	.long	0				/* patched: page + SMP_TR_GDT */
	.org	SMP_TR_JMP32
	.long	0				/* patched: page + pm32 */
	.word	SMP_SEL_CODE32
	.org	SMP_TR_JMP64
	.long	0				/* patched: page + lm64 */
	.word	SMP_SEL_CODE64
	.org	SMP_TR_BRIDGE_CR3
	.long	0				/* patched */
	.org	SMP_TR_HV_CR3
	.quad	0				/* patched */
	.org	SMP_TR_ENTRY64
	.quad	0				/* patched */
	.org	SMP_TR_PM32_OFF
	.long	pm32 - smp_tramp_start
	.org	SMP_TR_LM64_OFF
	.long	lm64 - smp_tramp_start
	.org	SMP_TR_SIZE
smp_tramp_end:
