/* The guest as the exit handlers see it (hv/svm/exits.c, snp_guest.c), its
 * memory interface (struct guest_mem_ops, implemented over gmem by
 * hv/vm/guest_gmem.c) and the entry point of its lifecycle and scheduler
 * (hv/vm/guest.c). One vCPU per guest. */
#ifndef HV_GUEST_H
#define HV_GUEST_H

#include "hv/abi/hypercall.h"
#include "hv/base/config.h"
#include "hv/svm/cpuid.h"
#include "hv/mm/pt.h"
#include "hv/base/types.h"
#include "hv/svm/vcpu.h"
#include "hv/svm/guest_plat.h"
#include "hv/svm/vlapic.h"
#include "hv/svm/vioapic.h"
#include "hv/svm/vpit.h"
#include "hv/svm/vrtc.h"
#include "hv/svm/vuart.h"

struct boot_info;
struct snp_platform;

/* A guest's result; the first six equal enum cfg_expect one for one. */
enum guest_outcome {
	GUEST_PASS = CFG_EXPECT_PASS,
	GUEST_FAIL = CFG_EXPECT_FAIL,
	GUEST_TRIPLE_FAULT = CFG_EXPECT_TRIPLE_FAULT,
	GUEST_NPF = CFG_EXPECT_NPF,
	GUEST_KILLED = CFG_EXPECT_KILLED,
	GUEST_TIMEOUT = CFG_EXPECT_TIMEOUT,
	GUEST_RUNNING,
	GUEST_OUTCOME_NR
};

/* What the exit dispatcher tells the scheduler. */
enum exit_action {
	EXIT_RESUME, /* run the same vCPU again */
	EXIT_YIELD,  /* end of this guest's time slice (HLT, HC_YIELD, timer) */
	EXIT_STOP,   /* the guest is finished (outcome set) */
};

struct guest;

/* Guest memory behind one small interface: the exit handlers (hv/svm) reach
 * guest memory only through it; hv/vm/guest_gmem.c implements it over gmem. */
struct guest_mem_ops {
	const char *name;
	/* Backs GPA [0, g->mem_size) with RAM, builds the NPT, sets g->npt_root.
	 * May load the image and the boot-params page itself (an SNP launch
	 * measures them): then it sets g->mem_loaded. */
	int (*create)(struct guest *g, const void *image, u64 image_size);
	/* Gives back every frame and table page. */
	void (*destroy)(struct guest *g);
	/* SPA of gpa and the bytes contiguous in host memory from there (at
	 * most to the end of the mapping leaf). -EFAULT if not guest RAM. */
	int (*translate)(struct guest *g, gpa_t gpa, spa_t *out, u64 *contig);
	/* Nested page fault routing (gmem later): 0 = resolved, retry the
	 * access; -ENOENT = not guest memory. May be NULL. */
	int (*fault)(struct guest *g, gpa_t gpa, u64 err);
	/* Final per-guest memory report and checker verdict. May be NULL. */
	void (*report)(struct guest *g);
};

/* The emulated side of a Linux guest's passed-through devices (hv/vm/
 * guest_vpci.c): the exit handlers hand it PCI configuration port I/O and
 * the trapped MMIO pages (MSI-X table and PBA). NULL when the guest has
 * none. */
struct guest_dev_ops {
	/* Ports 0xCF8-0xCFF: 0 handled (*val in or out), -ENOENT not its port. */
	int (*pio)(struct guest *g, u16 port, unsigned size, bool in, u32 *val);
	/* True when gpa is a trapped page of one of its devices. */
	bool (*mmio_claims)(struct guest *g, u64 gpa);
	/* An aligned 32-bit access there. */
	void (*mmio)(struct guest *g, u64 gpa, bool write, u32 *val);
};

/* hv/vm/guest_gmem.c: guest memory from gmem (the only allocator of guest pages). */
extern const struct guest_mem_ops guest_mem_gmem;

#define GUEST_CON_LINE	      200 /* console line buffer (longer lines are split) */
#define GUEST_DETAIL_MAX      160
#define GUEST_BOOT_PARAMS_GPA 0x1000ULL /* struct hc_info page (docs/guest-abi.md) */

struct guest {
	char name[CFG_NAME_MAX + 1];
	u32 id;
	u32 asid;
	const struct cfg_guest *cfg;
	bool snp;
	struct snp_platform *plat; /* the SNP platform it runs on (guests_run) */
	u64 mem_size;
	gpa_t load, entry;
	u64 image_size;
	/* memory */
	const struct guest_mem_ops *mem_ops;
	spa_t npt_root;
	u8 owner;	 /* pmem owner id of everything the guest holds */
	bool mem_loaded; /* create() loaded the image and the boot-params page */
	void *mem_priv;
	/* vCPU and its pages */
	struct vcpu *vcpu;
	spa_t vmcb_pa, host_vmcb_pa, iopm_pa, msrpm_pa;
	struct cpuid_policy cpuid;
	/* emulated devices and MSRs */
	struct vuart uart; /* COM1 (hv/svm/guest_plat.c) */
	bool uart_line;	   /* its IRQ line as last driven */
	u64 uart_irqs;	   /* rising edges of that line (Linux guests) */
	u8 pm1[GUEST_PLAT_PM1_EVT_LEN + GUEST_PLAT_PM1_CNT_LEN]; /* ACPI PM1 registers */
	u64 pm1_bad;	   /* refused ACPI PM1 register accesses */
	/* A Linux guest (hv.cfg kernel =, hv/vm/guest_linux.c): the virtual
	 * platform of docs/linux.md (xAPIC page, legacy ports absent, MSR
	 * list); halted = HLT with IF = 1, asleep until the APIC has an
	 * interrupt for it. */
	bool is_linux;
	bool halted;
	const struct guest_dev_ops *dev_ops;
	u64 now; /* TSC at the last exit (the scheduler sets it) */
	struct vlapic lapic;
	struct vioapic ioapic; /* at 0xFEC00000, COM1 on pin 4 */
	struct vrtc rtc; /* ports 0x70/0x71 of a Linux guest */
	struct vpit pit; /* ports 0x42, 0x43, 0x61 of a Linux guest */
	u64 mmio_exits, irqs_injected, msr_gp;
	u64 ghcb_msr;
	/* Devices passed through (HC_DEV_INFO answers from here, hv/svm/exits.c):
	 * filled by guest_dev_assign (hv/vm/guest_dev.c) once every device of
	 * the guest is attached, cleared by guest_dev_put. */
	struct hc_dev_info devs[CFG_MAX_DEVICES];
	u32 n_devs;
	u32 test_abi_refused; /* test-only hypercalls refused (no test_abi = on) */
	char con_line[GUEST_CON_LINE + 1];
	u32 con_len;
	/* results */
	enum guest_outcome outcome;
	char detail[GUEST_DETAIL_MAX];
	u32 checks_passed, checks_failed;
	u64 exit_status; /* HC_EXIT argument */
	u64 run_ticks;	 /* TSC ticks spent in the guest (hypervisor side included) */
	u64 exits_total; /* copied from the vCPU when it is destroyed */
	u64 exit_counts[EXIT_STAT_NR];
	u64 slices;
	/* make bench (HC_BENCH_MARK, test image only): round trips per second
	 * of CPUID exits through the full dispatcher and of bare VMRUNs; 0 if
	 * not measured. */
	u64 bench_full_per_s, bench_bare_per_s;
	/* Memory summary taken by mem_ops->report before the guest's memory
	 * goes (printed in the final table). */
	struct guest_mem_summary {
		bool valid;
		u64 private_pages, shared_pages; /* 4K units, gmem's ledger */
		u64 rmp_4k, rmp_2m;		 /* RMP entries assigned to the ASID */
		u64 npt_tables, iommu_tables;	 /* page-table pages */
		u64 conversions, inv_rounds;	 /* 4K pages converted; invalidation rounds */
		u64 xcheck_runs;
		u64 leaked_pages; /* kept on purpose at teardown: RMP not hypervisor-owned */
		bool xcheck_clean;
		char digest[97]; /* launch digest (SNP), "" otherwise */
	} mem;
};

/* ---- results (hv/svm/exits.c) ---- */
const char *guest_outcome_name(enum guest_outcome o);
/* Ends the guest with o (the first outcome set wins). */
void guest_finish(struct guest *g, enum guest_outcome o, const char *fmt, ...) __printf(3, 4);
static inline bool guest_done(const struct guest *g)
{
	return g->outcome != GUEST_RUNNING;
}

struct hc_info;
/* The boot-params page / HC_GET_INFO contents of g. */
void guest_fill_info(const struct guest *g, struct hc_info *info);

/* ---- guest console (hv/svm/exits.c): COM1 output, line-buffered ---- */
void guest_con_putc(struct guest *g, char c);
void guest_con_flush(struct guest *g);

/* ---- guest memory access, every GPA checked (hv/svm/exits.c, through mem_ops) ---- */
int guest_read(struct guest *g, gpa_t gpa, void *buf, u64 len);
int guest_write(struct guest *g, gpa_t gpa, const void *buf, u64 len);
/* Port I/O on the guest's platform (COM1 model; absent ports read all ones,
 * writes vanish): the IOIO exit and the IOIO NAE of an SNP Linux guest. */
void guest_pio(struct guest *g, u16 port, u8 size, bool in, u32 *val);
/* Writes a hypercall result into the guest at GPA ga (hv/svm/exits.c; nr names
 * the call in the log line): for an SNP guest only into shared pages. 0, or
 * HC_EFAULT with nothing written. */
int hc_write(struct guest *g, u64 nr, u64 ga, const void *buf, u64 len);
/* Reads a NUL-terminated string of at most max characters into buf
 * (max + 1 bytes). -EFAULT for a bad GPA, -ENAMETOOLONG without a NUL. */
int guest_read_str(struct guest *g, gpa_t gpa, char *buf, u64 max);

/* ---- virtual interrupts of a Linux guest (hv/svm/exits.c) ---- */
/* Before VMRUN: fires the APIC timer if due (now = TSC) and injects the
 * highest pending interrupt through EVENTINJ when the guest can take it
 * (RFLAGS.IF, no interrupt shadow, no event pending), else asks for a VINTR
 * exit (V_IRQ + the VINTR intercept, APM vol 2, 15.21.4) at the moment it
 * can. Clears g->halted when an interrupt is pending. */
void guest_irq_sync(struct vcpu *v, u64 now);

/* ---- exit handling (hv/svm/exits.c) ---- */
/* SNP guests (g->snp) go to hv/svm/snp_guest.c, called directly. */
enum exit_action svm_handle_exit(struct vcpu *v);

/* ---- lifecycle and scheduler (hv/vm/guest.c, hypervisor only) ---- */
/* Creates every guest of cfg (images from bi->files) on the SNP platform snp
 * (snp/platform.h; SNP guests need it enabled), runs them round-robin
 * with preemption, prints the report. Returns the number of guests whose
 * outcome differs from their expect, or a negative errno if nothing ran. */
int guests_run(const struct hv_config *cfg, const struct boot_info *bi, struct snp_platform *snp);

#endif
