/* SEV-SNP guest support: PVALIDATE, the GHCB MSR protocol, the GHCB page
 * and its page-state-change NAE event, the #VC handler (vector 29).
 * References: AMD 56421 (GHCB specification) 2.3.1 and 4.1, APM vol 3
 * "PVALIDATE", APM vol 2 15.35 (#VC). The same code runs on SNP hardware
 * (CPUID/MSR/IO/VMMCALL raise #VC, VMGEXIT exits 0x403) and under snpvisor's
 * emulation (the hypervisor injects the same #VC; PVALIDATE and VMGEXIT are
 * emulated). docs/snp-guest.md. */
#ifndef GUEST_LIB_SNP_H
#define GUEST_LIB_SNP_H

#include "guest.h"
#include "hv/arch/x86/msr.h"
#include "snp/ghcb.h"
#include "snp/guest_msg.h"

#define CPUID_SEV_LEAF		 0x8000001fu
#define SEV_EBX_COHERENCY_SFW_NO (1u << 31)

/* PVALIDATE return codes (RAX) */
#define PV_SUCCESS	     0
#define PV_FAIL_INPUT	     1
#define PV_FAIL_SIZEMISMATCH 6
#define PV_4K		     0
#define PV_2M		     1

/* PVALIDATE F2 0F 01 FF: RAX = VA, ECX = size, EDX = 1 validate / 0
 * rescind; returns RAX, *cf = RFLAGS.CF (1: already in that state). */
static inline int pvalidate(uint64_t va, int size, int validate, bool *cf)
{
	uint64_t rax = va;
	uint8_t c;

	asm volatile(".byte 0xf2, 0x0f, 0x01, 0xff\n\tsetc %1"
		     : "+a"(rax), "=qm"(c)
		     : "c"((uint64_t)size), "d"((uint64_t)validate)
		     : "memory", "cc");
	*cf = c;
	return (int)rax;
}
/* The same, recovering from an exception: returns the code, or -1 and
 * *vec and *err = the exception (29 #VC with error 0x400 when the hypervisor
 * reports an RMP #NPF it did not resolve; 14 #PF for an unmapped VA). */
int pvalidate_safe(uint64_t va, int size, int validate, bool *cf, int *vec, uint64_t *err);

/* VMGEXIT (REP VMMCALL, F3 0F 01 D9) */
static inline void vmgexit(void)
{
	asm volatile(".byte 0xf3, 0x0f, 0x01, 0xd9" ::: "memory");
}

bool snp_active(void); /* SEV_STATUS bit 2 (read once) */

/* ---- GHCB MSR protocol: writes req to the GHCB MSR, VMGEXIT, returns the
 * MSR's new value (the previous MSR value is restored afterwards). ---- */
uint64_t ghcb_msr_call(uint64_t req);
int snp_msr_cpuid(uint32_t fn, struct cpuid_out *out);
int snp_msr_psc(uint64_t gfn, bool to_private); /* 0 or the response's error */
void snp_terminate(unsigned set, unsigned code) __attribute__((noreturn));

/* ---- start-up ---- */
struct snp_boot_stats {
	uint64_t pages_2m, pages_4k; /* validated now */
	uint64_t already_4k;	     /* 4K pages with CF=1 (validated at launch) */
	uint64_t already_2m;
	uint64_t retries_4k; /* 2M regions retried as 4K on FAIL_SIZEMISMATCH */
	uint64_t failures;
	uint64_t touched;	    /* pages whose first and last byte were touched */
	uint64_t ghcb_msr_at_entry; /* the GHCB MSR before the library wrote it: the
				     * hypervisor's SEV information (56421 2.3.1.1) */
};
extern struct snp_boot_stats snp_boot;
/* Installs the #VC handler, PVALIDATEs [0, mem_size), negotiates the GHCB
 * protocol, converts the GHCB page to shared and registers it, then
 * converts the hypercall bounce page to shared. Returns 0, or a negative
 * step number on failure. Does nothing without SNP. Runs once (guest_main
 * calls it before main); later calls return the first result. */
int snp_init(void);
int snp_validate_all(uint64_t mem_size);

/* ---- GHCB page ---- */
extern struct ghcb *snp_ghcb;
extern uint64_t snp_ghcb_gpa;
/* NAE event through the GHCB page: returns SW_EXITINFO1 (low 32 bits). */
uint64_t ghcb_nae(uint64_t exit_code, uint64_t info1, uint64_t info2);

/* Page-state change through the GHCB page (NAE 0x80000010): the range
 * [gpa, gpa + size) to private or shared, 2M entries where aligned when
 * use_2m; requests of at most 253 entries, each looped until cur_entry
 * passes end_entry. Returns 0 or SW_EXITINFO2 (error); *exits counts
 * VMGEXITs if not NULL. */
uint64_t snp_psc(uint64_t gpa, uint64_t size, bool to_private, bool use_2m, unsigned *exits);
/* One raw request: len bytes of desc copied to the shared buffer at offset
 * buf_off, SW_SCRATCH = its GPA (or scratch if nonzero), one VMGEXIT, the
 * buffer copied back. Returns SW_EXITINFO2; *info1 = SW_EXITINFO1. */
uint64_t snp_psc_raw(void *desc, size_t len, size_t buf_off, uint64_t scratch, uint64_t *info1);

/* Conversions with the validation and the C-bit around them, in Linux's
 * order (arch/x86/coco/sev: set_pages_state around the PTE change):
 *   to shared:  PVALIDATE rescind, PSC to shared, then clear the C-bit;
 *   to private: set the C-bit, PSC to private, then PVALIDATE.
 * PVALIDATE always goes through a C=1 mapping. 4K or 2M granules; 0 or -1. */
int snp_make_shared(uint64_t va, uint64_t size, bool use_2m);
int snp_make_private(uint64_t va, uint64_t size, bool use_2m);

/* ---- the C-bit (APM vol 2, 15.34.6) ----
 * Its position comes from CPUID 0x8000001F EBX[5:0], read through the GHCB
 * MSR protocol (CPUID #VCs on hardware) by snp_init, which also checks that
 * the SEV-information response reports the same bit. 0 before snp_init. */
extern unsigned snp_cbit;
extern uint64_t snp_cbit_mask;
int snp_cbit_init(void);
/* Sets (c) or clears the C-bit of the leaves mapping [va, va + size) in the
 * current page tables (identity mapped, VA == GPA), 4K aligned. A 2M leaf
 * only partly covered is first split into a 4 KiB table (same translations,
 * its entry keeps the C-bit: table pages are private) taken from a static
 * pool in .bss; every changed leaf is INVLPGed. 0, or -1 (not mapped, a 1G
 * leaf, pool exhausted). */
int snp_pt_set_c(uint64_t va, uint64_t size, bool c);
/* The walk of va: 0 and *leaf_c (the leaf has the C-bit), *tables_c (every
 * table entry on the way has it), *level (1 = 4K leaf, 2 = 2M leaf); -1 if
 * not mapped. Any pointer may be NULL. */
int snp_pt_query(uint64_t va, bool *leaf_c, bool *tables_c, int *level);
extern unsigned snp_pt_splits; /* 2M leaves split so far */

/* ---- #VC (vector 29) ---- */
/* Handles one #VC: CPUID (0x72), MSR (0x7c), IOIO (0x7b), VMMCALL (0x81)
 * through the GHCB (CPUID through the MSR protocol before the GHCB is
 * registered; anything else then terminates); 0x400 (RMP #NPF reported by
 * the hypervisor) to an armed fixup. A #VC while the GHCB is in use (a
 * printf inside a handler, a CPUID between filling the GHCB and VMGEXIT)
 * saves the GHCB to a backup, runs, and restores it; one level only (Linux
 * does the same): a #VC while the backup is in use terminates with
 * SNPV_TERM_VC_NESTED. Anything else terminates the guest. Exposed so the
 * tests can feed it frames. */
void snp_vc_handler(struct exc_frame *f);
void snp_vc_install(void);
#define SNP_VC_ERR_NONE (~0ULL) /* pushed by vc.S when the #VC had no error code */
enum { VC_CPUID, VC_MSR, VC_IOIO, VC_VMMCALL, VC_NPF, VC_OTHER, VC_NR };
extern uint64_t snp_vc_count;	      /* every #VC */
extern uint64_t snp_vc_counts[VC_NR]; /* per reason */
extern uint64_t snp_vc_noerr;	      /* #VC delivered without an error code (QEMU TCG) */
extern uint64_t snp_vc_nested;	      /* #VC taken while the GHCB was in use (backup used) */
/* The exit code of the instruction at rip (the #VC error code hardware
 * would push): CPUID 0x72, RDMSR/WRMSR 0x7c, IN/OUT 0x7b, VMMCALL 0x81,
 * PVALIDATE 0x400 (the emulation's RMP #NPF); 0 if none of these. */
uint64_t snp_vc_code_of(uint64_t rip);

/* Test hook: called by the #VC handler after the GHCB is taken (and, when
 * nested, saved), before the event is served. NULL except in tests. */
extern void (*snp_vc_test_hook)(void);

/* The GHCB in use by library code outside the #VC handler (hypercalls,
 * PSC): a #VC in between finds it busy and uses the backup. */
void snp_ghcb_get(void);
void snp_ghcb_put(void);

/* Termination reasons of the guest library (GHCB termination request,
 * 56421 2.3.1.9: reason code set 3, "snpvisor guest library"; 0 and 1 are
 * the GHCB spec's and Linux's). */
#define SNPV_TERM_SET	       3
#define SNPV_TERM_HC_NO_GHCB   1 /* hypercall before the GHCB is registered */
#define SNPV_TERM_VC_NO_GHCB   2 /* a #VC that needs the GHCB before it exists */
#define SNPV_TERM_VC_NESTED    3 /* #VC while the GHCB and its backup are in use */
#define SNPV_TERM_VC_UNHANDLED 4 /* unknown exit code, undecodable instruction */
#define SNPV_TERM_INIT	       5 /* snp_init failed (before main) */
#define SNPV_TERM_VC_REFUSED   6 /* the hypervisor refused a #VC's NAE event */

/* ---- hypercalls through the GHCB (docs/guest-abi.md "Hypercalls") ----
 * The VMMCALL NAE event (exit code 0x81): RAX = call number, RBX, RCX, RDX,
 * RSI = arguments, CPL; result in RAX. snp_hypercall() copies every pointer
 * argument of a known call into the shared bounce page (results back) and
 * refuses pointers outside guest memory with HC_EFAULT; the library's
 * hypercall() uses it for SNP guests. snp_hypercall_raw() passes the
 * registers as they are (the hypervisor refuses private GPAs).
 * Both terminate the guest (SNPV_TERM_HC_NO_GHCB) before snp_init has
 * registered the GHCB. */
#define SNP_NAE_VMMCALL 0x81 /* SVM_EXIT_VMMCALL */
int64_t snp_hypercall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4);
int64_t snp_hypercall_raw(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4);
extern uint8_t *snp_hc_bounce;	/* the shared bounce page (NULL before snp_init) */
extern uint64_t snp_hc_bounced; /* hypercalls that used it */

/* ---- attestation reports (docs/snp-guest.md "Attestation") ----
 * The secrets page the hypervisor launched at SNP_SECRETS_GPA holds VMPCK0.
 * snp_get_report() builds MSG_REPORT_REQ (user data, VMPL 0) in private
 * memory, seals it with VMPCK0 (AES-256-GCM, IV = sequence number), copies
 * only the sealed page to a shared request page, sends the SNP Guest
 * Request NAE (exit 0x8000_0011, SW_EXITINFO1/2 = request/response GPAs),
 * copies the response page back to private memory and opens it: sequence
 * number + 1, MSG_REPORT_RSP, tag. 0 and the report, or SNP_REPORT_E_*.
 * The sequence number advances only when a response was accepted. */
#define SNP_NAE_GUEST_REQUEST 0x80000011ULL
#define SNP_REPORT_E_INTERNAL (-1) /* no GHCB, or the pages could not be shared */
#define SNP_REPORT_E_REFUSED  (-2) /* the hypervisor or the firmware refused (SW_EXITINFO) */
#define SNP_REPORT_E_AUTH     (-3) /* the response did not authenticate or answer */
#define SNP_REPORT_E_STATUS   (-4) /* MSG_REPORT_RSP status not success */
int snp_get_report(const uint8_t user_data[64], struct snp_attestation_report *out);
/* One raw request: req (already sealed) to the shared request page, the
 * NAE, the shared response page copied to resp. 0 and *info1, *info2 =
 * SW_EXITINFO1/2 (info2: [63:32] hypervisor, [31:0] firmware error), or -1. */
int snp_guest_req_raw(const struct snp_guest_msg *req, struct snp_guest_msg *resp, uint64_t *info1,
		      uint64_t *info2);
const uint8_t *snp_vmpck0(void); /* VMPCK0 in the secrets page */
extern uint64_t snp_msg_seqno;	 /* last sequence number used with VMPCK0 */
extern uint64_t snp_guest_requests;

#endif
