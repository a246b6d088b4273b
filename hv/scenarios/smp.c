/* The `smp` scenario (tests/qemu/smp-*.cfg, docs/smp.md): every CPU the
 * MADT lists came up exactly once with its own APIC ID, and smp_call_all
 * runs a function on all of them that reads the APIC ID from CPUID and
 * from the CPU's own local APIC, runs WBINVD and reads MSRs QEMU
 * implements. With [hv] smp = off: no AP was started, calls run on the BSP
 * only. The functions below run on the APs: no printf, no malloc; each
 * writes its own slot. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv/base/bits.h"
#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/machine.h"
#include "hv/base/log.h"
#include "hv/arch/x86/paging.h"
#include "hv/base/report.h"
#include "hv/arch/x86/smp.h"

#define CALL_TIMEOUT_MS 2000

struct probe {
	u32 cpuid_id[SMP_MAX_CPUS];
	u32 lapic_id[SMP_MAX_CPUS];
	u64 efer[SMP_MAX_CPUS];
	u64 apic_base[SMP_MAX_CPUS];
	u64 mtrr_cap[SMP_MAX_CPUS];
	u64 pat[SMP_MAX_CPUS];
	u64 wbinvd_ticks[SMP_MAX_CPUS];
};

static struct probe probe;
static bool done[SMP_MAX_CPUS];
static int ret[SMP_MAX_CPUS];

/* On every CPU: who am I (two ways), WBINVD, a few MSRs. */
static int probe_cpu(unsigned cpu, void *arg)
{
	struct probe *p = arg;
	u64 t0;

	p->cpuid_id[cpu] = smp_this_apic_id();
	p->lapic_id[cpu] = smp_this_lapic_id();
	p->efer[cpu] = rdmsr(MSR_EFER);
	p->apic_base[cpu] = rdmsr(MSR_IA32_APICBASE);
	p->mtrr_cap[cpu] = rdmsr(MSR_MTRRcap);
	p->pat[cpu] = rdmsr(MSR_IA32_CR_PAT);
	t0 = rdtsc();
	asm volatile("wbinvd" ::: "memory");
	p->wbinvd_ticks[cpu] = rdtsc() - t0 + 1;
	return (int)cpu + 100;
}

static u64 apic_bases[SMP_MAX_CPUS];

static int read_apic_base(unsigned cpu, void *arg)
{
	apic_bases[cpu] = rdmsr(MSR_IA32_APICBASE);
	return 0;
}

/* APIC_BASE of CPU i, read on that CPU (0 if it did not answer). */
static u64 probe_apic_base(unsigned i)
{
	if (i == 0) {
		memset(apic_bases, 0, sizeof(apic_bases));
		smp_call_all(read_apic_base, NULL, CALL_TIMEOUT_MS, done, ret);
	}
	return apic_bases[i];
}

static int count_cpu(unsigned cpu, void *arg)
{
	__atomic_add_fetch((u32 *)arg, 1, __ATOMIC_RELAXED);
	return 0;
}

static void check_off(void)
{
	unsigned alive = 0;
	u32 n = 0;
	int err;

	for (unsigned i = 1; i < smp.ncpus; i++)
		alive += smp.cpu[i].alive;
	report_check(!smp.started && alive == 0 && smp.online == 1, "smp.off_none_started",
		     "smp = off: %u AP(s) listed, %u alive, %u online", smp.ncpus - 1, alive,
		     smp.online);
	err = smp_call_all(count_cpu, &n, CALL_TIMEOUT_MS, done, ret);
	report_check(err == 0 && n == 1 && done[0], "smp.off_call_bsp_only",
		     "smp_call_all ran on %u CPU(s) (%d)", n, err);
}

static void check_bringup(void)
{
	unsigned listed = smp_cpus_listed(), once = 0, match = 0, distinct = 1;
	u64 max_us = 0, sum_us = 0;
	char name[48];

	report_check(smp.madt_ok && smp.madt.bsp >= 0, "smp.madt",
		     "%u CPU(s) enabled in the MADT, BSP APIC ID %u", listed, smp.cpu[0].apic_id);
	report_check(smp.online == listed && smp.ncpus == listed, "smp.all_online", "%u/%u online",
		     smp.online, listed);
	for (unsigned i = 0; i < smp.ncpus; i++) {
		const struct smp_cpu *c = &smp.cpu[i];

		once += c->alive == 1;
		match += c->cpuid_apic_id == c->apic_id && c->lapic_id == c->apic_id;
		for (unsigned j = 0; j < i; j++)
			if (smp.cpu[j].cpuid_apic_id == c->cpuid_apic_id)
				distinct = 0;
	}
	report_check(once == smp.ncpus, "smp.alive_once", "%u of %u CPU(s) came up exactly once",
		     once, smp.ncpus);
	report_check(match == smp.ncpus && distinct, "smp.apic_ids",
		     "%u of %u report their MADT APIC ID (CPUID and local APIC), distinct %s",
		     match, smp.ncpus, distinct ? "yes" : "NO");
	for (unsigned i = 1; i < smp.ncpus; i++) {
		snprintf(name, sizeof(name), "smp.bringup_us.apic%u", smp.cpu[i].apic_id);
		report_metric(name, smp.cpu[i].bringup_us, "us");
		max_us = MAX(max_us, smp.cpu[i].bringup_us);
		sum_us += smp.cpu[i].bringup_us;
	}
	if (smp.ncpus > 1) {
		report_metric("smp.bringup_us.max", max_us, "us");
		report_metric("smp.bringup_us.avg", sum_us / (smp.ncpus - 1), "us");
	}
	report_metric("smp.init_us", smp.init_us, "us");
	if (smp.ncpus > 1) {
		struct pt_leaf leaf;
		int err = pt_lookup(&hv_pt, smp.trampoline, &leaf);

		/* W^X: the APs execute it through the bridge tables only */
		report_check(
		    !err && !(leaf.prot & (PT_W | PT_X)) && smp.trampoline < MiB(1) &&
			IS_ALIGNED(smp.trampoline, PAGE_SIZE),
		    "smp.trampoline_ro", "trampoline 0x%llx, SIPI vector 0x%llx, prot 0x%x",
		    (unsigned long long)smp.trampoline,
		    (unsigned long long)(smp.trampoline >> PAGE_SHIFT), err ? 0 : leaf.prot);
	}
}

static void check_calls(void)
{
	unsigned ok = 0, ids = 0, msrs = 0, bsp_flag = 0;
	u64 t0, us;
	u32 n = 0;
	int err;

	memset(&probe, 0, sizeof(probe));
	t0 = rdtsc();
	err = smp_call_all(probe_cpu, &probe, CALL_TIMEOUT_MS, done, ret);
	us = (rdtsc() - t0) * 1000 / smp.tsc_khz;
	for (unsigned i = 0; i < smp.ncpus; i++) {
		ok += done[i] && ret[i] == (int)i + 100 && probe.wbinvd_ticks[i] != 0;
		ids += probe.cpuid_id[i] == smp.cpu[i].apic_id &&
		       probe.lapic_id[i] == smp.cpu[i].apic_id;
		/* long mode with NX, the same MTRR capabilities as the BSP */
		msrs += (probe.efer[i] & (EFER_LMA | EFER_NX)) == (EFER_LMA | EFER_NX) &&
			probe.mtrr_cap[i] == probe.mtrr_cap[0];
		/* APIC_BASE.BSP (SDM 10.4.4): set on the BSP only */
		bsp_flag += !!(probe.apic_base[i] & MSR_IA32_APICBASE_BSP) == (i == 0);
	}
	report_check(err == 0 && ok == smp.ncpus, "smp.call_all",
		     "%u of %u CPU(s) ran the probe and WBINVD (%d), %llu us", ok, smp.ncpus, err,
		     (unsigned long long)us);
	report_check(ids == smp.ncpus, "smp.call_apic_ids",
		     "%u of %u: the APIC ID read on the CPU is its slot's", ids, smp.ncpus);
	report_check(msrs == smp.ncpus, "smp.call_msrs",
		     "%u of %u: EFER.LMA|NXE, MTRRcap %#llx like the BSP; PAT %#llx on the last",
		     msrs, smp.ncpus, (unsigned long long)probe.mtrr_cap[0],
		     (unsigned long long)probe.pat[smp.ncpus - 1]);
	report_check(bsp_flag == smp.ncpus, "smp.apic_base_bsp",
		     "%u of %u: APIC_BASE.BSP set exactly on the BSP", bsp_flag, smp.ncpus);
	for (unsigned i = 0; i < smp.ncpus; i++)
		pr_info("smp: cpu %u APIC ID %u: CPUID %u, LAPIC %u, EFER %#llx, APIC_BASE %#llx, "
			"WBINVD %llu ticks\n",
			i, smp.cpu[i].apic_id, probe.cpuid_id[i], probe.lapic_id[i],
			(unsigned long long)probe.efer[i], (unsigned long long)probe.apic_base[i],
			(unsigned long long)probe.wbinvd_ticks[i]);
	report_metric("smp.call_all_us", us, "us");
	/* a second, different call: the generation protocol hands out new work */
	t0 = rdtsc();
	for (int round = 0; round < 3; round++)
		err |= smp_call_all(count_cpu, &n, CALL_TIMEOUT_MS, done, ret);
	report_metric("smp.call_repeat_us", (rdtsc() - t0) * 1000 / smp.tsc_khz / 3, "us");
	report_check(err == 0 && n == 3 * smp.ncpus, "smp.call_repeat",
		     "3 more calls counted %u runs on %u CPU(s)", n, smp.ncpus);
}

/* On the last AP only: an invalid opcode. */
static int fault_on_last(unsigned cpu, void *arg)
{
	if (cpu == *(unsigned *)arg)
		asm volatile("ud2");
	return 0;
}

/* An AP that takes an exception in a called function: the stub records the
 * vector and RIP and halts it; the call returns at once with -ETIMEDOUT,
 * the AP is reported and left out; a restart brings it back. */
static void check_fault(void)
{
	unsigned last = smp.ncpus - 1;
	u64 t0, us;
	int err, err2;

	if (smp.ncpus < 2 || smp.online != smp.ncpus)
		return;
	t0 = rdtsc();
	err = smp_call_all(fault_on_last, &last, CALL_TIMEOUT_MS, done, ret);
	us = (rdtsc() - t0) * 1000 / smp.tsc_khz;
	report_check(
	    err == -ETIMEDOUT && done[0] && !done[last] && smp.cpu[last].state == SMP_CPU_FAULTED &&
		smp.cpu[last].fault_vector == 6 && smp.online == smp.ncpus - 1 &&
		us < CALL_TIMEOUT_MS * 1000 / 2,
	    "smp.fault_reported",
	    "APIC ID %u: call %d after %llu us, state %s, vector %u at RIP %#llx",
	    smp.cpu[last].apic_id, err, (unsigned long long)us, smp_state_name(smp.cpu[last].state),
	    smp.cpu[last].fault_vector, (unsigned long long)smp.cpu[last].fault_rip);
	err2 = smp_cpu_restart(last);
	err = smp_call_all(count_cpu, &(u32){0}, CALL_TIMEOUT_MS, done, ret);
	report_check(err2 == 0 && err == 0 && done[last] && smp.online == smp.ncpus,
		     "smp.fault_restart", "APIC ID %u restarted (%d), call %d",
		     smp.cpu[last].apic_id, err2, err);
}

/* With 3 or more CPUs: stop the last AP with INIT, so the next call misses
 * it: -ETIMEDOUT, the AP reported by APIC ID and marked lost, the others
 * finished; then INIT-SIPI-SIPI brings it back and a call runs everywhere. */
static void check_lost_and_restart(void)
{
	unsigned last = smp.ncpus - 1, others = 0;
	u32 n = 0;
	int err, err2, err3;

	if (smp.ncpus < 3 || smp.online != smp.ncpus)
		return;
	err = smp_cpu_stop(last);
	err2 = smp_call_all(count_cpu, &n, 200, done, ret);
	for (unsigned i = 0; i < last; i++)
		others += done[i];
	report_check(err == 0 && err2 == -ETIMEDOUT && !done[last] && others == last && n == last &&
			 smp.online == last && smp.cpu[last].state == SMP_CPU_LOST,
		     "smp.stopped_cpu_left_out",
		     "APIC ID %u stopped (%d): call %d, %u of %u others ran, online %u, state %s",
		     smp.cpu[last].apic_id, err, err2, others, last, smp.online,
		     smp_state_name(smp.cpu[last].state));
	err3 = smp_cpu_restart(last);
	n = 0;
	err = smp_call_all(count_cpu, &n, CALL_TIMEOUT_MS, done, ret);
	report_check(err3 == 0 && err == 0 && done[last] && n == smp.ncpus &&
			 smp.online == smp.ncpus && smp.cpu[last].alive == 1,
		     "smp.restart", "APIC ID %u restarted (%d) in %llu us; call on %u CPU(s) (%d)",
		     smp.cpu[last].apic_id, err3, (unsigned long long)smp.cpu[last].bringup_us, n,
		     err);
}

void scenario_smp(void)
{
	if (!hv.cfg.smp) {
		check_off();
		return;
	}
	check_bringup();
	check_calls();
	check_fault();
	check_lost_and_restart();
}

/* The x2APIC paths where the firmware left xAPIC mode: the BSP switches,
 * every AP is started again through the x2APIC ICR and switches too; then
 * the probe must find every APIC ID through MSR 0x802. Without x2APIC in
 * CPUID (QEMU 7.2 TCG) only the xAPIC checks run, and the line says so. */
void scenario_smp_x2apic(void)
{
	int err;

	check_bringup();
	err = smp_x2apic_switch();
	if (err == -EOPNOTSUPP) {
		pr_info(
		    "smp: this CPU offers no x2APIC (CPUID 1 ECX[21]): the x2APIC paths are not "
		    "exercised here\n");
		report_check(!smp.x2apic, "smp.x2apic_absent", "CPUID 1 ECX %#x", cpuid(1).ecx);
	} else {
		unsigned ext = 0;

		for (unsigned i = 0; i < smp.ncpus; i++)
			ext += !!(probe_apic_base(i) & BIT(10));
		report_check(err == 0 && smp.x2apic && smp.online == smp.ncpus && ext == smp.ncpus,
			     "smp.x2apic_switch",
			     "x2APIC on the BSP, %u of %u CPU(s) online again, %u with EXTD (%d)",
			     smp.online, smp.ncpus, ext, err);
	}
	check_calls();
}
