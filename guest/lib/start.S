/* Guest entry (docs/guest-abi.md). Plain guests: the hypervisor starts the vCPU in 32-bit
 * protected mode, flat 4 GiB segments, paging off, interrupts off, at the
 * image's first byte (a short jump over the SNP image header at 4..15), with EBX = GPA of the boot-params page (struct
 * hc_info). From there the guest is on its own: it clears its .bss, loads
 * its own GDT, builds identity page tables of 2 MiB pages over the low
 * 4 GiB, enables long mode (EFER.LME through WRMSR), loads its own IDT and
 * calls guest_main().
 * SNP guests enter at _start64 = image start + 0x10 (SNP_ENTRY64_OFFSET),
 * already in 64-bit long mode on the hypervisor's launched identity page
 * tables, RBX = boot params, RSP undefined: no CPUID, MSR or I/O access (all
 * #VC on SEV-SNP) comes before the IDT with the #VC gate is loaded. Its .bss
 * and stack were launched as ZERO pages (validated), so the writes below come
 * before its own PVALIDATE pass without a #VC on hardware. */
#include "guest/lib/frame.h"
#include "hv/arch/x86/msr.h"
#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_ET (1 << 4)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80

#define SEL_CODE64 0x08
#define SEL_DATA 0x10

	.section .text.start, "ax"
	.code32
	.globl	_start
_start:
	jmp	start32_near	/* 2 bytes: the header starts at offset 4 */
	/* SNP image header (snp/measure.h struct snp_image_hdr, docs/guest-abi.md
	 * "Image header"): magic "SNPI", then the bytes from the image start to
	 * the end of .bss, which the hypervisor launches (file NORMAL, the rest
	 * ZERO) so that .bss and the stack are validated before the first write */
	.org	4, 0xcc
	.long	0x49504e53
	.quad	__image_mem_size
	/* the 64-bit (SNP) entry sits at a fixed offset: docs/guest-abi.md */
	.org	0x10, 0xcc
	.code64
	.globl	_start64
_start64:
	cli
	cld
	mov	%rbx, %rsi
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	shr	$2, %ecx
	xor	%eax, %eax
	rep stosl
	mov	%rsi, boot_params_gpa(%rip)
	lgdt	gdt_ptr(%rip)
	lea	stack_top(%rip), %rsp
	pushq	$SEL_CODE64
	lea	1f(%rip), %rax
	push	%rax
	lretq
1:	call	load_data_segs
	xor	%ebp, %ebp
	/* IDT and the #VC gate before anything that can raise #VC */
	call	guest_idt_init
	call	snp_vc_install
	jmp	common64

	/* within reach of the short jump at _start */
	.code32
start32_near:
	jmp	start32

	.code32
start32:
	cli
	cld
	/* clear .bss (page tables and stack live there) */
	mov	%ebx, %esi
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	shr	$2, %ecx
	xor	%eax, %eax
	rep stosl
	mov	%esi, boot_params_gpa

	lgdt	gdt_ptr

	/* PML4[0] -> PDPT; PDPT[0..3] -> pd[0..3]; pd: 2048 entries of 2 MiB */
	mov	$pdpt, %eax
	or	$(PTE_P | PTE_W), %eax
	mov	%eax, pml4
	mov	$pd, %eax
	or	$(PTE_P | PTE_W), %eax
	xor	%ecx, %ecx
1:	mov	%eax, pdpt(, %ecx, 8)
	add	$4096, %eax
	inc	%ecx
	cmp	$4, %ecx
	jne	1b
	xor	%ecx, %ecx
	mov	$(PTE_P | PTE_W | PTE_PS), %eax
2:	mov	%eax, pd(, %ecx, 8)
	add	$0x200000, %eax
	inc	%ecx
	cmp	$2048, %ecx
	jne	2b

	mov	%cr4, %eax
	or	$(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	mov	%eax, %cr4
	mov	$pml4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	wrmsr
	mov	$(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG), %eax
	mov	%eax, %cr0
	ljmp	$SEL_CODE64, $start64

	.code64
start64:
	lea	stack_top(%rip), %rsp
	call	load_data_segs
	xor	%ebp, %ebp
	call	guest_idt_init
common64:
	call	guest_main
3:	hlt
	jmp	3b

load_data_segs:
	mov	$SEL_DATA, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	xor	%eax, %eax
	mov	%ax, %fs
	mov	%ax, %gs
	ret

/* ---- exceptions: vectors 0-31 -> guest_exception(struct exc_frame *) ---- */
.macro EXC_NOERR vec
	.align 16
	push	$0
	push	$\vec
	jmp	exc_common
.endm
.macro EXC_ERR vec
	.align 16
	push	$\vec
	jmp	exc_common
.endm

	.text
	.align 16
	.globl	exc_stubs
exc_stubs:
	EXC_NOERR 0
	EXC_NOERR 1
	EXC_NOERR 2
	EXC_NOERR 3
	EXC_NOERR 4
	EXC_NOERR 5
	EXC_NOERR 6
	EXC_NOERR 7
	EXC_ERR 8
	EXC_NOERR 9
	EXC_ERR 10
	EXC_ERR 11
	EXC_ERR 12
	EXC_ERR 13
	EXC_ERR 14
	EXC_NOERR 15
	EXC_NOERR 16
	EXC_ERR 17
	EXC_NOERR 18
	EXC_NOERR 19
	EXC_NOERR 20
	EXC_ERR 21
	EXC_NOERR 22
	EXC_NOERR 23
	EXC_NOERR 24
	EXC_NOERR 25
	EXC_NOERR 26
	EXC_NOERR 27
	EXC_NOERR 28
	EXC_ERR 29
	EXC_ERR 30
	EXC_NOERR 31

exc_common:
	EXC_FRAME_CALL guest_exception

	.section .rodata
	.align 8
gdt:
	.quad	0
	.quad	0x00af9b000000ffff	/* 0x08: 64-bit code, DPL 0 */
	.quad	0x00cf93000000ffff	/* 0x10: data, 4 GiB */
	.quad	0x00cf9b000000ffff	/* 0x18: 32-bit code */
gdt_end:
gdt_ptr:
	.word	gdt_end - gdt - 1
	.quad	gdt

	.bss
	.align 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4 * 4096
	.align 16
	.skip 65536
stack_top:
	.globl	boot_params_gpa
boot_params_gpa: .skip 8

	.section .note.GNU-stack, "", @progbits
