/* #VMEXIT dispatch: one handler per exit code (AMD APM vol 2, 15.7 and
 * appendix C). Pure code: works on a struct vcpu whose VMCB may be a fake
 * (tests/unit/test_exits.c). A handler either resumes the guest, ends its
 * time slice, or finishes it with an outcome; a misbehaving guest never
 * reaches panic(). Policies are in docs/svm.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/msr.h"
#include "hv/svm/guest.h"
#include "hv/abi/hypercall.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/svm/guest_msr.h"
#include "hv/svm/hc_test.h"
#include "hv/base/report.h"
#include "hv/svm/snp_guest.h"
#include "hv/svm/svm.h"
#include "hv/svm/vcpu.h"
#include "hv/svm/sev_vmcb.h"
#include "hv/svm/mmio_insn.h"
#include "hv/svm/vlapic.h"

static const char *const outcome_names[GUEST_OUTCOME_NR] = {
    [GUEST_PASS] = "pass",	 [GUEST_FAIL] = "fail",	    [GUEST_TRIPLE_FAULT] = "triple_fault",
    [GUEST_NPF] = "npf",	 [GUEST_KILLED] = "killed", [GUEST_TIMEOUT] = "timeout",
    [GUEST_RUNNING] = "running",
};

const char *guest_outcome_name(enum guest_outcome o)
{
	return (unsigned)o < GUEST_OUTCOME_NR ? outcome_names[o] : "?";
}

void guest_finish(struct guest *g, enum guest_outcome o, const char *fmt, ...)
{
	va_list ap;

	guest_con_flush(g);
	if (guest_done(g))
		return;
	g->outcome = o;
	va_start(ap, fmt);
	vsnprintf(g->detail, sizeof(g->detail), fmt, ap);
	va_end(ap);
	if (o != GUEST_PASS)
		pr_info("guest %s: %s: %s\n", g->name, guest_outcome_name(o), g->detail);
}

/* ---- guest console ------------------------------------------------------- */

void guest_con_flush(struct guest *g)
{
	if (!g->con_len)
		return;
	g->con_line[g->con_len] = '\0';
	/* The prefix keeps a guest from forging "@@" lines for the runner. */
	printf("[%s] %s\n", g->name, g->con_line);
	fflush(stdout);
	g->con_len = 0;
}

void guest_con_putc(struct guest *g, char c)
{
	if (c == '\n') {
		if (!g->con_len) { /* keep empty lines visible */
			g->con_line[g->con_len++] = ' ';
		}
		guest_con_flush(g);
		return;
	}
	if (c == '\r')
		return;
	if ((unsigned char)c < 0x20 && c != '\t')
		c = '?';
	else if ((unsigned char)c >= 0x7f)
		c = '?';
	g->con_line[g->con_len++] = c;
	if (g->con_len >= GUEST_CON_LINE)
		guest_con_flush(g);
}

/* ---- checked guest memory access: every byte through mem_ops->translate ---- */

static int guest_copy(struct guest *g, gpa_t a, void *buf, u64 len, bool to_guest)
{
	u8 *p = buf;
	u64 cur = gpa_val(a);

	if (cur + len < cur)
		return -EFAULT;
	while (len) {
		spa_t pa;
		u64 contig, n;

		if (g->mem_ops->translate(g, gpa(cur), &pa, &contig))
			return -EFAULT;
		n = MIN(len, contig);
		if (to_guest)
			memcpy(phys_ptr(pa), p, n);
		else
			memcpy(p, phys_ptr(pa), n);
		p += n;
		cur += n;
		len -= n;
	}
	return 0;
}

int guest_read(struct guest *g, gpa_t a, void *buf, u64 len)
{
	return guest_copy(g, a, buf, len, false);
}

/* The ONE path of every hypervisor write into guest memory (hypercall
 * results through hc_write, the GHCB write-back, guest-request responses,
 * the image and boot-params page of a plain guest). For an SNP guest every
 * page must be shared at the moment of the write (snp_hv_write_check: the
 * page state as gmem's ledger has it now, after whatever the exit changed);
 * otherwise nothing is written and -EPERM/-EFAULT returned. */
int guest_write(struct guest *g, gpa_t a, const void *buf, u64 len)
{
	int ret = g->snp ? snp_hv_write_check(g, gpa_val(a), len) : 0;

	return ret ? ret : guest_copy(g, a, (void *)buf, len, true);
}

int guest_read_str(struct guest *g, gpa_t a, char *buf, u64 max)
{
	u64 i;

	for (i = 0; i <= max; i++) {
		if (guest_read(g, gpa_add(a, i), &buf[i], 1))
			return -EFAULT;
		if (!buf[i])
			return 0;
	}
	buf[max] = '\0';
	return -ENAMETOOLONG;
}

/* ---- register helpers ------------------------------------------------------ */

static u64 rax(struct vcpu *v)
{
	return v->vmcb->save.rax;
}
static void set_rax(struct vcpu *v, u64 val)
{
	v->vmcb->save.rax = val;
}

static enum exit_action skip_and_resume(struct vcpu *v)
{
	if (v->sev_es) { /* never reached: the SEV-ES dispatcher has no such exit */
		guest_finish(v->guest, GUEST_KILLED,
			     "exit 0x%x: the RIP of an SEV-ES guest is the processor's",
			     v->vmcb->control.exit_code);
		return EXIT_STOP;
	}
	if (vcpu_skip_insn(v)) {
		guest_finish(v->guest, GUEST_KILLED, "cannot advance RIP after exit 0x%x",
			     v->vmcb->control.exit_code);
		return EXIT_STOP;
	}
	return EXIT_RESUME;
}

/* ---- emulated SNP: #VC instead of the exit (APM vol 2, 15.35.5) -------------------
 * On SNP hardware the intercepted CPUID, RDMSR/WRMSR, IN/OUT and VMMCALL of
 * an SEV-ES guest never exit: the processor raises #VC in the guest with
 * the exit code as error code (hv/svm/sev_vmcb.c: intercepts_on). Under the
 * emulation the exit arrives and is turned into that #VC, so the guest's
 * #VC handler and the GHCB run exactly as on hardware. MSRs the processor
 * switches for an SEV-ES guest are not intercepted there (the SEV-ES MSRPM:
 * GHCB MSR, EFER, PAT) and SEV_STATUS is readable without #VC (Linux and
 * KVM's SEV-ES selftests read it before any #VC handler): those exits are
 * still handled here. */
static bool snp_msr_native(u32 msr)
{
	return msr == MSR_AMD64_SEV_ES_GHCB || msr == MSR_EFER || msr == MSR_IA32_CR_PAT ||
	       msr == MSR_AMD64_SEV;
}

static bool snp_vc_instead(struct vcpu *v, u32 code)
{
	if (!v->guest->snp || v->sev_es)
		return false;
	if (code == SVM_EXIT_MSR)
		return !snp_msr_native((u32)v->regs.rcx);
	return code == SVM_EXIT_CPUID || code == SVM_EXIT_IOIO || code == SVM_EXIT_VMMCALL ||
	       (code == SVM_EXIT_NPF && v->guest->is_linux);
}

/* ---- CPUID ------------------------------------------------------------------ */

static enum exit_action handle_cpuid(struct vcpu *v)
{
	struct cpuid_res r;

	if (snp_vc_instead(v, SVM_EXIT_CPUID))
		return (enum exit_action)snp_inject_vc(v, SVM_EXIT_CPUID);
	cpuid_guest(&v->guest->cpuid, (u32)rax(v), (u32)v->regs.rcx, &r);
	set_rax(v, r.eax);
	v->regs.rbx = r.ebx;
	v->regs.rcx = r.ecx;
	v->regs.rdx = r.edx;
	return skip_and_resume(v);
}

/* ---- MSR (EXITINFO1: 0 = RDMSR, 1 = WRMSR; APM vol 2, 15.11) ------------------ */

static enum exit_action handle_msr(struct vcpu *v)
{
	u32 msr = (u32)v->regs.rcx;
	u64 val;
	int ret;

	if (snp_vc_instead(v, SVM_EXIT_MSR))
		return (enum exit_action)snp_inject_vc(v, SVM_EXIT_MSR);
	if (v->vmcb->control.exit_info_1) {
		val = (rax(v) & 0xffffffffULL) | (v->regs.rdx << 32);
		ret = msr_guest_write(v, msr, val);
	} else {
		ret = msr_guest_read(v, msr, &val);
		if (!ret) {
			set_rax(v, val & 0xffffffffULL);
			v->regs.rdx = val >> 32;
		}
	}
	if (ret) {
		pr_debug("guest %s: %s of MSR 0x%x: #GP\n", v->guest->name,
			 v->vmcb->control.exit_info_1 ? "WRMSR" : "RDMSR", msr);
		v->guest->msr_gp++;
		vcpu_inject_exception(v, X86_VEC_GP, 0);
		return EXIT_RESUME;
	}
	return skip_and_resume(v);
}

/* ---- port I/O (APM vol 2, 15.10.2) -------------------------------------------- */

/* Ports whose use ends the guest: resetting or exiting the machine, PCI
 * configuration, the interrupt controllers and timers the hypervisor owns. */
static const struct {
	u16 first, count;
	const char *what;
} forbidden_ports[] = {
    {0x020, 2, "8259 PIC"},	  {0x040, 4, "8254 PIT"},	   {0x064, 1, "i8042 reset"},
    {0x070, 2, "CMOS/NMI mask"},  {0x092, 1, "port 92 reset"},	   {0x0a0, 2, "8259 PIC"},
    {0x0f4, 4, "isa-debug-exit"}, {0x0cf8, 8, "PCI config/reset"},
};

/* A Linux guest probes the PIC, PIT, i8042, CMOS and PCI configuration
 * ports at boot (linux-guest-facts.md): for it they read as absent (all
 * ones) and writes vanish; reset and exit ports stay forbidden. */
static bool port_absent_for_linux(u16 first)
{
	return first != 0x092 && first != 0x0f4;
}

static const char *port_forbidden(const struct guest *g, u16 port, u8 size)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(forbidden_ports); i++) {
		u32 a = forbidden_ports[i].first, b = a + forbidden_ports[i].count;

		if (g->is_linux && port_absent_for_linux(forbidden_ports[i].first))
			continue;

		if ((u32)port < b && (u32)port + size > a)
			return forbidden_ports[i].what;
	}
	return NULL;
}

static void set_in_result(struct vcpu *v, u8 size, u32 val)
{
	u64 a = rax(v);

	if (size == 4)
		a = val; /* a 32-bit destination zero-extends */
	else if (size == 2)
		a = (a & ~0xffffULL) | (val & 0xffff);
	else
		a = (a & ~0xffULL) | (val & 0xff);
	set_rax(v, a);
}

static enum exit_action handle_ioio(struct vcpu *v)
{
	struct guest *g = v->guest;
	struct svm_ioio io = svm_ioio_decode(v->vmcb->control.exit_info_1);
	const char *what;
	u32 val;

	if (snp_vc_instead(v, SVM_EXIT_IOIO))
		return (enum exit_action)snp_inject_vc(v, SVM_EXIT_IOIO);
	if (!io.size) {
		guest_finish(g, GUEST_KILLED, "IOIO exit with no valid size (info1 0x%llx)",
			     (unsigned long long)v->vmcb->control.exit_info_1);
		return EXIT_STOP;
	}
	what = port_forbidden(g, io.port, io.size);
	if (what) {
		guest_finish(g, GUEST_KILLED, "forbidden port 0x%x (%s) %s size %u at rip 0x%llx",
			     io.port, what, io.in ? "read" : "write", io.size,
			     (unsigned long long)v->vmcb->save.rip);
		return EXIT_STOP;
	}
	if (io.str) { /* INS/OUTS are not emulated: docs/svm.md */
		vcpu_inject_exception(v, X86_VEC_GP, 0);
		return EXIT_RESUME;
	}
	val = (u32)rax(v);
	guest_pio(g, io.port, io.size, io.in, &val);
	if (guest_done(g)) /* powered off (ACPI S5) */
		return EXIT_STOP;
	if (io.in)
		set_in_result(v, io.size, val);
	return skip_and_resume(v);
}

/* The port model of a guest, for IOIO exits and the IOIO NAE of SNP guests. */
void guest_pio(struct guest *g, u16 port, u8 size, bool in, u32 *val)
{
	if (g->is_linux && size == 1 && (port == VRTC_INDEX_PORT || port == VRTC_DATA_PORT)) {
		u8 b = (u8)*val;

		vrtc_io(&g->rtc, port, in, &b,
			g->rtc.tsc_khz ? g->now / (g->rtc.tsc_khz * 1000) : 0);
		if (in)
			*val = b;
		return;
	}
	if (guest_plat_pit_io(g, port, size, in, val))
		return;
	if (g->dev_ops && !g->dev_ops->pio(g, port, size, in, val))
		return;
	if (guest_plat_pm1_io(g, port, size, in, val))
		return;
	if (!guest_plat_uart_io(g, port, size, in, val)) {
		/* No device: reads float high, writes vanish (docs/svm.md). */
		if (g->vcpu)
			g->vcpu->ignored_io++;
		if (in)
			*val = 0xffffffffu;
	}
}

/* ---- HLT, SHUTDOWN, INTR, exceptions -------------------------------------------- */

#define X86_RFLAGS_IF BIT(9)

/* HLT: end of the slice. A Linux guest sleeps until its APIC has an
 * interrupt for it (guest_irq_sync); HLT with IF = 0 can never be woken
 * (no NMI source exists): that is how Linux ends `poweroff -f` without an
 * ACPI PM1 block, so the guest is finished as powered off (docs/linux.md). */
static enum exit_action handle_hlt(struct vcpu *v)
{
	struct guest *g = v->guest;
	enum exit_action a = skip_and_resume(v);

	if (a == EXIT_STOP)
		return a;
	if (g->is_linux) {
		if (!(v->vmcb->save.rflags & X86_RFLAGS_IF)) {
			guest_finish(g, GUEST_PASS,
				     "powered off: HLT with interrupts off at rip 0x%llx",
				     (unsigned long long)v->vmcb->save.rip - 1);
			return EXIT_STOP;
		}
		g->halted = true;
	}
	return EXIT_YIELD;
}

/* The guest can take the interrupt V_IRQ announced (APM vol 2, 15.21.4):
 * drop the request; guest_irq_sync injects it before the next VMRUN. */
static enum exit_action handle_vintr(struct vcpu *v)
{
	v->vmcb->control.int_ctl &= ~(u32)(V_IRQ_MASK | V_INTR_PRIO_MASK | V_IGN_TPR_MASK);
	vmcb_clr_intercept(&v->vmcb->control, INTERCEPT_VINTR);
	return EXIT_RESUME;
}

void guest_irq_sync(struct vcpu *v, u64 now)
{
	struct guest *g = v->guest;
	struct vmcb_control_area *c = &v->vmcb->control;
	int vec;

	vlapic_tick(&g->lapic, now);
	vec = vlapic_pending(&g->lapic);
	if (vec < 0)
		return;
	g->halted = false;
	if (!(c->event_inj & SVM_EVTINJ_VALID) && (v->vmcb->save.rflags & X86_RFLAGS_IF) &&
	    !(c->int_state & SVM_INTERRUPT_SHADOW_MASK)) {
		c->event_inj = (u32)(FIELD_PREP(SVM_EVTINJ_VEC_MASK, (u32)vec) |
				     FIELD_PREP(SVM_EVTINJ_TYPE_MASK, SVM_EVTINJ_TYPE_INTR) |
				     SVM_EVTINJ_VALID);
		vlapic_accept(&g->lapic, (u8)vec);
		g->irqs_injected++;
		return;
	}
	/* not now: exit as soon as the guest can take it */
	c->int_ctl |= (u32)(V_IRQ_MASK | V_IGN_TPR_MASK | FIELD_PREP(V_INTR_PRIO_MASK, 0xf));
	vmcb_set_intercept(c, INTERCEPT_VINTR);
}

static enum exit_action handle_shutdown(struct vcpu *v)
{
	guest_finish(v->guest, GUEST_TRIPLE_FAULT, "shutdown (triple fault) at rip 0x%llx",
		     (unsigned long long)v->vmcb->save.rip);
	return EXIT_STOP;
}

/* An SNP guest's PVALIDATE is emulated (hv/svm/snp_guest.c); any other #UD
 * goes back to the guest. */
static enum exit_action handle_ud(struct vcpu *v)
{
	if (v->guest->snp && snp_handle_ud(v) == 0)
		return EXIT_RESUME;
	vcpu_inject_exception(v, X86_VEC_UD, -1);
	return EXIT_RESUME;
}

/* SVM instructions and hidden features: the guest sees no SVM and no XSAVE. */
static enum exit_action handle_hidden_insn(struct vcpu *v)
{
	vcpu_inject_exception(v, X86_VEC_UD, -1);
	return EXIT_RESUME;
}

/* ---- the xAPIC page of a Linux guest (hv/svm/vlapic.c) --------------------------------
 * The page is not in the NPT: every access is a nested page fault with the
 * GPA, and the instruction is fetched and decoded here (no decode assists
 * under QEMU TCG: hv/svm/mmio_insn.h). */

/* GPRs in x86 encoding order: RAX and RSP live in the VMCB save area. */
static u64 *gpr_slot(struct vcpu *v, unsigned reg)
{
	u64 *r[16] = {
	    NULL,	  &v->regs.rcx, &v->regs.rdx, &v->regs.rbx, NULL,	  &v->regs.rbp,
	    &v->regs.rsi, &v->regs.rdi, &v->regs.r8,  &v->regs.r9,  &v->regs.r10, &v->regs.r11,
	    &v->regs.r12, &v->regs.r13, &v->regs.r14, &v->regs.r15,
	};

	return r[reg & 15];
}

static u64 gpr_get(struct vcpu *v, unsigned reg)
{
	if ((reg & 15) == 0)
		return v->vmcb->save.rax;
	if ((reg & 15) == 4)
		return v->vmcb->save.rsp;
	return *gpr_slot(v, reg);
}

static void gpr_set(struct vcpu *v, unsigned reg, u64 val)
{
	if ((reg & 15) == 0)
		v->vmcb->save.rax = val;
	else if ((reg & 15) == 4)
		v->vmcb->save.rsp = val;
	else
		*gpr_slot(v, reg) = val;
}

/* Reads up to MMIO_INSN_MAX bytes at the guest's RIP (through its page
 * tables in long mode); returns how many could be read. */
static unsigned fetch_insn(struct vcpu *v, u8 *buf)
{
	const struct vmcb_save_area *s = &v->vmcb->save;
	u64 rip = s->cs.base + s->rip;
	unsigned n;

	for (n = 0; n < MMIO_INSN_MAX; n++) {
		u64 ga = rip + n;

		if ((s->cr0 & CR0_PG) && snp_guest_va_to_gpa(v->guest, s->cr3, rip + n, &ga))
			break;
		if (guest_read(v->guest, gpa(ga), &buf[n], 1))
			break;
	}
	return n;
}

/* An access to emulated MMIO at gpa: the platform's APIC pages (plat: the
 * xAPIC or the I/O APIC, hv/svm/guest_plat.c) or a trapped page of a
 * passed-through device (g->dev_ops). */
static enum exit_action emulate_mmio(struct vcpu *v, u64 gpa, bool plat)
{
	u32 off = (u32)(gpa & (PAGE_SIZE - 1));
	struct guest *g = v->guest;
	const struct vmcb_save_area *s = &v->vmcb->save;
	struct mmio_insn in;
	u8 bytes[MMIO_INSN_MAX];
	unsigned n = fetch_insn(v, bytes);
	bool long64 = (s->efer & EFER_LMA) && (s->cs.attrib & SVM_SEG_L);
	u32 val;
	int ret = mmio_insn_decode(bytes, n, long64, &in);

	g->mmio_exits++;
	if (ret || (off & 3)) {
		guest_finish(g, GUEST_KILLED,
			     "%s access at 0x%llx by an instruction that is not "
			     "emulated (%d; bytes %02x %02x %02x %02x, rip 0x%llx)",
			     plat ? "APIC page" : "device MMIO", (unsigned long long)gpa, ret,
			     bytes[0], bytes[1], bytes[2], bytes[3], (unsigned long long)s->rip);
		return EXIT_STOP;
	}
	if (in.write) {
		val = in.has_imm ? in.imm : (u32)gpr_get(v, in.reg);
		if (plat)
			guest_plat_mmio(g, gpa, true, &val);
		else
			g->dev_ops->mmio(g, gpa, true, &val);
	} else {
		if (plat)
			guest_plat_mmio(g, gpa, false, &val);
		else
			g->dev_ops->mmio(g, gpa, false, &val);
		gpr_set(v, in.reg, val); /* a 32-bit load zero-extends */
	}
	v->vmcb->save.rip += in.len;
	v->vmcb->control.int_state &= ~(u32)SVM_INTERRUPT_SHADOW_MASK;
	return EXIT_RESUME;
}

/* ---- CR3 of an emulated SNP guest (snp_cr3_write, docs/snp-guest.md "CR3") ----------
 * No decode assists: the MOV is fetched and decoded here. A read returns
 * the value written (C-bit included); a write loads it without the C-bit
 * and flushes the guest's TLB entries, as MOV to CR3 does. */
static enum exit_action handle_cr3(struct vcpu *v, bool write)
{
	struct vmcb_save_area *s = &v->vmcb->save;
	struct mov_cr_insn in;
	u8 bytes[MMIO_INSN_MAX];
	unsigned n = fetch_insn(v, bytes);
	bool lma = s->efer & EFER_LMA;
	bool long64 = lma && (s->cs.attrib & SVM_SEG_L);
	int ret = mov_cr_decode(bytes, n, long64, &in);
	u64 hw;

	if (!v->cr3_emul || ret || in.cr != 3 || in.write != write) {
		guest_finish(v->guest, GUEST_KILLED,
			     "CR3 %s by an instruction that is not emulated (%d; bytes %02x %02x "
			     "%02x %02x, rip 0x%llx)",
			     write ? "write" : "read", ret, bytes[0], bytes[1], bytes[2], bytes[3],
			     (unsigned long long)s->rip);
		return EXIT_STOP;
	}
	if (!write) {
		gpr_set(v, in.reg, long64 ? v->guest_cr3 : (u32)v->guest_cr3);
	} else if (snp_cr3_write(gpr_get(v, in.reg), lma, s->cr4 & CR4_PCIDE, v->phys_bits,
				 guest_cbit_pos, &v->guest_cr3, &hw)) {
		vcpu_inject_exception(v, X86_VEC_GP, 0);
		return EXIT_RESUME;
	} else {
		s->cr3 = hw;
		v->vmcb->control.tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	}
	s->rip += in.len;
	v->vmcb->control.int_state &= ~(u32)SVM_INTERRUPT_SHADOW_MASK;
	return EXIT_RESUME;
}

/* ---- nested page fault (APM vol 2, 15.25.6) ---------------------------------------- */

static enum exit_action handle_npf(struct vcpu *v)
{
	struct guest *g = v->guest;
	const struct vmcb_control_area *c = &v->vmcb->control;
	struct svm_npf f = svm_npf_decode(c->exit_info_1, c->exit_info_2);

	/* SNP: the RMP check failed (APM vol 2, 15.36.10), not the NPT walk */
	if (g->snp && (c->exit_info_1 & PFERR_GUEST_RMP_MASK))
		return (enum exit_action)snp_handle_rmp_npf(v);
	if (g->mem_ops && g->mem_ops->fault &&
	    g->mem_ops->fault(g, gpa(f.gpa), c->exit_info_1) == 0)
		return EXIT_RESUME;
	if (guest_plat_mmio_claims(g, f.gpa) && !f.in_walk) {
		/* SNP: an MMIO #NPF is a #VC with SVM_EXIT_NPF; the guest's
		 * handler sends the MMIO NAE (56421 4.1.5, docs/snp-guest.md) */
		if (snp_vc_instead(v, SVM_EXIT_NPF))
			return (enum exit_action)snp_inject_vc(v, SVM_EXIT_NPF);
		return emulate_mmio(v, f.gpa, true);
	}
	if (g->dev_ops && !f.in_walk && g->dev_ops->mmio_claims(g, f.gpa)) {
		/* SNP: the trapped MSI-X table and PBA pages too: the guest's
		 * instruction is in private memory, its handler decodes it and
		 * sends the MMIO NAE (snp_guest.c nae_mmio) */
		if (snp_vc_instead(v, SVM_EXIT_NPF))
			return (enum exit_action)snp_inject_vc(v, SVM_EXIT_NPF);
		return emulate_mmio(v, f.gpa, false);
	}
	guest_finish(g, GUEST_NPF, "nested page fault gpa 0x%llx rip 0x%llx err 0x%llx (%s %s%s)",
		     (unsigned long long)f.gpa, (unsigned long long)v->vmcb->save.rip,
		     (unsigned long long)c->exit_info_1, f.in_walk ? "guest page walk" : "access",
		     f.fetch   ? "fetch"
		     : f.write ? "write"
			       : "read",
		     f.present ? ", present" : ", not present");
	return EXIT_STOP;
}

/* ---- hypercalls (hv/abi/hypercall.h) ------------------------------------------------------ */

/* Test names become report words: [A-Za-z0-9_.:/-] only. */
static void sanitize_word(char *s)
{
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == ':' || c == '/' || c == '-'))
			*s = '_';
	}
}

static void sanitize_text(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

/* ---- VMGEXIT (exit 0x403, APM vol 2 15.35.5; GHCB spec 56421) ---------------------
 * One handler for hardware and emulation: the GHCB MSR value arrives in and
 * leaves through the VMCB's ghcb_gpa field (hardware copies it from and to
 * the guest's GHCB MSR in the VMSA). */
static enum exit_action handle_vmgexit(struct vcpu *v)
{
	if (v->guest->snp)
		return (enum exit_action)snp_handle_vmgexit(v);
	guest_finish(v->guest, GUEST_KILLED, "VMGEXIT from a non-SNP guest");
	return EXIT_STOP;
}

/* Emulated SNP: QEMU reports REP VMMCALL (VMGEXIT, F3 0F 01 D9) as a plain
 * VMMCALL exit (qemu-facts.md). The exit is turned into the one hardware
 * would have made: RIP past the 4 bytes (no NRIP under TCG), the emulated
 * GHCB MSR into control.ghcb_gpa, exit code 0x403 (and counted as such);
 * then the hardware handler runs and its answer goes back to the MSR. */
#define VMGEXIT_INSN_LEN 4

static enum exit_action emulate_vmgexit(struct vcpu *v)
{
	struct vmcb_control_area *c = &v->vmcb->control;
	enum exit_action a;

	v->vmcb->save.rip += VMGEXIT_INSN_LEN;
	c->int_state &= ~(u32)SVM_INTERRUPT_SHADOW_MASK;
	c->ghcb_gpa = v->guest->ghcb_msr;
	c->exit_code = SVM_EXIT_VMGEXIT;
	c->exit_code_hi = 0;
	v->last_exit = SVM_EXIT_VMGEXIT;
	v->exit_counts[EXIT_STAT_VMMCALL]--;
	v->exit_counts[EXIT_STAT_VMGEXIT]++;
	a = handle_vmgexit(v);
	v->guest->ghcb_msr = c->ghcb_gpa;
	return a;
}

/* Hypercall GPA arguments: a plain guest's through its NPT (guest_read /
 * guest_write); an SNP guest's must also be shared pages, checked before
 * anything is read or written (snp_hc_gpa_check). */
static int hc_gpa_ok(struct guest *g, u64 nr, u64 ga, u64 len)
{
	if (!g->snp || !len)
		return 0;
	return snp_hc_gpa_check(g, nr, ga, len) ? HC_EFAULT : 0;
}

int hc_write(struct guest *g, u64 nr, u64 ga, const void *buf, u64 len)
{
	if (hc_gpa_ok(g, nr, ga, len) || guest_write(g, gpa(ga), buf, len))
		return HC_EFAULT;
	return 0;
}

static int hc_read(struct vcpu *v, u64 nr, u64 ga, void *buf, u64 len)
{
	if (hc_gpa_ok(v->guest, nr, ga, len) || guest_read(v->guest, gpa(ga), buf, len))
		return HC_EFAULT;
	return 0;
}

/* A NUL-terminated string of at most max characters; for an SNP guest
 * every page is checked before its first byte is read. */
static int hc_read_str(struct vcpu *v, u64 nr, u64 ga, char *buf, u64 max)
{
	u64 i;

	for (i = 0; i <= max; i++) {
		if ((!i || !((ga + i) & (PAGE_SIZE - 1))) && hc_gpa_ok(v->guest, nr, ga + i, 1))
			return HC_EFAULT;
		if (guest_read(v->guest, gpa_add(gpa(ga), i), &buf[i], 1))
			return HC_EFAULT;
		if (!buf[i])
			return 0;
	}
	buf[max] = '\0';
	return HC_EFAULT;
}

static s64 hc_puts(struct vcpu *v, u64 gpa_arg, u64 len)
{
	char buf[HC_PUTS_MAX];
	u64 i;

	if (len > HC_PUTS_MAX)
		return HC_EINVAL;
	if (hc_read(v, HC_PUTS, gpa_arg, buf, len))
		return HC_EFAULT;
	for (i = 0; i < len; i++)
		guest_con_putc(v->guest, buf[i]);
	return (s64)len;
}

static s64 hc_test_result(struct vcpu *v, u64 name_gpa, u64 pass, u64 detail_gpa)
{
	struct guest *g = v->guest;
	char name[HC_NAME_MAX + 1], detail[HC_DETAIL_MAX + 1] = "";
	char full[CFG_NAME_MAX + 2 + HC_NAME_MAX + 1];

	if (hc_read_str(v, HC_TEST_RESULT, name_gpa, name, HC_NAME_MAX) || !name[0])
		return HC_EFAULT;
	if (detail_gpa && hc_read_str(v, HC_TEST_RESULT, detail_gpa, detail, HC_DETAIL_MAX))
		return HC_EFAULT;
	if (pass > 1)
		return HC_EINVAL;
	sanitize_word(name);
	sanitize_text(detail);
	guest_con_flush(g);
	snprintf(full, sizeof(full), "%s:%s", g->name, name);
	report_check(pass == 1, full, "%s", detail);
	if (pass)
		g->checks_passed++;
	else
		g->checks_failed++;
	return HC_OK;
}

void guest_fill_info(const struct guest *g, struct hc_info *info_out)
{
	struct hc_info info;

	memset(&info, 0, sizeof(info));
	info.abi_version = HC_ABI_VERSION;
	info.flags = g->snp ? HC_INFO_F_SNP : 0;
	info.mem_size = g->mem_size;
	info.load_gpa = gpa_val(g->load);
	info.entry_gpa = gpa_val(g->entry);
	info.image_size = g->image_size;
	info.guest_id = g->id;
	info.cbit = g->snp ? guest_cbit_pos : 0;
	memcpy(info.name, g->name, MIN(sizeof(info.name) - 1, strlen(g->name)));
	if (g->cfg)
		memcpy(info.args, g->cfg->args, MIN(sizeof(info.args) - 1, strlen(g->cfg->args)));
	*info_out = info;
}

/* HC_DEV_INFO: the n-th device passed through, as guest_dev_assign recorded
 * it in the guest (hv/vm/guest_dev.c). */
static s64 hc_dev_info(struct guest *g, u64 n, u64 where, u64 size)
{
	if (n >= g->n_devs)
		return HC_EINVAL;
	size = MIN(size, (u64)sizeof(g->devs[n]));
	if (hc_write(g, HC_DEV_INFO, where, &g->devs[n], size))
		return HC_EFAULT;
	return (s64)size;
}

static s64 hc_get_info(struct vcpu *v, u64 gpa_arg, u64 size)
{
	struct guest *g = v->guest;
	struct hc_info info;
	u64 n = MIN(size, (u64)sizeof(info));

	guest_fill_info(g, &info);
	if (hc_write(g, HC_GET_INFO, gpa_arg, &info, n))
		return HC_EFAULT;
	return (s64)n;
}

s64 hc_dispatch(struct vcpu *v, const struct hc_call *c, int *act)
{
	struct guest *g = v->guest;

	*act = EXIT_RESUME;
	switch (c->nr) {
	case HC_PUTS:
		return hc_puts(v, c->a1, c->a2);
	case HC_TEST_RESULT:
		return hc_test_result(v, c->a1, c->a2, c->a3);
	case HC_EXIT:
		g->exit_status = c->a1;
		if (c->a1 == HC_EXIT_PASS && !g->checks_failed)
			guest_finish(g, GUEST_PASS, "exit 0, %u checks passed", g->checks_passed);
		else
			guest_finish(g, GUEST_FAIL, "exit status 0x%llx, %u checks failed of %u",
				     (unsigned long long)c->a1, g->checks_failed,
				     g->checks_failed + g->checks_passed);
		*act = EXIT_STOP;
		return HC_OK;
	case HC_YIELD:
		*act = EXIT_YIELD;
		return HC_OK;
	case HC_GET_INFO:
		return hc_get_info(v, c->a1, c->a2);
	case HC_DEV_INFO:
		return hc_dev_info(g, c->a1, c->a2, c->a3);
	default:
		/* HC_DMA_PHASE, HC_BENCH_MARK: the test ABI, only for a guest whose
		 * [guest] section says test_abi = on (HC_DMA_PHASE hands out host
		 * physical addresses and checksums all of memory in one call),
		 * and only in the test image (hv/svm/hc_test.h) */
		if (hc_is_test_only(c->nr)) {
			if (!g->cfg || !g->cfg->test_abi) {
				if (!g->test_abi_refused++)
					pr_warn("guest %s: hypercall %llu is part of the test ABI, "
						"not enabled for this guest (test_abi = on in its "
						"[guest] section); HC_EPERM\n",
						g->name, (unsigned long long)c->nr);
				return HC_EPERM;
			}
			return hc_test_call(v, c);
		}
		return HC_ENOSYS;
	}
}

/* VMMCALL: a plain guest's hypercall (RIP += 3). Emulated SNP: VMGEXIT
 * (REP VMMCALL) is turned into exit 0x403; a plain VMMCALL raises #VC as on
 * hardware (the guest's #VC handler sends the VMMCALL NAE event). */
static enum exit_action handle_vmmcall(struct vcpu *v)
{
	struct guest *g = v->guest;
	struct hc_call c;
	int act;
	s64 ret;

	if (g->snp && snp_vmgexit_at_rip(v))
		return emulate_vmgexit(v);
	if (snp_vc_instead(v, SVM_EXIT_VMMCALL))
		return (enum exit_action)snp_inject_vc(v, SVM_EXIT_VMMCALL);
	if (skip_and_resume(v) == EXIT_STOP)
		return EXIT_STOP;
	c = (struct hc_call){rax(v), v->regs.rbx, v->regs.rcx, v->regs.rdx, v->regs.rsi};
	ret = hc_dispatch(v, &c, &act);
	if (act != EXIT_STOP)
		set_rax(v, (u64)ret);
	return (enum exit_action)act;
}

/* ---- SEV-ES/SNP guests on hardware (APM vol 2, 15.35.4) ------------------------------
 * Only automatic exits reach the hypervisor; every other intercept raises
 * #VC inside the guest, which asks through the GHCB and exits with VMGEXIT.
 * The guest's RIP and registers are in its encrypted VMSA: no handler here
 * reads them or moves RIP (the processor advances it past HLT and after the
 * write traps). An exit that cannot occur ends the guest with its code. */
static enum exit_action sev_es_handle_exit(struct vcpu *v, u32 code)
{
	const struct vmcb_control_area *c = &v->vmcb->control;

	switch (code) {
	case SVM_EXIT_INTR:
		return EXIT_YIELD;
	case SVM_EXIT_HLT:
		return EXIT_YIELD;
	case SVM_EXIT_SHUTDOWN:
		guest_finish(v->guest, GUEST_TRIPLE_FAULT,
			     "shutdown (triple fault); RIP is in the encrypted VMSA");
		return EXIT_STOP;
	case SVM_EXIT_NPF:
		return handle_npf(v);
	case SVM_EXIT_VMGEXIT:
		return handle_vmgexit(v);
	/* The write has happened; EXITINFO1 holds the new value. Recorded
	 * only: snpvisor needs the guest's mode for nothing yet. */
	case SVM_EXIT_EFER_WRITE_TRAP:
		v->sev_es_efer = c->exit_info_1;
		return EXIT_RESUME;
	case SVM_EXIT_CR0_WRITE_TRAP:
		v->sev_es_cr0 = c->exit_info_1;
		return EXIT_RESUME;
	case SVM_EXIT_CR4_WRITE_TRAP:
		v->sev_es_cr4 = c->exit_info_1;
		return EXIT_RESUME;
	case SVM_EXIT_CR8_WRITE_TRAP:
		v->sev_es_cr8 = c->exit_info_1;
		return EXIT_RESUME;
	default:
		guest_finish(
		    v->guest, GUEST_KILLED,
		    sev_es_exit_is_automatic(code)
			? "automatic exit 0x%x of an SEV-ES guest is not handled (info1 0x%llx)"
			: "exit 0x%x cannot occur for an SEV-ES guest: a non-automatic intercept "
			  "raises #VC in the guest (info1 0x%llx)",
		    code, (unsigned long long)c->exit_info_1);
		return EXIT_STOP;
	}
}

/* ---- dispatcher ---------------------------------------------------------------------- */

static enum exit_stat exit_stat_of(u32 code)
{
	switch (code) {
	case SVM_EXIT_CPUID:
		return EXIT_STAT_CPUID;
	case SVM_EXIT_MSR:
		return EXIT_STAT_MSR;
	case SVM_EXIT_IOIO:
		return EXIT_STAT_IOIO;
	case SVM_EXIT_HLT:
		return EXIT_STAT_HLT;
	case SVM_EXIT_VMMCALL:
		return EXIT_STAT_VMMCALL;
	case SVM_EXIT_VMGEXIT:
		return EXIT_STAT_VMGEXIT;
	case SVM_EXIT_NPF:
		return EXIT_STAT_NPF;
	case SVM_EXIT_INTR:
		return EXIT_STAT_INTR;
	case SVM_EXIT_SHUTDOWN:
		return EXIT_STAT_SHUTDOWN;
	default:
		if (code >= SVM_EXIT_EXCP_BASE && code <= SVM_EXIT_LAST_EXCP)
			return EXIT_STAT_EXCP;
		return EXIT_STAT_OTHER;
	}
}

enum exit_action svm_handle_exit(struct vcpu *v)
{
	struct vmcb_control_area *c = &v->vmcb->control;
	u32 code = c->exit_code;

	v->exits++;
	v->last_exit = code;
	v->exit_counts[exit_stat_of(code)]++;

	if (code == SVM_EXIT_ERR) {
		guest_finish(v->guest, GUEST_KILLED, "VMRUN failed: invalid guest state");
		return EXIT_STOP;
	}
	/* An event whose delivery the exit interrupted is delivered again
	 * (APM vol 2, 15.7.2); a handler may replace it. */
	if (c->exit_int_info & SVM_EXITINTINFO_VALID) {
		c->event_inj = c->exit_int_info;
		c->event_inj_err = c->exit_int_info_err;
	}
	if (v->sev_es)
		return sev_es_handle_exit(v, code);

	switch (code) {
	case SVM_EXIT_CPUID:
		return handle_cpuid(v);
	case SVM_EXIT_MSR:
		return handle_msr(v);
	case SVM_EXIT_IOIO:
		return handle_ioio(v);
	case SVM_EXIT_HLT:
		return handle_hlt(v);
	case SVM_EXIT_VINTR:
		return handle_vintr(v);
	case SVM_EXIT_INTR:
		return EXIT_YIELD; /* preemption tick: the scheduler acknowledges it */
	case SVM_EXIT_SHUTDOWN:
		return handle_shutdown(v);
	case SVM_EXIT_NPF:
		return handle_npf(v);
	case SVM_EXIT_VMMCALL:
		return handle_vmmcall(v);
	case SVM_EXIT_EXCP_UD:
		return handle_ud(v);
	case SVM_EXIT_VMGEXIT: /* SNP hardware; emulate_vmgexit() under QEMU */
		return handle_vmgexit(v);
	case SVM_EXIT_READ_CR3:
		return handle_cr3(v, false);
	case SVM_EXIT_WRITE_CR3:
		return handle_cr3(v, true);
	case SVM_EXIT_INVD: /* would drop the host's dirty cache lines: a no-op */
		return skip_and_resume(v);
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_XSETBV:
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
	case SVM_EXIT_MWAIT_COND:
	case SVM_EXIT_RDPRU:
		return handle_hidden_insn(v);
	default:
		guest_finish(
		    v->guest, GUEST_KILLED, "unexpected exit 0x%x info1 0x%llx info2 0x%llx", code,
		    (unsigned long long)c->exit_info_1, (unsigned long long)c->exit_info_2);
		return EXIT_STOP;
	}
}
