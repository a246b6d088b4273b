/* SEV-SNP firmware model (see psp_model.h; rules and choices in docs/snp.md).
 * Section numbers refer to the SNP firmware ABI, AMD 56860. */
#include "snp/psp_model.h"

#include <errno.h>
#include <string.h>

#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "snp/aes_gcm.h"
#include "snp/guest_msg.h"
#include "snp/sev_fw.h"
#include "snp/sha384.h"

/* The context the model keeps in the GCTX page (its layout is firmware
 * private: 56860 only says the page holds the guest context). */
#define GCTX_MAGIC 0x5854434750534E53ULL /* "SNSPGCTX" */
struct model_gctx {
	u64 magic;
	u32 state;
	u32 asid;
	u64 policy;
	u64 pages_launched;
	struct snp_measure ld;
	u8 host_data[32];
	/* guest messages (56860 8.26): the keys written to the secrets page and,
	 * per key, the sequence number of the last message (0: none yet) */
	bool has_secrets;
	u8 vmpck[SNP_VMPCK_COUNT][SNP_VMPCK_SIZE];
	u64 msg_seqno[SNP_VMPCK_COUNT];
	u8 report_id[32];
	u64 launch_tcb;
};
_Static_assert(sizeof(struct model_gctx) <= PAGE_SIZE, "gctx fits in its page");

/* Secrets page written at LAUNCH_UPDATE(SECRETS): struct snp_secrets_page
 * (snp/guest_msg.h), version 2 (what the firmware of API 1.55 writes). */
#define MODEL_SECRETS_VERSION 2

#define API_DEFAULT_MAJOR 1
#define API_DEFAULT_MINOR 55

/* ---- helpers -------------------------------------------------------------- */

static bool mem_is_zero(const void *p, size_t n)
{
	const u8 *b = p;

	for (size_t k = 0; k < n; k++)
		if (b[k])
			return false;
	return true;
}

static bool asid_dirty(const struct psp_model *m, u32 asid)
{
	return m->asid_dirty[asid / 64] & BIT(asid % 64);
}

static void set_asid_dirty(struct psp_model *m, u32 asid, bool dirty)
{
	if (dirty)
		m->asid_dirty[asid / 64] |= BIT(asid % 64);
	else
		m->asid_dirty[asid / 64] &= ~BIT(asid % 64);
}

/* A page the firmware reads or writes as a buffer must be covered by the
 * RMP; the mailbox buffer must be hypervisor memory (56860 4.x). */
static u32 check_buffer(struct psp_model *m, spa_t buf, u64 len)
{
	struct rmp_info i;
	u64 first = ALIGN_DOWN(spa_val(buf), PAGE_SIZE);
	u64 last = ALIGN_DOWN(spa_val(buf) + len - 1, PAGE_SIZE);

	if (!spa_val(buf) || spa_val(buf) + len < spa_val(buf))
		return SEV_RET_INVALID_ADDRESS;
	for (u64 p = first; p <= last; p += PAGE_SIZE) {
		if (!rmp_covers(m->rmp, spa(p)) || rmp_lookup(m->rmp, spa(p), &i, NULL))
			return SEV_RET_INVALID_ADDRESS;
		if (i.assigned)
			return SEV_RET_INVALID_PAGE_STATE;
	}
	return SEV_RET_SUCCESS;
}

static u32 read_buf(struct psp_model *m, spa_t buf, void *out, size_t len)
{
	u32 rc = check_buffer(m, buf, len);

	if (rc == SEV_RET_SUCCESS)
		memcpy(out, phys_ptr(buf), len);
	return rc;
}

static void write_buf(spa_t buf, const void *in, size_t len)
{
	memcpy(phys_ptr(buf), in, len);
}

/* A firmware page (56860 "Page States": assigned, ASID 0, immutable). */
static u32 check_fw_page(struct psp_model *m, u64 pa)
{
	struct rmp_info i;

	if (!pa || !IS_ALIGNED(pa, PAGE_SIZE) || !rmp_covers(m->rmp, spa(pa)))
		return SEV_RET_INVALID_ADDRESS;
	if (rmp_lookup(m->rmp, spa(pa), &i, NULL))
		return SEV_RET_INVALID_ADDRESS;
	if (rmp_info_state(&i) != RMP_PS_FIRMWARE)
		return SEV_RET_INVALID_PAGE_STATE;
	if (i.pagesize != RMP_PG_SIZE_4K)
		return SEV_RET_INVALID_PAGE_SIZE;
	return SEV_RET_SUCCESS;
}

/* The slot holding context pa; pa 0 finds a free slot. -1 if none. */
static int gctx_slot(const struct psp_model *m, u64 pa)
{
	for (int s = 0; s < PSP_MODEL_MAX_GUESTS; s++)
		if (m->gctx[s] == pa)
			return s;
	return -1;
}

/* The live guest context at pa, or a status. */
static u32 lookup_gctx(struct psp_model *m, u64 pa, struct model_gctx **out)
{
	struct model_gctx *g;

	if (!pa || !IS_ALIGNED(pa, PAGE_SIZE))
		return SEV_RET_INVALID_ADDRESS;
	if (gctx_slot(m, pa) < 0)
		return SEV_RET_INVALID_GUEST;
	g = phys_ptr(spa(pa));
	if (g->magic != GCTX_MAGIC) /* only the firmware writes the page */
		return SEV_RET_INVALID_GUEST;
	*out = g;
	return SEV_RET_SUCCESS;
}

static u32 need_init(const struct psp_model *m)
{
	return m->state == SNP_PSTATE_INIT ? SEV_RET_SUCCESS : SEV_RET_INVALID_PLATFORM_STATE;
}

static int fw_write(struct psp_model *m, u64 pa, const struct rmp_info *i)
{
	int rc = rmp_model_fw_write(m->rmp, spa(pa), i);

	if (rc)
		pr_err("psp-model: RMP write at %#llx failed (%d)\n", (unsigned long long)pa, rc);
	return rc;
}

/* Fresh key material: SHA-384 over the model's seed, a counter that never
 * repeats, a label and the context address. The seed mixes the TSC at
 * psp_model_init() with whatever psp_model_add_entropy() adds (the
 * hypervisor: RDRAND when the CPU has it). Not a vetted DRBG: good enough
 * for keys that an emulation must not hard-code, not for real secrets. */
static void model_random(struct psp_model *m, const char *label, u64 gctx, u8 *out, size_t len)
{
	struct sha384_ctx c;
	u8 h[SHA384_DIGEST_SIZE];

	while (len) {
		size_t n = MIN(len, sizeof(h));

		sha384_init(&c);
		sha384_update(&c, m->seed, sizeof(m->seed));
		sha384_update(&c, &m->rand_counter, sizeof(m->rand_counter));
		sha384_update(&c, label, strlen(label));
		sha384_update(&c, &gctx, sizeof(gctx));
		sha384_final(&c, h);
		m->rand_counter++;
		memcpy(out, h, n);
		out += n;
		len -= n;
	}
	memset(h, 0, sizeof(h));
}

/* ---- platform commands (56860 8.2-8.9) ----------------------------------- */

static u32 cmd_snp_init(struct psp_model *m, spa_t buf, bool ex)
{
	struct sev_data_snp_init_ex d;
	u32 rc;

	if (m->state != SNP_PSTATE_UNINIT)
		return SEV_RET_INVALID_PLATFORM_STATE;
	if (ex) {
		rc = read_buf(m, buf, &d, sizeof(d));
		if (rc)
			return rc;
		if (d.rsvd1)
			return SEV_RET_INVALID_PARAM;
		for (size_t k = 0; k < sizeof(d.rsvd2); k++)
			if (d.rsvd2[k])
				return SEV_RET_INVALID_PARAM;
		if (d.flags & ~SNP_INIT_EX_INIT_RMP)
			return SEV_RET_UNSUPPORTED; /* range list, RAPL, ciphertext hiding, TIO */
		if (d.list_paddr || d.max_snp_asid)
			return SEV_RET_INVALID_PARAM;
	}
	/* The RMP itself was set up (zeroed, table pages FIRMWARE) by
	 * rmp_init_model(), as SNP_INIT does on hardware. */
	m->state = SNP_PSTATE_INIT;
	return SEV_RET_SUCCESS;
}

static u32 cmd_snp_shutdown(struct psp_model *m)
{
	if (m->guest_count)
		return SEV_RET_ACTIVE; /* model choice: decommission guests first */
	m->state = SNP_PSTATE_UNINIT;
	return SEV_RET_SUCCESS;
}

static u32 cmd_platform_status(struct psp_model *m, spa_t buf)
{
	struct sev_data_snp_addr d;
	struct sev_snp_platform_status st;
	u32 rc = read_buf(m, buf, &d, sizeof(d));

	if (rc)
		return rc;
	/* The status page must be a firmware page (Linux marks it so). */
	rc = check_fw_page(m, d.address);
	if (rc)
		return rc;
	memset(&st, 0, sizeof(st));
	st.api_major = m->cfg.api_major;
	st.api_minor = m->cfg.api_minor;
	st.state = m->state;
	st.flags = SNP_STATUS_RMP_INIT;
	st.build_id = m->cfg.build;
	st.guest_count = m->guest_count;
	st.current_tcb_version = m->cfg.tcb_version;
	st.reported_tcb_version = m->cfg.tcb_version;
	write_buf(spa(d.address), &st, sizeof(st));
	return SEV_RET_SUCCESS;
}

static u32 cmd_df_flush(struct psp_model *m)
{
	u32 rc = need_init(m);

	if (rc)
		return rc;
	memset(m->asid_dirty, 0, sizeof(m->asid_dirty));
	return SEV_RET_SUCCESS;
}

/* ---- guest commands -------------------------------------------------------- */

static u32 cmd_gctx_create(struct psp_model *m, spa_t buf)
{
	struct sev_data_snp_addr d;
	struct model_gctx *g;
	int slot;
	u32 rc = need_init(m);

	if (rc || (rc = read_buf(m, buf, &d, sizeof(d))))
		return rc;
	/* 56860 8.12: the page must be in the Firmware state. */
	rc = check_fw_page(m, d.address);
	if (rc)
		return rc;
	if (gctx_slot(m, d.address) >= 0)
		return SEV_RET_INVALID_PAGE_STATE; /* already a live context */
	slot = gctx_slot(m, 0);
	if (slot < 0)
		return SEV_RET_RESOURCE_LIMIT;
	g = phys_ptr(spa(d.address));
	memset(g, 0, PAGE_SIZE);
	g->magic = GCTX_MAGIC;
	g->state = SNP_GSTATE_INIT;
	m->gctx[slot] = d.address;
	m->guest_count++;
	return SEV_RET_SUCCESS;
}

static u32 check_policy(const struct psp_model *m, u64 policy)
{
	u32 want = (u32)(FIELD_GET(SNP_POLICY_ABI_MAJOR, policy) << 8 |
			 FIELD_GET(SNP_POLICY_ABI_MINOR, policy));
	u32 have = (u32)m->cfg.api_major << 8 | m->cfg.api_minor;

	if (policy & ~SNP_POLICY_KNOWN)
		return SEV_RET_INVALID_PARAM;
	if (!(policy & SNP_POLICY_RSVD_MBO))
		return SEV_RET_POLICY_FAILURE;
	if (want > have)
		return SEV_RET_POLICY_FAILURE; /* guest needs a newer firmware ABI */
	if (m->cfg.smt_enabled && !(policy & SNP_POLICY_SMT))
		return SEV_RET_POLICY_FAILURE;
	if (policy & SNP_POLICY_MIGRATE_MA)
		return SEV_RET_UNSUPPORTED; /* no migration agent in the model */
	return SEV_RET_SUCCESS;
}

/* The common start of a guest command: the platform is initialised, the
 * command buffer is read, and its first field, GCTX_PADDR in every SNP guest
 * command (SNP ABI 56860, chapter 8), names a live guest context. */
static u32 guest_cmd(struct psp_model *m, spa_t buf, void *d, size_t n, struct model_gctx **g)
{
	u32 rc = need_init(m);
	u64 gctx;

	if (rc || (rc = read_buf(m, buf, d, n)))
		return rc;
	memcpy(&gctx, d, sizeof(gctx));
	return lookup_gctx(m, gctx, g);
}
_Static_assert(offsetof(struct sev_data_snp_launch_start, gctx_paddr) == 0, "gctx first");
_Static_assert(offsetof(struct sev_data_snp_launch_update, gctx_paddr) == 0, "gctx first");
_Static_assert(offsetof(struct sev_data_snp_launch_finish, gctx_paddr) == 0, "gctx first");
_Static_assert(offsetof(struct sev_data_snp_activate, gctx_paddr) == 0, "gctx first");
_Static_assert(offsetof(struct sev_data_snp_guest_request, gctx_paddr) == 0, "gctx first");

static u32 cmd_launch_start(struct psp_model *m, spa_t buf)
{
	struct sev_data_snp_launch_start d;
	struct model_gctx *g;
	u32 rc;

	rc = guest_cmd(m, buf, &d, sizeof(d), &g);
	if (rc)
		return rc;
	if (g->state != SNP_GSTATE_INIT)
		return SEV_RET_INVALID_GUEST_STATE;
	if (d.flags & ~(SNP_LAUNCH_START_MA_EN | SNP_LAUNCH_START_IMI_EN))
		return SEV_RET_INVALID_PARAM;
	if (d.flags)
		return SEV_RET_UNSUPPORTED; /* migration agent / IMI launches */
	if (d.ma_gctx_paddr)
		return SEV_RET_INVALID_PARAM;
	rc = check_policy(m, d.policy);
	if (rc)
		return rc;
	g->policy = d.policy;
	g->state = SNP_GSTATE_LAUNCH;
	g->launch_tcb = m->cfg.tcb_version;
	model_random(m, "report_id", d.gctx_paddr, g->report_id, sizeof(g->report_id));
	snp_measure_init(&g->ld);
	return SEV_RET_SUCCESS;
}

static u32 cmd_activate(struct psp_model *m, spa_t buf)
{
	struct sev_data_snp_activate d;
	struct model_gctx *g;
	u32 rc;

	rc = guest_cmd(m, buf, &d, sizeof(d), &g);
	if (rc)
		return rc;
	if (g->state == SNP_GSTATE_INIT)
		return SEV_RET_INVALID_GUEST_STATE; /* LAUNCH_START first */
	if (g->asid)
		return SEV_RET_ACTIVE; /* model choice: no re-binding */
	if (!d.asid || d.asid > m->cfg.max_asid)
		return SEV_RET_INVALID_ASID;
	if (m->asid_gctx[d.asid])
		return SEV_RET_ASID_OWNED;
	if (asid_dirty(m, d.asid))
		return SEV_RET_DFFLUSH_REQUIRED; /* 56860 8.10, as KVM expects */
	m->asid_gctx[d.asid] = d.gctx_paddr;
	set_asid_dirty(m, d.asid, true);
	g->asid = d.asid;
	return SEV_RET_SUCCESS;
}

/* CPUID page check (56860 "CPUID Reporting"): on a bad table the firmware
 * writes the corrected table back and fails with INVALID_PARAM (as KVM
 * relies on). The model checks the structure only (count, reserved fields);
 * it does not compare values with the CPU. */
/* The model's policy per register (56860 "CPUID Reporting" leaves the exact
 * table to the firmware): feature registers may only report a subset of the
 * platform's bits, the maximum-leaf values may not exceed the platform's,
 * the C-bit position must equal it; other registers are not checked. The
 * corrected value is written back into the page. */
enum cpuid_rule { CR_NONE, CR_SUBSET, CR_MAX, CR_CBIT };

static enum cpuid_rule cpuid_rule(u32 fn, u32 idx, unsigned reg)
{
	switch (fn) {
	case 0x0:
	case 0x80000000:
		return reg == 0 ? CR_MAX : CR_NONE;
	case 0x1:
	case 0x80000001:
		return reg >= 2 ? CR_SUBSET : CR_NONE; /* ECX, EDX */
	case 0x7:
		return idx == 0 && reg >= 1 ? CR_SUBSET : CR_NONE; /* EBX, ECX, EDX */
	case 0x8000001f:
		return reg == 0 ? CR_SUBSET : reg == 1 ? CR_CBIT : CR_NONE;
	default:
		return CR_NONE;
	}
}

/* Leaf 1 ECX bits a hypervisor emulates for its guests and the firmware
 * lets through: TSC-deadline (24, the virtual APIC's), hypervisor present (31). */
#define CPUID1_ECX_FREE ((1u << 24) | (1u << 31))

static bool check_cpuid_values(struct psp_model *m, struct snp_cpuid_fn *f)
{
	u32 val[4] = {f->eax, f->ebx, f->ecx, f->edx}, plat[4];
	bool bad = false;

	m->platform_cpuid(f->eax_in, f->ecx_in, plat);
	for (unsigned r = 0; r < 4; r++) {
		u32 allowed = plat[r], want = val[r];

		switch (cpuid_rule(f->eax_in, f->ecx_in, r)) {
		case CR_SUBSET:
			if (f->eax_in == 1 && r == 2)
				allowed |= CPUID1_ECX_FREE;
			want &= allowed;
			break;
		case CR_MAX:
			want = MIN(want, allowed);
			break;
		case CR_CBIT:
			want = (want & ~0x3fu) | (allowed & 0x3fu);
			break;
		default:
			break;
		}
		if (want != val[r]) {
			val[r] = want;
			bad = true;
		}
	}
	f->eax = val[0];
	f->ebx = val[1];
	f->ecx = val[2];
	f->edx = val[3];
	return bad;
}

static u32 check_cpuid_page(struct psp_model *m, void *page)
{
	struct snp_cpuid_table *t = page;
	bool bad = false;

	if (t->count > SNP_CPUID_COUNT_MAX) {
		t->count = SNP_CPUID_COUNT_MAX;
		bad = true;
	}
	if (t->reserved1 || t->reserved2) {
		t->reserved1 = 0;
		t->reserved2 = 0;
		bad = true;
	}
	for (u32 k = 0; k < t->count; k++) {
		if (t->fn[k].reserved) {
			t->fn[k].reserved = 0;
			bad = true;
		}
		if (m->platform_cpuid && check_cpuid_values(m, &t->fn[k])) {
			m->cpuid_refused++;
			bad = true;
		}
	}
	return bad ? SEV_RET_INVALID_PARAM : SEV_RET_SUCCESS;
}

static u32 cmd_launch_update(struct psp_model *m, spa_t buf)
{
	struct sev_data_snp_launch_update d;
	struct model_gctx *g;
	struct rmp_info i;
	spa_t at;
	u32 rc;
	unsigned type;
	u8 v1, v2, v3;
	void *page;

	rc = guest_cmd(m, buf, &d, sizeof(d), &g);
	if (rc)
		return rc;
	if (g->state != SNP_GSTATE_LAUNCH)
		return SEV_RET_INVALID_GUEST_STATE;
	if (!g->asid)
		return SEV_RET_INACTIVE; /* ACTIVATE first: the page is encrypted with the ASID's
					    key */
	if ((d.page_info & SNP_LU_RSVD) || d.rsvd2 || d.rsvd4 || (d.perms & SNP_LU_PERMS_RSVD))
		return SEV_RET_INVALID_PARAM;
	type = (unsigned)FIELD_GET(SNP_LU_PAGE_TYPE, d.page_info);
	if (!snp_page_type_name((enum snp_page_type)type))
		return SEV_RET_INVALID_PARAM;
	v1 = (u8)FIELD_GET(SNP_LU_VMPL1_PERMS, d.perms);
	v2 = (u8)FIELD_GET(SNP_LU_VMPL2_PERMS, d.perms);
	v3 = (u8)FIELD_GET(SNP_LU_VMPL3_PERMS, d.perms);
	if ((v1 | v2 | v3) & ~RMP_PERM_ALL)
		return SEV_RET_INVALID_PARAM;
	if (type == SNP_PAGE_TYPE_VMSA && (v1 | v2 | v3))
		return SEV_RET_INVALID_PARAM; /* a VMSA is not accessible to lower VMPLs */
	if (d.page_info & SNP_LU_PAGE_SIZE)
		return SEV_RET_UNSUPPORTED; /* 2M launch updates: see docs/measure.md */
	if (!IS_ALIGNED(d.address, PAGE_SIZE) || !rmp_covers(m->rmp, spa(d.address)))
		return SEV_RET_INVALID_ADDRESS;
	if (rmp_lookup(m->rmp, spa(d.address), &i, &at))
		return SEV_RET_INVALID_ADDRESS;
	/* 56860 8.17: the page must be in the Pre-Guest state of this guest:
	 * assigned to its ASID, immutable, not validated, 4K. */
	if (i.pagesize != RMP_PG_SIZE_4K)
		return SEV_RET_INVALID_PAGE_SIZE;
	if (!i.assigned || !i.asid)
		return SEV_RET_INVALID_PAGE_STATE;
	if (i.asid != g->asid)
		return SEV_RET_INVALID_PAGE_OWNER;
	if (!i.immutable || i.validated || i.vmsa)
		return SEV_RET_INVALID_PAGE_STATE;

	page = phys_ptr(spa(d.address));
	switch (type) {
	case SNP_PAGE_TYPE_ZERO:
		memset(page, 0, PAGE_SIZE);
		break;
	case SNP_PAGE_TYPE_SECRETS: {
		struct snp_secrets_page *s = page;

		/* one secrets page per guest: a second would need a second set
		 * of keys the firmware could not tell apart (model choice) */
		if (g->has_secrets)
			return SEV_RET_INVALID_PARAM;
		memset(s, 0, PAGE_SIZE);
		s->version = MODEL_SECRETS_VERSION;
		model_random(m, "vmpck", d.gctx_paddr, &g->vmpck[0][0], sizeof(g->vmpck));
		memcpy(s->vmpck, g->vmpck, sizeof(s->vmpck));
		memset(g->msg_seqno, 0, sizeof(g->msg_seqno));
		g->has_secrets = true;
		break;
	}
	case SNP_PAGE_TYPE_CPUID:
		rc = check_cpuid_page(m, page);
		if (rc)
			return rc; /* page stays Pre-Guest: the hypervisor reclaims it */
		break;
	default:
		break;
	}

	snp_measure_page(&g->ld, gpa_val(i.gpa), (enum snp_page_type)type, page,
			 (u8)FIELD_GET(SNP_LU_IMI_PAGE, d.page_info), v3, v2, v1);

	/* Pre-Guest -> Guest-Valid (validated, mutable), VMSA bit for a VMSA,
	 * VMPL1-3 permissions from the command (56860 8.17). */
	i.validated = true;
	i.immutable = false;
	i.vmsa = type == SNP_PAGE_TYPE_VMSA;
	i.perms[0] = RMP_PERM_ALL;
	i.perms[1] = v1;
	i.perms[2] = v2;
	i.perms[3] = v3;
	if (fw_write(m, d.address, &i))
		return SEV_RET_HWERROR_PLATFORM;
	g->pages_launched++;
	return SEV_RET_SUCCESS;
}

static u32 cmd_launch_finish(struct psp_model *m, spa_t buf)
{
	struct sev_data_snp_launch_finish d;
	struct model_gctx *g;
	u32 rc;

	rc = guest_cmd(m, buf, &d, sizeof(d), &g);
	if (rc)
		return rc;
	if (g->state != SNP_GSTATE_LAUNCH)
		return SEV_RET_INVALID_GUEST_STATE;
	if (!g->asid)
		return SEV_RET_INACTIVE;
	if (d.flags & SNP_LF_RSVD)
		return SEV_RET_INVALID_PARAM;
	if ((d.flags & SNP_LF_AUTH_KEY_EN) && !(d.flags & SNP_LF_ID_BLOCK_EN))
		return SEV_RET_INVALID_PARAM;
	if (d.flags & SNP_LF_ID_BLOCK_EN)
		return SEV_RET_UNSUPPORTED; /* the model verifies no ID block signatures */
	if (!(d.flags & SNP_LF_ID_BLOCK_EN) && (d.id_block_paddr || d.id_auth_paddr))
		return SEV_RET_INVALID_PARAM;
	memcpy(g->host_data, d.host_data, sizeof(g->host_data));
	g->state = SNP_GSTATE_RUNNING; /* the digest is frozen from here on */
	return SEV_RET_SUCCESS;
}

/* ---- SNP_GUEST_REQUEST (56860 8.26) --------------------------------------- */

/* MSG_REPORT_REQ -> MSG_REPORT_RSP (56860 "Attestation"). The report is
 * what the firmware would sign; the model cannot sign it with the VCEK
 * (the chip's key, derived in the PSP), so SIGNATURE stays zero while
 * SIGNATURE_ALGO says ECDSA P-384, as on hardware (docs/snp.md). */
static void build_report(const struct psp_model *m, const struct model_gctx *g, unsigned vmpck,
			 const struct snp_report_req *req, struct snp_report_resp *rsp)
{
	struct snp_attestation_report *r = &rsp->report;
	static const char chip_label[] = "snpvisor psp model chip id";

	memset(rsp, 0, sizeof(*rsp));
	/* the requested VMPL must be one the requester may speak for: VMPCKn
	 * belongs to VMPLn, which may ask for VMPL n..3 */
	if (req->vmpl > 3 || req->vmpl < vmpck) {
		rsp->status = SNP_REPORT_RSP_INVALID_PARAM;
		return;
	}
	rsp->status = SNP_REPORT_RSP_SUCCESS;
	rsp->report_size = sizeof(*r);
	r->version = SNP_REPORT_VERSION;
	r->guest_svn = 0; /* no ID block: SVN 0 */
	r->policy = g->policy;
	r->vmpl = req->vmpl;
	r->signature_algo = SNP_SIG_ALGO_ECDSA_P384;
	r->current_tcb = m->cfg.tcb_version;
	r->platform_info = m->cfg.smt_enabled ? SNP_PLATFORM_INFO_SMT_EN : 0;
	r->flags = (u32)FIELD_PREP(SNP_REPORT_F_SIGNING_KEY, SNP_REPORT_SIGNING_VCEK);
	memcpy(r->report_data, req->user_data, sizeof(r->report_data));
	memcpy(r->measurement, g->ld.digest, sizeof(r->measurement));
	memcpy(r->host_data, g->host_data, sizeof(r->host_data));
	/* ID_KEY_DIGEST, AUTHOR_KEY_DIGEST, FAMILY_ID, IMAGE_ID: zero, no ID block */
	memcpy(r->report_id, g->report_id, sizeof(r->report_id));
	memset(r->report_id_ma, 0xFF, sizeof(r->report_id_ma)); /* no migration agent */
	r->reported_tcb = m->cfg.tcb_version;
	/* CHIP_ID: one value per (model) chip */
	{
		u8 h[SHA384_DIGEST_SIZE];

		sha384(chip_label, sizeof(chip_label), h);
		memcpy(r->chip_id, h, 32);
		sha384(h, sizeof(h), h);
		memcpy(r->chip_id + 32, h, 32);
	}
	r->committed_tcb = m->cfg.tcb_version;
	r->current_build = (u8)m->cfg.build;
	r->current_minor = m->cfg.api_minor;
	r->current_major = m->cfg.api_major;
	r->committed_build = (u8)m->cfg.build;
	r->committed_minor = m->cfg.api_minor;
	r->committed_major = m->cfg.api_major;
	r->launch_tcb = g->launch_tcb;
}

/* The header of a request the firmware accepts (56860 "Message Header"):
 * AES-256-GCM, header version 1 and size 0x60, reserved fields zero, a
 * payload that fits. */
static u32 check_msg_hdr(const struct snp_guest_msg_hdr *h)
{
	static const u8 zero[sizeof(h->rsvd3)];

	if (h->algo != SNP_AEAD_AES_256_GCM || h->hdr_version != SNP_MSG_HDR_VERSION ||
	    h->hdr_sz != sizeof(*h) || h->msg_sz > SNP_MSG_PAYLOAD_MAX)
		return SEV_RET_INVALID_PARAM;
	if (h->rsvd2 || memcmp(h->rsvd1, zero, sizeof(h->rsvd1)) ||
	    memcmp(h->rsvd3, zero, sizeof(h->rsvd3)) ||
	    memcmp(h->authtag + SNP_MSG_TAG_SIZE, zero, sizeof(h->authtag) - SNP_MSG_TAG_SIZE))
		return SEV_RET_INVALID_PARAM;
	return SEV_RET_SUCCESS;
}

/* Rules in order (status): guest RUNNING [INVALID_GUEST_STATE]; launched
 * with a secrets page [INVALID_GUEST_STATE]; request page hypervisor-owned
 * [INVALID_ADDRESS / INVALID_PAGE_STATE]; response page a 4K Firmware page
 * [INVALID_ADDRESS / INVALID_PAGE_STATE]; header [INVALID_PARAM]; MSG_VMPCK
 * 0..3 [INVALID_KEY]; sequence number = last + 1 [INVALID_PARAM], below
 * 2^64 - 2 [AEAD_OFLOW]; tag [BAD_SIGNATURE]; message type and version
 * [INVALID_PARAM]. Every failure leaves the context and the response page
 * unchanged; success advances the sequence number by two (request and
 * response) and writes the encrypted response. Model choices where 56860
 * is not explicit: docs/snp.md. */
static u32 cmd_guest_request(struct psp_model *m, spa_t buf)
{
	static struct snp_guest_msg req, rsp; /* one command at a time */
	static u8 plain[SNP_MSG_PAYLOAD_MAX];
	static struct snp_report_resp report;
	struct sev_data_snp_guest_request d;
	struct snp_report_req rr;
	struct model_gctx *g;
	u8 iv[GCM_IV_SIZE];
	unsigned k;
	u64 seq;
	u32 rc;

	rc = guest_cmd(m, buf, &d, sizeof(d), &g);
	if (rc)
		return rc;
	if (g->state != SNP_GSTATE_RUNNING || !g->has_secrets)
		return SEV_RET_INVALID_GUEST_STATE;
	if (!IS_ALIGNED(d.req_paddr, PAGE_SIZE))
		return SEV_RET_INVALID_ADDRESS;
	rc = read_buf(m, spa(d.req_paddr), &req, sizeof(req));
	if (rc)
		return rc;
	rc = check_fw_page(m, d.res_paddr);
	if (rc)
		return rc == SEV_RET_INVALID_PAGE_SIZE ? SEV_RET_INVALID_PAGE_STATE : rc;
	rc = check_msg_hdr(&req.hdr);
	if (rc)
		return rc;
	k = req.hdr.msg_vmpck;
	if (k >= SNP_VMPCK_COUNT)
		return SEV_RET_INVALID_KEY;
	seq = req.hdr.msg_seqno;
	if (seq != g->msg_seqno[k] + 1)
		return SEV_RET_INVALID_PARAM; /* replayed or skipped */
	if (seq >= ~0ULL - 1)
		return SEV_RET_AEAD_OFLOW; /* no sequence number left for the response */
	snp_msg_iv(seq, iv);
	if (aes256_gcm_decrypt(g->vmpck[k], iv, (const u8 *)&req.hdr + SNP_MSG_AAD_OFFSET,
			       SNP_MSG_AAD_SIZE, req.payload, req.hdr.msg_sz, plain,
			       req.hdr.authtag))
		return SEV_RET_BAD_SIGNATURE;
	if (req.hdr.msg_type != SNP_MSG_REPORT_REQ || req.hdr.msg_version != SNP_MSG_VERSION ||
	    req.hdr.msg_sz != sizeof(rr))
		return SEV_RET_INVALID_PARAM; /* the only message the model implements */
	memcpy(&rr, plain, sizeof(rr));
	if (!mem_is_zero(rr.rsvd, sizeof(rr.rsvd)))
		return SEV_RET_INVALID_PARAM;

	build_report(m, g, k, &rr, &report);
	memset(&rsp, 0, sizeof(rsp));
	rsp.hdr.msg_seqno = seq + 1;
	rsp.hdr.algo = SNP_AEAD_AES_256_GCM;
	rsp.hdr.hdr_version = SNP_MSG_HDR_VERSION;
	rsp.hdr.hdr_sz = sizeof(rsp.hdr);
	rsp.hdr.msg_type = SNP_MSG_REPORT_RSP;
	rsp.hdr.msg_version = SNP_MSG_VERSION;
	rsp.hdr.msg_sz = sizeof(report);
	rsp.hdr.msg_vmpck = (u8)k;
	snp_msg_iv(seq + 1, iv);
	aes256_gcm_encrypt(g->vmpck[k], iv, (const u8 *)&rsp.hdr + SNP_MSG_AAD_OFFSET,
			   SNP_MSG_AAD_SIZE, &report, sizeof(report), rsp.payload, rsp.hdr.authtag);
	write_buf(spa(d.res_paddr), &rsp, sizeof(rsp));
	g->msg_seqno[k] = seq + 1;
	memset(plain, 0, sizeof(plain));
	return SEV_RET_SUCCESS;
}

static u32 cmd_decommission(struct psp_model *m, spa_t buf)
{
	struct sev_data_snp_addr d;
	struct model_gctx *g;
	u32 rc = need_init(m);

	if (rc || (rc = read_buf(m, buf, &d, sizeof(d))))
		return rc;
	rc = lookup_gctx(m, d.address, &g);
	if (rc)
		return rc;
	if (g->asid)
		m->asid_gctx[g->asid] = 0; /* stays dirty until SNP_DF_FLUSH */
	m->gctx[gctx_slot(m, d.address)] = 0;
	m->guest_count--;
	memset(g, 0, PAGE_SIZE); /* the page stays FIRMWARE until PAGE_RECLAIM */
	return SEV_RET_SUCCESS;
}

static u32 cmd_page_reclaim(struct psp_model *m, spa_t buf)
{
	struct sev_data_snp_page_reclaim d;
	struct rmp_info i, n;
	u64 pa;
	u32 rc = need_init(m);

	if (rc || (rc = read_buf(m, buf, &d, sizeof(d))))
		return rc;
	if (d.paddr & SNP_RECLAIM_PAGE_SIZE)
		return SEV_RET_UNSUPPORTED; /* 2M reclaim not modelled */
	pa = d.paddr;
	if (!IS_ALIGNED(pa, PAGE_SIZE) || !rmp_covers(m->rmp, spa(pa)))
		return SEV_RET_INVALID_ADDRESS;
	if (rmp_lookup(m->rmp, spa(pa), &i, NULL))
		return SEV_RET_INVALID_ADDRESS;
	if (i.pagesize != RMP_PG_SIZE_4K)
		return SEV_RET_INVALID_PAGE_SIZE;
	/* Firmware, Pre-Guest and Pre-Swap pages (assigned and immutable)
	 * go to the Reclaim state: assigned to ASID 0, mutable; the
	 * hypervisor then makes them shared with RMPUPDATE. */
	if (!i.assigned || !i.immutable)
		return SEV_RET_INVALID_PAGE_STATE;
	if (!i.asid && pa && gctx_slot(m, pa) >= 0)
		return SEV_RET_INVALID_PAGE_STATE; /* a live guest context */
	if (!i.asid && pa >= spa_val(m->rmp->base) && pa < spa_val(m->rmp->base) + m->rmp->size)
		return SEV_RET_INVALID_PAGE_STATE; /* the RMP itself */
	memset(&n, 0, sizeof(n));
	n.assigned = true;
	if (fw_write(m, pa, &n))
		return SEV_RET_HWERROR_PLATFORM;
	return SEV_RET_SUCCESS;
}

/* ---- dispatch ------------------------------------------------------------ */

u32 psp_model_exec(struct psp_model *m, u32 cmd, spa_t buf)
{
	u32 rc;

	m->commands++;
	m->last_cmd = cmd;
	if (m->fail_cmd && cmd == m->fail_cmd) {
		m->fail_cmd = 0;
		m->last_status = m->fail_status;
		pr_debug("psp-model: command %#x -> %#x (injected)\n", cmd, m->fail_status);
		return m->fail_status;
	}
	switch (cmd) {
	case SEV_CMD_SNP_INIT:
		rc = cmd_snp_init(m, buf, false);
		break;
	case SEV_CMD_SNP_INIT_EX:
		rc = cmd_snp_init(m, buf, true);
		break;
	case SEV_CMD_SNP_SHUTDOWN:
	case SEV_CMD_SNP_SHUTDOWN_EX:
		rc = cmd_snp_shutdown(m);
		break;
	case SEV_CMD_SNP_PLATFORM_STATUS:
		rc = cmd_platform_status(m, buf);
		break;
	case SEV_CMD_SNP_DF_FLUSH:
		rc = cmd_df_flush(m);
		break;
	case SEV_CMD_SNP_GCTX_CREATE:
		rc = cmd_gctx_create(m, buf);
		break;
	case SEV_CMD_SNP_LAUNCH_START:
		rc = cmd_launch_start(m, buf);
		break;
	case SEV_CMD_SNP_ACTIVATE:
		rc = cmd_activate(m, buf);
		break;
	case SEV_CMD_SNP_LAUNCH_UPDATE:
		rc = cmd_launch_update(m, buf);
		break;
	case SEV_CMD_SNP_LAUNCH_FINISH:
		rc = cmd_launch_finish(m, buf);
		break;
	case SEV_CMD_SNP_GUEST_REQUEST:
		rc = cmd_guest_request(m, buf);
		break;
	case SEV_CMD_SNP_DECOMMISSION:
		rc = cmd_decommission(m, buf);
		break;
	case SEV_CMD_SNP_PAGE_RECLAIM:
		rc = cmd_page_reclaim(m, buf);
		break;
	default:
		rc = SEV_RET_INVALID_COMMAND;
		break;
	}
	m->last_status = rc;
	if (rc)
		pr_debug("psp-model: command %#x -> %#x (%s)\n", cmd, rc, sev_ret_name(rc));
	return rc;
}

int psp_model_init(struct psp_model *m, struct rmp *rmp, const struct psp_model_config *cfg,
		   const struct psp_sev_regs *regs)
{
	if (!m || !rmp || !rmp->ops || !rmp->ops->is_model) {
		pr_err("psp-model: needs an initialised RMP model backend\n");
		return -EINVAL;
	}
	memset(m, 0, sizeof(*m));
	m->rmp = rmp;
	if (cfg) {
		m->cfg = *cfg;
	} else {
		m->cfg.api_major = API_DEFAULT_MAJOR;
		m->cfg.api_minor = API_DEFAULT_MINOR;
		m->cfg.build = 1;
		m->cfg.max_asid = 100;
	}
	if (!m->cfg.max_asid || m->cfg.max_asid > PSP_MODEL_MAX_ASID) {
		pr_err("psp-model: max_asid %u out of 1..%u\n", m->cfg.max_asid,
		       PSP_MODEL_MAX_ASID);
		return -EINVAL;
	}
	m->regs = regs ? regs : &psp_sev_regs_v2;
	m->state = SNP_PSTATE_UNINIT;
	psp_model_add_entropy(m, &m, sizeof(m)); /* where the model lives */
	return 0;
}

void psp_model_add_entropy(struct psp_model *m, const void *data, size_t len)
{
	struct sha384_ctx c;
	u64 tsc = 0;

#if defined(__x86_64__)
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	tsc = (u64)hi << 32 | lo;
#endif
	sha384_init(&c);
	sha384_update(&c, m->seed, sizeof(m->seed));
	sha384_update(&c, &tsc, sizeof(tsc));
	sha384_update(&c, data, len);
	sha384_final(&c, m->seed);
}

int psp_model_guest_info(const struct psp_model *m, spa_t gctx, struct psp_model_guest_info *out)
{
	const struct model_gctx *g;

	if (!m || !out || !spa_val(gctx) || gctx_slot(m, spa_val(gctx)) < 0)
		return -ENOENT;
	g = phys_ptr(gctx);
	memset(out, 0, sizeof(*out));
	out->state = (u8)g->state;
	out->asid = g->asid;
	out->policy = g->policy;
	out->pages_launched = g->pages_launched;
	out->digest = g->ld;
	memcpy(out->host_data, g->host_data, sizeof(out->host_data));
	return 0;
}

/* ---- register file --------------------------------------------------------- */

static u32 model_read32(void *ctx, u32 off)
{
	const struct psp_model *m = ctx;

	if (off == m->regs->cmdresp)
		return m->reg_cmdresp;
	if (off == m->regs->cmdbuff_addr_lo)
		return m->reg_addr_lo;
	if (off == m->regs->cmdbuff_addr_hi)
		return m->reg_addr_hi;
	return 0;
}

static void model_write32(void *ctx, u32 off, u32 v)
{
	struct psp_model *m = ctx;
	u32 cmd, sts;

	if (off == m->regs->cmdbuff_addr_lo) {
		m->reg_addr_lo = v;
	} else if (off == m->regs->cmdbuff_addr_hi) {
		m->reg_addr_hi = v;
	} else if (off == m->regs->cmdresp) {
		m->reg_cmdresp = v & ~PSP_CMDRESP_RESP;
		if (m->stall)
			return;
		cmd = (u32)FIELD_GET(PSP_CMDRESP_CMD, v);
		sts = psp_model_exec(m, cmd, spa((u64)m->reg_addr_hi << 32 | m->reg_addr_lo));
		m->reg_cmdresp = PSP_CMDRESP_RESP | (u32)FIELD_PREP(PSP_CMDRESP_CMD, cmd) |
				 (u32)FIELD_PREP(PSP_CMDRESP_STS, sts);
	}
}

const struct psp_mmio_ops psp_model_mmio_ops = {
    .read32 = model_read32,
    .write32 = model_write32,
    .relax = NULL,
};
