/* GHCB protocol encoders/decoders and the PSC validator (see ghcb.h). */
#include "snp/ghcb.h"

#include <errno.h>
#include <string.h>

#include "hv/base/log.h"

/* ---- GHCB page ------------------------------------------------------------- */

bool ghcb_field_valid(const struct ghcb *g, unsigned bit)
{
	return bit < 128 && (g->save.valid_bitmap[bit / 8] & (1u << (bit % 8)));
}

void ghcb_set_field_valid(struct ghcb *g, unsigned bit)
{
	if (bit < 128)
		g->save.valid_bitmap[bit / 8] |= (u8)(1u << (bit % 8));
}

void ghcb_clear_valid(struct ghcb *g)
{
	memset(g->save.valid_bitmap, 0, sizeof(g->save.valid_bitmap));
}

bool ghcb_scratch_in_shared_buffer(u64 ghcb_gpa, u64 scratch, u64 len)
{
	u64 lo = ghcb_gpa + GHCB_SHARED_BUF_OFFSET;

	if (!IS_ALIGNED(ghcb_gpa, PAGE_SIZE) || len > GHCB_SHARED_BUF_SIZE)
		return false;
	return scratch >= lo && scratch - lo <= GHCB_SHARED_BUF_SIZE - len;
}

/* ---- MSR protocol (56421 2.3.1) ------------------------------------------- */

u64 ghcb_msr_sev_info_resp(u16 max_proto, u16 min_proto, u8 cbit)
{
	return FIELD_PREP(GHCB_MSR_SEV_INFO_MAX, max_proto) |
	       FIELD_PREP(GHCB_MSR_SEV_INFO_MIN, min_proto) |
	       FIELD_PREP(GHCB_MSR_SEV_INFO_CBIT, cbit) | GHCB_MSR_SEV_INFO_RESP;
}

u64 ghcb_msr_cpuid_req(u32 fn, unsigned reg)
{
	return FIELD_PREP(GHCB_MSR_CPUID_FN, fn) | FIELD_PREP(GHCB_MSR_CPUID_REG, reg) |
	       GHCB_MSR_CPUID_REQ;
}

int ghcb_msr_cpuid_req_decode(u64 v, u32 *fn, unsigned *reg)
{
	if (ghcb_msr_info(v) != GHCB_MSR_CPUID_REQ || (v & GHCB_MSR_CPUID_RSVD))
		return -EINVAL;
	*fn = (u32)FIELD_GET(GHCB_MSR_CPUID_FN, v);
	*reg = (unsigned)FIELD_GET(GHCB_MSR_CPUID_REG, v);
	return 0;
}

u64 ghcb_msr_cpuid_resp(u32 value, unsigned reg)
{
	return FIELD_PREP(GHCB_MSR_CPUID_VALUE, value) | FIELD_PREP(GHCB_MSR_CPUID_REG, reg) |
	       GHCB_MSR_CPUID_RESP;
}

u64 ghcb_msr_reg_gpa_req(u64 gfn)
{
	return FIELD_PREP(GHCB_MSR_GFN, gfn) | GHCB_MSR_REG_GPA_REQ;
}

int ghcb_msr_reg_gpa_req_decode(u64 v, u64 *gfn)
{
	if (ghcb_msr_info(v) != GHCB_MSR_REG_GPA_REQ)
		return -EINVAL;
	*gfn = FIELD_GET(GHCB_MSR_GFN, v);
	return 0;
}

u64 ghcb_msr_reg_gpa_resp(u64 gfn)
{
	return FIELD_PREP(GHCB_MSR_GFN, gfn) | GHCB_MSR_REG_GPA_RESP;
}

u64 ghcb_msr_psc_req(u64 gfn, unsigned op)
{
	return FIELD_PREP(GHCB_MSR_PSC_OP, op) | FIELD_PREP(GHCB_MSR_PSC_GFN, gfn) |
	       GHCB_MSR_PSC_REQ;
}

int ghcb_msr_psc_req_decode(u64 v, u64 *gfn, unsigned *op)
{
	unsigned o = (unsigned)FIELD_GET(GHCB_MSR_PSC_OP, v);

	if (ghcb_msr_info(v) != GHCB_MSR_PSC_REQ || (v & GHCB_MSR_PSC_RSVD) ||
	    (o != PSC_OP_PRIVATE && o != PSC_OP_SHARED))
		return -EINVAL;
	*gfn = FIELD_GET(GHCB_MSR_PSC_GFN, v);
	*op = o;
	return 0;
}

u64 ghcb_msr_psc_resp(u32 error)
{
	return FIELD_PREP(GHCB_MSR_PSC_RESP_ERROR, error) | GHCB_MSR_PSC_RESP;
}

u64 ghcb_msr_term_req(unsigned set, unsigned code)
{
	return FIELD_PREP(GHCB_MSR_TERM_SET, set) | FIELD_PREP(GHCB_MSR_TERM_CODE, code) |
	       GHCB_MSR_TERM_REQ;
}

int ghcb_msr_term_decode(u64 v, unsigned *set, unsigned *code)
{
	if (ghcb_msr_info(v) != GHCB_MSR_TERM_REQ)
		return -EINVAL;
	*set = (unsigned)FIELD_GET(GHCB_MSR_TERM_SET, v);
	*code = (unsigned)FIELD_GET(GHCB_MSR_TERM_CODE, v);
	return 0;
}

const char *ghcb_nae_name(u64 exit_code)
{
	switch (exit_code) {
	case SVM_VMGEXIT_MMIO_READ:
		return "vmgexit_mmio_read";
	case SVM_VMGEXIT_MMIO_WRITE:
		return "vmgexit_mmio_write";
	case SVM_VMGEXIT_NMI_COMPLETE:
		return "vmgexit_nmi_complete";
	case SVM_VMGEXIT_AP_HLT_LOOP:
		return "vmgexit_ap_hlt_loop";
	case SVM_VMGEXIT_AP_JUMP_TABLE:
		return "vmgexit_ap_jump_table";
	case SVM_VMGEXIT_PSC:
		return "vmgexit_page_state_change";
	case SVM_VMGEXIT_GUEST_REQUEST:
		return "vmgexit_guest_request";
	case SVM_VMGEXIT_EXT_GUEST_REQUEST:
		return "vmgexit_ext_guest_request";
	case SVM_VMGEXIT_AP_CREATION:
		return "vmgexit_ap_creation";
	case SVM_VMGEXIT_SNP_RUN_VMPL:
		return "vmgexit_snp_run_vmpl";
	case SVM_VMGEXIT_HV_FEATURES:
		return "vmgexit_hypervisor_feature";
	case SVM_VMGEXIT_TERM_REQUEST:
		return "vmgexit_termination_request";
	case SVM_VMGEXIT_UNSUPPORTED_EVENT:
		return "vmgexit_unsupported_event";
	default:
		return NULL;
	}
}

/* ---- page state change (56421 4.1.6) -------------------------------------- */

u64 psc_entry(u64 gfn, unsigned op, bool huge, unsigned cur_page)
{
	return FIELD_PREP(PSC_ENTRY_CUR_PAGE, cur_page) | FIELD_PREP(PSC_ENTRY_GFN, gfn) |
	       FIELD_PREP(PSC_ENTRY_OP, op) | (huge ? PSC_ENTRY_2M : 0);
}

static int psc_fail(u64 *exitinfo2, u64 code, unsigned *nr)
{
	*exitinfo2 = code;
	*nr = 0;
	return -EINVAL;
}

int psc_validate(const void *buf, size_t len, u64 guest_mem, struct psc_range *out, unsigned *nr,
		 u64 *exitinfo2)
{
	struct psc_desc d; /* private snapshot: the guest can rewrite the buffer */
	unsigned n = 0, cur, end;

	if (!buf || !out || !nr || !exitinfo2)
		return -EINVAL;
	*nr = 0;
	*exitinfo2 = 0;
	if (len < sizeof(struct psc_hdr))
		return psc_fail(exitinfo2, PSC_ERROR_INVALID_HDR, nr);
	memset(&d, 0, sizeof(d));
	memcpy(&d, buf, MIN(len, sizeof(d)));
	cur = d.hdr.cur_entry;
	end = d.hdr.end_entry;

	/* Header: end_entry is the index of the last entry (KVM: idx <=
	 * idx_end), so at most 252; cur_entry == end_entry + 1 means "all
	 * done" (what the hypervisor leaves behind), anything past that is
	 * malformed; the entries must lie in the buffer the guest gave us. */
	if (end >= PSC_MAX_ENTRIES || cur > end + 1 || d.hdr.reserved ||
	    sizeof(struct psc_hdr) + (u64)(end + 1) * sizeof(u64) > len)
		return psc_fail(exitinfo2, PSC_ERROR_INVALID_HDR, nr);

	for (unsigned k = cur; k <= end; k++) {
		u64 e = d.entries[k];
		unsigned op = (unsigned)FIELD_GET(PSC_ENTRY_OP, e);
		bool huge = e & PSC_ENTRY_2M;
		u64 pages = huge ? PSC_PAGES_2M : 1;
		u64 done = FIELD_GET(PSC_ENTRY_CUR_PAGE, e);
		u64 gfn = FIELD_GET(PSC_ENTRY_GFN, e);
		u64 gpa_ = gfn << PAGE_SHIFT;

		if ((e & PSC_ENTRY_RSVD) || op < PSC_OP_PRIVATE || op > PSC_OP_UNSMASH ||
		    done > pages || (huge && !IS_ALIGNED(gfn, PSC_PAGES_2M)) || gpa_ >= guest_mem ||
		    guest_mem - gpa_ < pages * PAGE_SIZE)
			return psc_fail(exitinfo2, PSC_ERROR_INVALID_ENTRY, nr);
		if (done == pages)
			continue; /* finished earlier */
		out[n].gpa = gpa_ + done * PAGE_SIZE;
		out[n].size = (pages - done) * PAGE_SIZE;
		out[n].entry = (u16)k;
		out[n].op = (u8)op;
		out[n].huge = huge;
		for (unsigned j = 0; j < n; j++)
			if (out[j].gpa < out[n].gpa + out[n].size &&
			    out[n].gpa < out[j].gpa + out[j].size)
				return psc_fail(exitinfo2, PSC_ERROR_INVALID_ENTRY, nr);
		n++;
	}
	*nr = n;
	return 0;
}

int psc_advance(void *buf, size_t len, u16 entry, u32 pages)
{
	struct psc_desc *d = buf;
	u64 e, total, done;

	if (!buf || len < sizeof(struct psc_hdr) + ((size_t)entry + 1) * sizeof(u64) ||
	    entry >= PSC_MAX_ENTRIES || entry < d->hdr.cur_entry || entry > d->hdr.end_entry) {
		pr_err("psc: advance of entry %u: outside the pending entries\n", entry);
		return -EINVAL;
	}
	e = d->entries[entry];
	total = (e & PSC_ENTRY_2M) ? PSC_PAGES_2M : 1;
	done = FIELD_GET(PSC_ENTRY_CUR_PAGE, e);
	if (done > total || pages > total - done) {
		pr_err("psc: advance of entry %u by %u pages overflows it\n", entry, pages);
		return -EINVAL;
	}
	done += pages;
	d->entries[entry] = FIELD_SET(PSC_ENTRY_CUR_PAGE, e, done);
	if (done == total)
		d->hdr.cur_entry = (u16)(entry + 1);
	return 0;
}
