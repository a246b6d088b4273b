/* The snpvisor hypercall ABI, shared by the hypervisor (hv/svm/exits.c) and the
 * guest library (guest/lib). Plain C types only: guests include it too.
 * docs/guest-abi.md is the prose version.
 *
 * A hypercall is the VMMCALL instruction (0F 01 D9, exactly these 3 bytes,
 * no prefixes: without NRIP save the hypervisor advances RIP by 3).
 *   RAX = call number (HC_*), RBX, RCX, RDX, RSI = arguments
 *   RAX <- result: >= 0 success, < 0 one of the HC_E* codes
 * All other registers, the flags and the FPU/SSE state are preserved.
 * Every GPA argument is checked against the guest's memory through its NPT;
 * a bad pointer gives HC_EFAULT, never harm to the hypervisor.
 *
 * SNP guests (docs/guest-abi.md "Hypercalls"): the same registers travel in
 * the GHCB as the VMMCALL NAE event (56421 4.1, SW_EXITCODE 0x81, inputs
 * RAX, CPL, RBX, RCX, RDX, RSI marked valid; RAX returned), only after the
 * GHCB is registered, and every GPA argument must lie in pages that are
 * SHARED (the guest library copies through a shared bounce page); a
 * private GPA gives HC_EFAULT with nothing read or written. */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#include <stdint.h>

#define HC_ABI_VERSION 1

/* Call numbers */
#define HC_PUTS 1 /* RBX = GPA of text, RCX = length (<= HC_PUTS_MAX) -> bytes written */
#define HC_TEST_RESULT                                                                             \
	2	      /* RBX = GPA of NUL-terminated test name, RCX = 1 pass / 0 fail,             \
		       * RDX = GPA of NUL-terminated detail or 0 -> 0 */
#define HC_EXIT	    3 /* RBX = status (HC_EXIT_PASS or other): does not return */
#define HC_YIELD    4 /* give up the rest of the time slice -> 0 */
#define HC_GET_INFO 5 /* RBX = GPA of struct hc_info, RCX = its size -> bytes written */
#define HC_BENCH_MARK                                                                              \
	6 /* RBX = phase: 0 full-exit phase starts, 1 bare-VMRUN phase starts, 2 it ends -> 0 */
#define HC_DEV_INFO                                                                                \
	7 /* RBX = n (0-based device of this guest), RCX = GPA of struct hc_dev_info, RDX = its    \
	   * size -> bytes written; HC_EINVAL when the guest has no n-th device */
#define HC_DMA_PHASE                                                                               \
	8 /* RBX = HC_DMA_BEGIN: RCX = GPA of struct hc_dma_targets (or 0), RDX = its size -> the  \
	   * number of targets; the hypervisor checksums its memory and other guests'.             \
	   * RBX = HC_DMA_END -> the number of memory owners whose checksum changed (0: none);     \
	   * reported as "@@ CHECK dev.<guest>.dma_phase_memory_unchanged"; the interrupts the     \
	   * hypervisor took per vector in between: "dev.<guest>.dma_phase_no_host_irq". Between   \
	   * the two the guest must make no hypercall and no port I/O (docs/devices.md). */
#define HC_SNP_ATTESTED                                                                            \
	9 /* SNP guests only: RBX = GPA of the 48-byte MEASUREMENT of the guest's attestation      \
	   * report, RCX = 48 -> 0 if it equals the launch digest the hypervisor printed, 1 if     \
	   * not; reported as "@@ CHECK snp.<guest>.attested_digest" (docs/snp-guest.md) */
#define HC_NR 10 /* first unused number */

/* HC_EXIT status: 0 = the guest's own tests passed (the hypervisor still
 * turns it into "fail" if any HC_TEST_RESULT failed); anything else = fail. */
#define HC_EXIT_PASS 0
#define HC_EXIT_FAIL 1
/* Exit status the guest library uses after an unexpected exception:
 * HC_EXIT_EXCEPTION + vector. */
#define HC_EXIT_EXCEPTION 0x100

/* Limits the hypervisor enforces */
#define HC_PUTS_MAX   256 /* bytes per HC_PUTS */
#define HC_NAME_MAX   63  /* characters of a test name */
#define HC_DETAIL_MAX 127 /* characters of a test detail */

/* Results */
#define HC_OK	  0
#define HC_EPERM  (-1)	/* SNP guest: a VMMCALL NAE from CPL > 0 */
#define HC_EFAULT (-14) /* a GPA argument is not guest RAM (or too long) */
#define HC_EINVAL (-22) /* an argument is out of range */
#define HC_ENOSYS (-38) /* unknown call number */

/* CPUID leaf of the hypervisor (hypervisor bit CPUID 1 ECX[31] is set):
 *   0x40000000: EAX = highest hypervisor leaf, EBX ECX EDX = "snpvisor\0\0\0\0"
 *   0x40000001: EAX = HC_ABI_VERSION, EBX = HC_INFO_F_* flags, ECX = HC_NR */
#define HC_CPUID_BASE	 0x40000000u
#define HC_CPUID_INFO	 0x40000001u
#define HC_CPUID_SIG_EBX 0x76706e73u /* "snpv" */
#define HC_CPUID_SIG_ECX 0x726f7369u /* "isor" */
#define HC_CPUID_SIG_EDX 0x00000000u

#define HC_INFO_F_SNP (1u << 0) /* the guest runs with SNP (emulated or real) */

/* HC_GET_INFO result (also the boot-params page the vCPU finds in EBX at
 * entry, docs/guest-abi.md). Little-endian, packed. */
struct hc_info {
	uint32_t abi_version; /* HC_ABI_VERSION */
	uint32_t flags;	      /* HC_INFO_F_* */
	uint64_t mem_size;    /* guest RAM [0, mem_size) */
	uint64_t load_gpa;    /* where the image was loaded */
	uint64_t entry_gpa;   /* where the vCPU started */
	uint64_t image_size;  /* bytes of the image */
	uint32_t guest_id;    /* index in the hypervisor's configuration */
	uint32_t cbit;	      /* C-bit position reported by CPUID 0x8000001F (0: none) */
	char name[16];	      /* guest name, NUL-terminated */
	char args[128];	      /* args = ... from the configuration, NUL-terminated */
} __attribute__((packed));

_Static_assert(sizeof(struct hc_info) == 192, "struct hc_info size");

/* HC_DEV_INFO result: one device passed through to the guest (docs/devices.md). */
struct hc_dev_info {
	uint16_t bdf; /* bus << 8 | dev << 3 | fn */
	uint16_t vendor, device;
	uint8_t trusted; /* 1: its IOMMU domain maps private memory too */
	uint8_t rsvd;
	uint32_t count; /* devices this guest has */
	uint32_t rsvd2;
	uint64_t bar0_gpa; /* BAR0 in the guest's NPT: uncached, not executable */
	uint64_t bar0_size;
} __attribute__((packed));

_Static_assert(sizeof(struct hc_dev_info) == 32, "struct hc_dev_info size");

#define HC_DMA_BEGIN	   0
#define HC_DMA_END	   1
#define HC_DMA_TARGETS_MAX 12
/* Target kinds: an IOVA the guest may aim its DMA at that must NOT land. */
#define HC_DMA_T_GPA   1 /* a GPA beyond the guest's RAM */
#define HC_DMA_T_HV    2 /* the SPA of a hypervisor structure, used as an IOVA */
#define HC_DMA_T_GUEST 3 /* another guest's frame (SPA) or GPA range */

/* HC_DMA_PHASE begin: where to aim (test ABI: these are host addresses, given
 * only to prove isolation; a production hypervisor would not hand them out). */
struct hc_dma_targets {
	uint32_t n;
	uint32_t rsvd;
	struct {
		uint64_t addr;
		uint32_t kind;
		char what[20];
	} t[HC_DMA_TARGETS_MAX];
} __attribute__((packed));

#endif
