/* snp/ghcb: the guest-hypervisor communication block protocol of SEV-ES and
 * SEV-SNP, hypervisor side, pure: the GHCB page layout, the GHCB MSR
 * protocol encoders/decoders, the non-automatic-exit (NAE) codes and the
 * page state change (PSC) request validator.
 *
 * References: AMD "SEV-ES Guest-Hypervisor Communication Block
 * Standardization" (56421) section 2.3 (GHCB MSR protocol), 2.6 (GHCB
 * layout), 4.1 (NAE events, SNP page state change 4.1.6); the values were
 * checked against Linux arch/x86/include/asm/sev-common.h, asm/svm.h
 * (struct ghcb_save_area, struct ghcb) and uapi/asm/svm.h (SVM_VMGEXIT_*),
 * and KVM's PSC handling (arch/x86/kvm/svm/sev.c snp_begin_psc). */
#ifndef SNP_GHCB_H
#define SNP_GHCB_H

#include <stddef.h>

#include "hv/base/bits.h"
#include "hv/base/types.h"

#include "hv/arch/x86/msr.h" /* MSR_AMD64_SEV_ES_GHCB */
#define SVM_EXIT_VMGEXIT 0x403

/* ---- GHCB page (56421 2.6, Table 3) --------------------------------------- */
struct ghcb_save_area {
	u8 reserved_0x0[203];
	u8 cpl; /* 0x0cb */
	u8 reserved_0xcc[116];
	u64 xss; /* 0x140 */
	u8 reserved_0x148[24];
	u64 dr7; /* 0x160 */
	u8 reserved_0x168[16];
	u64 rip; /* 0x178 */
	u8 reserved_0x180[88];
	u64 rsp; /* 0x1d8 */
	u8 reserved_0x1e0[24];
	u64 rax; /* 0x1f8 */
	u8 reserved_0x200[264];
	u64 rcx; /* 0x308 */
	u64 rdx;
	u64 rbx;
	u8 reserved_0x320[8];
	u64 rbp; /* 0x328 */
	u64 rsi;
	u64 rdi;
	u64 r8;
	u64 r9;
	u64 r10;
	u64 r11;
	u64 r12;
	u64 r13;
	u64 r14;
	u64 r15;
	u8 reserved_0x380[16];
	u64 sw_exit_code; /* 0x390 */
	u64 sw_exit_info_1;
	u64 sw_exit_info_2;
	u64 sw_scratch;
	u8 reserved_0x3b0[56];
	u64 xcr0;	     /* 0x3e8 */
	u8 valid_bitmap[16]; /* 0x3f0: bit n <=> the qword at 8n is valid */
	u64 x87_state_gpa;   /* 0x400 */
} __packed;
CHECK_SIZE(struct ghcb_save_area, 1032);
CHECK_OFFSET(struct ghcb_save_area, cpl, 0x0cb);
CHECK_OFFSET(struct ghcb_save_area, xss, 0x140);
CHECK_OFFSET(struct ghcb_save_area, dr7, 0x160);
CHECK_OFFSET(struct ghcb_save_area, rip, 0x178);
CHECK_OFFSET(struct ghcb_save_area, rsp, 0x1d8);
CHECK_OFFSET(struct ghcb_save_area, rax, 0x1f8);
CHECK_OFFSET(struct ghcb_save_area, rcx, 0x308);
CHECK_OFFSET(struct ghcb_save_area, rdx, 0x310);
CHECK_OFFSET(struct ghcb_save_area, rbx, 0x318);
CHECK_OFFSET(struct ghcb_save_area, rbp, 0x328);
CHECK_OFFSET(struct ghcb_save_area, r15, 0x378);
CHECK_OFFSET(struct ghcb_save_area, sw_exit_code, 0x390);
CHECK_OFFSET(struct ghcb_save_area, sw_exit_info_1, 0x398);
CHECK_OFFSET(struct ghcb_save_area, sw_exit_info_2, 0x3a0);
CHECK_OFFSET(struct ghcb_save_area, sw_scratch, 0x3a8);
CHECK_OFFSET(struct ghcb_save_area, xcr0, 0x3e8);
CHECK_OFFSET(struct ghcb_save_area, valid_bitmap, 0x3f0);
CHECK_OFFSET(struct ghcb_save_area, x87_state_gpa, 0x400);

#define GHCB_SHARED_BUF_OFFSET 0x800
#define GHCB_SHARED_BUF_SIZE   2032

struct ghcb {
	struct ghcb_save_area save;
	u8 reserved_save[GHCB_SHARED_BUF_OFFSET - sizeof(struct ghcb_save_area)];
	u8 shared_buffer[GHCB_SHARED_BUF_SIZE]; /* 0x800 */
	u8 reserved_0xff0[10];
	u16 protocol_version; /* 0xffa */
	u32 ghcb_usage;	      /* 0xffc: 0 = standard */
} __packed;
CHECK_SIZE(struct ghcb, 4096);
CHECK_OFFSET(struct ghcb, shared_buffer, 0x800);
CHECK_OFFSET(struct ghcb, reserved_0xff0, 0xff0);
CHECK_OFFSET(struct ghcb, protocol_version, 0xffa);
CHECK_OFFSET(struct ghcb, ghcb_usage, 0xffc);

#define GHCB_USAGE_STANDARD 0
#define GHCB_PROTOCOL_MIN   1
#define GHCB_PROTOCOL_MAX   2

/* Valid-bitmap index of a save-area field (Linux GHCB_BITMAP_IDX). */
#define GHCB_FIELD_BIT(field) ((unsigned)(offsetof(struct ghcb_save_area, field) / sizeof(u64)))
bool ghcb_field_valid(const struct ghcb *g, unsigned bit);
void ghcb_set_field_valid(struct ghcb *g, unsigned bit);
void ghcb_clear_valid(struct ghcb *g);
/* The hypervisor's own check of a shared-buffer pointer (SW_SCRATCH): true
 * if [scratch, scratch + len) lies in the shared buffer of the GHCB at
 * ghcb_gpa. */
bool ghcb_scratch_in_shared_buffer(u64 ghcb_gpa, u64 scratch, u64 len);

/* ---- GHCB MSR protocol (56421 2.3.1; Linux sev-common.h) -------------------
 * GHCBInfo is bits 11:0 of the GHCB MSR; GHCBData bits 63:12. */
#define GHCB_MSR_INFO		    GENMASK(11, 0)
#define GHCB_MSR_DATA		    GENMASK(63, 12)
#define GHCB_MSR_SEV_INFO_RESP	    0x001
#define GHCB_MSR_SEV_INFO_REQ	    0x002
#define GHCB_MSR_CPUID_REQ	    0x004
#define GHCB_MSR_CPUID_RESP	    0x005
#define GHCB_MSR_AP_RESET_HOLD_REQ  0x006
#define GHCB_MSR_AP_RESET_HOLD_RESP 0x007
#define GHCB_MSR_PREF_GPA_REQ	    0x010
#define GHCB_MSR_PREF_GPA_RESP	    0x011
#define GHCB_MSR_REG_GPA_REQ	    0x012
#define GHCB_MSR_REG_GPA_RESP	    0x013
#define GHCB_MSR_PSC_REQ	    0x014
#define GHCB_MSR_PSC_RESP	    0x015
#define GHCB_MSR_HV_FT_REQ	    0x080
#define GHCB_MSR_HV_FT_RESP	    0x081
#define GHCB_MSR_TERM_REQ	    0x100

/* SEV information response: [63:48] max protocol, [47:32] min, [31:24]
 * C-bit position. */
#define GHCB_MSR_SEV_INFO_MAX  GENMASK(63, 48)
#define GHCB_MSR_SEV_INFO_MIN  GENMASK(47, 32)
#define GHCB_MSR_SEV_INFO_CBIT GENMASK(31, 24)
/* CPUID: [63:32] function (request) / value (response), [31:30] register. */
#define GHCB_MSR_CPUID_FN    GENMASK(63, 32)
#define GHCB_MSR_CPUID_VALUE GENMASK(63, 32)
#define GHCB_MSR_CPUID_REG   GENMASK(31, 30)
#define GHCB_MSR_CPUID_RSVD  GENMASK(29, 12)
#define GHCB_CPUID_EAX	     0
#define GHCB_CPUID_EBX	     1
#define GHCB_CPUID_ECX	     2
#define GHCB_CPUID_EDX	     3
/* GHCB GPA registration / preferred GPA: [63:12] GFN. */
#define GHCB_MSR_GFN GENMASK(63, 12)
/* Page state change: [51:12] GFN, [55:52] operation, [63:56] reserved;
 * response [63:32] error code (0 = success). */
#define GHCB_MSR_PSC_GFN	GENMASK(51, 12)
#define GHCB_MSR_PSC_OP		GENMASK(55, 52)
#define GHCB_MSR_PSC_RSVD	GENMASK(63, 56)
#define GHCB_MSR_PSC_RESP_ERROR GENMASK(63, 32)
/* Termination: [15:12] reason set, [23:16] reason code. */
#define GHCB_MSR_TERM_SET	   GENMASK(15, 12)
#define GHCB_MSR_TERM_CODE	   GENMASK(23, 16)
/* Termination Request NAE (56421 4.1.13, exit 0x8000_FFFE): SW_EXITINFO1
 * [3:0] reason set, [11:4] reason code (not the MSR protocol's positions);
 * Linux puts the SEV features it does not support into SW_EXITINFO2 for
 * GHCB_TERM_SNP_UNSUPPORTED. */
#define GHCB_NAE_TERM_SET	   GENMASK(3, 0)
#define GHCB_NAE_TERM_CODE	   GENMASK(11, 4)
#define GHCB_TERM_SET_GENERAL	   0
#define GHCB_TERM_GENERAL	   0
#define GHCB_TERM_PROT_UNSUPPORTED 1
#define GHCB_TERM_SNP_UNSUPPORTED  2

static inline unsigned ghcb_msr_info(u64 v)
{
	return (unsigned)FIELD_GET(GHCB_MSR_INFO, v);
}

u64 ghcb_msr_sev_info_resp(u16 max_proto, u16 min_proto, u8 cbit);
u64 ghcb_msr_cpuid_req(u32 fn, unsigned reg);
/* 0, or -EINVAL when v is not a CPUID request or has reserved bits set. */
int ghcb_msr_cpuid_req_decode(u64 v, u32 *fn, unsigned *reg);
u64 ghcb_msr_cpuid_resp(u32 value, unsigned reg);
u64 ghcb_msr_reg_gpa_req(u64 gfn);
int ghcb_msr_reg_gpa_req_decode(u64 v, u64 *gfn);
u64 ghcb_msr_reg_gpa_resp(u64 gfn);
u64 ghcb_msr_psc_req(u64 gfn, unsigned op);
/* 0, or -EINVAL (not a PSC request, reserved bits, op not 1/2). */
int ghcb_msr_psc_req_decode(u64 v, u64 *gfn, unsigned *op);
u64 ghcb_msr_psc_resp(u32 error);
u64 ghcb_msr_term_req(unsigned set, unsigned code);
int ghcb_msr_term_decode(u64 v, unsigned *set, unsigned *code);

/* ---- NAE exit codes (56421 4.1; Linux uapi svm.h SVM_VMGEXIT_*) ------------ */
#define SVM_VMGEXIT_MMIO_READ	      0x80000001ULL
#define SVM_VMGEXIT_MMIO_WRITE	      0x80000002ULL
#define SVM_VMGEXIT_NMI_COMPLETE      0x80000003ULL
#define SVM_VMGEXIT_AP_HLT_LOOP	      0x80000004ULL
#define SVM_VMGEXIT_AP_JUMP_TABLE     0x80000005ULL
#define SVM_VMGEXIT_PSC		      0x80000010ULL
#define SVM_VMGEXIT_GUEST_REQUEST     0x80000011ULL
#define SVM_VMGEXIT_EXT_GUEST_REQUEST 0x80000012ULL
#define SVM_VMGEXIT_AP_CREATION	      0x80000013ULL
#define SVM_VMGEXIT_SNP_RUN_VMPL      0x80000018ULL
#define SVM_VMGEXIT_HV_FEATURES	      0x8000FFFDULL
#define SVM_VMGEXIT_TERM_REQUEST      0x8000FFFEULL
#define SVM_VMGEXIT_UNSUPPORTED_EVENT 0x8000FFFFULL
/* "vmgexit_psc", ... or NULL for an unknown code. */
const char *ghcb_nae_name(u64 exit_code);

/* SW_EXITINFO1 on return: 0 ok, 1 exception in EXITINFO2, 2 error code in
 * EXITINFO2 (56421 4.1; Linux GHCB_HV_RESP_* / GHCB_ERR_*). */
#define GHCB_HV_RESP_NO_ACTION	     0
#define GHCB_HV_RESP_ISSUE_EXCEPTION 1
#define GHCB_HV_RESP_MALFORMED_INPUT 2
#define GHCB_ERR_NOT_REGISTERED	     1
#define GHCB_ERR_INVALID_USAGE	     2
#define GHCB_ERR_INVALID_SCRATCH     3
#define GHCB_ERR_MISSING_INPUT	     4
#define GHCB_ERR_INVALID_INPUT	     5
#define GHCB_ERR_INVALID_EVENT	     6

/* ---- page state change (56421 4.1.6) -------------------------------------- */
#define PSC_MAX_ENTRIES 253 /* entries fit in the 2032-byte shared buffer */
#define PSC_PAGES_2M	512 /* 4K pages of a 2M entry */

struct psc_hdr {
	u16 cur_entry; /* index of the next entry to process */
	u16 end_entry; /* index of the last entry (inclusive) */
	u32 reserved;
} __packed;
CHECK_SIZE(struct psc_hdr, 8);

struct psc_desc {
	struct psc_hdr hdr;
	u64 entries[PSC_MAX_ENTRIES];
} __packed;
CHECK_SIZE(struct psc_desc, GHCB_SHARED_BUF_SIZE);
CHECK_OFFSET(struct psc_desc, entries, 8);

/* Entry: [11:0] cur_page (pages of this entry already done), [51:12] GFN,
 * [55:52] operation, [56] page size (0 4K, 1 2M), [63:57] reserved. */
#define PSC_ENTRY_CUR_PAGE GENMASK(11, 0)
#define PSC_ENTRY_GFN	   GENMASK(51, 12)
#define PSC_ENTRY_OP	   GENMASK(55, 52)
#define PSC_ENTRY_2M	   BIT(56)
#define PSC_ENTRY_RSVD	   GENMASK(63, 57)

#define PSC_OP_PRIVATE 1
#define PSC_OP_SHARED  2
#define PSC_OP_PSMASH  3 /* hint: split a 2M RMP entry */
#define PSC_OP_UNSMASH 4 /* hint: merge into a 2M RMP entry */

/* Results in SW_EXITINFO2 (56421 4.1.6; KVM VMGEXIT_PSC_ERROR_*). */
#define PSC_ERROR_GENERIC	(0x100ULL << 32)
#define PSC_ERROR_INVALID_HDR	((1ULL << 32) | 1)
#define PSC_ERROR_INVALID_ENTRY ((1ULL << 32) | 2)

u64 psc_entry(u64 gfn, unsigned op, bool huge, unsigned cur_page);

/* One remaining piece of work: [gpa, gpa + size) for operation op, from
 * entry index `entry` (size is what is left of it: cur_page honoured). */
struct psc_range {
	u64 gpa;
	u64 size;
	u16 entry;
	u8 op;
	bool huge; /* the entry is a 2M entry (a partly done one is still huge) */
};

/* Validates the PSC buffer buf (len bytes of the shared buffer, at least
 * the header) for a guest with guest_mem bytes of memory (GPAs
 * [0, guest_mem)). Works on a private snapshot (the guest may change the
 * shared buffer meanwhile) and writes nothing but *out, *nr and *exitinfo2.
 * On success returns 0, *exitinfo2 = 0 and the remaining ranges from
 * cur_entry to end_entry in order (entries already done are skipped; an
 * empty list means nothing left). Otherwise returns -EINVAL and *exitinfo2
 * is PSC_ERROR_INVALID_HDR (end_entry >= 253, cur_entry > end_entry + 1,
 * header reserved bits, entries beyond len) or PSC_ERROR_INVALID_ENTRY
 * (operation not 1-4, reserved bits, cur_page > pages of the entry, 2M GFN
 * not 2M-aligned, range beyond guest memory, ranges overlapping). out needs
 * room for PSC_MAX_ENTRIES ranges. */
int psc_validate(const void *buf, size_t len, u64 guest_mem, struct psc_range *out, unsigned *nr,
		 u64 *exitinfo2);

/* Records progress in the guest's buffer: pages more pages of entry `entry`
 * are done; when the entry is complete, cur_entry moves past it. Entries
 * must be advanced in order (entry >= hdr.cur_entry). 0, or -EINVAL (and
 * nothing written) on bad arguments or an entry that would overflow. */
int psc_advance(void *buf, size_t len, u16 entry, u32 pages);

#endif
