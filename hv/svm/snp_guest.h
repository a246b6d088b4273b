/* hv/snp_guest: the hypervisor side of the SEV-SNP guest protocol.
 *
 * - VMGEXIT: the GHCB MSR protocol and the GHCB-page NAE events (AMD 56421
 *   "SEV-ES Guest-Hypervisor Communication Block Standardization", sections
 *   2.3.1 and 4.1). One handler, for exit 0x403: the GHCB MSR value in the
 *   VMCB's ghcb_gpa, RIP owned by the processor. Under emulation QEMU
 *   reports `rep vmmcall` as plain VMMCALL 0x81: hv/svm/exits.c emulate_vmgexit
 *   turns such an exit (bytes F3 0F 01 D9 at RIP, snp_vmgexit_at_rip) into
 *   exit 0x403 with struct guest.ghcb_msr copied into ghcb_gpa and back,
 *   RIP advanced by 4 (NRIP being absent), and calls the same handler.
 * - PVALIDATE emulation (APM vol 3 "PVALIDATE"): the #UD intercept decodes
 *   F2 0F 01 FF at the guest's RIP (read through the guest's own page tables
 *   and the NPT, with the one page-table engine), translates RAX the same
 *   way and applies rmp_model_pvalidate(): RAX = return code, RFLAGS.CF.
 * - Page-state changes go to a per-guest backend (`psc`): in the hypervisor
 *   snp_gmem_backend (hv/vm/guest_gmem.c), i.e. gmem_convert_batch, one
 *   invalidation round per request; unit tests plug in a fake.
 *
 * Policies and the choices made where the spec leaves room: docs/snp-guest.md. */
#ifndef HV_SNP_GUEST_H
#define HV_SNP_GUEST_H

#include "hv/mm/pt.h"
#include "hv/base/types.h"

struct guest;
struct vcpu;
struct rmp;
struct gmem_range;

/* Where a guest's page-state changes and RMP checks go. */
struct snp_backend {
	const char *name;
	/* The RMP PVALIDATE is checked against (model backend). */
	struct rmp *(*rmp)(struct guest *g);
	/* One page-state-change request: n ranges, one transaction (gmem:
	 * gmem_convert_batch, one invalidation round). Ranges already in the
	 * target state are left alone. 0, or a negative errno and nothing
	 * changed. */
	int (*psc)(struct guest *g, const struct gmem_range *r, unsigned n);
	/* #NPF with SIZEM after a 4K PVALIDATE on a 2M RMP entry: split the 2M
	 * entry holding gpa (PSMASH; NPT and IOMMU leaves split too). NULL: the
	 * guest is terminated instead. */
	int (*split)(struct guest *g, gpa_t gpa);
	/* 0 if the page at gpa is shared (hypervisor-owned): the only pages the
	 * hypervisor may use as the guest's GHCB. */
	int (*is_shared)(struct guest *g, gpa_t gpa);
	/* Consistency check of the guest's RMP/NPT/IOMMU state (xcheck_gmem);
	 * 0 = clean. Run when the guest ends. May be NULL. */
	int (*check)(struct guest *g);
	/* The same after each accepted page-state-change request. NULL when the
	 * backend checks every change itself: gmem runs xcheck after each of its
	 * operations with xcheck = always (hv/vm/guest_gmem.c), so a second full
	 * check per request would only double the cost. */
	int (*check_request)(struct guest *g);
	/* A fingerprint of the guest's page states, to prove that a rejected
	 * request changed nothing. May be NULL. */
	u64 (*fingerprint)(struct guest *g);
	/* SNP_GUEST_REQUEST (56860 8.26) for the guest: req is the 4K request
	 * page (ciphertext), resp receives the 4K response page on success.
	 * 0; -EIO with the firmware status in *fw_error; another negative
	 * errno for a hypervisor failure. May be NULL (no firmware). */
	int (*guest_request)(struct guest *g, const void *req, void *resp, u32 *fw_error);
	/* Called when the guest is destroyed. May be NULL. */
	void (*fini)(struct guest *g);
};

/* Reasons of the #VC the emulation injects (the exit code hardware would
 * deliver as the #VC error code, APM vol 2 15.35.5). */
enum snp_vc_reason {
	SNP_VC_CPUID,	/* 0x72 */
	SNP_VC_MSR,	/* 0x7c */
	SNP_VC_IOIO,	/* 0x7b */
	SNP_VC_VMMCALL, /* 0x81 */
	SNP_VC_NPF,	/* 0x400: RMP #NPF of the PVALIDATE emulation */
	SNP_VC_NR
};

struct snp_stats {
	u64 pvalidate;	     /* PVALIDATE emulations */
	u64 pvalidate_cf;    /* ... that returned CF=1 */
	u64 pvalidate_flt;   /* ... that faulted (#VC/#PF/#GP injected) */
	u64 npf_sizem;	     /* splits done for a 4K PVALIDATE on a 2M entry */
	u64 pv_cbit0;	     /* PVALIDATE through a leaf without the C-bit (a guest bug) */
	u64 pv_cbit0_tables; /* ... through a table entry without it (informational) */
	u64 vmgexit;
	u64 msr_proto; /* MSR-protocol requests */
	u64 nae;       /* GHCB-page NAE events */
	u64 psc_req;   /* PSC requests (MSR and NAE) */
	u64 psc_rejected;
	u64 psc_pages; /* 4K pages converted or confirmed */
	u64 psc_exits; /* NAE PSC exits (a request may take several) */
	u64 check_fail;
	u64 tsc_pvalidate, tsc_psc; /* hypervisor time spent, when a clock is set */
	u64 pv_first, pv_last;	    /* clock of the first and last PVALIDATE */
	u64 psc_first, psc_last;    /* ... and PSC request */
	/* #VC the emulation injected (snp_inject_vc), per reason, and how many
	 * of them the guest answered with the matching NAE event */
	u64 vc_injected[SNP_VC_NR];
	u64 vc_served[SNP_VC_NR];
	u64 hc_nae;	      /* hypercalls through the VMMCALL NAE (56421 4.1, exit 0x81) */
	u64 hc_gpa_shared;    /* hypercall GPA arguments checked: all on shared pages */
	u64 hc_gpa_refused;   /* ... refused: private or not guest memory (HC_EFAULT) */
	u64 guest_req;	      /* SNP Guest Request NAE events (56421 4.1.8) */
	u64 guest_req_fw_err; /* ... the firmware refused */
	u64 guest_req_bad;    /* ... refused by the hypervisor (pages not shared) */
	u64 ext_guest_req;    /* ... of them Extended Guest Requests (exit 0x8000_0012) */
	u64 attested;	      /* HC_SNP_ATTESTED calls */
	u64 hv_writes;	      /* hypervisor writes into guest memory (snp_hv_write_check) */
	u64 hv_write_refused; /* ... refused: a page not shared at the moment of the write */
	u64 psc_protected;    /* PSC requests refused for a protected page (GHCB, secrets) */
	u64 psc_partial;      /* PSC requests the backend stopped part-way (progress reported) */
	u64 rmpadjust;	      /* RMPADJUST emulations */
	u64 mmio_nae;	      /* MMIO NAE events (56421 4.1.5) */
	u64 mmio_nae_dev;     /* of them: a passed-through device's trapped page */
};

/* Per-guest SNP state (one vCPU per guest). */
struct snp_guest {
	struct guest *g;
	const struct snp_backend *be;
	bool active;
	bool ghcb_registered;
	u64 ghcb_gpa;
	struct snp_stats st;
	u32 vc_pending; /* exit code of the last #VC injected, until its NAE arrives */
	void *be_priv;
};

/* Entries the hypervisor processes per PSC exit before it returns to the
 * guest with cur_entry advanced (the guest loops: 56421 4.1.6). */
#define SNP_PSC_ENTRIES_PER_EXIT 64

/* PVALIDATE F2 0F 01 FF, VMGEXIT F3 0F 01 D9 (APM vol 3). */
#define SNP_INSN_LEN 4
bool snp_insn_is_pvalidate(const u8 *b, unsigned len);
bool snp_insn_is_vmgexit(const u8 *b, unsigned len);

/* Sets up SNP handling for g (g->snp) with backend be; the exit handlers of
 * hv/svm/exits.c call the snp_handle_* functions below for every guest with
 * g->snp. 0 or negative errno (the guest is not started). */
int snp_guest_init(struct guest *g, const struct snp_backend *be);
/* Prints the guest's SNP figures and the final check; frees backend state. */
void snp_guest_fini(struct guest *g);
/* NULL for a guest without SNP state. */
struct snp_guest *snp_guest_of(struct guest *g);

/* #UD of an SNP guest: 0 = PVALIDATE emulated (or an exception injected for it),
 * -ENOENT = not PVALIDATE (the caller injects #UD). */
int snp_handle_ud(struct vcpu *v);
/* Exit 0x403 (hardware or emulate_vmgexit); an enum
 * exit_action. The GHCB MSR value is read from and answered in
 * vmcb->control.ghcb_gpa. */
int snp_handle_vmgexit(struct vcpu *v);
/* VMMCALL exit of an SNP guest (emulation): the instruction at RIP is F3 0F 01 D9. */
bool snp_vmgexit_at_rip(struct vcpu *v);
/* A nested page fault of an SNP guest with the RMP bit (EXITINFO1 bit 31):
 * SIZEM -> split (PSMASH) and resume; wrong page state or VMPL -> the guest
 * is killed with the GPA, the page's state and the decode. An enum
 * exit_action. The PVALIDATE emulation's SIZEM fault takes the same path. */
int snp_handle_rmp_npf(struct vcpu *v);

/* Pure pieces, for the unit tests. */
/* Guest VA -> GPA through the guest's 4-level tables at cr3 (read through
 * the guest's memory). 0, -EFAULT (not present / bad entry: #PF) or
 * -EIO (a table outside guest memory). */
int snp_guest_va_to_gpa(struct guest *g, u64 cr3, u64 va, u64 *gpa_out);
/* The same walk, reporting the C-bit (hv/svm/cpuid.h GUEST_CBIT, stripped from
 * every table and leaf address) in *cbits if not NULL: SNP_WALK_C_LEAF if
 * the leaf has it, SNP_WALK_C_TABLES if every table entry on the way does. */
#define SNP_WALK_C_LEAF	  (1u << 0)
#define SNP_WALK_C_TABLES (1u << 1)
int snp_guest_va_walk(struct guest *g, u64 cr3, u64 va, u64 *gpa_out, unsigned *cbits);
/* Handles one GHCB MSR-protocol request val; *resp is the new MSR value.
 * Returns an enum exit_action. */
int snp_msr_protocol(struct snp_guest *s, u64 val, u64 *resp);
/* The SEV information response (56421 2.3.1.1: protocol range, C-bit): the
 * GHCB MSR value an SNP guest finds at its first instruction, as KVM sets it. */
u64 snp_sev_info(void);

/* Set by the hypervisor (TSC and its kHz) for the figures; NULL on the host. */
extern u64 (*snp_clock)(void);
extern u64 snp_clock_khz;

/* Emulated SNP only (hv/svm/exits.c): an intercepted CPUID, MSR, IOIO or
 * VMMCALL exit that raises #VC on SNP hardware is not handled; #VC (vector
 * 29) is injected with the exit code as error code, RIP unchanged, counted
 * per reason. An enum exit_action. */
int snp_inject_vc(struct vcpu *v, u32 exit_code);
/* Hypercall GPA arguments of an SNP guest (hv/svm/exits.c): 0 if every page of
 * [gpa, gpa + len) is a shared page of the guest, else -EPERM (private) or
 * -EFAULT (not guest memory), with a log line naming call and GPA. */
int snp_hc_gpa_check(struct guest *g, u64 nr, u64 gpa, u64 len);
/* The page-state check of the ONE hypervisor write path into an SNP guest's
 * memory (hv/svm/exits.c guest_write, which hc_write, the GHCB write-back and
 * the guest-request response go through): 0 if every page of
 * [gpa, gpa + len) is shared (hypervisor-owned in the RMP) right now, else
 * -EPERM (a private page: on SNP hardware the write would be an RMP #PF of
 * the host) or -EFAULT (not guest memory), counted and logged; the caller
 * then writes nothing. */
int snp_hv_write_check(struct guest *g, u64 gpa, u64 len);

/* The hypercall dispatcher (hv/svm/exits.c): raw VMMCALL of a plain guest and
 * the VMMCALL NAE of an SNP guest. Returns RAX; *act is the enum exit_action to take next. */
struct hc_call {
	u64 nr, a1, a2, a3, a4; /* RAX, RBX, RCX, RDX, RSI */
};
s64 hc_dispatch(struct vcpu *v, const struct hc_call *c, int *act);

#endif
