/* Reads and reports the CPU features (AMD APM vol 3, appendix E; CPUID
 * 0x8000000A for SVM, 0x8000001F for SME/SEV/SNP). QEMU answers 0x8000001F
 * with another leaf's data when it is past the maximum extended leaf
 * (qemu-facts.md), so that leaf is read only when 0x80000000.EAX covers it. */
#include <stdio.h>
#include <string.h>

#include "hv/base/bits.h"
#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/cpufeat.h"
#include "hv/base/log.h"

struct cpu_features cpu;

static void read_brand(void)
{
	u32 *b = (u32 *)cpu.brand;

	if (cpu.max_ext_leaf < 0x80000004)
		return;
	for (u32 i = 0; i < 3; i++) {
		struct cpuid_regs r = cpuid(0x80000002 + i);

		b[i * 4 + 0] = r.eax;
		b[i * 4 + 1] = r.ebx;
		b[i * 4 + 2] = r.ecx;
		b[i * 4 + 3] = r.edx;
	}
	cpu.brand[48] = 0;
}

void cpu_features_read(void)
{
	struct cpuid_regs r = cpuid(0);
	u32 *v = (u32 *)cpu.vendor;

	memset(&cpu, 0, sizeof(cpu));
	cpu.max_leaf = r.eax;
	v[0] = r.ebx;
	v[1] = r.edx;
	v[2] = r.ecx;
	cpu.vendor[12] = 0;
	r = cpuid(1);
	cpu.family = FIELD_GET(GENMASK(11, 8), r.eax);
	cpu.model = FIELD_GET(GENMASK(7, 4), r.eax);
	if (cpu.family == 0xf) {
		cpu.family += FIELD_GET(GENMASK(27, 20), r.eax);
		cpu.model |= FIELD_GET(GENMASK(19, 16), r.eax) << 4;
	}
	cpu.stepping = r.eax & 0xf;
	cpu.apic = r.edx & BIT(9);
	cpu.x2apic = r.ecx & BIT(21);
	cpu.tsc_deadline = r.ecx & BIT(24);
	cpu.xsave = r.ecx & BIT(26);
	cpu.rdrand = r.ecx & BIT(30); /* CPUID 1 ECX[30] RDRAND (APM vol 3, appendix E) */
	cpu.max_ext_leaf = cpuid(0x80000000).eax;
	read_brand();
	r = cpuid(0x80000001);
	cpu.svm = r.ecx & BIT(2);
	cpu.nx = r.edx & BIT(20);
	cpu.gbpages = r.edx & BIT(26);
	if (cpu.max_ext_leaf >= 0x80000007)
		cpu.invariant_tsc = cpuid(0x80000007).edx & BIT(8);
	if (cpu.max_ext_leaf >= 0x80000008) {
		r = cpuid(0x80000008);
		cpu.phys_addr_bits = r.eax & 0xff;
		cpu.virt_addr_bits = (r.eax >> 8) & 0xff;
	}
	if (cpu.svm && cpu.max_ext_leaf >= 0x8000000A) {
		r = cpuid(0x8000000A);
		cpu.svm_rev = r.eax & 0xff;
		cpu.nr_asids = r.ebx;
		cpu.npt = r.edx & BIT(0);
		cpu.nrips = r.edx & BIT(3);
		cpu.vmcb_clean = r.edx & BIT(5);
		cpu.flush_by_asid = r.edx & BIT(6);
		cpu.decode_assists = r.edx & BIT(7);
		cpu.avic = r.edx & BIT(13);
		cpu.vgif = r.edx & BIT(16);
	}
	if (cpu.max_ext_leaf >= 0x8000001F) {
		r = cpuid(0x8000001F);
		cpu.sev_leaf = true;
		cpu.sme = r.eax & BIT(0);
		cpu.sev = r.eax & BIT(1);
		cpu.sev_es = r.eax & BIT(3);
		cpu.snp = r.eax & BIT(4);
		cpu.cbit = r.ebx & 0x3f;
		cpu.nr_encrypted_guests = r.ecx;
		cpu.min_sev_asid = r.edx;
	}
}

void cpu_report(void)
{
	pr_info("cpu: %s family %xh model %xh stepping %u: %s\n", cpu.vendor, cpu.family, cpu.model,
		cpu.stepping, cpu.brand[0] ? cpu.brand : "(no brand string)");
	pr_info("cpu: physical address bits %u, virtual %u, NX %s, 1G pages %s, XSAVE %s\n",
		cpu.phys_addr_bits, cpu.virt_addr_bits, cpu.nx ? "yes" : "no",
		cpu.gbpages ? "yes" : "no", cpu.xsave ? "yes" : "no");
	if (!cpu.svm) {
		pr_info("cpu: SVM: not available\n");
	} else {
		pr_info("cpu: SVM revision %u, %u ASIDs, NPT %s, NRIP save %s, VMCB clean %s, "
			"flush-by-ASID %s, decode assists %s, VGIF %s, AVIC %s\n",
			cpu.svm_rev, cpu.nr_asids, cpu.npt ? "yes" : "no", cpu.nrips ? "yes" : "no",
			cpu.vmcb_clean ? "yes" : "no", cpu.flush_by_asid ? "yes" : "no",
			cpu.decode_assists ? "yes" : "no", cpu.vgif ? "yes" : "no",
			cpu.avic ? "yes" : "no");
	}
	if (!cpu.sev_leaf)
		pr_info("cpu: SEV leaf 0x8000001F: not reported (max extended leaf 0x%x); no "
			"SME/SEV/SNP\n",
			cpu.max_ext_leaf);
	else
		pr_info("cpu: SEV leaf: SME %s, SEV %s, SEV-ES %s, SNP %s, C-bit %u, %u encrypted "
			"guests, min SEV ASID %u\n",
			cpu.sme ? "yes" : "no", cpu.sev ? "yes" : "no", cpu.sev_es ? "yes" : "no",
			cpu.snp ? "yes" : "no", cpu.cbit, cpu.nr_encrypted_guests,
			cpu.min_sev_asid);
}
