/* hv/svm/vmsa: the SEV-ES/SEV-SNP VM save area (VMSA), the page that holds an
 * encrypted guest's register state instead of the VMCB save area (APM vol 2,
 * 15.35.3 and table B-4), and the builder of the boot state snpvisor's guests
 * start in (docs/guest-abi.md). An SNP guest's VMSA is launched with
 * SNP_LAUNCH_UPDATE type VMSA and measured at SNP_VMSA_GPA (docs/measure.md,
 * "VMSA"). Field names and offsets follow Linux arch/x86/include/asm/svm.h
 * struct sev_es_save_area. Pure code: no hardware access. */
#ifndef SNP_VMSA_H
#define SNP_VMSA_H

#include "hv/arch/x86/msr.h"
#include "hv/svm/svm.h"
#include "hv/base/types.h"

/* SEV_FEATURES (VMSA offset 0x3b0; APM vol 2, table 15-37; Linux names).
 * SEV_STATUS (MSR 0xC0010131) reports the same bits shifted left by 2. */
#define SVM_SEV_FEAT_SNP_ACTIVE		  BIT(0) /* required for an SNP guest */
#define SVM_SEV_FEAT_RESTRICTED_INJECTION BIT(3)
#define SVM_SEV_FEAT_ALTERNATE_INJECTION  BIT(4)
#define SVM_SEV_FEAT_DEBUG_SWAP		  BIT(5)
#define SVM_SEV_FEAT_SECURE_TSC		  BIT(9)

/* The save area: 0x670 bytes at the start of a 4 KiB page; the rest of the
 * page is zero in every VMSA snpvisor builds (and is measured as such). */
struct sev_es_save_area {
	struct vmcb_seg es;   /* 0x000 */
	struct vmcb_seg cs;   /* 0x010 */
	struct vmcb_seg ss;   /* 0x020 */
	struct vmcb_seg ds;   /* 0x030 */
	struct vmcb_seg fs;   /* 0x040 */
	struct vmcb_seg gs;   /* 0x050 */
	struct vmcb_seg gdtr; /* 0x060 */
	struct vmcb_seg ldtr; /* 0x070 */
	struct vmcb_seg idtr; /* 0x080 */
	struct vmcb_seg tr;   /* 0x090 */
	u64 pl0_ssp;	      /* 0x0a0 */
	u64 pl1_ssp;
	u64 pl2_ssp;
	u64 pl3_ssp;
	u64 u_cet; /* 0x0c0 */
	u8 reserved_0xc8[2];
	u8 vmpl; /* 0x0ca */
	u8 cpl;	 /* 0x0cb */
	u8 reserved_0xcc[4];
	u64 efer; /* 0x0d0 */
	u8 reserved_0xd8[104];
	u64 xss;    /* 0x140 */
	u64 cr4;    /* 0x148 */
	u64 cr3;    /* 0x150 */
	u64 cr0;    /* 0x158 */
	u64 dr7;    /* 0x160 */
	u64 dr6;    /* 0x168 */
	u64 rflags; /* 0x170 */
	u64 rip;    /* 0x178 */
	u64 dr0;    /* 0x180 */
	u64 dr1;
	u64 dr2;
	u64 dr3;
	u64 dr0_addr_mask; /* 0x1a0 */
	u64 dr1_addr_mask;
	u64 dr2_addr_mask;
	u64 dr3_addr_mask;
	u8 reserved_0x1c0[24];
	u64 rsp;	    /* 0x1d8 */
	u64 s_cet;	    /* 0x1e0 */
	u64 ssp;	    /* 0x1e8 */
	u64 isst_addr;	    /* 0x1f0 */
	u64 rax;	    /* 0x1f8 */
	u64 star;	    /* 0x200 */
	u64 lstar;	    /* 0x208 */
	u64 cstar;	    /* 0x210 */
	u64 sfmask;	    /* 0x218 */
	u64 kernel_gs_base; /* 0x220 */
	u64 sysenter_cs;    /* 0x228 */
	u64 sysenter_esp;   /* 0x230 */
	u64 sysenter_eip;   /* 0x238 */
	u64 cr2;	    /* 0x240 */
	u8 reserved_0x248[32];
	u64 g_pat;	    /* 0x268 */
	u64 dbgctl;	    /* 0x270 */
	u64 br_from;	    /* 0x278 */
	u64 br_to;	    /* 0x280 */
	u64 last_excp_from; /* 0x288 */
	u64 last_excp_to;   /* 0x290 */
	u8 reserved_0x298[80];
	u32 pkru;	/* 0x2e8 */
	u32 tsc_aux;	/* 0x2ec */
	u64 tsc_scale;	/* 0x2f0: Secure TSC */
	u64 tsc_offset; /* 0x2f8: Secure TSC */
	u8 reserved_0x300[8];
	u64 rcx;	    /* 0x308 */
	u64 rdx;	    /* 0x310 */
	u64 rbx;	    /* 0x318 */
	u64 reserved_0x320; /* rsp is at 0x1d8 */
	u64 rbp;	    /* 0x328 */
	u64 rsi;	    /* 0x330 */
	u64 rdi;	    /* 0x338 */
	u64 r8;		    /* 0x340 */
	u64 r9;
	u64 r10;
	u64 r11;
	u64 r12;
	u64 r13;
	u64 r14;
	u64 r15; /* 0x378 */
	u8 reserved_0x380[16];
	u64 guest_exit_info_1;	 /* 0x390 */
	u64 guest_exit_info_2;	 /* 0x398 */
	u64 guest_exit_int_info; /* 0x3a0 */
	u64 guest_nrip;		 /* 0x3a8 */
	u64 sev_features;	 /* 0x3b0 */
	u64 vintr_ctrl;		 /* 0x3b8 */
	u64 guest_exit_code;	 /* 0x3c0 */
	u64 virtual_tom;	 /* 0x3c8 */
	u64 tlb_id;		 /* 0x3d0 */
	u64 pcpu_id;		 /* 0x3d8 */
	u64 event_inj;		 /* 0x3e0 */
	u64 xcr0;		 /* 0x3e8 */
	u8 reserved_0x3f0[16];
	/* x87/SSE/AVX state (0x400) */
	u64 x87_dp;	   /* 0x400 */
	u32 mxcsr;	   /* 0x408 */
	u16 x87_ftw;	   /* 0x40c */
	u16 x87_fsw;	   /* 0x40e */
	u16 x87_fcw;	   /* 0x410 */
	u16 x87_fop;	   /* 0x412 */
	u16 x87_ds;	   /* 0x414 */
	u16 x87_cs;	   /* 0x416 */
	u64 x87_rip;	   /* 0x418 */
	u8 fpreg_x87[80];  /* 0x420: ST0-ST7, 10 bytes each */
	u8 fpreg_xmm[256]; /* 0x470: XMM0-15 */
	u8 fpreg_ymm[256]; /* 0x570: YMM0-15 upper halves */
} __packed;

CHECK_SIZE(struct sev_es_save_area, 0x670);
_Static_assert(sizeof(struct sev_es_save_area) <= PAGE_SIZE, "VMSA fits one page");
CHECK_OFFSET(struct sev_es_save_area, es, 0x000);
CHECK_OFFSET(struct sev_es_save_area, cs, 0x010);
CHECK_OFFSET(struct sev_es_save_area, ss, 0x020);
CHECK_OFFSET(struct sev_es_save_area, ds, 0x030);
CHECK_OFFSET(struct sev_es_save_area, fs, 0x040);
CHECK_OFFSET(struct sev_es_save_area, gs, 0x050);
CHECK_OFFSET(struct sev_es_save_area, gdtr, 0x060);
CHECK_OFFSET(struct sev_es_save_area, ldtr, 0x070);
CHECK_OFFSET(struct sev_es_save_area, idtr, 0x080);
CHECK_OFFSET(struct sev_es_save_area, tr, 0x090);
CHECK_OFFSET(struct sev_es_save_area, pl0_ssp, 0x0a0);
CHECK_OFFSET(struct sev_es_save_area, u_cet, 0x0c0);
CHECK_OFFSET(struct sev_es_save_area, reserved_0xc8, 0x0c8);
CHECK_OFFSET(struct sev_es_save_area, vmpl, 0x0ca);
CHECK_OFFSET(struct sev_es_save_area, cpl, 0x0cb);
CHECK_OFFSET(struct sev_es_save_area, efer, 0x0d0);
CHECK_OFFSET(struct sev_es_save_area, xss, 0x140);
CHECK_OFFSET(struct sev_es_save_area, cr4, 0x148);
CHECK_OFFSET(struct sev_es_save_area, cr3, 0x150);
CHECK_OFFSET(struct sev_es_save_area, cr0, 0x158);
CHECK_OFFSET(struct sev_es_save_area, dr7, 0x160);
CHECK_OFFSET(struct sev_es_save_area, dr6, 0x168);
CHECK_OFFSET(struct sev_es_save_area, rflags, 0x170);
CHECK_OFFSET(struct sev_es_save_area, rip, 0x178);
CHECK_OFFSET(struct sev_es_save_area, dr0, 0x180);
CHECK_OFFSET(struct sev_es_save_area, reserved_0x1c0, 0x1c0);
CHECK_OFFSET(struct sev_es_save_area, rsp, 0x1d8);
CHECK_OFFSET(struct sev_es_save_area, rax, 0x1f8);
CHECK_OFFSET(struct sev_es_save_area, star, 0x200);
CHECK_OFFSET(struct sev_es_save_area, cr2, 0x240);
CHECK_OFFSET(struct sev_es_save_area, g_pat, 0x268);
CHECK_OFFSET(struct sev_es_save_area, reserved_0x298, 0x298);
CHECK_OFFSET(struct sev_es_save_area, pkru, 0x2e8);
CHECK_OFFSET(struct sev_es_save_area, tsc_scale, 0x2f0);
CHECK_OFFSET(struct sev_es_save_area, rcx, 0x308);
CHECK_OFFSET(struct sev_es_save_area, rdx, 0x310);
CHECK_OFFSET(struct sev_es_save_area, rbx, 0x318);
CHECK_OFFSET(struct sev_es_save_area, reserved_0x320, 0x320);
CHECK_OFFSET(struct sev_es_save_area, rbp, 0x328);
CHECK_OFFSET(struct sev_es_save_area, r8, 0x340);
CHECK_OFFSET(struct sev_es_save_area, r15, 0x378);
CHECK_OFFSET(struct sev_es_save_area, reserved_0x380, 0x380);
CHECK_OFFSET(struct sev_es_save_area, guest_exit_info_1, 0x390);
CHECK_OFFSET(struct sev_es_save_area, guest_nrip, 0x3a8);
CHECK_OFFSET(struct sev_es_save_area, sev_features, 0x3b0);
CHECK_OFFSET(struct sev_es_save_area, vintr_ctrl, 0x3b8);
CHECK_OFFSET(struct sev_es_save_area, guest_exit_code, 0x3c0);
CHECK_OFFSET(struct sev_es_save_area, virtual_tom, 0x3c8);
CHECK_OFFSET(struct sev_es_save_area, event_inj, 0x3e0);
CHECK_OFFSET(struct sev_es_save_area, xcr0, 0x3e8);
CHECK_OFFSET(struct sev_es_save_area, reserved_0x3f0, 0x3f0);
CHECK_OFFSET(struct sev_es_save_area, x87_dp, 0x400);
CHECK_OFFSET(struct sev_es_save_area, mxcsr, 0x408);
CHECK_OFFSET(struct sev_es_save_area, x87_ftw, 0x40c);
CHECK_OFFSET(struct sev_es_save_area, x87_fcw, 0x410);
CHECK_OFFSET(struct sev_es_save_area, x87_rip, 0x418);
CHECK_OFFSET(struct sev_es_save_area, fpreg_x87, 0x420);
CHECK_OFFSET(struct sev_es_save_area, fpreg_xmm, 0x470);
CHECK_OFFSET(struct sev_es_save_area, fpreg_ymm, 0x570);

/* Boot-state values (docs/guest-abi.md; the same as hv/svm/vcpu.c vmcb_init). */
#define VMSA_BOOT_CS	    0x08
#define VMSA_BOOT_DS	    0x10
#define VMSA_SEG_CODE32	    (SVM_SEG_G | SVM_SEG_DB | SVM_SEG_P | SVM_SEG_S | 0xb) /* 0xc9b */
#define VMSA_SEG_DATA32	    (SVM_SEG_G | SVM_SEG_DB | SVM_SEG_P | SVM_SEG_S | 0x3) /* 0xc93 */
#define VMSA_SEG_LDT	    (SVM_SEG_P | 0x2)					   /* 0x082 */
#define VMSA_SEG_TSS32_BUSY (SVM_SEG_P | 0xb)					   /* 0x08b */
#define VMSA_CR0_BOOT	    0x31ULL /* PE | ET | NE */
#define VMSA_DR6_INIT	    0xffff0ff0ULL
#define VMSA_DR7_INIT	    0x400ULL
#define VMSA_RFLAGS_INIT    0x2ULL
#define VMSA_PAT_INIT	    0x0007040600070406ULL
#define VMSA_XCR0_INIT	    0x1ULL /* x87 only */
#define VMSA_MXCSR_INIT	    0x1f80
#define VMSA_FCW_INIT	    0x037f

/* Fills *v (all 0x670 bytes; fields not listed are zero) with the state a
 * snpvisor guest starts in: 32-bit flat protected mode, paging off, CS 0x08
 * / data 0x10 flat 4 GiB, GDTR/IDTR limit 0, CR0 PE|ET|NE, CR4 0, EFER.SVME,
 * RIP = entry_gpa, RBX = boot_params_gpa, other GPRs 0, RFLAGS 0x2, DR6/DR7
 * and PAT at reset, XCR0 1, FCW 0x37F, MXCSR 0x1F80, CPL/VMPL 0 and
 * SEV_FEATURES = sev_features (SVM_SEV_FEAT_SNP_ACTIVE for SNP). Both
 * addresses are below 4 GiB in this mode; the caller checks that. The page a
 * VMSA is launched from is this struct followed by zeros to 4 KiB. */
void vmsa_build_boot(struct sev_es_save_area *v, u64 entry_gpa, u64 boot_params_gpa,
		     u64 sev_features);

/* Zeroes the 4 KiB page and builds the boot VMSA at its start: the bytes
 * that SNP_LAUNCH_UPDATE type VMSA measures. */
void vmsa_page_build_boot(void *page, u64 entry_gpa, u64 boot_params_gpa, u64 sev_features);

/* ---- SNP guests: 64-bit boot (docs/guest-abi.md, "SNP guests") ----
 * An SEV-ES/SNP guest cannot enable long mode itself (WRMSR EFER is
 * intercepted and would #VC before it has an IDT), so it starts in long mode
 * at entry + SNP_ENTRY64_OFFSET, with CR3 at identity page tables the
 * hypervisor launches as NORMAL (measured) pages at SNP_BOOT_PT_GPA:
 *   PML4 at SNP_BOOT_PT_GPA, PDPT at +0x1000, four PDs at +0x2000..+0x5fff
 *   mapping GPA [0, 4 GiB) with 2 MiB pages, P|RW, and the C-bit in every
 *   entry (PML4E, PDPTE, PDE): the pages they map are private and so are
 *   the table pages (APM vol 2, 15.34.6 "Page Table Support"; an SEV guest's
 *   hardware walk treats table accesses as private anyway). CR3 carries no
 *   C-bit. */
#define SNP_ENTRY64_OFFSET 0x10ULL
#define SNP_BOOT_PT_GPA	   0x2000ULL
#define SNP_BOOT_PT_PAGES  6
#define SNP_BOOT_PT_END	   (SNP_BOOT_PT_GPA + SNP_BOOT_PT_PAGES * PAGE_SIZE)	 /* 0x8000 */
#define VMSA_SEG_CODE64	   (SVM_SEG_G | SVM_SEG_L | SVM_SEG_P | SVM_SEG_S | 0xb) /* 0xa9b */
#define VMSA_CR0_BOOT64	   0x80010033ULL		     /* PE | MP | ET | NE | WP | PG */
#define VMSA_CR4_BOOT64	   0x620ULL			     /* PAE | OSFXSR | OSXMMEXCPT */
#define VMSA_EFER_BOOT64   (EFER_LME | EFER_LMA | EFER_SVME) /* 0x1500 */

/* Fills the SNP_BOOT_PT_PAGES pages at tables (the bytes launched at
 * SNP_BOOT_PT_GPA) with the identity page tables above, the C-bit at bit
 * position cbit (CPUID 0x8000001F EBX[5:0]; the hypervisor passes its
 * GUEST_CBIT) or none for cbit 0. Valid: 0 or SNP_CBIT_MIN..SNP_CBIT_MAX
 * (above the 4 GiB identity map's address bits, below NX); anything else is
 * a caller bug and builds no C-bit. */
#define SNP_CBIT_MIN 32
#define SNP_CBIT_MAX 62
void snp_boot_tables_build(void *tables, unsigned cbit);

/* As vmsa_build_boot(), but 64-bit long mode: CS 0x08 64-bit (attrib
 * 0xa9b), data segments as there, EFER LME|LMA|SVME, CR0 PE|MP|ET|NE|WP|PG,
 * CR4 PAE|OSFXSR|OSXMMEXCPT, CR3 = cr3, RIP = rip, RBX = boot_params_gpa,
 * RSP 0 (the guest sets its own). */
void vmsa_build_boot64(struct sev_es_save_area *v, u64 rip, u64 boot_params_gpa, u64 cr3,
		       u64 sev_features);

/* The launched VMSA page of an SNP guest whose image entry is entry_gpa:
 * RIP = entry_gpa + SNP_ENTRY64_OFFSET, CR3 = SNP_BOOT_PT_GPA. */
void vmsa_page_build_boot64(void *page, u64 entry_gpa, u64 boot_params_gpa, u64 sev_features);

#endif
