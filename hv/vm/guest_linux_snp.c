/* The CPUID page of an SNP Linux guest (SNP_PAGE_TYPE_CPUID, 56860
 * "CPUID Reporting"; Linux struct snp_cpuid_table): the leaves Linux reads,
 * from this hypervisor's CPUID policy (hv/svm/cpuid.c). The standard
 * maximum is capped at 0xB: with 0xD in range Linux requires XSAVEC/XSAVES in
 * 0xD.1 or terminates (linux-guest-facts.md), and XSAVE is hidden anyway. */
#include <string.h>

#include "hv/base/bits.h"
#include "hv/svm/cpuid.h"
#include "hv/svm/guest.h"
#include "hv/vm/guest_linux.h"
#include "snp/sev_fw.h"

#define CPUID_STD_MAX 0xb

static void put(struct guest *g, struct snp_cpuid_table *t, u32 fn, u32 idx)
{
	struct cpuid_res r;
	struct snp_cpuid_fn *f;

	if (t->count >= SNP_CPUID_COUNT_MAX)
		return;
	cpuid_guest(&g->cpuid, fn, idx, &r);
	f = &t->fn[t->count++];
	f->eax_in = fn;
	f->ecx_in = idx;
	f->eax = fn == 0 ? MIN(r.eax, (u32)CPUID_STD_MAX) : r.eax;
	f->ebx = r.ebx;
	f->ecx = r.ecx;
	f->edx = r.edx;
}

void guest_linux_cpuid_page(struct guest *g, struct snp_cpuid_table *t)
{
	struct cpuid_res r;
	u32 std, ext;

	memset(t, 0, PAGE_SIZE);
	cpuid_guest(&g->cpuid, 0, 0, &r);
	std = MIN(r.eax, (u32)CPUID_STD_MAX);
	for (u32 fn = 0; fn <= std; fn++) {
		put(g, t, fn, 0);
		if (fn == 7 || fn == 0xb)
			put(g, t, fn, 1);
	}
	cpuid_guest(&g->cpuid, 0x80000000, 0, &r);
	ext = MIN(r.eax, 0x8000001fu);
	for (u32 fn = 0x80000000; fn <= ext; fn++) {
		put(g, t, fn, 0);
		if (fn == 0x8000001d)
			for (u32 i = 1; i < 4; i++)
				put(g, t, fn, i);
	}
	if (g->cfg && g->cfg->snp_test == CFG_SNP_TEST_CPUID_FORBIDDEN) {
		/* a feature the platform does not have: AVX512F (7.0 EBX bit 16) */
		for (u32 k = 0; k < t->count; k++)
			if (t->fn[k].eax_in == 7 && t->fn[k].ecx_in == 0)
				t->fn[k].ebx |= BIT(16);
	}
}
