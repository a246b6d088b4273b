/* snp/rmp: the Reverse Map Table (RMP) of SEV-SNP behind one interface with
 * two backends: a MODEL that keeps a table in the Zen 3/4 raw format in
 * hypervisor memory and implements RMPUPDATE, PSMASH, PVALIDATE and RMPADJUST
 * in software (for machines without SNP, e.g. QEMU), and the HARDWARE backend
 * (RMP MSRs, RMPUPDATE/PSMASH/RMPREAD instructions; snp/rmp_hw.c).
 *
 * References: AMD APM vol 2 section 15.36 "Secure Nested Paging (SEV-SNP)";
 * APM vol 3 instruction reference (RMPUPDATE, PSMASH, RMPREAD, PVALIDATE,
 * RMPADJUST). The exact rules the model implements are in docs/rmp.md. */
#ifndef SNP_RMP_H
#define SNP_RMP_H

#include "hv/arch/x86/msr.h"
#include "hv/base/bits.h"
#include "hv/base/types.h"

/* ---- table layout (APM vol 2 15.36.3) ---------------------------------- */
#define RMP_BOOKKEEPING_SIZE 0x4000ULL /* 16 KiB of CPU bookkeeping first */
#define RMP_ENTRY_SIZE	     16ULL
#define RMP_PAGES_PER_2M     512ULL

/* ---- architectural return codes (RAX after the instruction) ------------ */
#define RMP_SUCCESS	      0
#define RMP_FAIL_INPUT	      1
#define RMP_FAIL_PERMISSION   2
#define RMP_FAIL_INUSE	      3
#define RMP_FAIL_OVERLAP      4
#define RMP_FAIL_SIZEMISMATCH 6
#define RMP_FAIL_BADADDR      7 /* PSMASH: not an expandable 2M entry (see docs/rmp.md) */
/* Linux's names for the codes callers test for. */
#define RMPUPDATE_FAIL_OVERLAP	    RMP_FAIL_OVERLAP
#define PSMASH_FAIL_INUSE	    RMP_FAIL_INUSE
#define PVALIDATE_FAIL_INPUT	    RMP_FAIL_INPUT
#define PVALIDATE_FAIL_SIZEMISMATCH RMP_FAIL_SIZEMISMATCH

/* Model only: the guest instruction would not return on hardware but raise
 * an exception. The #UD emulation turns these into the matching event. */
#define RMP_FAULT_NPF		   0x100 /* #NPF, error code RMP bit */
#define RMP_FAULT_NPF_SIZEM	   0x101 /* #NPF, RMP + SIZEM bits */
#define RMP_FAULT_VC_NOT_VALIDATED 0x102 /* #VC, page not validated */
/* SNP bits of the #NPF error code (EXITINFO1), APM vol 2 15.36.10. */
#define RMP_NPF_ERR_RMP	  BIT(31)
#define RMP_NPF_ERR_ENC	  BIT(34)
#define RMP_NPF_ERR_SIZEM BIT(35)
#define RMP_NPF_ERR_VMPL  BIT(36)

#define RMP_PG_SIZE_4K 0
#define RMP_PG_SIZE_2M 1

/* ---- architectural entry: RMPREAD output and RMPUPDATE input ------------
 * 0x00 u64 gpa; 0x08 u8 assigned (bit 0); 0x09 u8 pagesize (bit 0) and
 * hpage_region_status (bit 1); 0x0a u8 immutable (bit 0); 0x0b reserved;
 * 0x0c u32 asid. Bytes 8-11 are kept as one little-endian u32 with masks. */
struct rmpentry {
	u64 gpa;
	u32 flags;
	u32 asid;
} __packed;
CHECK_SIZE(struct rmpentry, 16);
CHECK_OFFSET(struct rmpentry, flags, 8);
CHECK_OFFSET(struct rmpentry, asid, 12);

#define RMPENTRY_ASSIGNED     BIT(0)  /* byte 8 bit 0 */
#define RMPENTRY_PAGESIZE     BIT(8)  /* byte 9 bit 0: 0 = 4K, 1 = 2M */
#define RMPENTRY_HPAGE_REGION BIT(9)  /* byte 9 bit 1: RMPREAD output only */
#define RMPENTRY_IMMUTABLE    BIT(16) /* byte 10 bit 0 */
#define RMPENTRY_UPDATE_FLAGS (RMPENTRY_ASSIGNED | RMPENTRY_PAGESIZE | RMPENTRY_IMMUTABLE)

/* ---- raw in-memory entry of Zen 3/4 (not architectural) -----------------
 * Low quadword per Linux's struct rmpentry_raw and AMD's SEV firmware
 * (sev_rmp.h); high quadword holds one VMPL permission byte per VMPL. */
struct rmp_raw {
	u64 lo;
	u64 hi;
} __packed;
CHECK_SIZE(struct rmp_raw, 16);

#define RMP_RAW_ASSIGNED      BIT(0)
#define RMP_RAW_PAGESIZE      BIT(1)
#define RMP_RAW_IMMUTABLE     BIT(2)
#define RMP_RAW_SUBPAGES      GENMASK(11, 3)  /* assigned 4K pages among the other 511 */
#define RMP_RAW_GPA	      GENMASK(50, 12) /* gpa >> 12 */
#define RMP_RAW_ASID	      GENMASK(60, 51)
#define RMP_RAW_VMSA	      BIT(61)
#define RMP_RAW_VALIDATED     BIT(62)
#define RMP_RAW_LOCK	      BIT(63)
#define RMP_RAW_VMPL_PERMS(v) GENMASK(8 * (v) + 7, 8 * (v))

/* VMPL permission byte (RMPADJUST RDX[15:8]). */
#define RMP_PERM_READ	    BIT(0)
#define RMP_PERM_WRITE	    BIT(1)
#define RMP_PERM_EXEC_USER  BIT(2)
#define RMP_PERM_EXEC_SUPER BIT(3)
#define RMP_PERM_ALL	    (RMP_PERM_READ | RMP_PERM_WRITE | RMP_PERM_EXEC_USER | RMP_PERM_EXEC_SUPER)
#define RMP_NR_VMPLS	    4

#define RMP_GPA_MAX  (BIT(51) - 1) /* gpa bits 50:12 in the raw entry */
#define RMP_ASID_MAX 1023U	   /* 10-bit raw field */

/* Decoded raw entry: the software view used everywhere except the table. */
struct rmp_info {
	bool assigned;
	bool immutable;
	bool validated;
	bool vmsa;
	bool lock;
	u8 pagesize; /* RMP_PG_SIZE_* */
	u16 subpages;
	u32 asid;
	gpa_t gpa;
	u8 perms[RMP_NR_VMPLS];
};

void rmp_raw_decode(const struct rmp_raw *raw, struct rmp_info *info);
int rmp_raw_encode(const struct rmp_info *info, struct rmp_raw *raw);

/* Page states (SNP firmware ABI "Page States"), from the governing entry. */
enum rmp_page_state {
	RMP_PS_INVALID = 0, /* combination no legal sequence produces */
	RMP_PS_DEFAULT,	    /* not covered by the RMP */
	RMP_PS_HYPERVISOR,  /* unassigned: host may read and write */
	RMP_PS_HV_FIXED,    /* unassigned, immutable */
	RMP_PS_FIRMWARE,    /* assigned to ASID 0, immutable */
	RMP_PS_RECLAIM,	    /* assigned to ASID 0, mutable */
	RMP_PS_PRE_GUEST,   /* assigned to a guest, immutable, not validated */
	RMP_PS_PRE_SWAP,    /* assigned to a guest, immutable, validated */
	RMP_PS_GUEST_INVALID,
	RMP_PS_GUEST_VALID,
};
enum rmp_page_state rmp_info_state(const struct rmp_info *info);
const char *rmp_page_state_name(enum rmp_page_state s);
const char *rmp_code_name(int code);

/* ---- sizing -------------------------------------------------------------- */
/* Bytes for a table covering frames [0, npfns): (npfns << 4) + 0x4000. */
u64 rmp_table_size(u64 npfns);
/* Smallest size, rounded up to align (a power of two, >= 8 KiB), of a table at
 * base that covers [0, mem_end) and itself. 0 or -EINVAL/-EOVERFLOW. */
int rmp_table_size_self_cover(spa_t base, u64 mem_end, u64 align, u64 *size);

/* ---- hardware discovery, pure (unit-tested); rmp_hw.c feeds it ---------- */
/* The MSRs (SYSCFG, RMP_BASE/END/CFG) and their bits: hv/arch/x86/msr.h. */
#define CPUID_SEV_LEAF		    0x8000001FU
#define CPUID_SEV_EAX_SNP	    BIT(4)
#define CPUID_SEV_EAX_RMPREAD	    BIT(21)
#define CPUID_SEV_EAX_SEGMENTED_RMP BIT(23)

struct rmp_hw_facts {
	u32 max_ext_leaf; /* CPUID 0x80000000.EAX */
	u32 sev_eax;	  /* CPUID 0x8000001F.EAX, 0 if the leaf is absent */
	u64 syscfg;
	u64 rmp_base; /* raw MSR values */
	u64 rmp_end;
	u64 rmp_cfg; /* 0 unless segmented RMP is reported */
	u64 mem_end; /* highest RAM address + 1 */
};
struct rmp_hw_layout {
	spa_t base;
	u64 size;
	u64 npfns;
	bool has_rmpread;
};
int rmp_hw_parse(const struct rmp_hw_facts *f, struct rmp_hw_layout *out);

/* ---- one RMP, either backend --------------------------------------------- */
struct rmp;
struct rmp_ops {
	const char *name;
	bool is_model;
	int (*read)(struct rmp *r, spa_t pa, struct rmpentry *out);
	int (*update)(struct rmp *r, spa_t pa, const struct rmpentry *st);
	int (*psmash)(struct rmp *r, spa_t pa);
};

struct rmp {
	const struct rmp_ops *ops; /* NULL: not initialised */
	spa_t base;		   /* RMP_BASE */
	u64 size;		   /* bytes, bookkeeping included */
	u64 npfns;		   /* frames covered: [0, npfns << 12) */
	bool has_rmpread;
	int inject_rc; /* model: next inject_count RMPUPDATE/PSMASH return this */
	u32 inject_count;
};

/* Backends. rmp_init_model() zeroes the table (through phys_ptr) and marks
 * the table's own frames FIRMWARE, as SNP_INIT does. rmp_init_hw() exists only
 * in hv.efi. Both return 0 or a negative errno (with a message). */
int rmp_init_model(struct rmp *r, spa_t base, u64 table_size, u64 covered_bytes);
int rmp_init_hw(struct rmp *r, u64 mem_end);

bool rmp_covers(const struct rmp *r, spa_t pa);
/* The 16-byte slot of pa's frame (backends and tests; no bounds check). */
struct rmp_raw *rmp_raw_slot(const struct rmp *r, u64 pfn);

/* Instructions. Return the architectural code (>= 0), or -EINVAL/-ENODEV
 * when the call cannot even be issued. rmpupdate() retries FAIL_OVERLAP and
 * psmash() FAIL_INUSE up to RMP_RETRY_MAX times, as Linux does (bounded). */
#define RMP_RETRY_MAX 64
int rmp_read(struct rmp *r, spa_t pa, struct rmpentry *out);
int rmpupdate(struct rmp *r, spa_t pa, const struct rmpentry *st);
int psmash(struct rmp *r, spa_t pa);

/* Helpers with Linux's names, built on rmpupdate(); size is RMP_PG_SIZE_*.
 * Return 0, or -EIO after logging the architectural code. */
int rmp_make_private(struct rmp *r, spa_t pa, u32 asid, gpa_t gpa, int size, bool immutable);
int rmp_make_shared(struct rmp *r, spa_t pa, int size);

/* Cheap page-state queries from the raw table (both backends: the table is
 * ordinary memory on Zen 3/4). rmp_lookup() decodes the governing entry: the
 * 2M-aligned entry when that is an assigned 2M entry, else pa's own entry.
 * *entry_pa (optional) receives the SPA the governing entry describes. */
int rmp_lookup(struct rmp *r, spa_t pa, struct rmp_info *info, spa_t *entry_pa);
enum rmp_page_state rmp_page_state(struct rmp *r, spa_t pa);
/* 0 if the host may write pa, -EPERM (logged) if the CPU would fault. */
int rmp_check_host_write(struct rmp *r, spa_t pa);

/* ---- model only (return -EOPNOTSUPP on the hardware backend) ------------- */
/* PVALIDATE (APM vol 3) for the guest of asid at VMPL0, after the caller has
 * translated the guest VA to gpa and spa. size: RMP_PG_SIZE_*. *cf receives
 * rFLAGS.CF (1: validated bit already in the requested state). */
int rmp_model_pvalidate(struct rmp *r, u32 asid, gpa_t gpa, spa_t pa, int size, bool validate,
			bool *cf);
/* RMPADJUST executed by the guest of asid at caller_vmpl: set target_vmpl's
 * permission byte (RMP_PERM_*) and, from VMPL0 only, the VMSA bit. */
int rmp_model_rmpadjust(struct rmp *r, u32 asid, int caller_vmpl, gpa_t gpa, spa_t pa, int size,
			int target_vmpl, u8 perms, bool vmsa);
/* What the SNP firmware (PSP) may write: any state of pa's own 4K entry.
 * Keeps the 2M subpage count right. 0 or negative errno. */
int rmp_model_fw_write(struct rmp *r, spa_t pa, const struct rmp_info *info);
/* Make the next count RMPUPDATE/PSMASH return rc with no effect (tests of
 * callers' retry and error paths). */
void rmp_model_inject(struct rmp *r, int rc, u32 count);

#endif
