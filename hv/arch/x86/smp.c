/* Starting the APs and running functions on every CPU (see hv/arch/x86/smp.h,
 * docs/smp.md). Hardware access only.
 *
 * References: Intel SDM vol 3A 9.4.4.1 "Typical BSP Initialization
 * Sequence" (INIT, 10 ms, SIPI, 200 us, SIPI, 200 us) and 10.6.1 (ICR:
 * delivery modes INIT 101b / start-up 110b, level, delivery status; INIT
 * level de-assert is not supported on integrated APICs, so it is not sent);
 * 10.12.9 (x2APIC ICR as MSR 0x830, one 64-bit write, no delivery status);
 * AMD APM vol 2 16.3-16.5 (local APIC, IPIs, startup), 16.9 (x2APIC);
 * ACPI 6.4 5.2.12 (MADT). */
#include "hv/arch/x86/smp.h"

#include <errno.h>
#include <string.h>

#include "hv/base/bits.h"
#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/machine.h"
#include "hv/arch/x86/msr.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/arch/x86/paging.h"
#include "hv/arch/x86/tsc.h"
#include "hv/mm/pmem.h"

struct smp_state smp;

/* ---- local APIC (APM vol 2 16.3; SDM vol 3A 10.4, 10.6, 10.12) ---------- */
#define APIC_ID		    0x020
#define APIC_XAPIC_ID	    GENMASK(31, 24)
#define APIC_TPR	    0x080
#define APIC_EOI	    0x0B0
#define APIC_SVR	    0x0F0
#define APIC_SVR_ENABLE	    BIT(8)
#define APIC_SPURIOUS_VEC   0xFF
#define APIC_ICR_LO	    0x300
#define APIC_ICR_HI	    0x310
#define ICR_VECTOR	    GENMASK(7, 0)
#define ICR_DM_FIXED	    (0ULL << 8)
#define ICR_DM_INIT	    (5ULL << 8)
#define ICR_DM_STARTUP	    (6ULL << 8)
#define ICR_DELIVERY_BUSY   BIT(12) /* xAPIC only */
#define ICR_LEVEL_ASSERT    BIT(14)
#define ICR_XAPIC_DEST	    GENMASK(31, 24) /* in ICR_HI */
#define ICR_X2APIC_DEST	    GENMASK(63, 32)
#define XAPIC_MAX_DEST	    0xFE /* 0xFF is the broadcast ID */
#define ICR_IDLE_TIMEOUT_US 10000

/* CPUID 1 EBX[31:24]: initial APIC ID; CPUID 0xB EDX: x2APIC ID. */
#define CPUID_1_EBX_APIC_ID GENMASK(31, 24)
#define CPUID_1_ECX_X2APIC  BIT(21)

/* The boot parameters smp_ap_entry64 reads (offsets in hv/arch/x86/smp.h). */
struct smp_ap_boot {
	u64 stack;
	u64 cpu;
	u64 cr0;
	u64 cr4;
	u16 gdt_limit;
	u64 gdt_base;
	u8 pad0[6];
	u16 idt_limit;
	u64 idt_base;
	u8 pad1[6];
	u16 cs;
	u16 ds;
	u8 pad2[4];
} __packed;
CHECK_SIZE(struct smp_ap_boot, SMP_BOOT_SIZE);
CHECK_OFFSET(struct smp_ap_boot, stack, SMP_BOOT_STACK);
CHECK_OFFSET(struct smp_ap_boot, cpu, SMP_BOOT_CPU);
CHECK_OFFSET(struct smp_ap_boot, cr0, SMP_BOOT_CR0);
CHECK_OFFSET(struct smp_ap_boot, cr4, SMP_BOOT_CR4);
CHECK_OFFSET(struct smp_ap_boot, gdt_limit, SMP_BOOT_GDTR);
CHECK_OFFSET(struct smp_ap_boot, idt_limit, SMP_BOOT_IDTR);
CHECK_OFFSET(struct smp_ap_boot, cs, SMP_BOOT_CS);
CHECK_OFFSET(struct smp_ap_boot, ds, SMP_BOOT_DS);

/* Read by the assembly (hidden symbols: no dynamic relocation). */
__attribute__((visibility("hidden"))) volatile struct smp_ap_boot smp_ap_boot __aligned(16);
static struct idt_gate smp_idt[256] __aligned(16);

extern const u8 smp_tramp_start[], smp_tramp_end[];
extern const u8 smp_ap_fault_stubs[], smp_ap_wake_stub[];
extern void smp_ap_entry64(void);

/* The job smp_call_all hands out: APs compare gen with their done_gen. */
static struct {
	smp_fn fn;
	void *arg;
	volatile u64 gen;
} job;

__attribute__((visibility("hidden"))) void smp_ap_main(unsigned cpu) __noreturn;
__attribute__((visibility("hidden"))) void smp_ap_fault(u64 vector, u64 err, u64 rip) __noreturn;
__attribute__((visibility("hidden"))) void smp_ap_eoi(void);

static u32 lapic_read(u32 reg)
{
	if (smp.x2apic)
		return (u32)rdmsr(X2APIC_MSR(reg));
	return *(volatile u32 *)(uintptr_t)(smp.lapic_base + reg);
}

static void lapic_write(u32 reg, u32 v)
{
	if (smp.x2apic)
		wrmsr(X2APIC_MSR(reg), v);
	else
		*(volatile u32 *)(uintptr_t)(smp.lapic_base + reg) = v;
}

static u64 tsc_us(u64 ticks)
{
	return ticks * 1000 / smp.tsc_khz;
}

static void delay_us(u64 us)
{
	u64 end = rdtsc() + us * smp.tsc_khz / 1000;

	while (rdtsc() < end)
		cpu_relax();
}

/* Sends one IPI; xAPIC: waits for the previous one to leave the ICR
 * (delivery status, SDM 10.6.1). -ETIMEDOUT if it never does. */
static int send_ipi(u32 apic_id, u64 icr)
{
	if (smp.x2apic) {
		wrmsr(X2APIC_MSR(APIC_ICR_LO), FIELD_PREP(ICR_X2APIC_DEST, apic_id) | icr);
		return 0;
	}
	for (u64 t0 = rdtsc(); lapic_read(APIC_ICR_LO) & ICR_DELIVERY_BUSY;) {
		if (tsc_us(rdtsc() - t0) > ICR_IDLE_TIMEOUT_US)
			return -ETIMEDOUT;
		cpu_relax();
	}
	lapic_write(APIC_ICR_HI, (u32)FIELD_PREP(ICR_XAPIC_DEST, apic_id));
	lapic_write(APIC_ICR_LO, (u32)icr);
	return 0;
}

/* The APIC ID as the running CPU reports it: CPUID 0xB EDX (x2APIC ID,
 * all 32 bits) when leaf 0xB exists, else CPUID 1 EBX[31:24]. */
u32 smp_this_apic_id(void)
{
	if (cpuid(0).eax >= 0xB && cpuid_count(0xB, 0).ebx != 0)
		return cpuid_count(0xB, 0).edx;
	return (u32)FIELD_GET(CPUID_1_EBX_APIC_ID, cpuid(1).ebx);
}

u32 smp_this_lapic_id(void)
{
	u32 id = lapic_read(APIC_ID);

	return smp.x2apic ? id : (u32)FIELD_GET(APIC_XAPIC_ID, id);
}

const char *smp_state_name(u32 state)
{
	static const char *const names[] = {
	    [SMP_CPU_NONE] = "not started",
	    [SMP_CPU_BOOTING] = "booting",
	    [SMP_CPU_ONLINE] = "online",
	    [SMP_CPU_NO_ANSWER] = "no answer",
	    [SMP_CPU_WRONG_ID] = "wrong APIC ID",
	    [SMP_CPU_FAULTED] = "faulted",
	    [SMP_CPU_LOST] = "lost",
	    [SMP_CPU_UNREACHABLE] = "unreachable",
	};

	return state < ARRAY_SIZE(names) && names[state] ? names[state] : "?";
}

unsigned smp_cpus_listed(void)
{
	return smp.madt_ok ? smp.madt.nr_enabled : 1;
}

bool smp_all_online(void)
{
	return smp.online == smp_cpus_listed();
}

/* ---- on the AP ------------------------------------------------------------ */

/* Enables this AP's local APIC in the BSP's mode. INIT leaves the APIC
 * software-disabled (SVR bit 8 clear, SDM 10.4.7.1): fixed IPIs would not
 * be accepted. x2APIC needs EN and EXTD together (SDM 10.12.5). */
static void ap_lapic_on(void)
{
	u64 base = rdmsr(MSR_IA32_APICBASE);

	if (smp.x2apic && !(base & X2APIC_ENABLE))
		wrmsr(MSR_IA32_APICBASE, base | MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE);
	lapic_write(APIC_TPR, 0);
	lapic_write(APIC_SVR, (u32)APIC_SVR_ENABLE | APIC_SPURIOUS_VEC);
}

void smp_ap_eoi(void)
{
	lapic_write(APIC_EOI, 0);
}

void smp_ap_fault(u64 vector, u64 err, u64 rip)
{
	u64 cpu = rdmsr(MSR_GS_BASE);

	if (cpu > 0 && cpu < smp.ncpus) {
		smp.cpu[cpu].fault_rip = rip;
		smp.cpu[cpu].fault_vector = (u32)vector;
		__atomic_store_n(&smp.cpu[cpu].state, SMP_CPU_FAULTED, __ATOMIC_RELEASE);
	}
	(void)err;
	for (;;)
		asm volatile("cli; hlt");
}

/* Parks with interrupts open only inside "sti; hlt" (the STI shadow makes
 * the pair atomic: a wake IPI sent after the check below ends the HLT). */
void smp_ap_main(unsigned idx)
{
	struct smp_cpu *c = &smp.cpu[idx];
	u64 seen;

	wrmsr(MSR_GS_BASE, idx); /* for smp_ap_fault */
	ap_lapic_on();
	c->cpuid_apic_id = smp_this_apic_id();
	c->lapic_id = smp_this_lapic_id();
	c->alive_tsc = rdtsc();
	seen = __atomic_load_n(&job.gen, __ATOMIC_ACQUIRE);
	c->done_gen = seen;
	__atomic_add_fetch(&c->alive, 1, __ATOMIC_RELEASE);
	for (;;) {
		u64 gen;

		cli();
		gen = __atomic_load_n(&job.gen, __ATOMIC_ACQUIRE);
		if (gen != seen) {
			seen = gen;
			if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == SMP_CPU_ONLINE) {
				c->result = job.fn(idx, job.arg);
				__atomic_store_n(&c->done_gen, gen, __ATOMIC_RELEASE);
			}
			continue;
		}
		asm volatile("sti; hlt; cli" ::: "memory");
	}
}

/* ---- on the BSP: preparing ----------------------------------------------- */

static void idt_build(u16 cs)
{
	for (unsigned v = 0; v < ARRAY_SIZE(smp_idt); v++) {
		u64 a = v < 32 ? (u64)(uintptr_t)smp_ap_fault_stubs + 16 * v
			       : (u64)(uintptr_t)smp_ap_wake_stub;

		smp_idt[v] = idt_gate_intr(a, cs);
	}
}

/* Bridge tables: an identity map with only the trampoline page and the
 * page of smp_ap_entry64, both read-only + executable, built by the pt
 * engine in trampoline pages 1.. (below 1 MiB, so CR3 fits 32 bits). */
static spa_t bridge_next, bridge_end;

static int bridge_alloc(void *ctx, spa_t *out)
{
	if (spa_val(bridge_next) >= spa_val(bridge_end))
		return -ENOMEM;
	*out = bridge_next;
	bridge_next = spa_add(bridge_next, PAGE_SIZE);
	return 0;
}

static void bridge_free(void *ctx, spa_t pa)
{
	/* never: the bridge tables live as long as the hypervisor */
}

static int bridge_build(u64 tramp, u64 *root)
{
	static struct pt bridge;
	const struct pt_mm mm = {bridge_alloc, bridge_free, NULL};
	u64 entry = ALIGN_DOWN((u64)(uintptr_t)smp_ap_entry64, PAGE_SIZE);
	int err;

	bridge_next = spa(tramp + PAGE_SIZE);
	bridge_end = spa(tramp + BOOT_TRAMPOLINE_PAGES * PAGE_SIZE);
	err = pt_init(&bridge, &pt_fmt_x86, 4, &mm);
	if (!err)
		err = pt_map(&bridge, tramp, spa(tramp), PAGE_SIZE, PT_R | PT_X, PT_SZ_4K, NULL);
	if (!err)
		err = pt_map(&bridge, entry, spa(entry), PAGE_SIZE, PT_R | PT_X, PT_SZ_4K, NULL);
	if (err) {
		pr_err("smp: cannot build the bridge page tables in the trampoline pages (%d)\n",
		       err);
		return err;
	}
	*root = spa_val(pt_root(&bridge));
	return 0;
}

static void put32(u64 page, u32 off, u32 v)
{
	memcpy((u8 *)phys_ptr(spa(page)) + off, &v, sizeof(v));
}

static void put64(u64 page, u32 off, u64 v)
{
	memcpy((u8 *)phys_ptr(spa(page)) + off, &v, sizeof(v));
}

static u32 get32(u64 page, u32 off)
{
	u32 v;

	memcpy(&v, (const u8 *)phys_ptr(spa(page)) + off, sizeof(v));
	return v;
}

/* Copies and patches the trampoline, builds the bridge tables, then makes
 * the page read-only in the hypervisor's own map too (it stays NX there:
 * the APs execute it only through the bridge tables). */
static int trampoline_setup(u64 tramp)
{
	u64 bridge_root;
	int err;

	if ((u64)(smp_tramp_end - smp_tramp_start) != SMP_TR_SIZE ||
	    (u64)(uintptr_t)smp_ap_entry64 % 128)
		panic("smp: trampoline image is %ld bytes (want %d) or entry misaligned",
		      (long)(smp_tramp_end - smp_tramp_start), SMP_TR_SIZE);
	if (!tramp || !IS_ALIGNED(tramp, PAGE_SIZE) ||
	    tramp + BOOT_TRAMPOLINE_PAGES * PAGE_SIZE > MiB(1)) {
		pr_err("smp: no usable trampoline below 1 MiB (0x%llx): the APs cannot be "
		       "started\n",
		       (unsigned long long)tramp);
		return -ENOENT;
	}
	err = bridge_build(tramp, &bridge_root);
	if (err)
		return err;
	memset(phys_ptr(spa(tramp)), 0, PAGE_SIZE);
	memcpy(phys_ptr(spa(tramp)), smp_tramp_start, SMP_TR_SIZE);
	put32(tramp, SMP_TR_GDTR + 2, (u32)(tramp + SMP_TR_GDT));
	put32(tramp, SMP_TR_JMP32, (u32)tramp + get32(tramp, SMP_TR_PM32_OFF));
	put32(tramp, SMP_TR_JMP64, (u32)tramp + get32(tramp, SMP_TR_LM64_OFF));
	put32(tramp, SMP_TR_BRIDGE_CR3, (u32)bridge_root);
	put64(tramp, SMP_TR_HV_CR3, read_cr3());
	put64(tramp, SMP_TR_ENTRY64, (u64)(uintptr_t)smp_ap_entry64);
	err = pt_protect(&hv_pt, tramp, PAGE_SIZE, PT_R | PT_GLOBAL, NULL);
	flush_tlb_all();
	if (err)
		pr_warn("smp: trampoline page stays writable in the hypervisor's map (%d)\n", err);
	return 0;
}

static void boot_params_fill(void)
{
	struct desc_ptr gdtr;
	u16 cs, ds;

	asm volatile("sgdt %0" : "=m"(gdtr));
	asm volatile("mov %%cs, %0" : "=r"(cs));
	asm volatile("mov %%ds, %0" : "=r"(ds));
	idt_build(cs);
	smp_ap_boot.cr0 = read_cr0();
	smp_ap_boot.cr4 = read_cr4();
	smp_ap_boot.gdt_limit = gdtr.limit;
	smp_ap_boot.gdt_base = gdtr.base;
	smp_ap_boot.idt_limit = sizeof(smp_idt) - 1;
	smp_ap_boot.idt_base = (u64)(uintptr_t)smp_idt;
	smp_ap_boot.cs = cs;
	smp_ap_boot.ds = ds;
}

/* One stack of SMP_STACK_SIZE per AP, carved out of 2M pmem blocks. */
static int stacks_alloc(void)
{
	const u64 per_block = HUGE_SIZE / SMP_STACK_SIZE;
	int owner = pmem_owner_register("smp");
	spa_t block = spa(0);

	if (owner < 0)
		return owner;
	for (unsigned i = 1; i < smp.ncpus; i++) {
		if ((i - 1) % per_block == 0) {
			int err = pmem_alloc(PMEM_ORDER_2M, (u8)owner, &block);

			if (err) {
				pr_err("smp: no memory for AP stacks (%d)\n", err);
				return err;
			}
		}
		smp.cpu[i].stack_top = spa_val(block) + ((i - 1) % per_block + 1) * SMP_STACK_SIZE;
	}
	return 0;
}

/* ---- on the BSP: INIT-SIPI-SIPI ------------------------------------------ */

static void ap_start(unsigned i)
{
	struct smp_cpu *c = &smp.cpu[i];
	const u64 sipi = ICR_DM_STARTUP | ICR_LEVEL_ASSERT | (smp.trampoline >> PAGE_SHIFT);
	u64 deadline;

	smp_ap_boot.stack = c->stack_top;
	smp_ap_boot.cpu = i;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	c->sipi_tsc = rdtsc();
	if (send_ipi(c->apic_id, sipi) == 0) {
		delay_us(SMP_SIPI_DELAY_US);
		send_ipi(c->apic_id, sipi); /* ignored unless still waiting for SIPI */
		delay_us(SMP_SIPI_DELAY_US);
	}
	deadline = c->sipi_tsc + (u64)SMP_ALIVE_MS * smp.tsc_khz;
	while (!__atomic_load_n(&c->alive, __ATOMIC_ACQUIRE) && rdtsc() < deadline)
		cpu_relax();
	if (!__atomic_load_n(&c->alive, __ATOMIC_ACQUIRE)) {
		c->state = SMP_CPU_NO_ANSWER;
		/* Back to wait-for-SIPI: a late start would share the next AP's
		 * boot parameters and stack. */
		send_ipi(c->apic_id, ICR_DM_INIT | ICR_LEVEL_ASSERT);
		pr_err("smp: CPU %u (APIC ID %u) did not come up within %u ms; going on without "
		       "it\n",
		       i, c->apic_id, SMP_ALIVE_MS);
		return;
	}
	c->bringup_us = tsc_us(rdtsc() - c->sipi_tsc);
	if (c->cpuid_apic_id != c->apic_id) {
		c->state = SMP_CPU_WRONG_ID;
		pr_err("smp: CPU %u started for APIC ID %u reports APIC ID %u; not used\n", i,
		       c->apic_id, c->cpuid_apic_id);
		return;
	}
	__atomic_store_n(&c->state, SMP_CPU_ONLINE, __ATOMIC_RELEASE);
	smp.online++;
}

static void start_aps(void)
{
	u64 t0 = rdtsc();

	/* INIT every AP first: one 10 ms wait covers them all. */
	for (unsigned i = 1; i < smp.ncpus; i++) {
		struct smp_cpu *c = &smp.cpu[i];

		if (!smp.x2apic && c->apic_id > XAPIC_MAX_DEST) {
			c->state = SMP_CPU_UNREACHABLE;
			pr_err("smp: CPU %u has x2APIC ID %u but the BSP's APIC is in xAPIC mode: "
			       "not started\n",
			       i, c->apic_id);
			continue;
		}
		c->state = SMP_CPU_BOOTING;
		if (send_ipi(c->apic_id, ICR_DM_INIT | ICR_LEVEL_ASSERT)) {
			c->state = SMP_CPU_NO_ANSWER;
			pr_err("smp: the BSP's APIC never accepted the INIT for APIC ID %u\n",
			       c->apic_id);
		}
	}
	delay_us(SMP_INIT_DELAY_US);
	for (unsigned i = 1; i < smp.ncpus; i++)
		if (smp.cpu[i].state == SMP_CPU_BOOTING)
			ap_start(i);
	smp.init_us = tsc_us(rdtsc() - t0);
}

static void report(void)
{
	smp.failed = 0;
	for (unsigned i = 1; i < smp.ncpus; i++)
		if (smp.cpu[i].state != SMP_CPU_ONLINE)
			smp.failed++;
	pr_info("smp: %u of %u CPU(s) online (%s), %u failed, bring-up %llu us\n", smp.online,
		smp.ncpus, smp.x2apic ? "x2APIC" : "xAPIC", smp.failed,
		(unsigned long long)smp.init_us);
	for (unsigned i = 0; i < smp.ncpus; i++) {
		const struct smp_cpu *c = &smp.cpu[i];

		if (c->state == SMP_CPU_ONLINE || i == 0)
			pr_debug("  cpu %u: APIC ID %u, %s, %llu us\n", i, c->apic_id,
				 i ? smp_state_name(c->state) : "BSP",
				 (unsigned long long)c->bringup_us);
		else
			pr_err("smp: cpu %u APIC ID %u: %s\n", i, c->apic_id,
			       smp_state_name(c->state));
	}
}

void smp_init(void)
{
	const struct acpi_table_ref *t;
	u64 base = rdmsr(MSR_IA32_APICBASE);
	u32 bsp_id;
	int err;

	memset(&smp, 0, sizeof(smp));
	smp.x2apic = base & X2APIC_ENABLE;
	smp.lapic_base = base & MSR_IA32_APICBASE_BASE;
	smp.trampoline = hv.bi->trampoline_base;
	smp.tsc_khz = tsc_khz();
	if (!smp.tsc_khz) {
		pr_warn("smp: no TSC calibration; assuming 2 GHz for the start-up delays\n");
		smp.tsc_khz = 2000000;
	}
	bsp_id = smp_this_apic_id();
	smp.ncpus = 1;
	smp.online = 1;
	smp.cpu[0].apic_id = bsp_id;
	smp.cpu[0].state = SMP_CPU_ONLINE;
	smp.cpu[0].alive = 1;
	smp.cpu[0].cpuid_apic_id = bsp_id;
	smp.cpu[0].lapic_id = smp_this_lapic_id();
	t = hv.acpi_ok ? acpi_find(&hv.acpi, "APIC") : NULL;
	if (!t) {
		pr_err("smp: no MADT (ACPI \"APIC\" table): running on the BSP alone\n");
		return;
	}
	err = madt_parse(phys_ptr(t->addr), t->length, bsp_id, &smp.madt);
	if (err) {
		pr_err("smp: the MADT is unusable (%d): running on the BSP alone\n", err);
		return;
	}
	smp.madt_ok = true;
	madt_report(&smp.madt);
	smp.cpu[0].madt_index = (u32)smp.madt.bsp;
	for (unsigned m = 0; m < smp.madt.nr_cpus; m++) {
		if (!smp.madt.cpus[m].enabled || (int)m == smp.madt.bsp)
			continue;
		smp.cpu[smp.ncpus].apic_id = smp.madt.cpus[m].apic_id;
		smp.cpu[smp.ncpus].madt_index = m;
		smp.ncpus++;
	}
	if (smp.ncpus == 1)
		return;
	if (!hv.cfg.smp) {
		pr_info("smp: off in hv.cfg: %u AP(s) listed, none started\n", smp.ncpus - 1);
		return;
	}
	smp.started = true;
	boot_params_fill();
	if (trampoline_setup(smp.trampoline) || stacks_alloc()) {
		for (unsigned i = 1; i < smp.ncpus; i++)
			smp.cpu[i].state = SMP_CPU_NO_ANSWER;
		report();
		return;
	}
	start_aps();
	report();
}

/* Sends INIT: the AP drops whatever it runs and waits for a SIPI (SDM vol 3A
 * 9.1.2). Its state is left alone, so the next smp_call_all finds it
 * missing, as it would find a hung CPU. */
int smp_cpu_stop(unsigned i)
{
	if (i == 0 || i >= smp.ncpus)
		return -EINVAL;
	return send_ipi(smp.cpu[i].apic_id, ICR_DM_INIT | ICR_LEVEL_ASSERT);
}

/* INIT-SIPI-SIPI again for one AP that is not online (lost, stopped, no
 * answer). 0 when it came back online. */
int smp_cpu_restart(unsigned i)
{
	struct smp_cpu *c = &smp.cpu[i];

	if (i == 0 || i >= smp.ncpus || !smp.started || c->state == SMP_CPU_ONLINE ||
	    c->state == SMP_CPU_UNREACHABLE)
		return -EINVAL;
	c->state = SMP_CPU_BOOTING;
	c->alive = 0;
	if (send_ipi(c->apic_id, ICR_DM_INIT | ICR_LEVEL_ASSERT))
		return -ETIMEDOUT;
	delay_us(SMP_INIT_DELAY_US);
	ap_start(i);
	return c->state == SMP_CPU_ONLINE ? 0 : -ETIMEDOUT;
}

/* Switches the BSP's local APIC from xAPIC to x2APIC mode (EN stays set,
 * EXTD set: a legal transition, SDM vol 3A 10.12.5) and starts every AP
 * again in that mode, so that the x2APIC paths (ICR MSR 0x830, EXTD on the
 * APs, 32-bit IDs from MSR 0x802) run where the firmware left xAPIC mode
 * (QEMU with few CPUs). 0; -EOPNOTSUPP without x2APIC (CPUID 1 ECX[21]);
 * -EALREADY in x2APIC mode already; -ETIMEDOUT when an AP did not return.
 * For the smp-x2apic scenario; call before anything else uses the APIC. */
int smp_x2apic_switch(void)
{
	int err = 0;

	if (!(cpuid(1).ecx & CPUID_1_ECX_X2APIC))
		return -EOPNOTSUPP;
	if (smp.x2apic)
		return -EALREADY;
	for (unsigned i = 1; i < smp.ncpus; i++)
		if (smp.cpu[i].state == SMP_CPU_ONLINE) {
			smp_cpu_stop(i);
			smp.cpu[i].state = SMP_CPU_LOST;
			smp.online--;
		}
	wrmsr(MSR_IA32_APICBASE,
	      rdmsr(MSR_IA32_APICBASE) | MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE);
	smp.x2apic = true;
	smp.cpu[0].lapic_id = smp_this_lapic_id();
	for (unsigned i = 1; i < smp.ncpus; i++)
		if (smp.cpu[i].state == SMP_CPU_LOST && smp_cpu_restart(i))
			err = -ETIMEDOUT;
	return err;
}

/* ---- running functions everywhere ---------------------------------------- */

int smp_call_all(smp_fn fn, void *arg, u64 timeout_ms, bool *done, int *ret)
{
	static bool called[SMP_MAX_CPUS];
	u64 gen, deadline;
	bool all = true;
	int r0;

	if (!fn)
		return -EINVAL;
	job.fn = fn;
	job.arg = arg;
	gen = job.gen + 1;
	/* who takes part is decided now: a CPU that faults at once still counts */
	for (unsigned i = 1; i < smp.ncpus; i++)
		called[i] = smp.cpu[i].state == SMP_CPU_ONLINE;
	__atomic_store_n(&job.gen, gen, __ATOMIC_RELEASE);
	for (unsigned i = 1; i < smp.ncpus; i++)
		if (called[i])
			send_ipi(smp.cpu[i].apic_id, ICR_DM_FIXED | ICR_LEVEL_ASSERT |
							 FIELD_PREP(ICR_VECTOR, SMP_WAKE_VECTOR));
	r0 = fn(0, arg);
	if (done)
		done[0] = true;
	if (ret)
		ret[0] = r0;
	deadline = rdtsc() + timeout_ms * smp.tsc_khz;
	for (unsigned i = 1; i < smp.ncpus; i++) {
		struct smp_cpu *c = &smp.cpu[i];
		bool ok = false;

		if (called[i]) {
			while (__atomic_load_n(&c->done_gen, __ATOMIC_ACQUIRE) != gen &&
			       rdtsc() < deadline && c->state == SMP_CPU_ONLINE)
				cpu_relax();
			ok = __atomic_load_n(&c->done_gen, __ATOMIC_ACQUIRE) == gen;
			if (!ok) {
				all = false;
				if (c->state == SMP_CPU_FAULTED)
					pr_err("smp: CPU %u (APIC ID %u) faulted in the call: "
					       "vector %u "
					       "at RIP %#llx; halted, not used again\n",
					       i, c->apic_id, c->fault_vector,
					       (unsigned long long)c->fault_rip);
				else
					pr_err("smp: CPU %u (APIC ID %u) did not finish the call "
					       "within "
					       "%llu ms (lost); not used again\n",
					       i, c->apic_id, (unsigned long long)timeout_ms);
				if (c->state == SMP_CPU_ONLINE)
					c->state = SMP_CPU_LOST;
				smp.online--;
			}
		}
		if (done)
			done[i] = ok;
		if (ret)
			ret[i] = ok ? c->result : 0;
	}
	return all ? 0 : -ETIMEDOUT;
}
