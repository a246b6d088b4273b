/* The AMD SVM virtual machine control block (VMCB) and its encodings.
 *
 * Layout from AMD APM vol 2, appendix B ("Layout of VMCB"): table B-1 the
 * control area (offsets 0x000-0x3FF), table B-2 the state save area (from
 * 0x400). Field names follow Linux's arch/x86/include/asm/svm.h so a reader
 * from that code base finds the same words; the reserved fields are named after
 * their offset and every key offset is checked at build time. Exit codes are
 * from appendix C ("SVM Intercept Exit Codes"). Header only: used by pure code
 * (exit handlers, unit tests) and by the hypervisor's VMRUN path. */
#ifndef HV_SVM_H
#define HV_SVM_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

/* ---- intercept bit numbers (APM vol 2, B-1, offsets 0x000-0x017) ----------
 * Bit n lives in intercepts[n / 32], bit n % 32. Word 0: CR reads (0-15) and
 * writes (16-31); word 1: DR reads/writes; word 2: exception vectors; words
 * 3-5: instruction and event intercepts. */
enum svm_intercept {
	INTERCEPT_CR0_READ = 0,
	INTERCEPT_CR3_READ = 3,
	INTERCEPT_CR4_READ = 4,
	INTERCEPT_CR8_READ = 8,
	INTERCEPT_CR0_WRITE = 16,
	INTERCEPT_CR3_WRITE = 16 + 3,
	INTERCEPT_CR4_WRITE = 16 + 4,
	INTERCEPT_CR8_WRITE = 16 + 8,
	INTERCEPT_DR0_READ = 32,
	INTERCEPT_DR0_WRITE = 48,
	INTERCEPT_EXCEPTION_OFFSET = 64, /* + vector */
	INTERCEPT_INTR = 96,
	INTERCEPT_NMI,
	INTERCEPT_SMI,
	INTERCEPT_INIT,
	INTERCEPT_VINTR,
	INTERCEPT_SELECTIVE_CR0,
	INTERCEPT_STORE_IDTR,
	INTERCEPT_STORE_GDTR,
	INTERCEPT_STORE_LDTR,
	INTERCEPT_STORE_TR,
	INTERCEPT_LOAD_IDTR,
	INTERCEPT_LOAD_GDTR,
	INTERCEPT_LOAD_LDTR,
	INTERCEPT_LOAD_TR,
	INTERCEPT_RDTSC,
	INTERCEPT_RDPMC,
	INTERCEPT_PUSHF,
	INTERCEPT_POPF,
	INTERCEPT_CPUID,
	INTERCEPT_RSM,
	INTERCEPT_IRET,
	INTERCEPT_INTn,
	INTERCEPT_INVD,
	INTERCEPT_PAUSE,
	INTERCEPT_HLT,
	INTERCEPT_INVLPG,
	INTERCEPT_INVLPGA,
	INTERCEPT_IOIO_PROT,
	INTERCEPT_MSR_PROT,
	INTERCEPT_TASK_SWITCH,
	INTERCEPT_FERR_FREEZE,
	INTERCEPT_SHUTDOWN, /* 127 */
	INTERCEPT_VMRUN = 128,
	INTERCEPT_VMMCALL,
	INTERCEPT_VMLOAD,
	INTERCEPT_VMSAVE,
	INTERCEPT_STGI,
	INTERCEPT_CLGI,
	INTERCEPT_SKINIT,
	INTERCEPT_RDTSCP,
	INTERCEPT_ICEBP,
	INTERCEPT_WBINVD,
	INTERCEPT_MONITOR,
	INTERCEPT_MWAIT,
	INTERCEPT_MWAIT_COND,
	INTERCEPT_XSETBV,
	INTERCEPT_RDPRU, /* 142 */
	/* SEV-ES write traps (APM vol 2, 15.35.4; Linux TRAP_*): the write
	 * completes, then an automatic exit reports the new value in EXITINFO1.
	 * The hypervisor cannot intercept (and emulate) CR/EFER writes of a
	 * guest whose registers it cannot read or change. */
	TRAP_EFER_WRITE, /* 143 */
	TRAP_CR0_WRITE,	 /* 144 + n: CRn */
	TRAP_CR4_WRITE = TRAP_CR0_WRITE + 4,
	TRAP_CR8_WRITE = TRAP_CR0_WRITE + 8, /* 152 */
	INTERCEPT_INVLPGB = 160,
	INTERCEPT_INVLPGB_ILLEGAL,
	INTERCEPT_INVPCID,
	INTERCEPT_MCOMMIT,
	INTERCEPT_TLBSYNC,
	MAX_INTERCEPT_BIT = 192,
};

#define SVM_INTERCEPT_WORDS 6
_Static_assert(TRAP_EFER_WRITE == 143 && TRAP_CR0_WRITE == 144 && TRAP_CR8_WRITE == 152,
	       "SEV-ES trap bits: word 4 bits 15-24");

/* ---- control area (APM vol 2, table B-1) ------------------------------------ */
struct vmcb_control_area {
	u32 intercepts[SVM_INTERCEPT_WORDS]; /* 0x000 */
	u8 reserved_0x18[0x3c - 0x18];
	u16 pause_filter_thresh; /* 0x03c */
	u16 pause_filter_count;	 /* 0x03e */
	u64 iopm_base_pa;	 /* 0x040 */
	u64 msrpm_base_pa;	 /* 0x048 */
	u64 tsc_offset;		 /* 0x050 */
	u32 asid;		 /* 0x058 */
	u8 tlb_ctl;		 /* 0x05c */
	u8 reserved_0x5d[3];
	u32 int_ctl;	/* 0x060 */
	u32 int_vector; /* 0x064 */
	u32 int_state;	/* 0x068 */
	u8 reserved_0x6c[4];
	u32 exit_code;	       /* 0x070 */
	u32 exit_code_hi;      /* 0x074 */
	u64 exit_info_1;       /* 0x078 */
	u64 exit_info_2;       /* 0x080 */
	u32 exit_int_info;     /* 0x088 */
	u32 exit_int_info_err; /* 0x08c */
	u64 nested_ctl;	       /* 0x090 */
	u64 avic_vapic_bar;    /* 0x098 */
	u64 ghcb_gpa;	       /* 0x0a0 */
	u32 event_inj;	       /* 0x0a8 */
	u32 event_inj_err;     /* 0x0ac */
	u64 nested_cr3;	       /* 0x0b0 */
	u64 virt_ext;	       /* 0x0b8: LBR virtualisation, VMLOAD/VMSAVE virtualisation */
	u32 clean;	       /* 0x0c0 */
	u32 reserved_0xc4;
	u64 next_rip;	       /* 0x0c8 */
	u8 insn_len;	       /* 0x0d0 */
	u8 insn_bytes[15];     /* 0x0d1 */
	u64 avic_backing_page; /* 0x0e0 */
	u8 reserved_0xe8[8];
	u64 avic_logical_id;  /* 0x0f0 */
	u64 avic_physical_id; /* 0x0f8 */
	u8 reserved_0x100[8];
	u64 vmsa_pa; /* 0x108: SEV-ES/SNP guest save area */
	u8 reserved_0x110[0x400 - 0x110];
} __packed;

CHECK_SIZE(struct vmcb_control_area, 0x400);
CHECK_OFFSET(struct vmcb_control_area, intercepts, 0x00);
CHECK_OFFSET(struct vmcb_control_area, iopm_base_pa, 0x40);
CHECK_OFFSET(struct vmcb_control_area, msrpm_base_pa, 0x48);
CHECK_OFFSET(struct vmcb_control_area, tsc_offset, 0x50);
CHECK_OFFSET(struct vmcb_control_area, asid, 0x58);
CHECK_OFFSET(struct vmcb_control_area, tlb_ctl, 0x5c);
CHECK_OFFSET(struct vmcb_control_area, int_ctl, 0x60);
CHECK_OFFSET(struct vmcb_control_area, int_state, 0x68);
CHECK_OFFSET(struct vmcb_control_area, exit_code, 0x70);
CHECK_OFFSET(struct vmcb_control_area, exit_info_1, 0x78);
CHECK_OFFSET(struct vmcb_control_area, exit_info_2, 0x80);
CHECK_OFFSET(struct vmcb_control_area, exit_int_info, 0x88);
CHECK_OFFSET(struct vmcb_control_area, nested_ctl, 0x90);
CHECK_OFFSET(struct vmcb_control_area, ghcb_gpa, 0xa0);
CHECK_OFFSET(struct vmcb_control_area, event_inj, 0xa8);
CHECK_OFFSET(struct vmcb_control_area, nested_cr3, 0xb0);
CHECK_OFFSET(struct vmcb_control_area, clean, 0xc0);
CHECK_OFFSET(struct vmcb_control_area, next_rip, 0xc8);
CHECK_OFFSET(struct vmcb_control_area, insn_len, 0xd0);
CHECK_OFFSET(struct vmcb_control_area, insn_bytes, 0xd1);
CHECK_OFFSET(struct vmcb_control_area, vmsa_pa, 0x108);

/* ---- state save area (APM vol 2, table B-2; offsets relative to 0x400) ----- */

/* A segment register as the VMCB holds it: the attribute word is the
 * descriptor's bits 40-47 (type, S, DPL, P) in attrib[7:0] and bits 52-55
 * (AVL, L, D/B, G) in attrib[11:8] (APM vol 2, 15.5.1). */
struct vmcb_seg {
	u16 selector;
	u16 attrib;
	u32 limit;
	u64 base;
} __packed;
CHECK_SIZE(struct vmcb_seg, 16);

#define SVM_SEG_TYPE_MASK GENMASK(3, 0)
#define SVM_SEG_S	  BIT(4)
#define SVM_SEG_DPL_MASK  GENMASK(6, 5)
#define SVM_SEG_P	  BIT(7)
#define SVM_SEG_AVL	  BIT(8)
#define SVM_SEG_L	  BIT(9)
#define SVM_SEG_DB	  BIT(10)
#define SVM_SEG_G	  BIT(11)

struct vmcb_save_area {
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
	u8 reserved_0xa0[42];
	u8 vmpl; /* 0x0ca */
	u8 cpl;	 /* 0x0cb */
	u8 reserved_0xcc[4];
	u64 efer; /* 0x0d0 */
	u8 reserved_0xd8[112];
	u64 cr4;    /* 0x148 */
	u64 cr3;    /* 0x150 */
	u64 cr0;    /* 0x158 */
	u64 dr7;    /* 0x160 */
	u64 dr6;    /* 0x168 */
	u64 rflags; /* 0x170 */
	u64 rip;    /* 0x178 */
	u8 reserved_0x180[88];
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
	u8 reserved_0x298[72];
	u64 spec_ctrl; /* 0x2e0 */
	u8 reserved_0x2e8[0xc00 - 0x2e8];
} __packed;

CHECK_SIZE(struct vmcb_save_area, 0xc00);
CHECK_OFFSET(struct vmcb_save_area, cs, 0x10);
CHECK_OFFSET(struct vmcb_save_area, gdtr, 0x60);
CHECK_OFFSET(struct vmcb_save_area, idtr, 0x80);
CHECK_OFFSET(struct vmcb_save_area, tr, 0x90);
CHECK_OFFSET(struct vmcb_save_area, cpl, 0xcb);
CHECK_OFFSET(struct vmcb_save_area, efer, 0xd0);
CHECK_OFFSET(struct vmcb_save_area, cr4, 0x148);
CHECK_OFFSET(struct vmcb_save_area, cr3, 0x150);
CHECK_OFFSET(struct vmcb_save_area, cr0, 0x158);
CHECK_OFFSET(struct vmcb_save_area, dr7, 0x160);
CHECK_OFFSET(struct vmcb_save_area, dr6, 0x168);
CHECK_OFFSET(struct vmcb_save_area, rflags, 0x170);
CHECK_OFFSET(struct vmcb_save_area, rip, 0x178);
CHECK_OFFSET(struct vmcb_save_area, rsp, 0x1d8);
CHECK_OFFSET(struct vmcb_save_area, rax, 0x1f8);
CHECK_OFFSET(struct vmcb_save_area, star, 0x200);
CHECK_OFFSET(struct vmcb_save_area, sysenter_eip, 0x238);
CHECK_OFFSET(struct vmcb_save_area, cr2, 0x240);
CHECK_OFFSET(struct vmcb_save_area, g_pat, 0x268);
CHECK_OFFSET(struct vmcb_save_area, spec_ctrl, 0x2e0);

/* The whole 4 KiB page VMRUN takes in RAX (4 KiB aligned). */
struct vmcb {
	struct vmcb_control_area control; /* 0x000 */
	struct vmcb_save_area save;	  /* 0x400 */
} __packed;

CHECK_SIZE(struct vmcb, 4096);
CHECK_OFFSET(struct vmcb, save, 0x400);
CHECK_OFFSET(struct vmcb, save.cpl, 0x4cb);
CHECK_OFFSET(struct vmcb, save.efer, 0x4d0);
CHECK_OFFSET(struct vmcb, save.cr4, 0x548);
CHECK_OFFSET(struct vmcb, save.cr3, 0x550);
CHECK_OFFSET(struct vmcb, save.cr0, 0x558);
CHECK_OFFSET(struct vmcb, save.rflags, 0x570);
CHECK_OFFSET(struct vmcb, save.rip, 0x578);
CHECK_OFFSET(struct vmcb, save.rsp, 0x5d8);
CHECK_OFFSET(struct vmcb, save.rax, 0x5f8);
CHECK_OFFSET(struct vmcb, save.cr2, 0x640);
CHECK_OFFSET(struct vmcb, save.g_pat, 0x668);

static inline void vmcb_set_intercept(struct vmcb_control_area *c, unsigned bit)
{
	c->intercepts[bit / 32] |= 1U << (bit % 32);
}

static inline void vmcb_clr_intercept(struct vmcb_control_area *c, unsigned bit)
{
	c->intercepts[bit / 32] &= ~(1U << (bit % 32));
}

static inline bool vmcb_is_intercept(const struct vmcb_control_area *c, unsigned bit)
{
	return c->intercepts[bit / 32] & (1U << (bit % 32));
}

/* ---- TLB_CONTROL (offset 0x5c, APM vol 2, 15.16.1) -------------------------- */
#define TLB_CONTROL_DO_NOTHING	     0
#define TLB_CONTROL_FLUSH_ALL_ASID   1
#define TLB_CONTROL_FLUSH_ASID	     3
#define TLB_CONTROL_FLUSH_ASID_LOCAL 7

/* ---- int_ctl (offset 0x60, APM vol 2, 15.21) --------------------------------- */
#define V_TPR_MASK	    GENMASK(7, 0)
#define V_IRQ_MASK	    BIT(8)
#define V_GIF_MASK	    BIT(9)
#define V_INTR_PRIO_MASK    GENMASK(19, 16)
#define V_IGN_TPR_MASK	    BIT(20)
#define V_INTR_MASKING_MASK BIT(24)
#define V_GIF_ENABLE_MASK   BIT(25)
#define AVIC_ENABLE_MASK    BIT(31)

/* int_state (offset 0x68) */
#define SVM_INTERRUPT_SHADOW_MASK BIT(0)

/* ---- nested_ctl (offset 0x90, APM vol 2, 15.25.3) --------------------------- */
#define SVM_NESTED_CTL_NP_ENABLE     BIT(0)
#define SVM_NESTED_CTL_SEV_ENABLE    BIT(1)
#define SVM_NESTED_CTL_SEV_ES_ENABLE BIT(2)

/* What every guest's VMCB starts with, plain or SEV-ES (APM vol 2, 15.5):
 * all fields zero, then the intercepts icpt[0..n), IOPM/MSRPM, the ASID, a
 * TLB flush for the first run (hv/vm/guest.c clears it), V_INTR_MASKING (guest
 * RFLAGS.IF masks only virtual interrupts; physical ones follow the host's
 * IF and exit with INTR, 15.21.1), nested paging on ncr3. */
static inline void vmcb_init_common(struct vmcb *vmcb, const unsigned *icpt, unsigned n, u32 asid,
				    u64 iopm_pa, u64 msrpm_pa, u64 ncr3)
{
	struct vmcb_control_area *c = &vmcb->control;

	__builtin_memset(vmcb, 0, sizeof(*vmcb));
	for (unsigned i = 0; i < n; i++)
		vmcb_set_intercept(c, icpt[i]);
	c->iopm_base_pa = iopm_pa;
	c->msrpm_base_pa = msrpm_pa;
	c->asid = asid;
	c->tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	c->int_ctl = (u32)V_INTR_MASKING_MASK;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = ncr3;
}

/* ---- EVENTINJ and EXITINTINFO (APM vol 2, 15.20 and 15.7.2) ----------------- */
#define SVM_EVTINJ_VEC_MASK	  GENMASK(7, 0)
#define SVM_EVTINJ_TYPE_MASK	  GENMASK(10, 8)
#define SVM_EVTINJ_TYPE_INTR	  0
#define SVM_EVTINJ_TYPE_NMI	  2
#define SVM_EVTINJ_TYPE_EXEPT	  3
#define SVM_EVTINJ_TYPE_SOFT	  4
#define SVM_EVTINJ_VALID_ERR	  BIT(11)
#define SVM_EVTINJ_VALID	  BIT(31)
#define SVM_EXITINTINFO_VEC_MASK  SVM_EVTINJ_VEC_MASK
#define SVM_EXITINTINFO_TYPE_MASK SVM_EVTINJ_TYPE_MASK
#define SVM_EXITINTINFO_VALID_ERR SVM_EVTINJ_VALID_ERR
#define SVM_EXITINTINFO_VALID	  SVM_EVTINJ_VALID

/* x86 exception vectors used here (APM vol 2, 8.2) */
#define X86_VEC_DE 0
#define X86_VEC_DB 1
#define X86_VEC_BP 3
#define X86_VEC_UD 6
#define X86_VEC_NM 7
#define X86_VEC_DF 8
#define X86_VEC_GP 13
#define X86_VEC_PF 14
#define X86_VEC_VC 29

/* ---- IOIO EXITINFO1 (APM vol 2, 15.10.2, figure 15-2) ----------------------- */
#define SVM_IOIO_TYPE_MASK  BIT(0) /* 1 = IN */
#define SVM_IOIO_STR_MASK   BIT(2)
#define SVM_IOIO_REP_MASK   BIT(3)
#define SVM_IOIO_SIZE_MASK  GENMASK(6, 4) /* one-hot: SZ8, SZ16, SZ32 */
#define SVM_IOIO_ASIZE_MASK GENMASK(9, 7) /* one-hot: A16, A32, A64 */
#define SVM_IOIO_SEG_MASK   GENMASK(12, 10)
#define SVM_IOIO_PORT_MASK  GENMASK(31, 16)

/* ---- NPF EXITINFO1: a #PF error code plus (APM vol 2, 15.25.6) -------------- */
#define PFERR_PRESENT_MASK     BIT(0)
#define PFERR_WRITE_MASK       BIT(1)
#define PFERR_USER_MASK	       BIT(2)
#define PFERR_RSVD_MASK	       BIT(3)
#define PFERR_FETCH_MASK       BIT(4)
#define PFERR_GUEST_RMP_MASK   BIT(31) /* SNP */
#define PFERR_GUEST_FINAL_MASK BIT(32)
#define PFERR_GUEST_PAGE_MASK  BIT(33)
#define PFERR_GUEST_ENC_MASK   BIT(34)
#define PFERR_GUEST_SIZEM_MASK BIT(35)
#define PFERR_GUEST_VMPL_MASK  BIT(36)

/* A decoded IOIO intercept (EXITINFO1, APM vol 2, 15.10.2). */
struct svm_ioio {
	u16 port;
	u8 size; /* 1, 2 or 4 bytes; 0 if EXITINFO1 names no valid size */
	bool in, str, rep;
};

static inline struct svm_ioio svm_ioio_decode(u64 info1)
{
	struct svm_ioio io = {
	    .port = (u16)FIELD_GET(SVM_IOIO_PORT_MASK, info1),
	    .in = info1 & SVM_IOIO_TYPE_MASK,
	    .str = info1 & SVM_IOIO_STR_MASK,
	    .rep = info1 & SVM_IOIO_REP_MASK,
	};

	switch (FIELD_GET(SVM_IOIO_SIZE_MASK, info1)) {
	case 1:
		io.size = 1;
		break;
	case 2:
		io.size = 2;
		break;
	case 4:
		io.size = 4;
		break;
	default:
		io.size = 0;
		break;
	}
	return io;
}

static inline u64 svm_ioio_encode(u16 port, u8 size, bool in)
{
	return FIELD_PREP(SVM_IOIO_PORT_MASK, port) | (in ? SVM_IOIO_TYPE_MASK : 0) |
	       FIELD_PREP(SVM_IOIO_SIZE_MASK, size == 4	  ? 4
					      : size == 2 ? 2
							  : 1);
}

/* A decoded nested page fault (EXITINFO1/2, APM vol 2, 15.25.6). */
struct svm_npf {
	u64 gpa;
	bool present, write, user, rsvd, fetch;
	bool final;   /* on the final guest-physical access */
	bool in_walk; /* on an access of the guest's own page tables */
};

static inline struct svm_npf svm_npf_decode(u64 info1, u64 info2)
{
	struct svm_npf f = {
	    .gpa = info2,
	    .present = info1 & PFERR_PRESENT_MASK,
	    .write = info1 & PFERR_WRITE_MASK,
	    .user = info1 & PFERR_USER_MASK,
	    .rsvd = info1 & PFERR_RSVD_MASK,
	    .fetch = info1 & PFERR_FETCH_MASK,
	    .final = info1 & PFERR_GUEST_FINAL_MASK,
	    .in_walk = info1 & PFERR_GUEST_PAGE_MASK,
	};
	return f;
}

/* ---- MSRPM and IOPM sizes (APM vol 2, 15.10.1 and 15.11) -------------------- */
#define SVM_IOPM_SIZE  (3 * PAGE_SIZE) /* 12 KiB: one bit per port, 64K ports + 3 bytes */
#define SVM_MSRPM_SIZE (2 * PAGE_SIZE) /* 8 KiB: two bits (read, write) per MSR */

/* ---- CPUID 8000_000A EDX feature bits (APM vol 3, E.4.9) ------------------- */
#define SVM_FEATURE_NPT		  BIT(0)
#define SVM_FEATURE_LBRV	  BIT(1)
#define SVM_FEATURE_SVML	  BIT(2)
#define SVM_FEATURE_NRIPS	  BIT(3)
#define SVM_FEATURE_TSC_RATE	  BIT(4)
#define SVM_FEATURE_VMCB_CLEAN	  BIT(5)
#define SVM_FEATURE_FLUSH_ASID	  BIT(6)
#define SVM_FEATURE_DECODE_ASSIST BIT(7)
#define SVM_FEATURE_PAUSE_FILTER  BIT(10)
#define SVM_FEATURE_VGIF	  BIT(16)

/* CPUID 8000_0001 ECX.SVM (APM vol 3, E.4.2) */
#define CPUID_8000_0001_ECX_SVM BIT(2)

/* ---- exit codes (APM vol 2, appendix C) -------------------------------------- */
#define SVM_EXIT_READ_CR0		   0x000
#define SVM_EXIT_READ_CR3		   0x003
#define SVM_EXIT_READ_CR4		   0x004
#define SVM_EXIT_READ_CR8		   0x008
#define SVM_EXIT_WRITE_CR0		   0x010
#define SVM_EXIT_WRITE_CR3		   0x013
#define SVM_EXIT_WRITE_CR4		   0x014
#define SVM_EXIT_WRITE_CR8		   0x018
#define SVM_EXIT_READ_DR0		   0x020
#define SVM_EXIT_WRITE_DR0		   0x030
#define SVM_EXIT_EXCP_BASE		   0x040
#define SVM_EXIT_EXCP_UD		   (SVM_EXIT_EXCP_BASE + X86_VEC_UD)
#define SVM_EXIT_EXCP_GP		   (SVM_EXIT_EXCP_BASE + X86_VEC_GP)
#define SVM_EXIT_EXCP_PF		   (SVM_EXIT_EXCP_BASE + X86_VEC_PF)
#define SVM_EXIT_LAST_EXCP		   0x05f
#define SVM_EXIT_INTR			   0x060
#define SVM_EXIT_NMI			   0x061
#define SVM_EXIT_SMI			   0x062
#define SVM_EXIT_INIT			   0x063
#define SVM_EXIT_VINTR			   0x064
#define SVM_EXIT_CR0_SEL_WRITE		   0x065
#define SVM_EXIT_IDTR_READ		   0x066
#define SVM_EXIT_GDTR_READ		   0x067
#define SVM_EXIT_LDTR_READ		   0x068
#define SVM_EXIT_TR_READ		   0x069
#define SVM_EXIT_IDTR_WRITE		   0x06a
#define SVM_EXIT_GDTR_WRITE		   0x06b
#define SVM_EXIT_LDTR_WRITE		   0x06c
#define SVM_EXIT_TR_WRITE		   0x06d
#define SVM_EXIT_RDTSC			   0x06e
#define SVM_EXIT_RDPMC			   0x06f
#define SVM_EXIT_PUSHF			   0x070
#define SVM_EXIT_POPF			   0x071
#define SVM_EXIT_CPUID			   0x072
#define SVM_EXIT_RSM			   0x073
#define SVM_EXIT_IRET			   0x074
#define SVM_EXIT_SWINT			   0x075
#define SVM_EXIT_INVD			   0x076
#define SVM_EXIT_PAUSE			   0x077
#define SVM_EXIT_HLT			   0x078
#define SVM_EXIT_INVLPG			   0x079
#define SVM_EXIT_INVLPGA		   0x07a
#define SVM_EXIT_IOIO			   0x07b
#define SVM_EXIT_MSR			   0x07c
#define SVM_EXIT_TASK_SWITCH		   0x07d
#define SVM_EXIT_FERR_FREEZE		   0x07e
#define SVM_EXIT_SHUTDOWN		   0x07f
#define SVM_EXIT_VMRUN			   0x080
#define SVM_EXIT_VMMCALL		   0x081
#define SVM_EXIT_VMLOAD			   0x082
#define SVM_EXIT_VMSAVE			   0x083
#define SVM_EXIT_STGI			   0x084
#define SVM_EXIT_CLGI			   0x085
#define SVM_EXIT_SKINIT			   0x086
#define SVM_EXIT_RDTSCP			   0x087
#define SVM_EXIT_ICEBP			   0x088
#define SVM_EXIT_WBINVD			   0x089
#define SVM_EXIT_MONITOR		   0x08a
#define SVM_EXIT_MWAIT			   0x08b
#define SVM_EXIT_MWAIT_COND		   0x08c
#define SVM_EXIT_XSETBV			   0x08d
#define SVM_EXIT_RDPRU			   0x08e
#define SVM_EXIT_EFER_WRITE_TRAP	   0x08f /* SEV-ES */
#define SVM_EXIT_CR0_WRITE_TRAP		   0x090 /* + n: CRn, SEV-ES */
#define SVM_EXIT_CR4_WRITE_TRAP		   0x094
#define SVM_EXIT_CR8_WRITE_TRAP		   0x098
#define SVM_EXIT_CR15_WRITE_TRAP	   0x09f
#define SVM_EXIT_NPF			   0x400
#define SVM_EXIT_AVIC_INCOMPLETE_IPI	   0x401
#define SVM_EXIT_AVIC_UNACCELERATED_ACCESS 0x402
#define SVM_EXIT_VMGEXIT		   0x403
/* VMRUN failed its consistency checks (APM vol 2, 15.5.1): the low 32 bits. */
#define SVM_EXIT_ERR 0xffffffffU

/* ---- hypervisor-only services (hv/svm/svm.c, hv/svm/vmrun.S) ------------------------- */
struct vcpu;

/* ASID pools (hv/svm/sev_vmcb.h sev_asid_layout computes them from CPUID). */
struct sev_asid_layout {
	u32 es_first, es_last;	     /* SEV-ES/SNP pool; es_first = 0: empty */
	u32 plain_first, plain_last; /* plain guests; plain_first = 0: empty */
};

struct svm_cpu {
	bool enabled;
	bool nrips;    /* CPUID 8000_000A EDX[3] */
	u32 nr_asids;  /* CPUID 8000_000A EBX */
	u64 tsc_khz;   /* calibrated against the PIT */
	u64 lapic_khz; /* local APIC timer ticks per ms (divide by 16) */
	bool x2apic;
	spa_t hsave_pa;		      /* VM_HSAVE_PA */
	spa_t host_vmcb_pa;	      /* VMSAVE/VMLOAD area for host FS/GS/TR/LDTR/syscall MSRs */
	spa_t iopm_pa;		      /* shared by all guests: every port intercepted */
	spa_t msrpm_pa;		      /* shared by all guests (msrpm_build) */
	spa_t msrpm_sev_es_pa;	      /* SEV-ES guests: GHCB MSR, EFER, PAT not intercepted */
	struct sev_asid_layout asids; /* the two ASID pools */
	bool xsaves;		      /* CPUID 0xD.1 EAX[3]: IA32_XSS exists */
};

/* SEV-ES: the host save area at VM_HSAVE_PA has the VMSA layout from this
 * offset (APM vol 2, 15.35.8; Linux sev_es_host_save_area). */
#define SVM_HSAVE_SEV_ES_OFFSET 0x400

extern struct svm_cpu svm_cpu;

/* Checks and enables SVM on this CPU (APM vol 2, 15.4), allocates the host
 * save area and the shared permission maps, calibrates the timer. */
int svm_enable(void);
/* An ASID from the SEV-ES/SNP pool (sev_es: SNP guests on hardware) or the
 * plain pool; 0 when none is left. */
u32 svm_asid_alloc(bool sev_es);
void svm_asid_free(u32 asid);
/* Preemption: the local APIC timer in one-shot mode; its interrupt makes
 * the guest exit with SVM_EXIT_INTR (V_INTR_MASKING). */
void svm_timer_arm(u64 us);
void svm_timer_disarm(void);
/* Takes pending host interrupts after an INTR exit (through a private IDT
 * for a few instructions) and sends EOI for each; vectors other than the
 * preemption timer's (device MSIs, hv/vm/guest_vpci.c) are recorded. */
void svm_host_intr_ack(void);
/* The next recorded device vector (and forgets it); false when none. */
bool svm_host_irq_take(u8 *vec);
/* The preemption timer's vector (svm_timer_arm). */
#define SVM_TIMER_VECTOR 0xec
/* How many times vector vec reached the hypervisor's CPU (timer included). */
u64 svm_host_irq_count(u8 vec);
u64 svm_rdtsc(void);
/* Sleeps (HLT with the preemption timer armed) until the TSC reaches tsc or
 * at most 100 ms: all guests are halted (hv/vm/guest.c). */
void svm_host_idle_until(u64 tsc);

/* hv/svm/vmrun.S: FXSAVE host / FXRSTOR guest, VMSAVE host, CLGI, VMLOAD, load
 * guest GPRs, VMRUN, store guest GPRs, VMSAVE guest, VMLOAD host, STGI (host
 * IF clear), FXSAVE guest / FXRSTOR host. */
void __svm_vcpu_run(struct vcpu *v);
/* hv/svm/vmrun_sev_es.S: the SEV-ES/SNP world switch (guest state in the VMSA,
 * no guest GPRs, VMSAVE of the host into VM_HSAVE_PA, FXSAVE/FXRSTOR of the
 * host only). Call svm_sev_es_host_state() first. Never run under QEMU. */
void __svm_sev_es_vcpu_run(struct vcpu *v);
/* Writes the type B host state VMRUN does not save (XCR0, XSS, PKRU) into
 * the SEV-ES host save area at VM_HSAVE_PA + SVM_HSAVE_SEV_ES_OFFSET. */
void svm_sev_es_host_state(void);

#endif
