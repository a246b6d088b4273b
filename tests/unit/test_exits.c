/* Unit tests of the exit dispatcher (hv/svm/exits.c) on a fake VMCB and a fake
 * guest whose memory is a host buffer: which handler runs and what it
 * changes (registers, RIP, injected events, outcome, console, reports). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "hv/svm/guest.h"
#include "hv/abi/hypercall.h"
#include "hv/arch/x86/msr.h"
#include "hv/svm/guest_msr.h"
#include "hv/base/report.h"
#include "hv/svm/svm.h"
#include "hv/svm/vcpu.h"

#define MEM_SIZE (64 * 1024)

static u8 guest_ram[MEM_SIZE];
static struct vmcb vmcb;
static struct vcpu vcpu;
static struct guest guest;
static struct cfg_guest gcfg;
static int fault_calls;

/* Host addresses outside a host_env window are SPAs 1:1 (host_env.c). */
static int fake_translate(struct guest *g, gpa_t a, spa_t *out, u64 *contig)
{
	(void)g;
	if (gpa_val(a) >= MEM_SIZE)
		return -EFAULT;
	*out = spa((u64)(uintptr_t)guest_ram + gpa_val(a));
	/* pretend 4K leaves, so copies cross "pages" */
	*contig = PAGE_SIZE - (gpa_val(a) & (PAGE_SIZE - 1));
	return 0;
}

static int fake_fault(struct guest *g, gpa_t a, u64 err)
{
	(void)g;
	(void)err;
	fault_calls++;
	return gpa_val(a) == 0x9000 ? 0 : -ENOENT;
}

static const struct guest_mem_ops fake_mem = {
    .name = "fake",
    .translate = fake_translate,
    .fault = fake_fault,
};

static void fake_host(u32 leaf, u32 sub, struct cpuid_res *r)
{
	(void)sub;
	memset(r, 0, sizeof(*r));
	if (leaf == 0)
		r->eax = 0xd;
	else if (leaf == 1)
		r->ecx = 0x80000000u >> 31; /* SSE3 only */
	else if (leaf == 0x80000000)
		r->eax = 0x8000001e;
	else if (leaf == 0x80000001)
		r->ecx = 4; /* SVM */
}

static int setup(void **state)
{
	(void)state;
	memset(guest_ram, 0, sizeof(guest_ram));
	memset(&vmcb, 0, sizeof(vmcb));
	memset(&vcpu, 0, sizeof(vcpu));
	memset(&guest, 0, sizeof(guest));
	memset(&gcfg, 0, sizeof(gcfg));
	strcpy(gcfg.args, "x=1");
	strcpy(guest.name, "g1");
	guest.cfg = &gcfg;
	guest.mem_size = MEM_SIZE;
	guest.load = gpa(0x2000);
	guest.entry = gpa(0x2000);
	guest.mem_ops = &fake_mem;
	guest.outcome = GUEST_RUNNING;
	guest.cpuid.host = fake_host;
	vcpu.vmcb = &vmcb;
	vcpu.guest = &guest;
	guest.vcpu = &vcpu;
	vmcb.save.rip = 0x2000;
	vmcb.save.efer = EFER_SVME;
	fault_calls = 0;
	return 0;
}

static enum exit_action do_exit(u32 code, u64 info1, u64 info2)
{
	vmcb.control.exit_code = code;
	vmcb.control.exit_info_1 = info1;
	vmcb.control.exit_info_2 = info2;
	return svm_handle_exit(&vcpu);
}

static void test_cpuid_exit(void **state)
{
	(void)state;
	vmcb.save.rax = 1;
	vcpu.regs.rcx = 0;
	assert_int_equal(do_exit(SVM_EXIT_CPUID, 0, 0), EXIT_RESUME);
	assert_int_equal(vmcb.save.rip, 0x2002);
	assert_true(vcpu.regs.rcx & CPUID_1_ECX_HYPERVISOR);
	vmcb.save.rax = 0x80000001;
	do_exit(SVM_EXIT_CPUID, 0, 0);
	assert_int_equal(vcpu.regs.rcx & 4, 0);
	vmcb.save.rax = 0xffffffff00000000ULL | HC_CPUID_BASE; /* upper half ignored */
	do_exit(SVM_EXIT_CPUID, 0, 0);
	assert_int_equal(vmcb.save.rax, HC_CPUID_INFO);
	assert_int_equal(vcpu.regs.rbx, HC_CPUID_SIG_EBX);
	assert_int_equal(vcpu.exit_counts[EXIT_STAT_CPUID], 3);
	assert_int_equal(vcpu.exits, 3);
	vmcb.save.rax = 0x8000001f;
	do_exit(SVM_EXIT_CPUID, 0, 0);
	assert_int_equal(vmcb.save.rax, 0);
	guest.cpuid.snp = true;
	vmcb.save.rax = 0x8000001f;
	do_exit(SVM_EXIT_CPUID, 0, 0);
	assert_int_equal(vcpu.regs.rbx & 0x3f, GUEST_CBIT);
}

static void test_msr_exits(void **state)
{
	(void)state;
	/* unknown MSR: #GP(0) injected, RIP not advanced */
	vcpu.regs.rcx = 0x12345;
	assert_int_equal(do_exit(SVM_EXIT_MSR, 0, 0), EXIT_RESUME);
	assert_int_equal(vmcb.save.rip, 0x2000);
	assert_int_equal(vmcb.control.event_inj,
			 SVM_EVTINJ_VALID | SVM_EVTINJ_VALID_ERR | (3 << 8) | X86_VEC_GP);
	assert_int_equal(vmcb.control.event_inj_err, 0);
	vmcb.control.event_inj = 0;
	/* SEV_STATUS: 0 for a plain guest, SEV|ES|SNP for an SNP guest */
	vcpu.regs.rcx = MSR_AMD64_SEV;
	vmcb.save.rax = 0xdead;
	do_exit(SVM_EXIT_MSR, 0, 0);
	assert_int_equal(vmcb.save.rax, 0);
	assert_int_equal(vmcb.save.rip, 0x2002);
	guest.snp = true;
	do_exit(SVM_EXIT_MSR, 0, 0);
	assert_int_equal(vmcb.save.rax, 7);
	assert_int_equal(vcpu.regs.rdx, 0);
	/* GHCB MSR stored */
	vcpu.regs.rcx = MSR_AMD64_SEV_ES_GHCB;
	vmcb.save.rax = 0x5004;
	vcpu.regs.rdx = 0x1;
	do_exit(SVM_EXIT_MSR, 1, 0);
	assert_int_equal(guest.ghcb_msr, 0x100005004ULL);
	/* EFER: SVME stays set and is hidden, LMA is the processor's */
	vcpu.regs.rcx = MSR_EFER;
	vmcb.save.rax = EFER_LME | EFER_LMA;
	vcpu.regs.rdx = 0;
	do_exit(SVM_EXIT_MSR, 1, 0);
	assert_int_equal(vmcb.save.efer, EFER_LME | EFER_SVME);
	do_exit(SVM_EXIT_MSR, 0, 0);
	assert_int_equal(vmcb.save.rax, EFER_LME);
	/* EFER reserved bit: #GP */
	vmcb.save.rax = 1u << 20;
	do_exit(SVM_EXIT_MSR, 1, 0);
	assert_true(vmcb.control.event_inj & SVM_EVTINJ_VALID);
	assert_int_equal(vmcb.save.efer, EFER_LME | EFER_SVME);
	/* PAT: invalid type 2 -> #GP, valid kept */
	vmcb.control.event_inj = 0;
	vcpu.regs.rcx = MSR_IA32_CR_PAT;
	vmcb.save.rax = 0x06;
	do_exit(SVM_EXIT_MSR, 1, 0);
	assert_int_equal(vmcb.save.g_pat, 6);
	vmcb.save.rax = 0x02;
	do_exit(SVM_EXIT_MSR, 1, 0);
	assert_int_equal(vmcb.save.g_pat, 6);
	assert_true(vmcb.control.event_inj & SVM_EVTINJ_VALID);
}

static void test_msr_ghcb_plain_guest(void **state)
{
	(void)state;
	vcpu.regs.rcx = MSR_AMD64_SEV_ES_GHCB;
	do_exit(SVM_EXIT_MSR, 0, 0);
	assert_true(vmcb.control.event_inj & SVM_EVTINJ_VALID);
}

static void out_char(char c)
{
	vmcb.save.rax = (u8)c;
	u64 rip = vmcb.save.rip;
	assert_int_equal(do_exit(SVM_EXIT_IOIO, svm_ioio_encode(0x3f8, 1, false), rip + 1),
			 EXIT_RESUME);
	assert_int_equal(vmcb.save.rip, rip + 1);
}

static void test_ioio_console(void **state)
{
	(void)state;
	out_char('h');
	out_char('i');
	assert_int_equal(guest.con_len, 2);
	assert_memory_equal(guest.con_line, "hi", 2);
	out_char('\n');
	assert_int_equal(guest.con_len, 0);
	/* LSR: transmitter empty; in al keeps the upper RAX bits */
	vmcb.save.rax = 0x1234567800ULL;
	do_exit(SVM_EXIT_IOIO, svm_ioio_encode(0x3fd, 1, true), 0x3000);
	assert_int_equal(vmcb.save.rax, 0x1234567860ULL);
	assert_int_equal(vmcb.save.rip, 0x3000);
	/* DLAB set: THR writes are the divisor, not output */
	vmcb.save.rax = 0x80;
	do_exit(SVM_EXIT_IOIO, svm_ioio_encode(0x3fb, 1, false), 0x3001);
	out_char('x');
	assert_int_equal(guest.con_len, 0);
	vmcb.save.rax = 0x03;
	do_exit(SVM_EXIT_IOIO, svm_ioio_encode(0x3fb, 1, false), 0x3010);
	out_char('y');
	assert_int_equal(guest.con_len, 1);
	/* a very long line is split, never overflows */
	for (int i = 0; i < 3 * GUEST_CON_LINE; i++)
		out_char('z');
	assert_true(guest.con_len < GUEST_CON_LINE);
	assert_int_equal(guest.outcome, GUEST_RUNNING);
}

static void test_ioio_other_ports(void **state)
{
	(void)state;
	vmcb.save.rax = 0;
	do_exit(SVM_EXIT_IOIO, svm_ioio_encode(0x80, 1, false), 0x2001);
	assert_int_equal(vcpu.ignored_io, 1);
	do_exit(SVM_EXIT_IOIO, svm_ioio_encode(0x60, 2, true), 0x2002);
	assert_int_equal(vmcb.save.rax, 0xffff);
	vmcb.save.rax = 0xffffffff12345678ULL;
	do_exit(SVM_EXIT_IOIO, svm_ioio_encode(0x1000, 4, true), 0x2003);
	assert_int_equal(vmcb.save.rax, 0xffffffffULL); /* 32-bit in zero-extends */
	assert_int_equal(guest.outcome, GUEST_RUNNING);
	/* string I/O: #GP */
	do_exit(SVM_EXIT_IOIO, svm_ioio_encode(0x3f8, 1, false) | SVM_IOIO_STR_MASK, 0x2004);
	assert_int_equal(vmcb.control.event_inj & 0xff, X86_VEC_GP);
	assert_int_equal(vmcb.save.rip, 0x2003);
}

static void test_ioio_forbidden(void **state)
{
	static const u16 ports[] = {0xf4, 0xf7, 0xcf8, 0xcfc, 0xcf9, 0x64, 0x92, 0x20, 0x43};

	(void)state;
	for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		setup(NULL);
		assert_int_equal(
		    do_exit(SVM_EXIT_IOIO, svm_ioio_encode(ports[i], 1, false), 0x2001), EXIT_STOP);
		assert_int_equal(guest.outcome, GUEST_KILLED);
		assert_non_null(strstr(guest.detail, "forbidden port"));
		assert_int_equal(vmcb.save.rip, 0x2000);
	}
	/* a 4-byte access at 0xf2 overlaps 0xf4 */
	setup(NULL);
	assert_int_equal(do_exit(SVM_EXIT_IOIO, svm_ioio_encode(0xf2, 4, false), 0x2001),
			 EXIT_STOP);
	assert_non_null(strstr(guest.detail, "isa-debug-exit"));
	/* 0xf0 with one byte does not */
	setup(NULL);
	assert_int_equal(do_exit(SVM_EXIT_IOIO, svm_ioio_encode(0xf0, 1, false), 0x2001),
			 EXIT_RESUME);
}

/* A Linux guest's platform (hv/svm/guest_plat.c): the UART's THRE interrupt
 * through I/O APIC pin 4 into the local APIC and injected; PIT channel 2
 * and port 0x61 present, a refused control word counted; the ACPI PM1
 * registers: SCI_EN reads 1, a sleep type other than S5 is refused, S5
 * powers the guest off; a flat guest has none of it. */
static void io(u16 port, u8 size, bool in, u64 rax)
{
	vmcb.save.rax = rax;
	do_exit(SVM_EXIT_IOIO, svm_ioio_encode(port, size, in), vmcb.save.rip + 1);
}

static void test_linux_platform(void **state)
{
	u32 v;

	(void)state;
	guest.is_linux = true;
	guest_plat_reset(&guest);
	v = APIC_SVR_ENABLE | 0xff;
	assert_int_equal(guest_plat_mmio(&guest, VLAPIC_BASE + APIC_REG_SVR, true, &v), 0);
	/* pin 4: vector 0x31, fixed, edge, physical destination 0 */
	v = IOAPIC_REG_REDTBL + 2 * 4;
	assert_int_equal(guest_plat_mmio(&guest, VIOAPIC_BASE + IOAPIC_MMIO_REGSEL, true, &v), 0);
	v = 0x31;
	assert_int_equal(guest_plat_mmio(&guest, VIOAPIC_BASE + IOAPIC_MMIO_WIN, true, &v), 0);
	assert_true(guest_plat_mmio_claims(&guest, VIOAPIC_BASE + 0xfff));
	assert_false(guest_plat_mmio_claims(&guest, VIOAPIC_BASE + 0x1000));
	/* an offset that is no register: refused, nothing changes */
	v = 0x55;
	assert_int_equal(guest_plat_mmio(&guest, VIOAPIC_BASE + 0x20, true, &v), -EINVAL);
	assert_int_equal(guest.ioapic.bad_access, 1);
	/* OUT2, then ETBEI with the THR empty: IRQ 4 rises */
	io(0x3fc, 1, false, UART_MCR_OUT2);
	assert_int_equal(guest.uart_irqs, 0);
	io(0x3f9, 1, false, UART_IER_ETBEI);
	assert_int_equal(guest.uart_irqs, 1);
	assert_int_equal(guest.ioapic.delivered[4], 1);
	assert_int_equal(vlapic_pending(&guest.lapic), 0x31);
	vmcb.save.rflags = BIT(9); /* IF */
	guest_irq_sync(&vcpu, 0);
	assert_int_equal(vmcb.control.event_inj & 0xff, 0x31);
	assert_true(vmcb.control.event_inj & SVM_EVTINJ_VALID);
	/* the handler reads IIR (THRE, cleared), writes a byte: a new edge */
	io(0x3fa, 1, true, 0);
	assert_int_equal(vmcb.save.rax & 0xff, UART_IIR_THRE);
	assert_false(guest.uart_line);
	io(0x3f8, 1, false, 'k');
	assert_int_equal(guest.uart_irqs, 2);
	assert_int_equal(guest.con_len, 1);
	/* PIT channel 2 and port 0x61 (hv/svm/vpit.c): present, a mode-1
	 * control word is refused and counted */
	vpit_reset(&guest.pit, 1000000);
	io(0x61, 1, true, 0);
	assert_int_equal(vmcb.save.rax & 0xc0, 0);
	io(0x43, 1, false, 0xb2);
	assert_int_equal(guest.pit.bad, 1);
	io(0x43, 1, false, 0xb0);
	io(0x42, 1, false, 0x34);
	io(0x42, 1, false, 0x12);
	io(0x42, 1, true, 0);
	assert_int_equal(vmcb.save.rax & 0xff, 0x34); /* GATE2 low: not counting */
	assert_int_equal(vcpu.ignored_io, 0);
	/* PM1 control reads SCI_EN; S3 (SLP_TYP 3) is refused */
	io(0x604, 2, true, 0);
	assert_int_equal(vmcb.save.rax & 0xffff, ACPI_PM1_CNT_SCI_EN);
	io(0x604, 2, false, FIELD_PREP(ACPI_PM1_CNT_SLP_TYP, 3) | ACPI_PM1_CNT_SLP_EN | 1);
	assert_int_equal(guest.outcome, GUEST_RUNNING);
	assert_int_equal(guest.pm1_bad, 1);
	io(0x604, 2, true, 0);
	assert_int_equal(vmcb.save.rax & 0xffff, FIELD_PREP(ACPI_PM1_CNT_SLP_TYP, 3) | 1);
	/* PM1 enable keeps what is written, status reads 0 */
	io(0x600, 4, false, 0x01230000);
	io(0x600, 4, true, 0);
	assert_int_equal(vmcb.save.rax, 0x01230000);
	/* a word at 0x605 runs past the blocks: refused */
	io(0x605, 2, false, 0xffff);
	assert_int_equal(guest.pm1_bad, 2);
	assert_int_equal(guest.outcome, GUEST_RUNNING);
	/* S5: powered off, as two byte writes (low byte first) */
	io(0x604, 1, false, 0x01);
	assert_int_equal(guest.outcome, GUEST_RUNNING);
	vmcb.control.exit_code = SVM_EXIT_IOIO;
	vmcb.control.exit_info_1 = svm_ioio_encode(0x605, 1, false);
	vmcb.control.exit_info_2 = vmcb.save.rip + 1;
	vmcb.save.rax = (FIELD_PREP(ACPI_PM1_CNT_SLP_TYP, GUEST_PLAT_SLP_TYP_S5) |
			 ACPI_PM1_CNT_SLP_EN) >> 8;
	assert_int_equal(svm_handle_exit(&vcpu), EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_PASS);
	assert_non_null(strstr(guest.detail, "ACPI S5"));
	/* a flat guest: the PM1 ports are absent, no interrupt wiring */
	setup(NULL);
	io(0x604, 2, false, 0x3401);
	assert_int_equal(guest.outcome, GUEST_RUNNING);
	assert_int_equal(vcpu.ignored_io, 1);
	io(0x3fc, 1, false, UART_MCR_OUT2);
	io(0x3f9, 1, false, UART_IER_ETBEI);
	assert_int_equal(guest.uart_irqs, 0);
	io(0x61, 1, true, 0);
	assert_int_equal(vmcb.save.rax & 0xff, 0xff); /* port B absent */
}

static void test_hlt_shutdown_intr(void **state)
{
	(void)state;
	assert_int_equal(do_exit(SVM_EXIT_HLT, 0, 0), EXIT_YIELD);
	assert_int_equal(vmcb.save.rip, 0x2001);
	assert_int_equal(do_exit(SVM_EXIT_INTR, 0, 0), EXIT_YIELD);
	assert_int_equal(vmcb.save.rip, 0x2001);
	assert_int_equal(vcpu.exit_counts[EXIT_STAT_INTR], 1);
	assert_int_equal(do_exit(SVM_EXIT_SHUTDOWN, 0, 0), EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_TRIPLE_FAULT);
	/* the first outcome wins */
	guest_finish(&guest, GUEST_PASS, "late");
	assert_int_equal(guest.outcome, GUEST_TRIPLE_FAULT);
}

static void test_npf(void **state)
{
	(void)state;
	assert_int_equal(do_exit(SVM_EXIT_NPF, PFERR_GUEST_FINAL_MASK | PFERR_WRITE_MASK, 0x9000),
			 EXIT_RESUME);
	assert_int_equal(fault_calls, 1);
	assert_int_equal(
	    do_exit(SVM_EXIT_NPF, PFERR_GUEST_FINAL_MASK | PFERR_WRITE_MASK, 0x40000000),
	    EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_NPF);
	assert_non_null(strstr(guest.detail, "gpa 0x40000000"));
	assert_non_null(strstr(guest.detail, "rip 0x2000"));
	assert_non_null(strstr(guest.detail, "write"));
}

static void test_exceptions_and_hidden(void **state)
{
	(void)state;
	assert_int_equal(do_exit(SVM_EXIT_EXCP_UD, 0, 0), EXIT_RESUME);
	assert_int_equal(vmcb.control.event_inj, SVM_EVTINJ_VALID | (3 << 8) | X86_VEC_UD);
	vmcb.control.event_inj = 0;
	assert_int_equal(do_exit(SVM_EXIT_VMRUN, 0, 0), EXIT_RESUME);
	assert_int_equal(vmcb.control.event_inj & 0xff, X86_VEC_UD);
	vmcb.control.event_inj = 0;
	assert_int_equal(do_exit(SVM_EXIT_VMLOAD, 0, 0), EXIT_RESUME);
	assert_int_equal(vmcb.control.event_inj & 0xff, X86_VEC_UD);
	assert_int_equal(vmcb.save.rip, 0x2000);
	assert_int_equal(guest.outcome, GUEST_RUNNING);
}

/* The SNP handlers are called for guests with g->snp, no hook involved
 * (the PVALIDATE emulation itself: tests/unit/test_snp_guest.c). A guest
 * marked SNP without SNP state (snp_guest_init never ran) gets nothing
 * emulated: #UD goes back, VMGEXIT and #VC-raising exits end it. */
static void test_snp_dispatch_without_state(void **state)
{
	static const u8 pvalidate[] = {0xf2, 0x0f, 0x01, 0xff};

	(void)state;
	guest.snp = true;
	memcpy(guest_ram + 0x2000, pvalidate, sizeof(pvalidate));
	assert_int_equal(do_exit(SVM_EXIT_EXCP_UD, 0, 0), EXIT_RESUME);
	assert_int_equal(vmcb.control.event_inj, SVM_EVTINJ_VALID | (3 << 8) | X86_VEC_UD);
	assert_int_equal(vmcb.save.rip, 0x2000);
	assert_int_equal(guest.outcome, GUEST_RUNNING);
	/* CPUID of an SNP guest raises #VC (emulated SNP): no SNP state, killed */
	vmcb.save.rax = 0;
	assert_int_equal(do_exit(SVM_EXIT_CPUID, 0, 0), EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_KILLED);
	assert_non_null(strstr(guest.detail, "no #VC for exit 0x72"));
	setup(NULL);
	guest.snp = true;
	assert_int_equal(do_exit(SVM_EXIT_VMGEXIT, 0, 0), EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_KILLED);
	assert_non_null(strstr(guest.detail, "VMGEXIT from a non-SNP guest"));
	/* a plain guest's VMGEXIT never reaches the SNP code */
	setup(NULL);
	assert_int_equal(do_exit(SVM_EXIT_VMGEXIT, 0, 0), EXIT_STOP);
	assert_non_null(strstr(guest.detail, "VMGEXIT from a non-SNP guest"));
	/* a plain guest's NPF with the RMP bit is an ordinary NPF */
	setup(NULL);
	assert_int_equal(
	    do_exit(SVM_EXIT_NPF, PFERR_GUEST_RMP_MASK | PFERR_GUEST_FINAL_MASK, 0x9000),
	    EXIT_RESUME);
	assert_int_equal(fault_calls, 1);
}

static void test_reinject(void **state)
{
	(void)state;
	vmcb.control.exit_int_info =
	    SVM_EXITINTINFO_VALID | SVM_EXITINTINFO_VALID_ERR | (3 << 8) | X86_VEC_PF;
	vmcb.control.exit_int_info_err = 2;
	assert_int_equal(do_exit(SVM_EXIT_NPF, PFERR_GUEST_PAGE_MASK, 0x9000), EXIT_RESUME);
	assert_int_equal(vmcb.control.event_inj, vmcb.control.exit_int_info);
	assert_int_equal(vmcb.control.event_inj_err, 2);
}

static void test_failed_vmrun_and_unknown(void **state)
{
	(void)state;
	assert_int_equal(do_exit(SVM_EXIT_ERR, 0, 0), EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_KILLED);
	assert_non_null(strstr(guest.detail, "VMRUN failed"));
	setup(NULL);
	assert_int_equal(do_exit(SVM_EXIT_RDPMC, 0, 0), EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_KILLED);
	assert_int_equal(vcpu.exit_counts[EXIT_STAT_OTHER], 1);
}

static u64 hypercall(u64 nr, u64 a, u64 b, u64 c, enum exit_action *act)
{
	enum exit_action r;

	vmcb.save.rax = nr;
	vcpu.regs.rbx = a;
	vcpu.regs.rcx = b;
	vcpu.regs.rdx = c;
	r = do_exit(SVM_EXIT_VMMCALL, 0, 0);
	if (act)
		*act = r;
	return vmcb.save.rax;
}

static void test_hc_puts(void **state)
{
	enum exit_action a;

	(void)state;
	memcpy(guest_ram + 0x3000, "hello\n", 6);
	assert_int_equal(hypercall(HC_PUTS, 0x3000, 5, 0, &a), 5);
	assert_int_equal(a, EXIT_RESUME);
	assert_int_equal(vmcb.save.rip, 0x2003);
	assert_int_equal(guest.con_len, 5);
	/* crossing a fake page boundary */
	memcpy(guest_ram + 0x3ffe, "ab", 2);
	memcpy(guest_ram + 0x4000, "cd", 2);
	assert_int_equal(hypercall(HC_PUTS, 0x3ffe, 4, 0, NULL), 4);
	/* bad pointers and lengths never reach memory */
	assert_int_equal((s64)hypercall(HC_PUTS, MEM_SIZE - 2, 4, 0, NULL), HC_EFAULT);
	assert_int_equal((s64)hypercall(HC_PUTS, 0xffffffffffffffffULL, 4, 0, NULL), HC_EFAULT);
	assert_int_equal((s64)hypercall(HC_PUTS, 0x3000, HC_PUTS_MAX + 1, 0, NULL), HC_EINVAL);
	assert_int_equal((s64)hypercall(HC_PUTS, 0x3000, ~0ULL, 0, NULL), HC_EINVAL);
	assert_int_equal((s64)hypercall(999, 0, 0, 0, NULL), HC_ENOSYS);
	assert_int_equal(guest.outcome, GUEST_RUNNING);
}

static void test_hc_test_result_and_exit(void **state)
{
	enum exit_action a;

	(void)state;
	strcpy((char *)guest_ram + 0x3000, "cpuid.svm hidden"); /* space becomes _ */
	strcpy((char *)guest_ram + 0x3100, "detail\x01text");
	assert_int_equal(hypercall(HC_TEST_RESULT, 0x3000, 1, 0x3100, NULL), HC_OK);
	assert_int_equal(guest.checks_passed, 1);
	assert_int_equal(hypercall(HC_TEST_RESULT, 0x3000, 0, 0, NULL), HC_OK);
	assert_int_equal(guest.checks_failed, 1);
	assert_int_equal((s64)hypercall(HC_TEST_RESULT, 0x3000, 2, 0, NULL), HC_EINVAL);
	assert_int_equal((s64)hypercall(HC_TEST_RESULT, MEM_SIZE + 5, 1, 0, NULL), HC_EFAULT);
	/* an unterminated name */
	memset(guest_ram + 0x5000, 'a', 200);
	assert_int_equal((s64)hypercall(HC_TEST_RESULT, 0x5000, 1, 0, NULL), HC_EFAULT);
	/* a name that runs off the end of guest memory */
	memset(guest_ram + MEM_SIZE - 8, 'b', 8);
	assert_int_equal((s64)hypercall(HC_TEST_RESULT, MEM_SIZE - 8, 1, 0, NULL), HC_EFAULT);
	assert_int_equal(guest.checks_passed + guest.checks_failed, 2);
	/* exit 0 with a failed check is a failure */
	hypercall(HC_EXIT, HC_EXIT_PASS, 0, 0, &a);
	assert_int_equal(a, EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_FAIL);
}

static void test_hc_exit_pass_yield_info(void **state)
{
	enum exit_action a;
	struct hc_info info;

	(void)state;
	assert_int_equal(hypercall(HC_YIELD, 0, 0, 0, &a), 0);
	assert_int_equal(a, EXIT_YIELD);
	assert_int_equal(hypercall(HC_GET_INFO, 0x6000, sizeof(info), 0, NULL), sizeof(info));
	memcpy(&info, guest_ram + 0x6000, sizeof(info));
	assert_int_equal(info.abi_version, HC_ABI_VERSION);
	assert_int_equal(info.mem_size, MEM_SIZE);
	assert_int_equal(info.load_gpa, 0x2000);
	assert_string_equal(info.name, "g1");
	assert_string_equal(info.args, "x=1");
	/* short buffer: only that many bytes written */
	memset(guest_ram + 0x7000, 0xee, 16);
	assert_int_equal(hypercall(HC_GET_INFO, 0x7000, 4, 0, NULL), 4);
	assert_int_equal(guest_ram[0x7004], 0xee);
	assert_int_equal((s64)hypercall(HC_GET_INFO, MEM_SIZE - 4, sizeof(info), 0, NULL),
			 HC_EFAULT);
	hypercall(HC_EXIT, HC_EXIT_PASS, 0, 0, &a);
	assert_int_equal(a, EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_PASS);
	setup(NULL);
	hypercall(HC_EXIT, HC_EXIT_EXCEPTION + 14, 0, 0, &a);
	assert_int_equal(guest.outcome, GUEST_FAIL);
	assert_int_equal(guest.exit_status, 0x10e);
	assert_string_equal(guest_outcome_name(GUEST_TRIPLE_FAULT), "triple_fault");
	assert_string_equal(guest_outcome_name(GUEST_TIMEOUT), "timeout");
}

/* HC_DEV_INFO from the guest's own record (filled by hv/vm/guest_dev.c). */
static void test_hc_dev_info(void **state)
{
	struct hc_dev_info out;

	(void)state;
	assert_int_equal((s64)hypercall(HC_DEV_INFO, 0, 0x6000, sizeof(out), NULL), HC_EINVAL);
	guest.n_devs = 2;
	guest.devs[1] = (struct hc_dev_info){.bdf = 0x20,
					     .vendor = 0x1234,
					     .device = 0x11e8,
					     .trusted = 1,
					     .count = 2,
					     .bar0_gpa = 0xe1000000ULL,
					     .bar0_size = 0x100000};
	assert_int_equal(hypercall(HC_DEV_INFO, 1, 0x6000, sizeof(out), NULL), sizeof(out));
	memcpy(&out, guest_ram + 0x6000, sizeof(out));
	assert_memory_equal(&out, &guest.devs[1], sizeof(out));
	/* short buffer: only that many bytes */
	memset(guest_ram + 0x7000, 0xee, 16);
	assert_int_equal(hypercall(HC_DEV_INFO, 1, 0x7000, 4, NULL), 4);
	assert_int_equal(guest_ram[0x7000], 0x20);
	assert_int_equal(guest_ram[0x7004], 0xee);
	assert_int_equal((s64)hypercall(HC_DEV_INFO, 2, 0x6000, sizeof(out), NULL), HC_EINVAL);
	assert_int_equal((s64)hypercall(HC_DEV_INFO, 0, MEM_SIZE - 8, sizeof(out), NULL),
			 HC_EFAULT);
	assert_int_equal(guest.outcome, GUEST_RUNNING);
}

/* HC_DMA_PHASE and HC_BENCH_MARK are test-image only: the host library, like
 * the hardware image, links hv/svm/hc_test_none.c (HC_ENOSYS, no effect). */
static void test_hc_test_only(void **state)
{
	enum exit_action a;

	(void)state;
	vcpu.bench_mark = -1;
	/* without test_abi = on: refused, nothing done, one log line */
	assert_int_equal((s64)hypercall(HC_BENCH_MARK, 1, 0, 0, &a), HC_EPERM);
	assert_int_equal(a, EXIT_RESUME);
	assert_int_equal((s64)hypercall(HC_DMA_PHASE, HC_DMA_BEGIN, 0x6000, 64, NULL), HC_EPERM);
	assert_int_equal(guest.test_abi_refused, 2);
	assert_int_equal(vcpu.bench_mark, -1);
	/* with it: the image decides (the host library has the stand-in) */
	gcfg.test_abi = true;
	assert_int_equal((s64)hypercall(HC_BENCH_MARK, 1, 0, 0, &a), HC_ENOSYS);
	assert_int_equal(a, EXIT_RESUME);
	assert_int_equal(vcpu.bench_mark, -1);
	assert_int_equal(vmcb.save.rip, 0x2009); /* three hypercalls */
	assert_int_equal((s64)hypercall(HC_DMA_PHASE, HC_DMA_BEGIN, 0x6000, 64, NULL), HC_ENOSYS);
	assert_int_equal((s64)hypercall(HC_DMA_PHASE, HC_DMA_END, 0, 0, NULL), HC_ENOSYS);
	assert_int_equal(guest.outcome, GUEST_RUNNING);
}

/* SEV-ES/SNP on hardware: only automatic exits are handled, RIP and the
 * GPRs are never touched, the others end the guest with a clear reason. */
static void test_sev_es_exits(void **state)
{
	(void)state;
	vcpu.sev_es = true;
	vmcb.save.rip = 0; /* the processor's; must stay as it is */
	vcpu.regs.rbx = 0x1111;
	assert_int_equal(do_exit(SVM_EXIT_HLT, 0, 0), EXIT_YIELD);
	assert_int_equal(do_exit(SVM_EXIT_INTR, 0, 0), EXIT_YIELD);
	assert_int_equal(do_exit(SVM_EXIT_EFER_WRITE_TRAP, 0x1d01, 0), EXIT_RESUME);
	assert_int_equal(vcpu.sev_es_efer, 0x1d01);
	assert_int_equal(do_exit(SVM_EXIT_CR4_WRITE_TRAP, 0x6f0, 0), EXIT_RESUME);
	assert_int_equal(vcpu.sev_es_cr4, 0x6f0);
	assert_int_equal(do_exit(SVM_EXIT_CR0_WRITE_TRAP, 0x80050033, 0), EXIT_RESUME);
	assert_int_equal(vcpu.sev_es_cr0, 0x80050033);
	assert_int_equal(vmcb.save.rip, 0);
	assert_int_equal(vcpu.regs.rbx, 0x1111);
	assert_int_equal(guest.outcome, GUEST_RUNNING);
	/* CPUID is non-automatic: #VC in the guest, never an exit */
	assert_int_equal(do_exit(SVM_EXIT_CPUID, 0, 0), EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_KILLED);
	assert_non_null(strstr(guest.detail, "cannot occur for an SEV-ES guest"));
	assert_int_equal(vmcb.save.rip, 0);
	assert_int_equal(vcpu.regs.rbx, 0x1111);
	/* an automatic exit snpvisor does not handle (NMI is not intercepted) */
	setup(NULL);
	vcpu.sev_es = true;
	assert_int_equal(do_exit(SVM_EXIT_NMI, 0, 0), EXIT_STOP);
	assert_non_null(strstr(guest.detail, "not handled"));
	/* VMGEXIT without the SNP layer, shutdown */
	setup(NULL);
	vcpu.sev_es = true;
	assert_int_equal(do_exit(SVM_EXIT_VMGEXIT, 0, 0), EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_KILLED);
	setup(NULL);
	vcpu.sev_es = true;
	assert_int_equal(do_exit(SVM_EXIT_SHUTDOWN, 0, 0), EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_TRIPLE_FAULT);
	/* an ordinary NPF still goes to the memory fault hook */
	setup(NULL);
	vcpu.sev_es = true;
	assert_int_equal(do_exit(SVM_EXIT_NPF, PFERR_GUEST_FINAL_MASK, 0x9000), EXIT_RESUME);
	assert_int_equal(fault_calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_cpuid_exit, setup),
	    cmocka_unit_test_setup(test_msr_exits, setup),
	    cmocka_unit_test_setup(test_msr_ghcb_plain_guest, setup),
	    cmocka_unit_test_setup(test_ioio_console, setup),
	    cmocka_unit_test_setup(test_ioio_other_ports, setup),
	    cmocka_unit_test_setup(test_ioio_forbidden, setup),
	    cmocka_unit_test_setup(test_linux_platform, setup),
	    cmocka_unit_test_setup(test_hlt_shutdown_intr, setup),
	    cmocka_unit_test_setup(test_npf, setup),
	    cmocka_unit_test_setup(test_exceptions_and_hidden, setup),
	    cmocka_unit_test_setup(test_snp_dispatch_without_state, setup),
	    cmocka_unit_test_setup(test_reinject, setup),
	    cmocka_unit_test_setup(test_failed_vmrun_and_unknown, setup),
	    cmocka_unit_test_setup(test_hc_puts, setup),
	    cmocka_unit_test_setup(test_hc_test_result_and_exit, setup),
	    cmocka_unit_test_setup(test_hc_exit_pass_yield_info, setup),
	    cmocka_unit_test_setup(test_hc_dev_info, setup),
	    cmocka_unit_test_setup(test_hc_test_only, setup),
	    cmocka_unit_test_setup(test_sev_es_exits, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
