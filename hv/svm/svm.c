/* SVM on this CPU: enabling it, ASIDs, the preemption timer and taking the
 * host interrupt that ends a time slice. Hardware access only.
 * AMD APM vol 2: 15.4 (enabling SVM), 15.16 (ASIDs), 15.21 (interrupts),
 * 16.4 (local APIC timer). */
#include <errno.h>
#include <string.h>

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/cpufeat.h"
#include "hv/arch/x86/tsc.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/svm/guest_msr.h"
#include "hv/mm/pmem.h"
#include "hv/svm/svm.h"
#include "hv/svm/vcpu.h"
#include "hv/svm/sev_vmcb.h"
#include "hv/svm/vmsa.h"

struct svm_cpu svm_cpu;

/* The shared 2 MiB block (pmem hands out 4K or 2M): IOPM needs 12 KiB
 * contiguous, so all per-CPU SVM pages live in one block. */
#define SVM_BLOCK_IOPM	    0x0000 /* 12 KiB */
#define SVM_BLOCK_MSRPM	    0x4000 /* 8 KiB */
#define SVM_BLOCK_HSAVE	    0x7000
#define SVM_BLOCK_HOST_VMCB 0x8000
#define SVM_BLOCK_MSRPM_ES  0xa000 /* 8 KiB: SEV-ES guests (sev_es_msrpm_build) */

static struct asid_space asid_space;

/* ---- local APIC (APM vol 2, 16.3-16.4) ---- */
#define APIC_EOI	0x0b0
#define APIC_ISR	0x100 /* 8 registers, 0x10 apart */
#define APIC_SVR	0x0f0
#define APIC_SVR_ENABLE BIT(8)
#define APIC_LVT_TIMER	0x320
#define APIC_LVT_MASKED BIT(16)
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0
#define APIC_TDCR_DIV16 0x3

static u64 lapic_base;

static u32 lapic_read(u32 reg)
{
	if (svm_cpu.x2apic)
		return (u32)rdmsr(X2APIC_MSR(reg));
	return *(volatile u32 *)(uintptr_t)(lapic_base + reg);
}

static void lapic_write(u32 reg, u32 val)
{
	if (svm_cpu.x2apic)
		wrmsr(X2APIC_MSR(reg), val);
	else
		*(volatile u32 *)(uintptr_t)(lapic_base + reg) = val;
}

u64 svm_rdtsc(void)
{
	return rdtsc();
}

static void tsc_delay_us(u64 us)
{
	u64 end = rdtsc() + us * svm_cpu.tsc_khz / 1000;

	while (rdtsc() < end)
		cpu_relax();
}

static void timer_init(void)
{
	u64 base = rdmsr(MSR_IA32_APICBASE);
	u32 left;

	svm_cpu.x2apic = base & X2APIC_ENABLE;
	lapic_base = base & MSR_IA32_APICBASE_BASE;
	svm_cpu.tsc_khz = tsc_khz();
	if (!svm_cpu.tsc_khz) {
		pr_warn("svm: PIT calibration failed; assuming a 2 GHz TSC\n");
		svm_cpu.tsc_khz = 2000000;
	}
	lapic_write(APIC_SVR, lapic_read(APIC_SVR) | (u32)APIC_SVR_ENABLE | 0xff);
	lapic_write(APIC_TDCR, APIC_TDCR_DIV16);
	lapic_write(APIC_LVT_TIMER, (u32)APIC_LVT_MASKED | SVM_TIMER_VECTOR);
	lapic_write(APIC_TMICT, 0xffffffff);
	tsc_delay_us(10000);
	left = lapic_read(APIC_TMCCT);
	lapic_write(APIC_TMICT, 0);
	svm_cpu.lapic_khz = (0xffffffffULL - left) / 10;
	if (!svm_cpu.lapic_khz) {
		pr_warn("svm: local APIC timer does not count; assuming 62500 kHz\n");
		svm_cpu.lapic_khz = 62500;
	}
	pr_info("svm: TSC %llu kHz, local APIC timer %llu kHz (/16), %s\n",
		(unsigned long long)svm_cpu.tsc_khz, (unsigned long long)svm_cpu.lapic_khz,
		svm_cpu.x2apic ? "x2APIC" : "xAPIC");
}

void svm_timer_arm(u64 us)
{
	u64 ticks = us * svm_cpu.lapic_khz / 1000;

	lapic_write(APIC_LVT_TIMER, SVM_TIMER_VECTOR); /* one-shot, unmasked */
	lapic_write(APIC_TMICT, (u32)MAX(1, MIN(ticks, 0xffffffffULL)));
}

void svm_timer_disarm(void)
{
	lapic_write(APIC_TMICT, 0);
	lapic_write(APIC_LVT_TIMER, (u32)APIC_LVT_MASKED | SVM_TIMER_VECTOR);
}

/* ---- taking a host interrupt ---- */

extern void svm_intr_stub(void);
static struct idt_gate svm_idt[256] __aligned(16);

static void idt_init(void)
{
	u64 stub = (u64)(uintptr_t)svm_intr_stub;
	u16 cs;
	unsigned i;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	for (i = 0; i < ARRAY_SIZE(svm_idt); i++)
		svm_idt[i] = idt_gate_intr(stub, cs);
}

/* Vectors taken from devices (MSI of passed-through functions) and not yet
 * handed out by svm_host_irq_take: one bit per vector. */
static u64 host_irqs[4];
/* Every vector taken, the timer's included, since boot (svm_host_irq_count). */
static u64 host_irq_count[256];

/* The stub returns without EOI, so what was delivered is in the ISR (APM
 * vol 2, 16.6.2): record every vector in service but the timer's, and EOI
 * each. Returns how many were in service. */
static unsigned take_in_service(void)
{
	unsigned n;

	for (n = 0; n < 256; n++) {
		int vec = -1;

		for (int i = 7; i >= 0 && vec < 0; i--) {
			u32 isr = lapic_read(APIC_ISR + (u32)i * 0x10);

			if (isr)
				vec = i * 32 + 31 - __builtin_clz(isr);
		}
		if (vec < 0)
			break;
		host_irq_count[vec]++;
		if (vec != SVM_TIMER_VECTOR)
			host_irqs[vec / 64] |= BIT(vec % 64);
		lapic_write(APIC_EOI, 0);
	}
	return n;
}

u64 svm_host_irq_count(u8 vec)
{
	return host_irq_count[vec];
}

bool svm_host_irq_take(u8 *vec)
{
	for (unsigned i = 0; i < ARRAY_SIZE(host_irqs); i++)
		if (host_irqs[i]) {
			unsigned b = (unsigned)__builtin_ctzll(host_irqs[i]);

			host_irqs[i] &= ~BIT(b);
			*vec = (u8)(i * 64 + b);
			return true;
		}
	return false;
}

void svm_host_intr_ack(void)
{
	struct desc_ptr mine = {sizeof(svm_idt) - 1, (u64)(uintptr_t)svm_idt}, old;

	/* The hypervisor runs with IF = 0 and no IDT of its own for device
	 * interrupts: open a window of one instruction with a private IDT
	 * whose every gate just returns, then EOI what was taken; again while
	 * something was (a lower-priority request waits for the EOI). */
	for (unsigned k = 0; k < 8; k++) {
		asm volatile("sidt %0" : "=m"(old));
		asm volatile("lidt %0" ::"m"(mine));
		asm volatile("sti; nop; cli" ::: "memory");
		asm volatile("lidt %0" ::"m"(old));
		if (!take_in_service())
			break;
	}
}

void svm_host_idle_until(u64 tsc)
{
	struct desc_ptr mine = {sizeof(svm_idt) - 1, (u64)(uintptr_t)svm_idt}, old;
	u64 now = rdtsc(), us;

	if (tsc <= now)
		return;
	/* at most 100 ms at a time: the caller re-checks */
	us = MIN((tsc - now) * 1000 / svm_cpu.tsc_khz, 100000ULL);
	svm_timer_arm(MAX(us, 1ULL));
	asm volatile("sidt %0" : "=m"(old));
	asm volatile("lidt %0" ::"m"(mine));
	asm volatile("sti; hlt; cli" ::: "memory"); /* STI's shadow covers HLT */
	asm volatile("lidt %0" ::"m"(old));
	svm_timer_disarm();
	take_in_service();
	svm_host_intr_ack(); /* anything that became pending meanwhile */
}

/* ---- ASIDs (APM vol 2, 15.16; 15.34-15.35 for SEV): 0 is the host's ----
 * Two pools (hv/svm/sev_vmcb.c sev_asid_layout): SEV-ES/SNP guests on hardware
 * take ASIDs below the minimum SEV ASID (CPUID 0x8000001F EDX), every other
 * guest one above the SEV range (ECX). Without the SEV leaf (QEMU) there is
 * one pool [1, nr_asids - 1], which emulated SNP guests share. */
static void asid_layout_init(void)
{
	u32 n = MIN(svm_cpu.nr_asids, SEV_ASID_SPACE);
	bool sev = cpu.sev_leaf && cpu.sev && cpu.sev_es;
	struct sev_asid_layout *l = &svm_cpu.asids;

	if (sev_asid_layout(n, sev, cpu.nr_encrypted_guests, cpu.min_sev_asid, l)) {
		pr_warn("svm: CPUID 0x8000001F ASID fields inconsistent (ECX %u, EDX %u): no "
			"SEV-ES ASIDs\n",
			cpu.nr_encrypted_guests, cpu.min_sev_asid);
		sev_asid_layout(n, false, 0, 0, l);
	}
	if (l->es_first)
		pr_info("svm: ASIDs %u-%u for SEV-ES/SNP guests, %u-%u for plain guests\n",
			l->es_first, l->es_last, l->plain_first, l->plain_last);
}

u32 svm_asid_alloc(bool sev_es)
{
	const struct sev_asid_layout *l = &svm_cpu.asids;

	if (sev_es)
		return asid_space_alloc(&asid_space, l->es_first, l->es_last);
	return asid_space_alloc(&asid_space, l->plain_first, l->plain_last);
}

void svm_asid_free(u32 asid)
{
	asid_space_free(&asid_space, asid);
}

/* ---- SEV-ES host save area (APM vol 2, 15.35.8) ----
 * #VMEXIT from an SEV-ES guest restores, besides the VMSAVE set, XCR0, XSS
 * and PKRU from the host save area's SEV-ES layout at VM_HSAVE_PA + 0x400
 * ("type B": VMRUN does not save them; Linux sev_es_prepare_switch_to_guest
 * stores the same three). Values the host does not use are given their
 * reset value (XCR0 = x87 only) so the restore never loads garbage. */
#define CR4_PKE		BIT(22)
#define XCR0_X87	BIT(0)
#define CPUID_D1_XSAVES BIT(3)

static u64 xgetbv0(void)
{
	u32 lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((u64)hi << 32) | lo;
}

static u32 rdpkru(void)
{
	u32 pkru, edx;

	asm volatile(".byte 0x0f, 0x01, 0xee" : "=a"(pkru), "=d"(edx) : "c"(0));
	return pkru;
}

void svm_sev_es_host_state(void)
{
	struct sev_es_save_area *h =
	    (struct sev_es_save_area *)((u8 *)phys_ptr(svm_cpu.hsave_pa) + SVM_HSAVE_SEV_ES_OFFSET);
	u64 cr4 = read_cr4();

	h->xcr0 = (cr4 & CR4_OSXSAVE) ? xgetbv0() : XCR0_X87;
	h->pkru = (cr4 & CR4_PKE) ? rdpkru() : 0;
	h->xss = svm_cpu.xsaves ? rdmsr(MSR_IA32_XSS) : 0;
}

/* ---- enabling SVM (APM vol 2, 15.4) ---- */
int svm_enable(void)
{
	struct cpuid_regs r;
	spa_t block;
	int owner, ret;

	if (svm_cpu.enabled)
		return 0;
	r = cpuid(0x80000001);
	if (!(r.ecx & CPUID_8000_0001_ECX_SVM)) {
		pr_err("svm: the processor has no SVM (CPUID 8000_0001 ECX[2] clear)\n");
		return -ENODEV;
	}
	if (rdmsr(MSR_VM_CR) & SVM_VM_CR_SVM_DIS_MASK) {
		pr_err("svm: SVM is disabled by the firmware (VM_CR.SVMDIS); enable it in setup\n");
		return -EPERM;
	}
	r = cpuid(0x8000000a);
	svm_cpu.nr_asids = r.ebx;
	svm_cpu.nrips = r.edx & SVM_FEATURE_NRIPS;
	asid_layout_init();
	svm_cpu.xsaves = cpu.max_leaf >= 0xd && (cpuid_count(0xd, 1).eax & CPUID_D1_XSAVES);
	if (!(r.edx & SVM_FEATURE_NPT)) {
		pr_err("svm: no nested paging (CPUID 8000_000A EDX[0])\n");
		return -ENODEV;
	}
	owner = pmem_owner_register("svm");
	if (owner < 0)
		return owner;
	ret = pmem_alloc(PMEM_ORDER_2M, (u8)owner, &block);
	if (ret) {
		pr_err("svm: no memory for the host save area and permission maps\n");
		return ret;
	}
	svm_cpu.iopm_pa = spa_add(block, SVM_BLOCK_IOPM);
	svm_cpu.msrpm_pa = spa_add(block, SVM_BLOCK_MSRPM);
	svm_cpu.hsave_pa = spa_add(block, SVM_BLOCK_HSAVE);
	svm_cpu.host_vmcb_pa = spa_add(block, SVM_BLOCK_HOST_VMCB);
	/* every port intercepted (the 12 KiB cover ports 0-0xffff + 3) */
	memset(phys_ptr(svm_cpu.iopm_pa), 0xff, SVM_IOPM_SIZE);
	msrpm_build(phys_ptr(svm_cpu.msrpm_pa));
	svm_cpu.msrpm_sev_es_pa = spa_add(block, SVM_BLOCK_MSRPM_ES);
	ret = sev_es_msrpm_build(phys_ptr(svm_cpu.msrpm_sev_es_pa), phys_ptr(svm_cpu.msrpm_pa));
	if (ret)
		return ret;

	wrmsr(MSR_EFER, (rdmsr(MSR_EFER) | EFER_SVME) & ~EFER_FFXSR);
	wrmsr(MSR_VM_HSAVE_PA, spa_val(svm_cpu.hsave_pa));
	idt_init();
	timer_init();
	svm_cpu.enabled = true;
	pr_info("svm: enabled, %u ASIDs, NRIP save %s\n", svm_cpu.nr_asids,
		svm_cpu.nrips ? "yes" : "no (RIP advanced by instruction length)");
	return 0;
}
