/* Test-only hypercalls (hv/svm/hc_test.h, docs/guest-abi.md), linked into
 * the test image hv-test.efi only; the hardware image hv.efi answers them
 * with HC_ENOSYS (hv/svm/hc_test_none.c).
 *
 * HC_BENCH_MARK (make bench): marks the phases of the bench guest; the
 * scheduler (hv/vm/guest.c) reads the TSC at the mark.
 *
 * HC_DMA_PHASE (devices): the hypervisor checksums every pmem frame except
 * the running guest's data frames and vCPU pages (its heap, page tables, RMP,
 * IOMMU structures, free frames, other guests' memory and tables) when the
 * guest begins its DMA phase and again when it ends it, and reports what
 * changed. It hands the guest host physical addresses to aim at: test ABI. */
#include "hv/svm/hc_test.h"

#include <stdio.h>
#include <string.h>

#include "hv/abi/hypercall.h"
#include "hv/base/mem.h"
#include "hv/base/report.h"
#include "hv/core/gmem.h"
#include "hv/mm/pmem.h"
#include "hv/platform/snp_host.h"
#include "hv/svm/guest.h"
#include "hv/svm/snp_guest.h"
#include "hv/svm/svm.h"
#include "hv/svm/vcpu.h"
#include "hv/vm/guest_dev.h"
#include "hv/vm/guest_gmem.h"
#include "iommu/iommu.h"

/* An open DMA phase, per guest slot. */
static struct dma_phase {
	struct guest *g;
	bool phase;
	u64 phase_slices;
	u64 irqs[256]; /* svm_host_irq_count per vector at the phase's begin */
} phases[CFG_MAX_GUESTS];

/* Per pmem owner: a hash of its frames' contents and how many there are. */
static u64 sum_before[256], sum_after[256], pages_before[256], pages_after[256];

static bool phase_skips(u8 own, u8 skip_mem, u8 skip_vcpu)
{
	return own == PMEM_OWNER_NOT_RAM || own == skip_mem || own == skip_vcpu;
}

/* Page-table pages the CPU walks: the processor sets Accessed/Dirty (bits 5
 * and 6, APM vol 2, 5.4.1 and 15.25.5) on its own; those bits are not DMA. */
static bool ad_masked(u8 own)
{
	const char *n = pmem_owner_name(own);
	size_t l = strlen(n);

	return !strcmp(n, "hv-pagetables") || (l > 4 && !strcmp(n + l - 4, "-npt"));
}

static void checksum_all(u8 skip_mem, u8 skip_vcpu, u64 *sum, u64 *pages)
{
	u64 end = spa_val(pmem_span_end()), mask[256];

	for (unsigned o = 0; o < 256; o++)
		mask[o] = ad_masked((u8)o) ? ~0x60ULL : ~0ULL;

	memset(sum, 0, 256 * sizeof(u64));
	memset(pages, 0, 256 * sizeof(u64));
	for (u64 pa = spa_val(pmem_span_base()); pa < end; pa += PAGE_SIZE) {
		u8 own = pmem_owner_of(spa(pa));
		const u64 *w;
		u64 h = pa;

		if (phase_skips(own, skip_mem, skip_vcpu) || guest_dev_in_event_log(pa))
			continue;
		w = phys_ptr(spa(pa));
		for (unsigned i = 0; i < PAGE_SIZE / 8; i += 4)
			h = (h ^ (w[i] & mask[own]) ^ ((w[i + 1] & mask[own]) << 1) ^
			     ((w[i + 2] & mask[own]) << 2) ^ ((w[i + 3] & mask[own]) << 3)) *
			    0x100000001b3ULL;
		sum[own] = (sum[own] ^ h) * 0xff51afd7ed558ccdULL + pa;
		pages[own]++;
	}
}

/* The addresses a guest may aim its DMA at to prove isolation: hypervisor
 * structures and another guest's frames as IOVAs (SPAs: test ABI, documented),
 * and GPAs beyond its RAM. */
static unsigned fill_targets(struct guest *g, struct hc_dma_targets *t)
{
	struct gmem *gm = guest_gmem(g);
	unsigned n = 0;

#define TGT(a, k, w)                                                                               \
	do {                                                                                       \
		if (n < HC_DMA_TARGETS_MAX) {                                                      \
			t->t[n].addr = (a);                                                        \
			t->t[n].kind = (k);                                                        \
			snprintf(t->t[n].what, sizeof(t->t[n].what), "%s", (w));                   \
			n++;                                                                       \
		}                                                                                  \
	} while (0)
	TGT(g->mem_size, HC_DMA_T_GPA, "gpa-beyond-ram");
	TGT(g->mem_size + 7 * PAGE_SIZE, HC_DMA_T_GPA, "gpa-beyond-ram+7p");
	if (gm) {
		TGT(spa_val(virt_to_phys(hva_from_ptr(gm->ledger))), HC_DMA_T_HV, "hv-heap-ledger");
		TGT(spa_val(pt_root(&gm->npt)), HC_DMA_T_HV, "own-npt-root");
		if (gm->nr_dom)
			TGT(spa_val(gmem_domain_root(gm, &gm->dom[0])), HC_DMA_T_HV,
			    "own-iommu-root");
	}
	TGT(spa_val(iommu.hw.dev_table), HC_DMA_T_HV, "iommu-dev-table");
	TGT(spa_val(iommu.hw.cmd_buf), HC_DMA_T_HV, "iommu-cmd-ring");
	if (snp_host.enabled)
		TGT(spa_val(snp_host.rmp.base), HC_DMA_T_HV, "rmp-table");
	/* Other live guests: a frame of theirs by SPA, and their GPA range beyond
	 * ours in our own address space. */
	for (unsigned i = 0; i < CFG_MAX_GUESTS; i++) {
		struct guest *og = guest_dev_live(i);
		struct gmem *ogm;
		struct gmem_rec r;

		if (!og || og == g || !(ogm = guest_gmem(og)))
			continue;
		if (!gmem_lookup(ogm, gpa(HUGE_SIZE), &r))
			TGT(spa_val(r.spa), HC_DMA_T_GUEST, "other-guest-frame");
		if (og->mem_size > g->mem_size)
			TGT(og->mem_size - HUGE_SIZE, HC_DMA_T_GUEST, "other-guest-gpa");
	}
#undef TGT
	t->n = n;
	return n;
}

static s64 hc_dma_phase(struct guest *g, u64 op, u64 where, u64 size)
{
	struct dma_phase *s = g->id < CFG_MAX_GUESTS ? &phases[g->id] : NULL;
	struct gmem *gm = guest_gmem(g);
	static struct hc_dma_targets t;
	u64 changed = 0, bytes = 0, other = 0, hvb = 0, ev_own = 0, ev_other = 0;
	char name[64], first[64] = "";
	int nev;

	if (!s || !g->n_devs || !gm)
		return HC_EINVAL;
	if (s->g != g) /* a new guest in this slot: no phase open */
		*s = (struct dma_phase){.g = g};
	if (op == HC_DMA_BEGIN) {
		if (s->phase)
			return HC_EINVAL;
		memset(&t, 0, sizeof(t));
		fill_targets(g, &t);
		if (where && hc_write(g, HC_DMA_PHASE, where, &t, MIN(size, (u64)sizeof(t))))
			return HC_EFAULT;
		s->phase = true;
		s->phase_slices = g->slices;
		for (unsigned v = 0; v < 256; v++)
			s->irqs[v] = svm_host_irq_count((u8)v);
		/* Last: nothing the hypervisor does from here to the guest's next
		 * exit writes the frames summed (no printing, no allocation). */
		checksum_all(gm->own_mem, g->owner, sum_before, pages_before);
		return (s64)t.n;
	}
	if (op != HC_DMA_END || !s->phase)
		return HC_EINVAL;
	checksum_all(gm->own_mem, g->owner, sum_after, pages_after);
	s->phase = false;
	nev = guest_dev_events_drain(g, &ev_own, &ev_other);
	for (unsigned o = 0; o < 256; o++) {
		bool is_guest = false;
		const char *on = pmem_owner_name((u8)o);

		if (!pages_before[o] && !pages_after[o])
			continue;
		bytes += pages_after[o] * PAGE_SIZE;
		/* another guest's frames or tables ("g<name>-...") or vCPU pages */
		for (unsigned i = 0; i < CFG_MAX_GUESTS; i++) {
			struct guest *og = guest_dev_live(i);
			struct gmem *ogm;

			if (og && og != g && (ogm = guest_gmem(og)) &&
			    (o == ogm->own_mem || o == ogm->own_npt || o == ogm->own_iommu ||
			     o == og->owner))
				is_guest = true;
		}
		if (is_guest)
			other += pages_after[o] * PAGE_SIZE;
		else
			hvb += pages_after[o] * PAGE_SIZE;
		if (sum_before[o] != sum_after[o] || pages_before[o] != pages_after[o]) {
			changed++;
			if (!first[0])
				snprintf(first, sizeof(first), "%s", on);
		}
	}
	snprintf(name, sizeof(name), "dev.%s.dma_phase_memory_unchanged", g->name);
	report_check(!changed, name,
		     "%llu KiB hypervisor/free + %llu KiB other guests checksummed around the DMA "
		     "phase (%llu owners changed%s%s; %llu slice ends in between; the IOMMU "
		     "event log, %llu KiB, not summed)",
		     (unsigned long long)(hvb >> 10), (unsigned long long)(other >> 10),
		     (unsigned long long)changed, first[0] ? ", first " : "", first,
		     (unsigned long long)(g->slices - s->phase_slices),
		     (unsigned long long)(guest_dev_event_log_bytes() >> 10));
	/* 48882 2.5: what the IOMMU logged while only this guest ran DMA must
	 * name this guest's devices. */
	snprintf(name, sizeof(name), "dev.%s.dma_phase_events_own", g->name);
	report_check(nev >= 0 && !ev_other, name,
		     "%llu IOMMU events during the phase from the guest's devices, %llu from "
		     "others (drain %d)%s",
		     (unsigned long long)ev_own, (unsigned long long)ev_other, nev,
		     guest_dev_event_log_dead() ? "; QEMU 7.2 never writes its event log" : "");
	report_metric("dev.dma_phase_checksum_bytes", bytes, "bytes");
	/* 48882 2.2.5: a DMA write to 0xFEExxxxx is an interrupt request; the
	 * guest aims some at every vector (guest/edutest.c). Its devices have no
	 * valid IRTE, so none may reach the hypervisor: any vector but the
	 * preemption timer's (which ends slices) arriving during the phase fails. */
	{
		u64 n = 0;
		int first_vec = -1;

		for (unsigned v = 0; v < 256; v++) {
			u64 d = svm_host_irq_count((u8)v) - s->irqs[v];

			if (v == SVM_TIMER_VECTOR || !d)
				continue;
			n += d;
			if (first_vec < 0)
				first_vec = (int)v;
		}
		snprintf(name, sizeof(name), "dev.%s.dma_phase_no_host_irq", g->name);
		report_check(!n, name,
			     "%llu interrupt(s) reached the hypervisor during the DMA phase on "
			     "vectors other than the timer's (first 0x%x); timer %llu",
			     (unsigned long long)n, first_vec < 0 ? 0 : first_vec,
			     (unsigned long long)(svm_host_irq_count(SVM_TIMER_VECTOR) -
						  s->irqs[SVM_TIMER_VECTOR]));
		snprintf(name, sizeof(name), "dev.%s.dma_phase_host_irqs", g->name);
		report_metric(name, n, "interrupts");
	}
	return (s64)changed;
}

s64 hc_test_call(struct vcpu *v, const struct hc_call *c)
{
	switch (c->nr) {
	case HC_BENCH_MARK:
		/* Timed by hv/vm/guest.c when the exit returns to the scheduler. */
		if (c->a1 > 2)
			return HC_EINVAL;
		v->bench_mark = (s32)c->a1;
		return HC_OK;
	case HC_DMA_PHASE:
		return hc_dma_phase(v->guest, c->a1, c->a2, c->a3);
	default:
		return HC_ENOSYS;
	}
}
