/* snp/psp_model: a software model of the SEV-SNP firmware (the PSP side of
 * the mailbox) for machines without a PSP (QEMU) and for host tests.
 *
 * It implements the SNP commands the hypervisor's launch and teardown use
 * (SNP_INIT/INIT_EX, SHUTDOWN/SHUTDOWN_EX, PLATFORM_STATUS, DF_FLUSH,
 * GCTX_CREATE, LAUNCH_START, ACTIVATE, LAUNCH_UPDATE, LAUNCH_FINISH,
 * DECOMMISSION, PAGE_RECLAIM) and SNP_GUEST_REQUEST (MSG_REPORT_REQ: an
 * unsigned attestation report) with the state checks and status codes of the
 * SNP firmware ABI (56860 chapter 8) as far as public sources state them;
 * the rules and the choices where they do not are in docs/snp.md. Every RMP
 * change the model makes goes through rmp_model_fw_write() (what the PSP may
 * write); it needs the RMP model backend.
 *
 * The model sits behind a register file with the SEV mailbox layout
 * (psp_model_mmio_ops): writing CMDRESP runs the command synchronously and
 * sets the RESPONSE bit, so the real driver (snp/psp.c) drives it unchanged.
 *
 * Guest contexts live in their GCTX page (firmware memory the hypervisor
 * cannot write); the model also keeps the list of live contexts so that a
 * page the hypervisor filled itself is never taken for one. */
#ifndef SNP_PSP_MODEL_H
#define SNP_PSP_MODEL_H

#include "hv/base/types.h"
#include "snp/measure.h"
#include "snp/psp.h"
#include "snp/rmp.h"

#define PSP_MODEL_MAX_ASID   RMP_ASID_MAX /* ASIDs 1..max_asid are SNP ASIDs */
#define PSP_MODEL_MAX_GUESTS 64

struct psp_model_config {
	u8 api_major; /* reported by PLATFORM_STATUS, checked against policy */
	u8 api_minor;
	u32 build;
	u32 max_asid;	  /* highest SNP ASID, 1..PSP_MODEL_MAX_ASID */
	bool smt_enabled; /* SMT on: a policy without SNP_POLICY_SMT fails */
	u64 tcb_version;
};

struct psp_model {
	struct rmp *rmp;
	struct psp_model_config cfg;
	u8 state; /* SNP_PSTATE_* */
	u32 guest_count;
	u64 gctx[PSP_MODEL_MAX_GUESTS];			/* SPAs of live contexts, 0 = free slot */
	u64 asid_gctx[PSP_MODEL_MAX_ASID + 1];		/* context bound to an ASID, 0 = none */
	u64 asid_dirty[(PSP_MODEL_MAX_ASID + 64) / 64]; /* used since the last DF_FLUSH */

	/* SEV mailbox register file */
	const struct psp_sev_regs *regs;
	u32 reg_cmdresp;
	u32 reg_addr_lo;
	u32 reg_addr_hi;
	bool stall; /* tests: accept commands, never respond */
	/* Tests: the next command with id fail_cmd does nothing and answers
	 * fail_status (then fail_cmd is cleared). 0: no injection. */
	u32 fail_cmd, fail_status;
	u8 seed[48];	  /* key material: psp_model_add_entropy() */
	u64 rand_counter; /* never repeats while the model lives */
	u64 commands;
	u32 last_cmd;
	u32 last_status;
	/* The platform's CPUID (fn, index -> eax, ebx, ecx, edx) that a CPUID
	 * page is checked against (docs/snp.md "CPUID page"); NULL: structure
	 * checks only. */
	void (*platform_cpuid)(u32 fn, u32 idx, u32 out[4]);
	u32 cpuid_refused; /* CPUID-page entries corrected since init */
};

/* What the model knows about one guest (what an attestation report would
 * carry: MEASUREMENT, POLICY, HOST_DATA). */
struct psp_model_guest_info {
	u8 state; /* SNP_GSTATE_* */
	u32 asid; /* 0 when not activated */
	u64 policy;
	u64 pages_launched;
	struct snp_measure digest; /* frozen at LAUNCH_FINISH */
	u8 host_data[32];
};

/* cfg NULL: API 1.55, build 1, max_asid 100, SMT off. The RMP must be an
 * initialised model backend. regs: the register layout to emulate (NULL:
 * psp_sev_regs_v2). 0 or -EINVAL. Platform state starts UNINIT. */
int psp_model_init(struct psp_model *m, struct rmp *rmp, const struct psp_model_config *cfg,
		   const struct psp_sev_regs *regs);

/* Runs one command whose buffer is at SPA buf (0: none); returns the
 * firmware status (SEV_RET_*). Never fails otherwise. */
u32 psp_model_exec(struct psp_model *m, u32 cmd, spa_t buf);

/* Register file (ctx = struct psp_model *): offsets of m->regs. */
extern const struct psp_mmio_ops psp_model_mmio_ops;

/* Mixes data (and the TSC) into the seed of the keys the model makes:
 * VMPCKs of secrets pages, REPORT_IDs (psp_model_init seeds it once). */
void psp_model_add_entropy(struct psp_model *m, const void *data, size_t len);

/* Model introspection for tests and the QEMU attestation stand-in.
 * 0, or -ENOENT when gctx is not a live guest context. */
int psp_model_guest_info(const struct psp_model *m, spa_t gctx, struct psp_model_guest_info *out);

#endif
