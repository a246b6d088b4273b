/* The hypervisor side of the SEV-SNP guest protocol (hv/svm/snp_guest.h):
 * VMGEXIT (GHCB MSR protocol and GHCB-page NAE events, AMD 56421), the
 * PVALIDATE emulation behind the #UD intercept (APM vol 3 "PVALIDATE",
 * APM vol 2 15.36.8 "PVALIDATE"), and the interim page-state backend.
 * Pure code: the unit tests run it on a fake guest (tests/unit/test_snp_guest.c).
 * A misbehaving guest gets an error code, an exception, or is terminated
 * with a report: never a panic. Choices are in docs/snp-guest.md. */
#include "hv/svm/snp_guest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv/base/bits.h"
#include "hv/arch/x86/cpu.h" /* CR0_PG */
#include "hv/arch/x86/msr.h"
#include "hv/svm/cpuid.h"
#include "hv/core/gmem.h"
#include "hv/svm/guest.h"
#include "hv/abi/hypercall.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/svm/guest_msr.h"
#include "hv/mm/pmem.h"
#include "hv/base/report.h"
#include "hv/svm/svm.h"
#include "hv/svm/vcpu.h"
#include "snp/ghcb.h"
#include "snp/guest_msg.h"
#include "snp/rmp.h"
#include "hv/svm/sev_vmcb.h"
#include "hv/svm/snp_vc.h"
#include "hv/svm/vlapic.h"

u64 (*snp_clock)(void);
u64 snp_clock_khz;

static struct snp_guest snp_guests[CFG_MAX_GUESTS];

struct snp_guest *snp_guest_of(struct guest *g)
{
	struct snp_guest *s;

	if (!g || !g->snp || g->id >= CFG_MAX_GUESTS)
		return NULL;
	s = &snp_guests[g->id];
	return s->active && s->g == g ? s : NULL;
}

static u64 now(void)
{
	return snp_clock ? snp_clock() : 0;
}

/* ---- instruction decode ----------------------------------------------------- */

static const u8 insn_pvalidate[SNP_INSN_LEN] = {0xf2, 0x0f, 0x01, 0xff};
static const u8 insn_vmgexit[SNP_INSN_LEN] = {0xf3, 0x0f, 0x01, 0xd9};
static const u8 insn_rmpadjust[SNP_INSN_LEN] = {0xf3, 0x0f, 0x01, 0xfe};

bool snp_insn_is_pvalidate(const u8 *b, unsigned len)
{
	return len >= SNP_INSN_LEN && !memcmp(b, insn_pvalidate, SNP_INSN_LEN);
}

bool snp_insn_is_vmgexit(const u8 *b, unsigned len)
{
	return len >= SNP_INSN_LEN && !memcmp(b, insn_vmgexit, SNP_INSN_LEN);
}

/* ---- the guest's own page tables, through the one page-table engine ---------
 * A format descriptor for tables the GUEST wrote (APM vol 2, 5.3.3): unlike
 * pt_fmt_x86 it accepts whatever a guest may legally leave in an entry
 * (A/D bits, AVL bits, U/S, PAT, garbage in non-present entries). Decode
 * only: the engine never writes a guest's tables. */
#define GPTE_P	     BIT(0)
#define GPTE_RW	     BIT(1)
#define GPTE_PS	     BIT(7)
#define GPTE_NX	     BIT(63)
#define GPTE_ADDR_4K GENMASK(51, 12)
#define GPTE_ADDR_2M GENMASK(51, 21)
#define GPTE_ADDR_1G GENMASK(51, 30)
/* The C-bit (hv/svm/cpuid.h GUEST_CBIT; APM vol 2, 15.34.6): not an address bit.
 * The decoder passes it on in the table/leaf address so that the walk can
 * see it at every level; xlate_table and snp_guest_va_walk strip it. */
#define GPTE_C BIT(GUEST_CBIT)

static struct pt_ent guest_decode(u64 pte, unsigned level)
{
	u32 prot = PT_R;
	u64 c = pte & GPTE_C;

	if (!(pte & GPTE_P))
		return (struct pt_ent){PT_NONE, {0}, 0};
	if (pte & GPTE_RW)
		prot |= PT_W;
	if (!(pte & GPTE_NX))
		prot |= PT_X;
	if (level == 1)
		return (struct pt_ent){PT_LEAF, spa((pte & GPTE_ADDR_4K & ~GPTE_C) | c), prot};
	if (!(pte & GPTE_PS))
		return (struct pt_ent){PT_TABLE, spa((pte & GPTE_ADDR_4K & ~GPTE_C) | c), 0};
	if (level == 2)
		return (struct pt_ent){PT_LEAF, spa((pte & GPTE_ADDR_2M & ~GPTE_C) | c), prot};
	if (level == 3)
		return (struct pt_ent){PT_LEAF, spa((pte & GPTE_ADDR_1G & ~GPTE_C) | c), prot};
	return (struct pt_ent){PT_BAD, {0}, 0}; /* PS in a PML4E is reserved: #PF(RSVD) */
}

static const struct pt_fmt pt_fmt_guest_x86 = {
    .name = "guest-x86",
    .min_levels = 4,
    .max_levels = 4,
    .leaf_sizes = PT_SZ_ALL,
    .prot_valid = PT_R | PT_W | PT_X,
    .prot_need = PT_R,
    .decode = guest_decode,
};

struct walk_ctx {
	struct guest *g;
	unsigned tables, tables_c; /* table entries followed, ... with the C-bit */
};

/* Table GPAs (C-bit stripped, counted) go through the guest's NPT. The root
 * comes from CR3, whose C-bit is not looked at: an SEV guest's table walk
 * is private whatever CR3 says (docs/snp-guest.md). */
static int xlate_table(void *ctx, u64 table_gpa, spa_t *out)
{
	struct walk_ctx *w = ctx;
	u64 contig;

	if (w->tables++ && (table_gpa & GPTE_C))
		w->tables_c++;
	table_gpa &= ~GPTE_C;
	if (w->g->mem_ops->translate(w->g, gpa(table_gpa), out, &contig) || contig < PAGE_SIZE)
		return -EIO;
	return 0;
}

int snp_guest_va_walk(struct guest *g, u64 cr3, u64 va, u64 *gpa_out, unsigned *cbits)
{
	struct walk_ctx w = {g, 0, 0};
	struct pt_leaf leaf;
	int ret;

	ret = pt_lookup_xlate(&pt_fmt_guest_x86, cr3 & GPTE_ADDR_4K & ~GPTE_C, 4, va, xlate_table,
			      &w, &leaf);
	if (ret == -ENOENT)
		return -EFAULT;
	if (ret)
		return ret == -EIO ? -EIO : -EFAULT;
	*gpa_out = (spa_val(leaf.pa) & ~GPTE_C) + (va - leaf.va);
	if (cbits)
		*cbits = ((leaf.pte & GPTE_C) ? SNP_WALK_C_LEAF : 0) |
			 (w.tables_c == w.tables - 1 ? SNP_WALK_C_TABLES : 0);
	return 0;
}

int snp_guest_va_to_gpa(struct guest *g, u64 cr3, u64 va, u64 *gpa_out)
{
	return snp_guest_va_walk(g, cr3, va, gpa_out, NULL);
}

/* Linear address -> GPA in the guest's current mode: long mode with 4-level
 * paging, or no paging (the 32-bit boot state: everything counts as private,
 * SNP_WALK_C_LEAF | SNP_WALK_C_TABLES, as it does on hardware). cbits may be
 * NULL. */
static int va_to_gpa_c(struct vcpu *v, u64 va, u64 *out, unsigned *cbits)
{
	const struct vmcb_save_area *s = &v->vmcb->save;

	if (!(s->cr0 & CR0_PG)) {
		*out = va & 0xffffffffULL;
		if (cbits)
			*cbits = SNP_WALK_C_LEAF | SNP_WALK_C_TABLES;
		return 0;
	}
	if (!(s->efer & EFER_LMA) || (s->cr4 & BIT(12) /* LA57 */))
		return -EOPNOTSUPP; /* legacy/PAE or 5-level paging: not emulated */
	return snp_guest_va_walk(v->guest, s->cr3, va, out, cbits);
}

static int va_to_gpa(struct vcpu *v, u64 va, u64 *out)
{
	return va_to_gpa_c(v, va, out, NULL);
}

static int read_guest_va(struct vcpu *v, u64 va, void *buf, unsigned len)
{
	u8 *p = buf;

	while (len) {
		unsigned n = MIN(len, (unsigned)(PAGE_SIZE - (va & (PAGE_SIZE - 1))));
		u64 ga;
		int ret = va_to_gpa(v, va, &ga);

		if (ret)
			return ret;
		if (guest_read(v->guest, gpa(ga), p, n))
			return -EFAULT;
		p += n;
		va += n;
		len -= n;
	}
	return 0;
}

static u64 guest_rip_linear(struct vcpu *v)
{
	const struct vmcb_save_area *s = &v->vmcb->save;

	if (s->efer & EFER_LMA)
		return s->rip;
	return (s->cs.base + s->rip) & 0xffffffffULL;
}

/* ---- PVALIDATE emulation (APM vol 3: RAX = VA, ECX = size, EDX = validate) -- */

#define RFLAGS_CF BIT(0)

static void inject_pf(struct vcpu *v, u64 va)
{
	v->vmcb->save.cr2 = va;
	vcpu_inject_exception(v, X86_VEC_PF, 0); /* not present, read, supervisor */
}

static int pvalidate_once(struct snp_guest *s, struct vcpu *v, u64 va, int size, bool validate,
			  bool *cf, u64 *gpa_out)
{
	struct guest *g = v->guest;
	struct rmp *r = s->be->rmp(g);
	u64 ga, contig;
	unsigned cbits = 0;
	spa_t pa;
	int ret;

	ret = va_to_gpa_c(v, va, &ga, &cbits);
	if (ret)
		return ret;
	*gpa_out = ga;
	/* A C=0 mapping: PVALIDATE through it is not what the APM documents a
	 * guest may do (only private mappings are validated; SNP hardware is
	 * reported to raise an exception: docs/snp-guest.md "C-bit"). The
	 * emulation still performs it and counts it: snp.<guest>.cbit fails. */
	if (!(cbits & SNP_WALK_C_LEAF)) {
		if (!s->st.pv_cbit0++)
			pr_warn("snp: guest %s: PVALIDATE of va 0x%llx through a mapping without "
				"the C-bit (bit %u): would fail on SNP hardware\n",
				g->name, (unsigned long long)va, GUEST_CBIT);
	}
	if (!(cbits & SNP_WALK_C_TABLES))
		s->st.pv_cbit0_tables++;
	/* The GPA is page-aligned by construction of the instruction (RAX bits
	 * 11:0 ignored on hardware?): the model checks alignment itself. */
	if (g->mem_ops->translate(g, gpa(ga & ~(PAGE_SIZE - 1)), &pa, &contig))
		return RMP_FAULT_NPF; /* no frame: the nested walk faults */
	pa = spa_add(pa, ga & (PAGE_SIZE - 1));
	if (size == RMP_PG_SIZE_2M) {
		/* the 2M frame's base: the GPA's 2M base through the NPT */
		spa_t base;

		if (!IS_ALIGNED(ga, HUGE_SIZE))
			return RMP_FAIL_INPUT;
		if (g->mem_ops->translate(g, gpa(ga), &base, &contig))
			return RMP_FAULT_NPF;
		pa = base;
		if (!IS_ALIGNED(spa_val(base), HUGE_SIZE)) {
			/* Backed by 4K frames: its RMP entry cannot be a 2M entry.
			 * This guest's page -> FAIL_SIZEMISMATCH (the guest retries
			 * with 4K), anything else -> the RMP #NPF of the model. */
			struct rmp_info info;
			spa_t epa;

			if (rmp_lookup(r, base, &info, &epa) || !info.assigned ||
			    info.asid != g->asid ||
			    gpa_val(info.gpa) + (spa_val(base) - spa_val(epa)) != ga)
				return RMP_FAULT_NPF;
			return RMP_FAIL_SIZEMISMATCH;
		}
	}
	return rmp_model_pvalidate(r, g->asid, gpa(ga), pa, size, validate, cf);
}

/* ---- RMP nested page faults (APM vol 2, 15.36.10) -------------------------------
 * One handler for the #NPF hardware reports with the RMP bit (EXITINFO1 bit
 * 31) and for the one the PVALIDATE emulation models:
 * - SIZEM (4K access or PVALIDATE on a 2M RMP entry): split the 2M entry
 *   (PSMASH, NPT and IOMMU leaves with it: backend->split = gmem_split) and
 *   let the guest retry;
 * - an access in the wrong page state (C=1 to a page that is not the guest's
 *   private page, C=0 to its private page): KVM converts such pages
 *   implicitly; snpvisor converts only on a GHCB page-state change request,
 *   so the guest is killed with the GPA and the page's state;
 * - anything else (VMPL): killed with the decode. */
#define NPF_SIZEM_PVALIDATE                                                                        \
	(PFERR_GUEST_RMP_MASK | PFERR_GUEST_SIZEM_MASK | PFERR_GUEST_ENC_MASK |                    \
	 PFERR_GUEST_FINAL_MASK)

static const char *page_state(struct snp_guest *s, u64 ga)
{
	int r = s->be->is_shared ? s->be->is_shared(s->g, gpa(ga & PAGE_MASK)) : -ENOSYS;

	return r == 0 ? "shared" : r == -EPERM ? "private" : "not guest memory";
}

static int rmp_npf(struct snp_guest *s, u64 info1, u64 ga)
{
	struct sev_npf f = sev_npf_decode(info1, ga);
	struct guest *g = s->g;

	switch (f.kind) {
	case SEV_NPF_RMP_SIZEM:
		if (s->be->split && !s->be->split(g, gpa(ga & ~(HUGE_SIZE - 1)))) {
			s->st.npf_sizem++;
			return EXIT_RESUME;
		}
		guest_finish(g, GUEST_KILLED,
			     "RMP #NPF (size mismatch) at gpa 0x%llx: the 2M entry cannot be split",
			     (unsigned long long)ga);
		return EXIT_STOP;
	case SEV_NPF_RMP_PRIVATE_ON_SHARED:
	case SEV_NPF_RMP_SHARED_ON_PRIVATE:
		guest_finish(g, GUEST_KILLED,
			     "RMP #NPF at gpa 0x%llx: %s access to a %s page (no implicit "
			     "conversion: use a page-state change)",
			     (unsigned long long)ga, f.enc ? "private" : "shared",
			     page_state(s, ga));
		return EXIT_STOP;
	default:
		guest_finish(g, GUEST_KILLED, "RMP #NPF at gpa 0x%llx: %s (error 0x%llx)",
			     (unsigned long long)ga, sev_npf_kind_name(f.kind),
			     (unsigned long long)info1);
		return EXIT_STOP;
	}
}

int snp_handle_rmp_npf(struct vcpu *v)
{
	struct snp_guest *s = snp_guest_of(v->guest);
	const struct vmcb_control_area *c = &v->vmcb->control;

	if (!s) {
		guest_finish(v->guest, GUEST_KILLED, "RMP #NPF at gpa 0x%llx of a non-SNP guest",
			     (unsigned long long)c->exit_info_2);
		return EXIT_STOP;
	}
	return rmp_npf(s, c->exit_info_1, c->exit_info_2);
}

static int vc_deliver(struct vcpu *v, u32 code, char *why, size_t len);
static void vc_undeliverable(struct snp_guest *s, struct vcpu *v, u32 code, int ret,
			     const char *why);

static int emulate_pvalidate(struct snp_guest *s, struct vcpu *v)
{
	struct vmcb_save_area *sa = &v->vmcb->save;
	struct guest *g = v->guest;
	bool lm = sa->efer & EFER_LMA;
	u64 va = lm ? sa->rax : (sa->rax & 0xffffffffULL);
	u64 ecx = v->regs.rcx & 0xffffffffULL, edx = v->regs.rdx & 0xffffffffULL;
	u64 t0 = now(), ga = 0;
	bool cf = false;
	int rc, tries;

	s->st.pvalidate++;
	if (!s->st.pv_first)
		s->st.pv_first = t0;
	if (sa->cpl) { /* CPL > 0: #GP(0) (APM vol 3) */
		s->st.pvalidate_flt++;
		vcpu_inject_exception(v, X86_VEC_GP, 0);
		return 0;
	}
	if (ecx > 1) { /* the model says FAIL_INPUT for a bad size; so does hardware */
		rc = RMP_FAIL_INPUT;
		goto done;
	}
	for (tries = 0;; tries++) {
		rc = pvalidate_once(s, v, va, (int)ecx, edx & 1, &cf, &ga);
		if (rc != RMP_FAULT_NPF_SIZEM || tries)
			break;
		/* Hardware: #NPF with RMP|SIZEM, handled by the same code as a
		 * real one (rmp_npf: PSMASH); the guest retries the instruction. */
		if (rmp_npf(s, NPF_SIZEM_PVALIDATE, ga) != EXIT_RESUME)
			return 0;
	}
	if (rc == -EFAULT) {
		s->st.pvalidate_flt++;
		inject_pf(v, va);
		return 0;
	}
	if (rc == -EIO || rc == -EOPNOTSUPP || rc < 0) {
		s->st.pvalidate_flt++;
		guest_finish(g, GUEST_KILLED,
			     "PVALIDATE at rip 0x%llx: cannot translate va 0x%llx (%d)",
			     (unsigned long long)sa->rip, (unsigned long long)va, rc);
		return 0;
	}
	if (rc == RMP_FAULT_NPF || rc == RMP_FAULT_NPF_SIZEM || rc == RMP_FAULT_VC_NOT_VALIDATED) {
		/* An RMP #NPF the hypervisor does not resolve (the page is not
		 * this guest's private page at this GPA: snptest validates a
		 * shared page). Choice (docs/snp-guest.md): the guest gets #VC
		 * with error code SVM_EXIT_NPF, which its #VC handler can report
		 * or turn into a termination request; RAX and CF are unchanged. */
		char why[160];

		s->st.pvalidate_flt++;
		s->st.vc_injected[SNP_VC_NPF]++;
		rc = vc_deliver(v, SVM_EXIT_NPF, why, sizeof(why));
		if (rc)
			vc_undeliverable(s, v, SVM_EXIT_NPF, rc, why);
		return 0;
	}
done:
	if (cf)
		s->st.pvalidate_cf++;
	sa->rax = (u64)rc;
	sa->rflags = cf ? (sa->rflags | RFLAGS_CF) : (sa->rflags & ~RFLAGS_CF);
	sa->rip += SNP_INSN_LEN;
	v->vmcb->control.int_state &= ~(u32)SVM_INTERRUPT_SHADOW_MASK;
	if (snp_clock) {
		s->st.pv_last = now();
		s->st.tsc_pvalidate += s->st.pv_last - t0;
	}
	return 0;
}

/* RMPADJUST (APM vol 3 "RMPADJUST"; APM vol 2 15.36.7): RAX = VA, RCX =
 * page size, RDX = target VMPL (7:0), permissions (15:8), VMSA (16). The
 * guest runs at VMPL0 (the emulation has no other VMPL), so a target VMPL
 * 1-3 on its validated private page succeeds (RAX 0) and VMPL0 itself fails
 * with FAIL_PERMISSION: Linux's running_at_vmpl0() check. The permissions
 * are recorded in the RMP model; no lower VMPL ever runs to use them. */
static int emulate_rmpadjust(struct snp_guest *s, struct vcpu *v)
{
	struct vmcb_save_area *sa = &v->vmcb->save;
	struct guest *g = v->guest;
	u64 va = sa->rax, ecx = v->regs.rcx & 0xffffffffULL, edx = v->regs.rdx;
	u64 ga, contig;
	unsigned cbits = 0;
	spa_t pa;
	int rc;

	s->st.rmpadjust++;
	if (sa->cpl) {
		vcpu_inject_exception(v, X86_VEC_GP, 0);
		return 0;
	}
	rc = va_to_gpa_c(v, va, &ga, &cbits);
	if (rc == -EFAULT) {
		inject_pf(v, va);
		return 0;
	}
	if (rc || g->mem_ops->translate(g, gpa(ga & PAGE_MASK), &pa, &contig)) {
		guest_finish(g, GUEST_KILLED, "RMPADJUST at rip 0x%llx: va 0x%llx not translatable",
			     (unsigned long long)sa->rip, (unsigned long long)va);
		return 0;
	}
	rc = ecx > 1 ? RMP_FAIL_INPUT
		     : rmp_model_rmpadjust(s->be->rmp(g), g->asid, 0, gpa(ga & PAGE_MASK), pa,
					   (int)ecx, (int)(edx & 0xff), (u8)(edx >> 8),
					   edx & BIT(16));
	if (rc < 0 || rc == RMP_FAULT_NPF || rc == RMP_FAULT_NPF_SIZEM ||
	    rc == RMP_FAULT_VC_NOT_VALIDATED) {
		guest_finish(g, GUEST_KILLED,
			     "RMPADJUST at rip 0x%llx of gpa 0x%llx: %s (%d): fatal for the guest",
			     (unsigned long long)sa->rip, (unsigned long long)ga,
			     rc == RMP_FAULT_VC_NOT_VALIDATED ? "page not validated (#VC)"
							      : "RMP #NPF",
			     rc);
		return 0;
	}
	sa->rax = (u64)rc;
	sa->rflags &= ~RFLAGS_CF; /* RMPADJUST clears the arithmetic flags' CF, ZF... */
	sa->rip += SNP_INSN_LEN;
	v->vmcb->control.int_state &= ~(u32)SVM_INTERRUPT_SHADOW_MASK;
	return 0;
}

int snp_handle_ud(struct vcpu *v)
{
	struct snp_guest *s = snp_guest_of(v->guest);
	u8 b[SNP_INSN_LEN];

	if (!s || !s->be->rmp || !s->be->rmp(v->guest))
		return -ENOENT;
	if (read_guest_va(v, guest_rip_linear(v), b, sizeof(b)))
		return -ENOENT;
	if (!memcmp(b, insn_rmpadjust, SNP_INSN_LEN))
		return emulate_rmpadjust(s, v);
	if (!snp_insn_is_pvalidate(b, 4))
		return -ENOENT;
	return emulate_pvalidate(s, v);
}

/* ---- page-state changes -------------------------------------------------------- */

static int do_psc(struct snp_guest *s, const struct gmem_range *r, unsigned n)
{
	u64 t0 = now();
	int ret = s->be->psc(s->g, r, n);

	if (snp_clock) {
		if (!s->st.psc_first)
			s->st.psc_first = t0;
		s->st.psc_last = now();
		s->st.tsc_psc += s->st.psc_last - t0;
	}
	return ret;
}

/* After a request the backend's checker must be clean; a rejected request
 * must not have changed anything (fingerprint before == after). */
static void check_after(struct snp_guest *s, bool rejected, u64 fp_before)
{
	if (rejected && s->be->fingerprint && s->be->fingerprint(s->g) != fp_before) {
		pr_err("snp: guest %s: a rejected page-state change modified page states\n",
		       s->g->name);
		s->st.check_fail++;
	}
	if (!rejected && s->be->check_request && s->be->check_request(s->g)) {
		pr_err("snp: guest %s: consistency check failed after a page-state change\n",
		       s->g->name);
		s->st.check_fail++;
	}
}

static u64 fingerprint(struct snp_guest *s)
{
	return s->be->fingerprint ? s->be->fingerprint(s->g) : 0;
}

/* ---- GHCB MSR protocol (56421 2.3.1) --------------------------------------------- */

#define GHCB_MSR_HV_FT_SNP    BIT(0)	     /* 56421 2.3.1.8: SEV-SNP supported */
#define GHCB_MSR_REG_GPA_FAIL GENMASK(51, 0) /* GFN all ones: not registered */
#define PSC_MSR_ERR_INVALID   1		     /* our codes in GHCBData[63:32], docs/snp-guest.md */
#define PSC_MSR_ERR_GENERIC   0x100

static const char *psc_protected(struct snp_guest *s, u64 ga, u64 size, unsigned op, bool via_ghcb);

/* info2: the Termination Request NAE's SW_EXITINFO2 (0: none, and always for
 * the MSR protocol); Linux puts there the SEV features it does not support
 * when it terminates with GHCB_TERM_SNP_UNSUPPORTED. */
static int terminate(struct snp_guest *s, unsigned set, unsigned code, u64 info2, const char *how)
{
	bool unsupported = set == GHCB_TERM_SET_GENERAL && code == GHCB_TERM_SNP_UNSUPPORTED;

	if (info2)
		guest_finish(s->g, GUEST_FAIL,
			     "SNP termination request (%s): reason set %u code %u, exit info 2 "
			     "0x%llx%s",
			     how, set, code, (unsigned long long)info2,
			     unsupported ? " (the SEV features the guest does not support)" : "");
	else
		guest_finish(s->g, GUEST_FAIL,
			     "SNP termination request (%s): reason set %u code %u", how, set, code);
	return EXIT_STOP;
}

u64 snp_sev_info(void)
{
	return ghcb_msr_sev_info_resp(GHCB_PROTOCOL_MAX, GHCB_PROTOCOL_MIN, (u8)guest_cbit_pos);
}

int snp_msr_protocol(struct snp_guest *s, u64 val, u64 *resp)
{
	struct guest *g = s->g;
	unsigned info = ghcb_msr_info(val), reg, op, set, code;
	struct cpuid_res c;
	struct gmem_range r;
	u64 gfn, fp;
	u32 fn, out;
	int ret;

	s->st.msr_proto++;
	*resp = val;
	switch (info) {
	case GHCB_MSR_SEV_INFO_REQ:
		*resp = snp_sev_info();
		return EXIT_RESUME;
	case GHCB_MSR_CPUID_REQ:
		if (ghcb_msr_cpuid_req_decode(val, &fn, &reg))
			break;
		cpuid_guest(&g->cpuid, fn, 0, &c);
		out = reg == GHCB_CPUID_EAX   ? c.eax
		      : reg == GHCB_CPUID_EBX ? c.ebx
		      : reg == GHCB_CPUID_ECX ? c.ecx
					      : c.edx;
		*resp = ghcb_msr_cpuid_resp(out, reg);
		return EXIT_RESUME;
	case GHCB_MSR_HV_FT_REQ:
		*resp = FIELD_PREP(GHCB_MSR_DATA, GHCB_MSR_HV_FT_SNP) | GHCB_MSR_HV_FT_RESP;
		return EXIT_RESUME;
	case GHCB_MSR_REG_GPA_REQ:
		if (ghcb_msr_reg_gpa_req_decode(val, &gfn))
			break;
		/* The GHCB must be guest memory the hypervisor may touch: a
		 * shared page (56421 2.3.1.5: all-ones GFN on refusal). */
		if (gfn >= (g->mem_size >> PAGE_SHIFT) || !s->be->is_shared ||
		    s->be->is_shared(g, gpa(gfn << PAGE_SHIFT))) {
			pr_info("snp: guest %s: GHCB registration of gfn 0x%llx refused\n", g->name,
				(unsigned long long)gfn);
			*resp = ghcb_msr_reg_gpa_resp(GHCB_MSR_REG_GPA_FAIL);
			return EXIT_RESUME;
		}
		s->ghcb_gpa = gfn << PAGE_SHIFT;
		s->ghcb_registered = true;
		*resp = ghcb_msr_reg_gpa_resp(gfn);
		return EXIT_RESUME;
	case GHCB_MSR_PSC_REQ:
		s->st.psc_req++;
		if (ghcb_msr_psc_req_decode(val, &gfn, &op) || op > PSC_OP_SHARED ||
		    gfn >= (g->mem_size >> PAGE_SHIFT)) {
			s->st.psc_rejected++;
			*resp = ghcb_msr_psc_resp(PSC_MSR_ERR_INVALID);
			return EXIT_RESUME;
		}
		if (psc_protected(s, gfn << PAGE_SHIFT, PAGE_SIZE, op, false)) {
			pr_info("snp: guest %s: MSR-protocol page-state change of gfn 0x%llx "
				"covers %s: refused, nothing changed\n",
				g->name, (unsigned long long)gfn,
				psc_protected(s, gfn << PAGE_SHIFT, PAGE_SIZE, op, false));
			s->st.psc_rejected++;
			s->st.psc_protected++;
			*resp = ghcb_msr_psc_resp(PSC_MSR_ERR_INVALID);
			return EXIT_RESUME;
		}
		r.gpa = gpa(gfn << PAGE_SHIFT);
		r.size = PAGE_SIZE;
		r.to = op == PSC_OP_PRIVATE ? GMEM_PRIVATE : GMEM_SHARED;
		fp = fingerprint(s);
		ret = do_psc(s, &r, 1);
		if (ret) {
			s->st.psc_rejected++;
			*resp = ghcb_msr_psc_resp(PSC_MSR_ERR_GENERIC);
		} else {
			s->st.psc_pages++;
			*resp = ghcb_msr_psc_resp(0);
		}
		check_after(s, ret != 0, fp);
		return EXIT_RESUME;
	case GHCB_MSR_TERM_REQ:
		if (ghcb_msr_term_decode(val, &set, &code))
			set = code = 0xff;
		return terminate(s, set, code, 0, "MSR protocol");
	default:
		break;
	}
	guest_finish(g, GUEST_KILLED, "unsupported or malformed GHCB MSR request 0x%llx",
		     (unsigned long long)val);
	return EXIT_STOP;
}

/* ---- #VC injection under the emulation (APM vol 2, 15.35.5 and 15.20) -------
 * hv/svm/exits.c calls this for the CPUID, MSR, IOIO and VMMCALL exits that
 * SNP hardware turns into #VC: EVENTINJ vector 29, type exception, error
 * code valid = the exit code; RIP stays at the instruction (the guest's
 * #VC handler advances it). QEMU TCG delivers the vector but pushes no
 * error code for it (docs/snp-guest.md): the guest library recovers the
 * code by decoding the instruction. */
/* The processor's delivery (hv/svm/snp_vc.c: the frame with the error code,
 * built by the hypervisor because QEMU TCG pushes none for vector 29) in
 * 64-bit mode; EVENTINJ otherwise (the 32-bit entry of the test guests). */
static int vc_deliver(struct vcpu *v, u32 code, char *why, size_t len)
{
	const struct vmcb_save_area *sa = &v->vmcb->save;

	if (!(sa->efer & EFER_LMA) || !(sa->cs.attrib & SVM_SEG_L)) {
		vcpu_inject_exception(v, X86_VEC_VC, code);
		return 0;
	}
	return snp_vc_deliver(v, code, why, len);
}

static int vc_reason(u32 code)
{
	switch (code) {
	case SVM_EXIT_CPUID:
		return SNP_VC_CPUID;
	case SVM_EXIT_MSR:
		return SNP_VC_MSR;
	case SVM_EXIT_IOIO:
		return SNP_VC_IOIO;
	case SVM_EXIT_VMMCALL:
		return SNP_VC_VMMCALL;
	case SVM_EXIT_NPF:
		return SNP_VC_NPF;
	default:
		return -1;
	}
}

static const char *const vc_reason_names[SNP_VC_NR] = {
    [SNP_VC_CPUID] = "cpuid",	  [SNP_VC_MSR] = "msr", [SNP_VC_IOIO] = "ioio",
    [SNP_VC_VMMCALL] = "vmmcall", [SNP_VC_NPF] = "npf",
};

/* A #VC the guest cannot take ends it (on hardware the delivery would fault
 * in turn: #NP or #GP, then #DF, shutdown). Without any gate 29 (-ENOENT)
 * the guest has no #VC handler: a kernel without SEV-ES/SNP support
 * (tests/qemu/linux-snp-nosev.cfg). If its own page tables map its stack
 * without the C-bit, each of its data accesses was a shared access to a
 * private page: SNP hardware stops the first one with an RMP #NPF, which the
 * emulation cannot see (QEMU ignores bit 52 in a PTE, docs/snp-guest.md
 * "C-bit"), so the hypervisor names it here, at the first event it does see. */
static void vc_undeliverable(struct snp_guest *s, struct vcpu *v, u32 code, int ret,
			     const char *why)
{
	const struct vmcb_save_area *sa = &v->vmcb->save;
	struct guest *g = v->guest;
	int r = vc_reason(code);
	const char *name = r >= 0 ? vc_reason_names[r] : "?";
	bool no_c = false;
	unsigned c = 0;
	u64 ga = 0;

	if (ret == -ENOENT && !va_to_gpa_c(v, sa->rsp, &ga, &c) && !(c & SNP_WALK_C_LEAF)) {
		no_c = true;
		pr_info("guest %s: no #VC handler (%s) and no C-bit in its own page tables "
			"(CR3 0x%llx; stack rsp 0x%llx -> gpa 0x%llx, a %s page): a kernel without "
			"SEV-ES/SNP support. Its memory accesses were shared accesses to private "
			"pages (an RMP #NPF on SNP hardware; not visible to the emulation)\n",
			g->name, why, (unsigned long long)sa->cr3, (unsigned long long)sa->rsp,
			(unsigned long long)ga, page_state(s, ga));
	}
	guest_finish(g, GUEST_KILLED, "#VC (exit 0x%x %s) at rip 0x%llx cannot be delivered: %s%s",
		     code, name, (unsigned long long)sa->rip, why,
		     no_c ? "; no C-bit in its page tables" : "");
}

int snp_inject_vc(struct vcpu *v, u32 exit_code)
{
	struct snp_guest *s = snp_guest_of(v->guest);
	int r = vc_reason(exit_code), ret;
	char why[160];

	if (!s || r < 0) {
		guest_finish(v->guest, GUEST_KILLED, "no #VC for exit 0x%x of this guest",
			     exit_code);
		return EXIT_STOP;
	}
	ret = vc_deliver(v, exit_code, why, sizeof(why));
	if (ret) {
		vc_undeliverable(s, v, exit_code, ret, why);
		return EXIT_STOP;
	}
	s->st.vc_injected[r]++;
	s->vc_pending = exit_code;
	return EXIT_RESUME;
}

/* 0 if every page of [ga, ga + len) is shared now; -EPERM if one is
 * private; -EFAULT outside guest memory (or no SNP state). An empty range
 * counts as inside when allow_empty. */
static int range_shared(struct snp_guest *s, struct guest *g, u64 ga, u64 len, bool allow_empty)
{
	u64 p, end = ga + len;
	int r = -EFAULT;

	if (s && s->be->is_shared && (allow_empty ? end >= ga : end > ga) && end <= g->mem_size) {
		for (p = ga & PAGE_MASK, r = 0; p < end && !r; p += PAGE_SIZE)
			r = s->be->is_shared(g, gpa(p));
		if (r && r != -EPERM)
			r = -EFAULT;
	}
	return r;
}

int snp_hc_gpa_check(struct guest *g, u64 nr, u64 ga, u64 len)
{
	struct snp_guest *s = snp_guest_of(g);
	int r = range_shared(s, g, ga, len, true);

	if (!s)
		return r;
	if (!r) {
		s->st.hc_gpa_shared++;
		return 0;
	}
	s->st.hc_gpa_refused++;
	pr_info("snp: guest %s: hypercall %llu: GPA range 0x%llx+0x%llx is %s, not shared: "
		"HC_EFAULT, nothing read or written\n",
		g->name, (unsigned long long)nr, (unsigned long long)ga, (unsigned long long)len,
		r == -EPERM ? "private memory" : "not guest memory");
	return r;
}

int snp_hv_write_check(struct guest *g, u64 ga, u64 len)
{
	struct snp_guest *s = snp_guest_of(g);
	int r;

	if (!len)
		return 0;
	/* Every page, now: a page-state change earlier in the same exit (the
	 * PSC NAE before the GHCB write-back) must be seen. */
	r = range_shared(s, g, ga, len, false);
	if (!s)
		return r;
	if (!r) {
		s->st.hv_writes++;
		return 0;
	}
	s->st.hv_write_refused++;
	pr_err("snp: guest %s: hypervisor write of 0x%llx+0x%llx refused: %s; nothing written\n",
	       g->name, (unsigned long long)ga, (unsigned long long)len,
	       r == -EPERM ? "a private page, not shared (an RMP #PF of the host on SNP hardware)"
			   : "not guest memory");
	return r;
}

/* ---- GHCB-page NAE events (56421 4.1) --------------------------------------------- */

static struct ghcb ghcb_buf; /* one vCPU at a time: the exit path is not reentrant */

static void nae_error(struct ghcb *gh, u64 err)
{
	gh->save.sw_exit_info_1 = GHCB_HV_RESP_MALFORMED_INPUT;
	gh->save.sw_exit_info_2 = err;
}

static void nae_ok(struct ghcb *gh)
{
	gh->save.sw_exit_info_1 = GHCB_HV_RESP_NO_ACTION;
	gh->save.sw_exit_info_2 = 0;
}

#define VALID(gh, f)	 ghcb_field_valid((gh), GHCB_FIELD_BIT(f))
#define SET_VALID(gh, f) ghcb_set_field_valid((gh), GHCB_FIELD_BIT(f))

static void nae_cpuid(struct snp_guest *s, struct ghcb *gh)
{
	struct cpuid_res c;

	if (!VALID(gh, rax) || !VALID(gh, rcx)) {
		nae_error(gh, GHCB_ERR_MISSING_INPUT);
		return;
	}
	cpuid_guest(&s->g->cpuid, (u32)gh->save.rax, (u32)gh->save.rcx, &c);
	gh->save.rax = c.eax;
	gh->save.rbx = c.ebx;
	gh->save.rcx = c.ecx;
	gh->save.rdx = c.edx;
	SET_VALID(gh, rax);
	SET_VALID(gh, rbx);
	SET_VALID(gh, rcx);
	SET_VALID(gh, rdx);
	nae_ok(gh);
}

static void nae_msr(struct snp_guest *s, struct vcpu *v, struct ghcb *gh)
{
	u32 msr = (u32)gh->save.rcx;
	bool wr = gh->save.sw_exit_info_1 == 1;
	u64 val = 0;
	int ret;

	if (!VALID(gh, rcx) || gh->save.sw_exit_info_1 > 1 ||
	    (wr && (!VALID(gh, rax) || !VALID(gh, rdx)))) {
		nae_error(gh, GHCB_ERR_MISSING_INPUT);
		return;
	}
	if (msr == MSR_AMD64_SEV_ES_GHCB) {
		ret = -EPERM; /* the GHCB MSR is never reached through the GHCB */
	} else if (wr) {
		ret =
		    msr_guest_write(v, msr, (gh->save.rax & 0xffffffffULL) | (gh->save.rdx << 32));
	} else {
		ret = msr_guest_read(v, msr, &val);
		gh->save.rax = val & 0xffffffffULL;
		gh->save.rdx = val >> 32;
		SET_VALID(gh, rax);
		SET_VALID(gh, rdx);
	}
	if (ret) { /* #GP(0) through the guest's #VC handler (56421 4.1) */
		gh->save.sw_exit_info_1 = GHCB_HV_RESP_ISSUE_EXCEPTION;
		gh->save.sw_exit_info_2 = FIELD_PREP(SVM_EVTINJ_VEC_MASK, X86_VEC_GP) |
					  FIELD_PREP(SVM_EVTINJ_TYPE_MASK, SVM_EVTINJ_TYPE_EXEPT) |
					  SVM_EVTINJ_VALID_ERR | SVM_EVTINJ_VALID;
		return;
	}
	nae_ok(gh);
}

/* IOIO NAE (56421 4.1.2): SW_EXITINFO1 as the IOIO intercept's EXITINFO1.
 * Only COM1 is emulated through the GHCB (what the guests use on SNP
 * hardware); other ports read all ones and drop writes, string I/O is
 * refused. */
#define COM1_BASE	   0x3f8
#define UART_LSR_THRE_TEMT 0x60

static void nae_ioio(struct snp_guest *s, struct ghcb *gh)
{
	struct svm_ioio io = svm_ioio_decode(gh->save.sw_exit_info_1);
	u32 val = 0xffffffffu;
	unsigned i;

	if (!io.size || io.str || (!io.in && !VALID(gh, rax))) {
		nae_error(gh, io.str ? GHCB_ERR_INVALID_INPUT : GHCB_ERR_MISSING_INPUT);
		return;
	}
	if (s->g->is_linux) { /* the Linux platform's ports (docs/linux.md) */
		val = (u32)gh->save.rax;
		guest_pio(s->g, io.port, io.size, io.in, &val);
		if (io.in) {
			gh->save.rax = (gh->save.rax & ~(u64)GENMASK(8 * io.size - 1, 0)) |
				       (val & GENMASK(8 * io.size - 1, 0));
			SET_VALID(gh, rax);
		}
		nae_ok(gh);
		return;
	}
	if (io.in) {
		if (io.port == COM1_BASE + 5 && io.size == 1)
			val = UART_LSR_THRE_TEMT;
		else if (io.port >= COM1_BASE && io.port + io.size <= COM1_BASE + 8)
			val = 0;
		gh->save.rax = (gh->save.rax & ~(u64)GENMASK(8 * io.size - 1, 0)) |
			       (val & GENMASK(8 * io.size - 1, 0));
		SET_VALID(gh, rax);
	} else if (io.port == COM1_BASE) {
		for (i = 0; i < io.size; i++)
			guest_con_putc(s->g, (char)(gh->save.rax >> (8 * i)));
	}
	nae_ok(gh);
}

/* MMIO NAE (56421 4.1.5): SW_EXITINFO1 = GPA, SW_EXITINFO2 = bytes (1-8),
 * SW_SCRATCH = GPA of the data, which must lie in a shared page of the guest.
 * In the GHCB's page (where Linux puts it) it must lie in the shared buffer,
 * as for the PSC NAE, and is read and written in handle_nae's copy of the
 * GHCB, which goes back to the guest whole at the end of the exit (a direct
 * guest_write there would be overwritten by that write-back: a read would
 * return the stale buffer, the value of the guest's previous MMIO write);
 * elsewhere through guest_read/guest_write. The MMIO
 * of a Linux guest: its platform's xAPIC and I/O APIC pages
 * (hv/svm/guest_plat.c: aligned 32-bit registers) and the trapped MSI-X
 * table and PBA pages of its passed-through devices (g->dev_ops,
 * hv/vm/guest_vpci.c: aligned 32-bit accesses, a 64-bit one as its two
 * halves, low first); other addresses outside guest RAM read all ones and
 * drop writes, as absent ports do; guest RAM is refused (INVALID_INPUT). */
static void nae_mmio(struct snp_guest *s, struct ghcb *gh, bool write)
{
	struct guest *g = s->g;
	u64 ga = gh->save.sw_exit_info_1, len = gh->save.sw_exit_info_2;
	u64 scratch = gh->save.sw_scratch, data = ~0ULL;
	u8 *in_ghcb = NULL; /* the data in the GHCB's shared buffer (gh's copy) */
	u32 val;

	s->st.mmio_nae++;
	if (!VALID(gh, sw_scratch)) {
		nae_error(gh, GHCB_ERR_MISSING_INPUT);
		return;
	}
	if (!len || len > 8 || ga < g->mem_size || ga + len < ga) {
		nae_error(gh, GHCB_ERR_INVALID_INPUT);
		return;
	}
	if ((scratch & PAGE_MASK) == s->ghcb_gpa) {
		if (!ghcb_scratch_in_shared_buffer(s->ghcb_gpa, scratch, len)) {
			nae_error(gh, GHCB_ERR_INVALID_SCRATCH);
			return;
		}
		in_ghcb = (u8 *)gh + (scratch - s->ghcb_gpa);
	} else if (!s->be->is_shared || s->be->is_shared(g, gpa(scratch & PAGE_MASK)) ||
		   (scratch & PAGE_MASK) != ((scratch + len - 1) & PAGE_MASK)) {
		nae_error(gh, GHCB_ERR_INVALID_SCRATCH);
		return;
	}
	if (write && in_ghcb) {
		memcpy(&data, in_ghcb, len);
	} else if (write && guest_read(g, gpa(scratch), &data, len)) {
		nae_error(gh, GHCB_ERR_INVALID_SCRATCH);
		return;
	}
	if (guest_plat_mmio_claims(g, ga) && guest_plat_mmio_claims(g, ga + len - 1)) {
		g->mmio_exits++;
		if (len != 4 || (ga & 3)) {
			nae_error(gh, GHCB_ERR_INVALID_INPUT);
			return;
		}
		val = (u32)data;
		guest_plat_mmio(g, ga, write, &val);
		if (!write)
			data = val;
	} else if (g->dev_ops && g->dev_ops->mmio_claims(g, ga)) {
		if ((len != 4 && len != 8) || (ga & 3) || (ga & ~PAGE_MASK) + len > PAGE_SIZE) {
			nae_error(gh, GHCB_ERR_INVALID_INPUT);
			return;
		}
		s->st.mmio_nae_dev++;
		g->mmio_exits++;
		for (u64 k = 0; k < len; k += 4) {
			val = (u32)(data >> (8 * k));
			g->dev_ops->mmio(g, ga + k, write, &val);
			if (!write)
				data = (data & ~(0xFFFFFFFFULL << (8 * k))) | ((u64)val << (8 * k));
		}
	}
	if (!write && in_ghcb) {
		memcpy(in_ghcb, &data, len);
	} else if (!write && guest_write(g, gpa(scratch), &data, len)) {
		nae_error(gh, GHCB_ERR_INVALID_SCRATCH);
		return;
	}
	nae_ok(gh);
}

/* Pages a page-state change may not touch (docs/snp-guest.md "Page-state
 * change"): through the GHCB (via_ghcb), a conversion of the registered GHCB
 * to private, whose answer the hypervisor writes into that very page at the
 * end of the exit (56421 2.3.1.5 and 4.1.6: the GHCB is a shared page; the
 * entry is refused with PSC_ERROR_INVALID_ENTRY, nothing done); and, in both
 * protocols, the secrets page to shared (SNP ABI 56860 8.17.1, page type
 * SECRETS: it holds the VMPCKs, which the emulation does not encrypt). The
 * reason, or NULL. */
static const char *psc_protected(struct snp_guest *s, u64 ga, u64 size, unsigned op, bool via_ghcb)
{
	if (op == PSC_OP_PRIVATE && via_ghcb && s->ghcb_registered && s->ghcb_gpa >= ga &&
	    s->ghcb_gpa - ga < size)
		return "the registered GHCB (the hypervisor writes its answer there)";
	if (op == PSC_OP_SHARED && SNP_SECRETS_GPA >= ga && SNP_SECRETS_GPA - ga < size)
		return "the secrets page (VMPCKs)";
	return NULL;
}

static bool page_in_state(struct snp_guest *s, u64 ga, unsigned op)
{
	int r = s->be->is_shared ? s->be->is_shared(s->g, gpa(ga)) : -ENOSYS;

	return op == PSC_OP_PRIVATE ? r == -EPERM : r == 0;
}

/* The backend stopped part-way (gmem_convert_batch keeps the pieces it
 * converted, in GPA order, and fails): report what was done as 56421 4.1.6
 * defines it. In entry order: an entry whose pages all are in the target
 * state now is complete (cur_page = its pages, cur_entry moves past it); at
 * the first one that is not, cur_page = its leading pages in the target
 * state (4K steps of a 2M entry) and cur_entry = that entry. Later entries
 * are left as they are (the backend may have reached some of their pages:
 * sending them again is harmless, pages already in the target state are
 * left alone). Entries are pr[0..n) of this exit. */
static void psc_record_partial(struct snp_guest *s, u8 *buf, size_t len, const struct psc_range *pr,
			       unsigned n)
{
	struct psc_hdr *h = (struct psc_hdr *)buf;

	for (unsigned k = 0; k < n; k++) {
		u64 total = pr[k].size >> PAGE_SHIFT, done = 0;

		if (pr[k].op == PSC_OP_PRIVATE || pr[k].op == PSC_OP_SHARED)
			while (done < total &&
			       page_in_state(s, pr[k].gpa + done * PAGE_SIZE, pr[k].op))
				done++;
		else
			done = total; /* a hint: nothing to do */
		if (done && psc_advance(buf, len, pr[k].entry, (u32)done))
			return;
		s->st.psc_pages += done;
		if (done < total) {
			h->cur_entry = pr[k].entry;
			return;
		}
	}
}

/* The PSC NAE (56421 4.1.6). The request sits in the shared buffer at
 * SW_SCRATCH; the validator (snp/ghcb.c) reads a snapshot and returns the
 * remaining ranges or the error; up to SNP_PSC_ENTRIES_PER_EXIT entries go
 * to the backend as ONE request, then cur_entry/cur_page are advanced in the
 * guest's buffer and the guest is resumed (it loops until cur_entry passes
 * end_entry). */
static void nae_psc(struct snp_guest *s, struct ghcb *gh)
{
	static struct psc_range pr[PSC_MAX_ENTRIES];
	static struct gmem_range gr[PSC_MAX_ENTRIES];
	u64 scratch = gh->save.sw_scratch, off, exitinfo2, fp;
	unsigned nr = 0, n = 0, i;
	u8 *buf;
	size_t len;
	int ret;

	s->st.psc_exits++;
	if (!VALID(gh, sw_scratch) ||
	    !ghcb_scratch_in_shared_buffer(s->ghcb_gpa, scratch, sizeof(struct psc_hdr))) {
		nae_error(gh, GHCB_ERR_INVALID_SCRATCH);
		s->st.psc_rejected++;
		return;
	}
	off = scratch - s->ghcb_gpa;
	buf = (u8 *)gh + off;
	len = sizeof(*gh) - off - (sizeof(*gh) - GHCB_SHARED_BUF_OFFSET - GHCB_SHARED_BUF_SIZE);
	fp = fingerprint(s);
	ret = psc_validate(buf, len, s->g->mem_size, pr, &nr, &exitinfo2);
	if (ret) {
		s->st.psc_req++;
		s->st.psc_rejected++;
		gh->save.sw_exit_info_1 = 0;
		gh->save.sw_exit_info_2 = exitinfo2;
		check_after(s, true, fp);
		return;
	}
	for (i = 0; i < nr; i++) {
		const char *why = psc_protected(s, pr[i].gpa, pr[i].size, pr[i].op, true);

		if (!why)
			continue;
		pr_info("snp: guest %s: page-state change entry %u (gpa 0x%llx+0x%llx to %s) "
			"covers %s: refused, nothing changed\n",
			s->g->name, pr[i].entry, (unsigned long long)pr[i].gpa,
			(unsigned long long)pr[i].size,
			pr[i].op == PSC_OP_PRIVATE ? "private" : "shared", why);
		s->st.psc_req++;
		s->st.psc_rejected++;
		s->st.psc_protected++;
		gh->save.sw_exit_info_1 = 0;
		gh->save.sw_exit_info_2 = PSC_ERROR_INVALID_ENTRY;
		check_after(s, true, fp);
		return;
	}
	if (!((const struct psc_hdr *)buf)->cur_entry)
		s->st.psc_req++; /* a request counts once, at its first exit */
	for (i = 0; i < nr && n < SNP_PSC_ENTRIES_PER_EXIT; i++) {
		if (pr[i].op == PSC_OP_PSMASH || pr[i].op == PSC_OP_UNSMASH)
			continue; /* hints: gmem picks RMP page sizes itself */
		gr[n].gpa = gpa(pr[i].gpa);
		gr[n].size = pr[i].size;
		gr[n].to = pr[i].op == PSC_OP_PRIVATE ? GMEM_PRIVATE : GMEM_SHARED;
		n++;
	}
	ret = n ? do_psc(s, gr, n) : 0;
	if (ret) {
		/* Stopped, maybe part-way: progress in cur_entry/cur_page; what
		 * changed must pass the checker, nothing changed the fingerprint. */
		bool moved = fingerprint(s) != fp;

		psc_record_partial(s, buf, len, pr, i);
		s->st.psc_rejected++;
		if (moved)
			s->st.psc_partial++;
		pr_err("snp: guest %s: page-state change failed in the backend (%d)%s; cur_entry "
		       "%u\n",
		       s->g->name, ret, moved ? " part-way" : "",
		       ((const struct psc_hdr *)buf)->cur_entry);
		gh->save.sw_exit_info_1 = 0;
		gh->save.sw_exit_info_2 = PSC_ERROR_GENERIC;
		check_after(s, !moved, fp);
		return;
	}
	/* Record progress for the entries handled (i of them, in order). */
	for (unsigned k = 0; k < i; k++) {
		if (psc_advance(buf, len, pr[k].entry, (u32)(pr[k].size >> PAGE_SHIFT))) {
			nae_error(gh, GHCB_ERR_INVALID_INPUT);
			return;
		}
		s->st.psc_pages += pr[k].size >> PAGE_SHIFT;
	}
	if (i == nr) /* all done: cur_entry = end_entry + 1 */
		((struct psc_hdr *)buf)->cur_entry = (u16)(((struct psc_hdr *)buf)->end_entry + 1);
	check_after(s, false, 0);
	gh->save.sw_exit_info_1 = 0;
	gh->save.sw_exit_info_2 = 0;
}

/* SNP Guest Request NAE (56421 4.1.8, exit 0x8000_0011): SW_EXITINFO1 and
 * SW_EXITINFO2 are the GPAs of the guest's request and response pages,
 * which must be page-aligned, distinct, shared pages of the guest, the
 * response not the GHCB (handle_nae's write-back of its GHCB copy would
 * overwrite it; else GHCB_ERR_INVALID_INPUT, nothing read or written). The request (ciphertext
 * only: the guest encrypted it with its VMPCK) is copied into a hypervisor
 * page and SNP_GUEST_REQUEST issued through the backend (the firmware model
 * under QEMU, the PSP on hardware: the same code); the response is copied
 * back only on success. SW_EXITINFO2 = [63:32] hypervisor error, [31:0]
 * firmware status (Linux SNP_GUEST_ERR). */
static void nae_guest_request(struct snp_guest *s, struct ghcb *gh)
{
	static u8 req[PAGE_SIZE], resp[PAGE_SIZE]; /* one vCPU at a time */
	struct guest *g = s->g;
	u64 rq = gh->save.sw_exit_info_1, rs = gh->save.sw_exit_info_2;
	u32 fw = 0;
	int ret;

	s->st.guest_req++;
	if (!IS_ALIGNED(rq, PAGE_SIZE) || !IS_ALIGNED(rs, PAGE_SIZE) || rq == rs ||
	    rs == s->ghcb_gpa || !s->be->is_shared || s->be->is_shared(g, gpa(rq)) || s->be->is_shared(g, gpa(rs)) ||
	    guest_read(g, gpa(rq), req, PAGE_SIZE)) {
		s->st.guest_req_bad++;
		nae_error(gh, GHCB_ERR_INVALID_INPUT);
		return;
	}
	if (!s->be->guest_request) {
		s->st.guest_req_bad++;
		gh->save.sw_exit_info_1 = 0;
		gh->save.sw_exit_info_2 = FIELD_PREP(SNP_GUEST_ERR_VMM, SNP_GUEST_VMM_ERR_GENERIC);
		return;
	}
	ret = s->be->guest_request(g, req, resp, &fw);
	gh->save.sw_exit_info_1 = 0;
	if (ret == -EIO && fw) {
		s->st.guest_req_fw_err++;
		gh->save.sw_exit_info_2 = FIELD_PREP(SNP_GUEST_ERR_FW, fw);
		return;
	}
	if (ret || guest_write(g, gpa(rs), resp, PAGE_SIZE)) {
		pr_err("guest %s: SNP guest request failed in the hypervisor (%d)\n", g->name, ret);
		gh->save.sw_exit_info_2 = FIELD_PREP(SNP_GUEST_ERR_VMM, SNP_GUEST_VMM_ERR_GENERIC);
		return;
	}
	gh->save.sw_exit_info_2 = 0;
}

/* SNP Extended Guest Request NAE (56421 4.1.8, exit 0x8000_0012; Linux's
 * sev-guest uses it for every configfs-tsm report): a guest request as above
 * plus RAX = GPA of a certificate buffer of RBX pages, all shared. This
 * hypervisor holds no certificates (no VCEK/VLEK chain to hand out): it
 * writes an empty certificate table (the all-zero 24-byte terminator entry,
 * GUID + offset + length) into the buffer and leaves RBX as it is. Bad
 * buffers (also one holding the GHCB, as for the response page):
 * GHCB_ERR_INVALID_INPUT, nothing read or written. */
#define SNP_CERT_ENTRY_SIZE 24
#define SNP_CERT_PAGES_MAX  64
static void nae_ext_guest_request(struct snp_guest *s, struct ghcb *gh)
{
	static const u8 terminator[SNP_CERT_ENTRY_SIZE];
	struct guest *g = s->g;
	u64 buf = gh->save.rax, npages = gh->save.rbx;

	if (!VALID(gh, rax) || !VALID(gh, rbx)) {
		nae_error(gh, GHCB_ERR_MISSING_INPUT);
		return;
	}
	if (npages > SNP_CERT_PAGES_MAX ||
	    (npages &&
	     (!IS_ALIGNED(buf, PAGE_SIZE) ||
	      (s->ghcb_gpa >= buf && s->ghcb_gpa - buf < npages * PAGE_SIZE) ||
	      range_shared(s, g, buf, npages * PAGE_SIZE, false)))) {
		s->st.guest_req++;
		s->st.guest_req_bad++;
		nae_error(gh, GHCB_ERR_INVALID_INPUT);
		return;
	}
	s->st.ext_guest_req++;
	nae_guest_request(s, gh);
	if (npages && !gh->save.sw_exit_info_2 &&
	    guest_write(g, gpa(buf), terminator, sizeof(terminator)))
		gh->save.sw_exit_info_2 = FIELD_PREP(SNP_GUEST_ERR_VMM, SNP_GUEST_VMM_ERR_GENERIC);
}

/* HC_SNP_ATTESTED (hv/abi/hypercall.h): the guest hands back the MEASUREMENT of
 * the attestation report it obtained; it must equal the launch digest this
 * hypervisor printed ("@@ DIGEST", the firmware model's, or on hardware its
 * own), closing the chain snp-measure == hypervisor == firmware report. */
static s64 hc_attested(struct snp_guest *s, u64 where, u64 len)
{
	struct guest *g = s->g;
	u8 m[48];
	char hex[97], name[CFG_NAME_MAX + 32];
	bool ok;

	s->st.attested++;
	if (len != sizeof(m) || !s->be->is_shared || s->be->is_shared(g, gpa(where)) ||
	    s->be->is_shared(g, gpa(where + len - 1)) || guest_read(g, gpa(where), m, len))
		return HC_EFAULT;
	for (unsigned k = 0; k < sizeof(m); k++)
		snprintf(hex + 2 * k, 3, "%02x", m[k]);
	ok = g->mem.digest[0] && !strcmp(hex, g->mem.digest);
	snprintf(name, sizeof(name), "snp.%s.attested_digest", g->name);
	report_check(ok, name, "report MEASUREMENT %s %s launch digest %s", hex,
		     ok ? "==" : "!=", g->mem.digest[0] ? g->mem.digest : "(none)");
	return ok ? 0 : 1;
}

/* VMMCALL NAE (56421 4.1, Table of NAE events: exit code 0x81, inputs RAX
 * and CPL; the hypervisor defines the rest): snpvisor's hypercall ABI with
 * its argument registers RBX, RCX, RDX, RSI, all six required valid. The
 * common dispatcher runs (hv/svm/exits.c hc_dispatch); for an SNP guest every
 * GPA argument must be shared. Result in RAX. CPL > 0: HC_EPERM. */
static int nae_vmmcall(struct snp_guest *s, struct vcpu *v, struct ghcb *gh)
{
	struct hc_call c;
	int act = EXIT_RESUME;

	if (!VALID(gh, rax) || !VALID(gh, cpl) || !VALID(gh, rbx) || !VALID(gh, rcx) ||
	    !VALID(gh, rdx) || !VALID(gh, rsi)) {
		nae_error(gh, GHCB_ERR_MISSING_INPUT);
		return EXIT_RESUME;
	}
	s->st.hc_nae++;
	if (gh->save.cpl) {
		gh->save.rax = (u64)HC_EPERM;
	} else {
		c = (struct hc_call){gh->save.rax, gh->save.rbx, gh->save.rcx, gh->save.rdx,
				     gh->save.rsi};
		if (c.nr == HC_SNP_ATTESTED)
			gh->save.rax = (u64)hc_attested(s, c.a1, c.a2);
		else
			gh->save.rax = (u64)hc_dispatch(v, &c, &act);
	}
	SET_VALID(gh, rax);
	nae_ok(gh);
	return act;
}

static int handle_nae(struct snp_guest *s, struct vcpu *v, u64 ghcb_gpa)
{
	struct guest *g = s->g;
	struct ghcb *gh = &ghcb_buf;
	u64 code, fp, wb = sizeof(*gh);
	int act = EXIT_RESUME;

	s->st.nae++;
	if (!s->ghcb_registered || ghcb_gpa != s->ghcb_gpa) {
		guest_finish(g, GUEST_KILLED, "VMGEXIT with unregistered GHCB 0x%llx",
			     (unsigned long long)ghcb_gpa);
		return EXIT_STOP;
	}
	/* The GHCB must still be shared: the hypervisor never touches private
	 * memory (the guest may have converted it back). */
	if (!s->be->is_shared || s->be->is_shared(g, gpa(ghcb_gpa)) ||
	    guest_read(g, gpa(ghcb_gpa), gh, sizeof(*gh))) {
		guest_finish(g, GUEST_KILLED, "GHCB 0x%llx is not a shared page of the guest",
			     (unsigned long long)ghcb_gpa);
		return EXIT_STOP;
	}
	code = gh->save.sw_exit_code;
	if (gh->ghcb_usage != GHCB_USAGE_STANDARD) {
		nae_error(gh, GHCB_ERR_INVALID_USAGE);
		goto out;
	}
	if (!VALID(gh, sw_exit_code) || !VALID(gh, sw_exit_info_1) || !VALID(gh, sw_exit_info_2)) {
		nae_error(gh, GHCB_ERR_MISSING_INPUT);
		goto out;
	}
	/* the NAE event that answers the last injected #VC (emulation) */
	if (s->vc_pending && code == s->vc_pending) {
		int r = vc_reason((u32)code);

		if (r >= 0)
			s->st.vc_served[r]++;
		s->vc_pending = 0;
	}
	switch (code) {
	case SVM_EXIT_CPUID:
		nae_cpuid(s, gh);
		break;
	case SVM_EXIT_MSR:
		nae_msr(s, v, gh);
		break;
	case SVM_EXIT_IOIO:
		nae_ioio(s, gh);
		break;
	case SVM_EXIT_VMMCALL:
		act = nae_vmmcall(s, v, gh);
		if (act == EXIT_STOP)
			return act; /* HC_EXIT: the guest is finished */
		/* only the save area goes back: a hypercall may have written
		 * its result into the GHCB's shared buffer */
		wb = sizeof(gh->save);
		break;
	case SVM_VMGEXIT_PSC:
		nae_psc(s, gh);
		break;
	case SVM_VMGEXIT_MMIO_READ:
	case SVM_VMGEXIT_MMIO_WRITE:
		nae_mmio(s, gh, code == SVM_VMGEXIT_MMIO_WRITE);
		break;
	case SVM_VMGEXIT_GUEST_REQUEST:
		nae_guest_request(s, gh);
		break;
	case SVM_VMGEXIT_EXT_GUEST_REQUEST:
		nae_ext_guest_request(s, gh);
		break;
	case SVM_VMGEXIT_HV_FEATURES:
		gh->save.sw_exit_info_2 = GHCB_MSR_HV_FT_SNP;
		gh->save.sw_exit_info_1 = 0;
		break;
	case SVM_VMGEXIT_TERM_REQUEST:
		return terminate(s, (unsigned)FIELD_GET(GHCB_NAE_TERM_SET, gh->save.sw_exit_info_1),
				 (unsigned)FIELD_GET(GHCB_NAE_TERM_CODE, gh->save.sw_exit_info_1),
				 VALID(gh, sw_exit_info_2) ? gh->save.sw_exit_info_2 : 0, "GHCB");
	default:
		nae_error(gh, GHCB_ERR_INVALID_EVENT);
		break;
	}
out:
	(void)fp;
	SET_VALID(gh, sw_exit_info_1);
	SET_VALID(gh, sw_exit_info_2);
	/* Through the one checked write path: if the GHCB stopped being a
	 * shared page during this exit, nothing is written and the guest ends. */
	if (guest_write(g, gpa(ghcb_gpa), gh, wb)) {
		guest_finish(g, GUEST_KILLED,
			     "GHCB 0x%llx is no longer a shared page: the answer cannot be written",
			     (unsigned long long)ghcb_gpa);
		return EXIT_STOP;
	}
	return act;
}

/* Emulation only (hv/svm/exits.c emulate_vmgexit): is the instruction at the
 * guest's RIP a VMGEXIT (F3 0F 01 D9), read through its page tables? */
bool snp_vmgexit_at_rip(struct vcpu *v)
{
	u8 b[SNP_INSN_LEN];

	return snp_guest_of(v->guest) && !read_guest_va(v, guest_rip_linear(v), b, sizeof(b)) &&
	       snp_insn_is_vmgexit(b, sizeof(b));
}

/* Exit 0x403 (APM vol 2, 15.35.5): the guest's GHCB MSR value is in
 * control.ghcb_gpa and the answer of an MSR-protocol request goes back
 * there (hardware copies both ways; so does the emulation). The processor
 * owns RIP on hardware; the emulation advanced it before calling. */
int snp_handle_vmgexit(struct vcpu *v)
{
	struct snp_guest *s = snp_guest_of(v->guest);
	struct vmcb_control_area *c = &v->vmcb->control;
	u64 val = c->ghcb_gpa, resp = 0;
	int act;

	if (!s) {
		guest_finish(v->guest, GUEST_KILLED, "VMGEXIT from a non-SNP guest");
		return EXIT_STOP;
	}
	s->st.vmgexit++;
	if (ghcb_msr_info(val) == 0)
		return handle_nae(s, v, val);
	act = snp_msr_protocol(s, val, &resp);
	if (act != EXIT_STOP)
		c->ghcb_gpa = resp;
	return act;
}

/* ---- lifecycle ---------------------------------------------------------------------- */

int snp_guest_init(struct guest *g, const struct snp_backend *be)
{
	struct snp_guest *s;

	if (!g->snp || g->id >= CFG_MAX_GUESTS || !be || !be->psc)
		return -EINVAL;
	s = &snp_guests[g->id];
	memset(s, 0, sizeof(*s));
	s->g = g;
	s->be = be;
	s->active = true;
	pr_info("snp: guest %s: SNP protocol on, page states through %s\n", g->name, be->name);
	return 0;
}

/* Events per second between the first and the last one (round trips, guest
 * time included: meaningful for a guest that loops on them). */
static void metric_rate(struct guest *g, const char *what, u64 count, u64 first, u64 last)
{
	char name[64];

	if (!snp_clock_khz || count < 2 || last <= first)
		return;
	snprintf(name, sizeof(name), "snp.%s.%s", g->name, what);
	report_metric(name, (count - 1) * snp_clock_khz * 1000 / (last - first), "1/s");
}

/* The #VC the emulation injected and the hypercalls through the GHCB: one
 * line of counts (scenarios match it with expect-line) and two checks:
 * every #VC injected for CPUID/MSR/IOIO/VMMCALL was answered by its NAE
 * event (the guest's #VC handler ran and used the GHCB), and every GPA a
 * hypercall passed was a shared page (refusals are counted, and expected
 * only from a guest that tests them). */
static void vc_report(struct guest *g, struct snp_guest *s)
{
	char name[64];
	u64 inj = 0, srv = 0;
	unsigned i;

	/* A Linux guest answers CPUID from its CPUID page (and the MSR
	 * protocol), not through the CPUID NAE: its CPUID #VCs are not counted. */
	for (i = g->is_linux ? 1 : 0; i < SNP_VC_NPF; i++) {
		inj += s->st.vc_injected[i];
		srv += s->st.vc_served[i];
	}
	if (s->st.rmpadjust || s->st.mmio_nae)
		pr_info("snp: guest %s: RMPADJUST %llu, MMIO NAE events %llu (%llu on a device's "
			"trapped MSI-X page)\n",
			g->name, (unsigned long long)s->st.rmpadjust,
			(unsigned long long)s->st.mmio_nae, (unsigned long long)s->st.mmio_nae_dev);
	if (g->is_linux) {
		snprintf(name, sizeof(name), "snp.%s.mmio_nae_device", g->name);
		report_metric(name, s->st.mmio_nae_dev, "events");
	}
	pr_info("snp: guest %s: #VC injected: %s %llu/%llu, %s %llu/%llu, %s %llu/%llu, %s "
		"%llu/%llu (injected/served), %s %llu; hypercalls through the GHCB %llu, GPA "
		"arguments shared %llu, refused %llu\n",
		g->name, vc_reason_names[0], (unsigned long long)s->st.vc_injected[0],
		(unsigned long long)s->st.vc_served[0], vc_reason_names[1],
		(unsigned long long)s->st.vc_injected[1], (unsigned long long)s->st.vc_served[1],
		vc_reason_names[2], (unsigned long long)s->st.vc_injected[2],
		(unsigned long long)s->st.vc_served[2], vc_reason_names[3],
		(unsigned long long)s->st.vc_injected[3], (unsigned long long)s->st.vc_served[3],
		vc_reason_names[4], (unsigned long long)s->st.vc_injected[4],
		(unsigned long long)s->st.hc_nae, (unsigned long long)s->st.hc_gpa_shared,
		(unsigned long long)s->st.hc_gpa_refused);
	snprintf(name, sizeof(name), "snp.%s.vc_served", g->name);
	report_check(srv == inj, name,
		     "%llu #VC injected for CPUID/MSR/IOIO/VMMCALL, %llu answered by their NAE "
		     "event",
		     (unsigned long long)inj, (unsigned long long)srv);
	if (s->st.guest_req)
		pr_info("snp: guest %s: guest requests %llu (firmware refused %llu, hypervisor "
			"refused %llu), attested digests %llu\n",
			g->name, (unsigned long long)s->st.guest_req,
			(unsigned long long)s->st.guest_req_fw_err,
			(unsigned long long)s->st.guest_req_bad,
			(unsigned long long)s->st.attested);
	if (s->st.guest_req) {
		snprintf(name, sizeof(name), "snp.%s.guest_requests", g->name);
		report_metric(name, s->st.guest_req, "requests");
		snprintf(name, sizeof(name), "snp.%s.ext_guest_requests", g->name);
		report_metric(name, s->st.ext_guest_req, "requests");
		snprintf(name, sizeof(name), "snp.%s.guest_requests_refused", g->name);
		report_metric(name, s->st.guest_req_fw_err + s->st.guest_req_bad, "requests");
	}
	if (!s->st.hc_nae)
		return;
	snprintf(name, sizeof(name), "snp.%s.hypercalls_ghcb", g->name);
	report_check(s->st.hc_gpa_shared > 0, name,
		     "%llu hypercalls through the GHCB, %llu GPA arguments on shared pages, %llu "
		     "refused",
		     (unsigned long long)s->st.hc_nae, (unsigned long long)s->st.hc_gpa_shared,
		     (unsigned long long)s->st.hc_gpa_refused);
}

void snp_guest_fini(struct guest *g)
{
	struct snp_guest *s = snp_guest_of(g);
	char name[64];
	int chk = 0;

	if (!s)
		return;
	if (s->be->check)
		chk = s->be->check(g);
	pr_info("snp: guest %s: %llu PVALIDATE (%llu CF=1, %llu faults, %llu splits), %llu VMGEXIT "
		"(%llu MSR protocol, %llu NAE), %llu PSC requests (%llu rejected, %llu exits, %llu "
		"pages)\n",
		g->name, (unsigned long long)s->st.pvalidate,
		(unsigned long long)s->st.pvalidate_cf, (unsigned long long)s->st.pvalidate_flt,
		(unsigned long long)s->st.npf_sizem, (unsigned long long)s->st.vmgexit,
		(unsigned long long)s->st.msr_proto, (unsigned long long)s->st.nae,
		(unsigned long long)s->st.psc_req, (unsigned long long)s->st.psc_rejected,
		(unsigned long long)s->st.psc_exits, (unsigned long long)s->st.psc_pages);
	pr_info("snp: guest %s: hypervisor writes into guest memory %llu (refused, page not "
		"shared: %llu); PSC refused for protected pages %llu, stopped part-way %llu\n",
		g->name, (unsigned long long)s->st.hv_writes,
		(unsigned long long)s->st.hv_write_refused, (unsigned long long)s->st.psc_protected,
		(unsigned long long)s->st.psc_partial);
	/* Totals for expect-metric (tests/qemu/linux-snp-nvme*.cfg) */
	snprintf(name, sizeof(name), "snp.%s.psc_requests", g->name);
	report_metric(name, s->st.psc_req, "requests");
	snprintf(name, sizeof(name), "snp.%s.psc_pages", g->name);
	report_metric(name, s->st.psc_pages, "pages");
	snprintf(name, sizeof(name), "snp.%s.npf_splits", g->name);
	report_metric(name, s->st.npf_sizem, "splits");
	metric_rate(g, "pvalidate_per_s", s->st.pvalidate, s->st.pv_first, s->st.pv_last);
	metric_rate(g, "psc_per_s", s->st.psc_req - s->st.psc_rejected, s->st.psc_first,
		    s->st.psc_last);
	/* Every VMGEXIT went through the exit-0x403 handler (under emulation:
	 * emulate_vmgexit) and was counted as exit 0x403. */
	if (s->st.vmgexit) {
		u64 n = (g->vcpu ? g->vcpu->exit_counts : g->exit_counts)[EXIT_STAT_VMGEXIT];

		snprintf(name, sizeof(name), "snp.%s.vmgexit_0x403", g->name);
		report_check(n == s->st.vmgexit, name,
			     "%llu VMGEXITs handled, %llu exits with code 0x403",
			     (unsigned long long)s->st.vmgexit, (unsigned long long)n);
	}
	vc_report(g, s);
	snprintf(name, sizeof(name), "snp.%s.cbit", g->name);
	report_check(!s->st.pv_cbit0, name,
		     "%llu PVALIDATE through a leaf without the C-bit (bit %u), %llu through "
		     "tables without it",
		     (unsigned long long)s->st.pv_cbit0, GUEST_CBIT,
		     (unsigned long long)s->st.pv_cbit0_tables);
	snprintf(name, sizeof(name), "snp.%s.pagestate_check", g->name);
	report_check(!chk && !s->st.check_fail, name, "%llu failed checks, final check %d",
		     (unsigned long long)s->st.check_fail, chk);
	if (s->be->fini)
		s->be->fini(g);
	s->active = false;
}
