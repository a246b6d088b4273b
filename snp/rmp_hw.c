/* snp/rmp_hw: the RMP hardware backend (hv.efi only). Tiny wrappers around
 * the RMPUPDATE/PSMASH/RMPREAD instructions (CPUID and RDMSR are
 * hv/arch/x86/cpu.h's); every decision (is SNP on, where is the table, does
 * it cover RAM and itself) is made by rmp_hw_parse() in snp/rmp.c, which the
 * host tests exercise.
 * APM vol 2 15.36.3-4 (RMP setup), APM vol 3 (RMPUPDATE, PSMASH, RMPREAD). */
#include "snp/rmp.h"

#include <errno.h>
#include <string.h>

#include "hv/arch/x86/cpu.h"
#include "hv/base/log.h"

/* RMPUPDATE: RAX = SPA, RCX = new state; EAX = return code. */
static inline int hw_rmpupdate(u64 pa, const struct rmpentry *st)
{
	u64 ret;

	asm volatile(".byte 0xf2, 0x0f, 0x01, 0xfe"
		     : "=a"(ret)
		     : "a"(pa), "c"(st)
		     : "memory", "cc");
	return (int)(u32)ret;
}

/* PSMASH: RAX = 2M-aligned SPA; EAX = return code. */
static inline int hw_psmash(u64 pa)
{
	u64 ret;

	asm volatile(".byte 0xf3, 0x0f, 0x01, 0xff" : "=a"(ret) : "a"(pa) : "memory", "cc");
	return (int)(u32)ret;
}

/* RMPREAD: RAX = SPA, RCX = 16-byte output; EAX = return code. */
static inline int hw_rmpread(u64 pa, struct rmpentry *out)
{
	u64 ret;

	asm volatile(".byte 0xf2, 0x0f, 0x01, 0xfd"
		     : "=a"(ret)
		     : "a"(pa), "c"(out)
		     : "memory", "cc");
	return (int)(u32)ret;
}

/* Without RMPREAD (Zen 3/4) the raw table is read, as Linux does; the 2M
 * region status is then left 0 (Linux does not compute it either). */
static int hw_read(struct rmp *r, spa_t pa, struct rmpentry *out)
{
	struct rmp_info i;

	if (r->has_rmpread)
		return hw_rmpread(spa_val(pa), out);
	if (rmp_lookup(r, pa, &i, NULL))
		return RMP_FAIL_INPUT;
	memset(out, 0, sizeof(*out));
	out->gpa = gpa_val(i.gpa);
	out->asid = i.asid;
	out->flags = (i.assigned ? RMPENTRY_ASSIGNED : 0) |
		     (i.pagesize == RMP_PG_SIZE_2M ? RMPENTRY_PAGESIZE : 0) |
		     (i.immutable ? RMPENTRY_IMMUTABLE : 0);
	return RMP_SUCCESS;
}

static int hw_update(struct rmp *r, spa_t pa, const struct rmpentry *st)
{
	return hw_rmpupdate(spa_val(pa), st);
}

static int hw_psmash_op(struct rmp *r, spa_t pa)
{
	return hw_psmash(spa_val(pa));
}

static const struct rmp_ops hw_ops = {
    .name = "hardware",
    .is_model = false,
    .read = hw_read,
    .update = hw_update,
    .psmash = hw_psmash_op,
};

/* Read only the MSRs the CPU reports: RDMSR of an absent MSR raises #GP. */
static void hw_gather(struct rmp_hw_facts *f)
{
	u32 sev_eax;

	f->max_ext_leaf = cpuid(0x80000000U).eax;
	if (f->max_ext_leaf < CPUID_SEV_LEAF)
		return; /* QEMU: leaf 0x8000001F would return another leaf's data */
	sev_eax = cpuid(CPUID_SEV_LEAF).eax;
	f->sev_eax = sev_eax;
	if (!(sev_eax & CPUID_SEV_EAX_SNP))
		return;
	f->syscfg = rdmsr(MSR_AMD64_SYSCFG);
	f->rmp_base = rdmsr(MSR_AMD64_RMP_BASE);
	f->rmp_end = rdmsr(MSR_AMD64_RMP_END);
	if (sev_eax & CPUID_SEV_EAX_SEGMENTED_RMP)
		f->rmp_cfg = rdmsr(MSR_AMD64_RMP_CFG);
}

int rmp_init_hw(struct rmp *r, u64 mem_end)
{
	struct rmp_hw_facts f = {.mem_end = mem_end};
	struct rmp_hw_layout l;
	int rc;

	if (!r)
		return -EINVAL;
	hw_gather(&f);
	rc = rmp_hw_parse(&f, &l);
	if (rc)
		return rc;
	memset(r, 0, sizeof(*r));
	r->base = l.base;
	r->size = l.size;
	r->npfns = l.npfns;
	r->has_rmpread = l.has_rmpread;
	r->ops = &hw_ops;
	pr_info("rmp: hardware RMP at %#llx, %#llx bytes, covers %#llx bytes%s\n",
		(unsigned long long)spa_val(l.base), (unsigned long long)l.size,
		(unsigned long long)(l.npfns << PAGE_SHIFT), l.has_rmpread ? ", RMPREAD" : "");
	return 0;
}
