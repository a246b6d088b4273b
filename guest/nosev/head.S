/* The bzImage wrapper of the nosev test kernel (guest/nosev/, docs/linux.md
 * "Bad inputs"): a setup header as Linux's boot protocol defines it
 * (Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header"; offsets
 * only), an unused 32-bit entry and the 64-bit entry at +0x200
 * ("64-bit Boot Protocol"). The kernel itself (kernel.c) knows nothing of
 * SEV: no C-bit, no GHCB, no #VC handler. */

	.section .nosev.setup, "a"
setup_base:
	.org 0x1f1
	.byte 1				/* 0x1F1 setup_sects: setup = 2 * 512 bytes */
	.word 0				/* 0x1F2 root_flags */
	.long nosev_syssize		/* 0x1F4 syssize: 16-byte units (nosev.ld) */
	.word 0				/* 0x1F8 ram_size */
	.word 0xffff			/* 0x1FA vid_mode: "normal" */
	.word 0				/* 0x1FC root_dev */
	.word 0xaa55			/* 0x1FE boot_flag */
	.byte 0xeb, hdr_end - jump_end	/* 0x200 jump: byte 0x201 = header length - 0x202 */
jump_end:
	.ascii "HdrS"			/* 0x202 header */
	.word 0x020f			/* 0x206 version 2.15 */
	.long 0				/* 0x208 realmode_swtch */
	.word 0				/* 0x20C start_sys_seg */
	.word kver - setup_base - 0x200	/* 0x20E kernel_version */
	.byte 0				/* 0x210 type_of_loader */
	.byte 0x01			/* 0x211 loadflags: LOADED_HIGH */
	.word 0				/* 0x212 setup_move_size */
	.long 0x100000			/* 0x214 code32_start */
	.long 0				/* 0x218 ramdisk_image */
	.long 0				/* 0x21C ramdisk_size */
	.long 0				/* 0x220 bootsect_kludge */
	.word 0				/* 0x224 heap_end_ptr */
	.byte 0				/* 0x226 ext_loader_ver */
	.byte 0				/* 0x227 ext_loader_type */
	.long 0				/* 0x228 cmd_line_ptr */
	.long 0x7fffffff		/* 0x22C initrd_addr_max */
	.long 0x200000			/* 0x230 kernel_alignment: 2 MiB */
	.byte 1				/* 0x234 relocatable_kernel */
	.byte 21			/* 0x235 min_alignment: log2(2 MiB) */
	.word 0x0001			/* 0x236 xloadflags: XLF_KERNEL_64 */
	.long 2047			/* 0x238 cmdline_size */
	.long 0				/* 0x23C hardware_subarch */
	.quad 0				/* 0x240 hardware_subarch_data */
	.long 0				/* 0x248 payload_offset (no compressed payload) */
	.long 0				/* 0x24C payload_length */
	.quad 0				/* 0x250 setup_data */
	.quad 0x1000000			/* 0x258 pref_address: 16 MiB */
	.long nosev_init_size		/* 0x260 init_size (nosev.ld) */
	.long 0				/* 0x264 handover_offset: no EFI handover */
	.long 0				/* 0x268 kernel_info_offset */
hdr_end:
kver:
	.asciz "nosev 1.0 (snpvisor test kernel, no SEV support)"
	.org 0x400

	/* The protected-mode part starts here (load address + 0). Its 32-bit
	 * entry is not supported: halt. */
	.section .nosev.pm32, "ax"
	.code32
1:	cli
	hlt
	jmp 1b
	.org 0x200, 0xf4

	/* load address + 0x200: the 64-bit entry, RSI = the zero page, on the
	 * loader's identity tables. Position-independent: the loader may move
	 * the kernel (relocatable_kernel). */
	.section .nosev.entry64, "ax"
	.code64
	.globl nosev_entry64
nosev_entry64:
	cli
	cld
	leaq nosev_stack_top(%rip), %rsp
	movq %rsi, %rdi
	call nosev_main
2:	hlt
	jmp 2b

	/* Every exception vector the kernel has a gate for (not 29, #VC):
	 * report on COM1 and halt. */
	.globl nosev_exception
nosev_exception:
	movw $0x3f8, %dx
	leaq exc_msg(%rip), %rsi
3:	lodsb
	testb %al, %al
	jz 4f
	outb %al, %dx
	jmp 3b
4:	cli
	hlt
	jmp 4b

	.section .rodata
exc_msg:
	.asciz "nosev: unexpected exception, halted\n"

	.section .bss
	.balign 16
	.space 16384
	.globl nosev_stack_top
nosev_stack_top:

	.section .note.GNU-stack, "", @progbits
