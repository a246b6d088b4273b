/* The guest's CPUID: host leaves filtered by a fixed policy.
 *
 * What the guest must not see: SVM (8000_0001 ECX[2], leaf 8000_000A) since
 * nested virtualisation is not offered; XSAVE/AVX (the hypervisor swaps only
 * the legacy FXSAVE area and intercepts XSETBV); VMX, MONITOR, x2APIC, the
 * TSC deadline timer and the local APIC (no virtual APIC exists; a Linux
 * guest, p->lapic, has one and sees APIC, TSC-deadline and ARAT). What it
 * sees in addition: the hypervisor bit (1 ECX[31]) and the vendor leaves
 * 0x40000000/1 (hv/abi/hypercall.h); for an SNP guest the SEV leaf 0x8000001F
 * with SEV, SEV-ES and SNP set and the C-bit at GUEST_CBIT (APM vol 3,
 * E.4.17), also when the processor (e.g. QEMU TCG) has none. */
#include "hv/svm/cpuid.h"

#include <string.h>

#include "hv/abi/hypercall.h"

unsigned guest_cbit_pos = GUEST_CBIT;

static void host_leaf(const struct cpuid_policy *p, u32 leaf, u32 sub, struct cpuid_res *r)
{
	p->host(leaf, sub, r);
}

static void filter_basic(const struct cpuid_policy *p, u32 leaf, u32 sub, struct cpuid_res *r)
{
	host_leaf(p, leaf, sub, r);
	switch (leaf) {
	case 0:
		r->eax = MIN(r->eax, GUEST_MAX_BASIC_LEAF);
		break;
	case 1:
		r->ecx &= ~(u32)(CPUID_1_ECX_MONITOR | CPUID_1_ECX_VMX | CPUID_1_ECX_X2APIC |
				 CPUID_1_ECX_TSC_DEADLINE | CPUID_1_ECX_XSAVE |
				 CPUID_1_ECX_OSXSAVE | CPUID_1_ECX_AVX);
		r->ecx |= (u32)CPUID_1_ECX_HYPERVISOR;
		r->edx &= ~(u32)CPUID_1_EDX_APIC;
		if (p->lapic) {
			r->ecx |= (u32)CPUID_1_ECX_TSC_DEADLINE;
			r->edx |= (u32)CPUID_1_EDX_APIC;
			r->edx &= ~(u32)(CPUID_1_EDX_MCE | CPUID_1_EDX_MCA | CPUID_1_EDX_MTRR);
		}
		/* one logical processor, initial APIC ID 0 */
		r->ebx &= 0x0000ffffu;
		r->ebx |= 1u << 16;
		break;
	case 6: /* power management: only ARAT, for the virtual APIC */
		memset(r, 0, sizeof(*r));
		if (p->lapic)
			r->eax = (u32)CPUID_6_EAX_ARAT;
		break;
	case 5:	  /* MONITOR/MWAIT */
	case 0xa: /* performance monitoring */
	case 0xb: /* x2APIC topology */
	case 0xd: /* XSAVE */
		memset(r, 0, sizeof(*r));
		break;
	case 7:
		if (sub == 0) {
			r->ebx &= ~(u32)(CPUID_7_EBX_AVX2 | CPUID_7_EBX_AVX512_MASK);
			r->ecx = 0;
			r->edx = 0;
		} else {
			memset(r, 0, sizeof(*r));
		}
		break;
	default:
		break;
	}
}

static void filter_ext(const struct cpuid_policy *p, u32 leaf, u32 sub, struct cpuid_res *r)
{
	if (leaf == 0x8000001f) { /* only reached for SNP guests */
		memset(r, 0, sizeof(*r));
		r->eax = (u32)(CPUID_SEV_EAX_SEV | CPUID_SEV_EAX_SEV_ES | CPUID_SEV_EAX_SNP);
		r->ebx = (u32)FIELD_PREP(CPUID_SEV_EBX_CBIT_MASK, guest_cbit_pos);
		return;
	}
	host_leaf(p, leaf, sub, r);
	switch (leaf) {
	case 0x80000000:
		r->eax = p->snp ? GUEST_MAX_EXT_LEAF_SNP : MIN(r->eax, GUEST_MAX_EXT_LEAF);
		break;
	case 0x80000001:
		r->ecx &= ~(u32)BIT(2); /* SVM */
		if (p->lapic) {
			r->ecx &= ~(u32)CPUID_80000001_ECX_EXTAPIC;
			r->edx &= ~(u32)CPUID_80000001_EDX_RDTSCP;
		}
		break;
	case 0x8000000a: /* SVM features */
	case 0x80000019: /* 1G TLB: harmless but reveals nothing useful */
	case 0x8000001b: /* IBS */
		memset(r, 0, sizeof(*r));
		break;
	default:
		break;
	}
}

static u32 guest_max_ext(const struct cpuid_policy *p)
{
	struct cpuid_res r;

	if (p->snp)
		return GUEST_MAX_EXT_LEAF_SNP;
	host_leaf(p, 0x80000000, 0, &r);
	return MIN(r.eax, GUEST_MAX_EXT_LEAF);
}

void cpuid_guest(const struct cpuid_policy *p, u32 leaf, u32 subleaf, struct cpuid_res *out)
{
	struct cpuid_res r;

	memset(out, 0, sizeof(*out));
	if (leaf <= GUEST_MAX_BASIC_LEAF) {
		host_leaf(p, 0, 0, &r);
		if (leaf <= r.eax)
			filter_basic(p, leaf, subleaf, out);
	} else if (leaf == HC_CPUID_BASE) {
		out->eax = HC_CPUID_INFO;
		out->ebx = HC_CPUID_SIG_EBX;
		out->ecx = HC_CPUID_SIG_ECX;
		out->edx = HC_CPUID_SIG_EDX;
	} else if (leaf == HC_CPUID_INFO) {
		out->eax = HC_ABI_VERSION;
		out->ebx = p->snp ? HC_INFO_F_SNP : 0;
		out->ecx = HC_NR;
	} else if (leaf >= 0x80000000 && leaf <= guest_max_ext(p)) {
		/* Beyond the host's own maximum a processor returns other leaves'
		 * data (qemu-facts.md): only the synthetic SEV leaf lives there. */
		host_leaf(p, 0x80000000, 0, &r);
		if (leaf <= r.eax || leaf == 0x8000001f)
			filter_ext(p, leaf, subleaf, out);
	}
}
