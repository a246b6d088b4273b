/* hv/smp: starting the application processors (APs) and running functions
 * on every CPU. docs/smp.md.
 *
 * The BSP reads the ACPI MADT (hv/arch/x86/acpi.c madt_parse), copies the real-mode
 * trampoline (hv/arch/x86/smp_trampoline.S) into the page boot/efi_main.c reserved
 * below 1 MiB, and starts each enabled AP with INIT-SIPI-SIPI through its
 * local APIC (xAPIC MMIO or x2APIC MSRs, as the BSP's APIC runs). An AP goes
 * 16-bit -> 32-bit -> long mode on bridge tables, then to the hypervisor's
 * own CR3 and GDT in hv/arch/x86/smp_entry.S, reports alive and parks (HLT with
 * interrupts open; the BSP wakes it with a fixed IPI). APs only ever run the
 * functions given to smp_call_all: never printf, malloc or anything else
 * that is not thread-safe. */
#ifndef HV_SMP_H
#define HV_SMP_H

/* ---- trampoline layout, shared with the .S files --------------------------
 * Page 0 of the trampoline (docs/smp.md "Trampoline layout"): code from
 * offset 0, the GDT and the patched parameters at fixed offsets below. */
#define SMP_TR_GDT	  0xF00 /* 4 descriptors: null, code32, data32, code64 */
#define SMP_TR_GDTR	  0xF20 /* u16 limit, u32 base (patched: page + SMP_TR_GDT) */
#define SMP_TR_JMP32	  0xF28 /* m16:32 far pointer: u32 page + pm32, u16 SMP_SEL_CODE32 */
#define SMP_TR_JMP64	  0xF30 /* m16:32 far pointer: u32 page + lm64, u16 SMP_SEL_CODE64 */
#define SMP_TR_BRIDGE_CR3 0xF38 /* u32: root of the bridge tables (below 4 GiB) */
#define SMP_TR_HV_CR3	  0xF40 /* u64: the hypervisor's CR3 */
#define SMP_TR_ENTRY64	  0xF48 /* u64: address of smp_ap_entry64 (hypervisor code) */
#define SMP_TR_PM32_OFF	  0xF50 /* u32, filled by the assembler: offset of pm32 */
#define SMP_TR_LM64_OFF	  0xF54 /* u32, filled by the assembler: offset of lm64 */
#define SMP_TR_SIZE	  0xF58 /* bytes copied from the image */
#define SMP_SEL_CODE32	  0x08
#define SMP_SEL_DATA32	  0x10
#define SMP_SEL_CODE64	  0x18

/* Offsets in struct smp_ap_boot (read by hv/arch/x86/smp_entry.S). */
#define SMP_BOOT_STACK 0x00
#define SMP_BOOT_CPU   0x08
#define SMP_BOOT_CR0   0x10
#define SMP_BOOT_CR4   0x18
#define SMP_BOOT_GDTR  0x20 /* 10 bytes: limit, base */
#define SMP_BOOT_IDTR  0x30 /* 10 bytes */
#define SMP_BOOT_CS    0x40
#define SMP_BOOT_DS    0x42
#define SMP_BOOT_SIZE  0x48

#define SMP_WAKE_VECTOR 0xF1 /* the fixed IPI that wakes a parked AP */

#ifndef __ASSEMBLY__

#include "hv/arch/x86/acpi.h"
#include "hv/base/types.h"

#define SMP_MAX_CPUS	  MADT_MAX_CPUS
#define SMP_STACK_SIZE	  KiB(16)
#define SMP_ALIVE_MS	  2000	/* per AP, from the first SIPI (Linux waits 10 s) */
#define SMP_INIT_DELAY_US 10000 /* SDM vol 3A 9.4.4.1: INIT, then 10 ms */
#define SMP_SIPI_DELAY_US 200	/* SDM vol 3A 9.4.4.1: each SIPI, then 200 us */

enum smp_cpu_state {
	SMP_CPU_NONE = 0,    /* not started (smp = off, no trampoline, or BSP-only) */
	SMP_CPU_BOOTING,     /* INIT-SIPI-SIPI sent, not alive yet */
	SMP_CPU_ONLINE,	     /* alive and parked; runs smp_call_all functions */
	SMP_CPU_NO_ANSWER,   /* never said alive within SMP_ALIVE_MS (INIT sent back) */
	SMP_CPU_WRONG_ID,    /* came up with another APIC ID than the MADT says */
	SMP_CPU_FAULTED,     /* took an exception (vector in fault_vector); halted */
	SMP_CPU_LOST,	     /* missed an smp_call_all deadline; not used again */
	SMP_CPU_UNREACHABLE, /* an x2APIC ID the BSP's xAPIC cannot address */
};

/* One per CPU of the MADT (enabled entries); index 0 is the BSP. The AP
 * writes only its own slot (alive_*, result, done_gen, fault_*). */
struct smp_cpu {
	u32 apic_id; /* from the MADT */
	u32 madt_index;
	volatile u32 state;	    /* enum smp_cpu_state */
	volatile u32 alive;	    /* times the AP reached smp_ap_main (must be 1) */
	volatile u32 cpuid_apic_id; /* the AP's own: CPUID 0xB EDX, else 1 EBX[31:24] */
	volatile u32 lapic_id;	    /* its local APIC ID register */
	volatile u64 done_gen;	    /* last smp_call_all generation finished */
	volatile int result;	    /* its return value */
	volatile u32 fault_vector;
	volatile u64 fault_rip;
	u64 sipi_tsc, alive_tsc; /* TSC (BSP) at the first SIPI, AP's TSC when alive */
	u64 bringup_us;		 /* first SIPI -> alive, BSP-measured */
	u64 stack_top;
};

struct smp_state {
	bool madt_ok;
	struct madt_info madt;
	bool x2apic;	/* the BSP's APIC is in x2APIC mode */
	u64 lapic_base; /* xAPIC MMIO base */
	u64 tsc_khz;
	u64 trampoline;	 /* SPA of the trampoline page, 0 if none */
	unsigned ncpus;	 /* slots used: BSP + enabled APs of the MADT */
	unsigned online; /* CPUs in SMP_CPU_ONLINE, the BSP included */
	unsigned failed; /* enabled APs that did not come up */
	bool started;	 /* smp_init tried to start the APs */
	u64 init_us;	 /* whole bring-up (BSP TSC) */
	struct smp_cpu cpu[SMP_MAX_CPUS];
};

extern struct smp_state smp;

/* A function run on every CPU: cpu is the slot index (0 = BSP). It must not
 * call printf, malloc or other non-thread-safe code; it writes results to
 * its own slot of arg. */
typedef int (*smp_fn)(unsigned cpu, void *arg);

/* Reads the MADT and, when hv.cfg says smp = on, starts every enabled AP.
 * Never fails: an AP that does not come up is reported by APIC ID and
 * left out; the hypervisor goes on with the CPUs it has. Needs paging_init
 * and acpi_scan first. */
void smp_init(void);

/* Runs fn(cpu, arg) on every online CPU (the BSP too, last), waits for all
 * up to timeout_ms. done[i] says CPU i finished, ret[i] its return value
 * (arrays of SMP_MAX_CPUS, either may be NULL). 0 when every online CPU
 * finished; -ETIMEDOUT when some did not (they are marked LOST and named
 * in the log); -EINVAL for a NULL fn. Only the BSP may call it. */
int smp_call_all(smp_fn fn, void *arg, u64 timeout_ms, bool *done, int *ret);

/* Sends INIT to AP i: it stops and waits for a SIPI. Its state is left as
 * it is: the next smp_call_all misses it and marks it LOST (a test of that
 * path, and what a hung CPU looks like). */
int smp_cpu_stop(unsigned i);
/* Starts AP i again (INIT-SIPI-SIPI) if it is not online; 0 when it is
 * online again, -ETIMEDOUT when it did not answer, -EINVAL otherwise. */
int smp_cpu_restart(unsigned i);

/* BSP to x2APIC mode, every AP restarted in it (scenario smp-x2apic). 0,
 * -EOPNOTSUPP (no x2APIC), -EALREADY, -ETIMEDOUT. */
int smp_x2apic_switch(void);

/* The number of CPUs the MADT lists as enabled; 1 if there is no MADT. */
unsigned smp_cpus_listed(void);
/* True when every enabled MADT CPU is online. */
bool smp_all_online(void);
const char *smp_state_name(u32 state);

/* The BSP's APIC ID, read the way an AP reads its own. */
u32 smp_this_apic_id(void);
/* The running CPU's local APIC ID register (xAPIC bits 31:24 or x2APIC). */
u32 smp_this_lapic_id(void);

/* The `smp` and `smp-x2apic` scenarios (tests/qemu/smp-*.cfg). */
void scenario_smp(void);
void scenario_smp_x2apic(void);

#endif /* __ASSEMBLY__ */
#endif
