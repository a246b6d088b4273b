/* A virtual CPU: its VMCB, the guest registers the VMCB does not hold, the
 * FPU/SSE areas swapped around VMRUN, and exit statistics (hv/svm/vcpu.c). The
 * first fields are read by hv/svm/vmrun.S at fixed offsets (VCPU_* below, checked
 * at build time). */
#ifndef HV_VCPU_H
#define HV_VCPU_H

/* Offsets for hv/svm/vmrun.S */
#define VCPU_RBX	  0x00
#define VCPU_RCX	  0x08
#define VCPU_RDX	  0x10
#define VCPU_RSI	  0x18
#define VCPU_RDI	  0x20
#define VCPU_RBP	  0x28
#define VCPU_R8		  0x30
#define VCPU_R9		  0x38
#define VCPU_R10	  0x40
#define VCPU_R11	  0x48
#define VCPU_R12	  0x50
#define VCPU_R13	  0x58
#define VCPU_R14	  0x60
#define VCPU_R15	  0x68
#define VCPU_VMCB_PA	  0x70
#define VCPU_HOST_VMCB_PA 0x78
#define VCPU_GUEST_FPU	  0x80
#define VCPU_HOST_FPU	  0x280
#define VCPU_HSAVE_PA	  0x480
#define VCPU_FPU_SIZE	  512

#ifndef __ASSEMBLY__

#include "hv/svm/svm.h"
#include "hv/base/types.h"

struct guest;

/* Guest general-purpose registers other than RAX and RSP (those live in the
 * VMCB save area, APM vol 2, 15.5.1). */
struct vcpu_regs {
	u64 rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

/* Exit statistics buckets (reported per guest). */
enum exit_stat {
	EXIT_STAT_CPUID,
	EXIT_STAT_MSR,
	EXIT_STAT_IOIO,
	EXIT_STAT_HLT,
	EXIT_STAT_VMMCALL,
	EXIT_STAT_VMGEXIT, /* exit 0x403, or a VMMCALL the SNP emulation turned into one */
	EXIT_STAT_NPF,
	EXIT_STAT_INTR,
	EXIT_STAT_EXCP,
	EXIT_STAT_SHUTDOWN,
	EXIT_STAT_OTHER,
	EXIT_STAT_NR
};

struct vcpu {
	/* ---- read by hv/svm/vmrun.S ---- */
	struct vcpu_regs regs;
	u64 vmcb_pa;	  /* SPA of vmcb */
	u64 host_vmcb_pa; /* VMSAVE/VMLOAD area for the host's FS/GS/TR/LDTR/syscall MSRs */
	u8 guest_fpu[VCPU_FPU_SIZE] __aligned(16); /* FXSAVE64 image */
	u8 host_fpu[VCPU_FPU_SIZE] __aligned(16);
	u64 hsave_pa; /* VM_HSAVE_PA: the SEV-ES entry VMSAVEs the host state there */
	/* ---- C only ---- */
	struct vmcb *vmcb;
	struct guest *guest;
	/* SEV-ES/SNP on hardware: the VMCB points at the guest's VMSA
	 * (hv/svm/sev_vmcb.c), hv/svm/vmrun_sev_es.S runs it, and the guest's RIP and
	 * registers cannot be read: exits go to the SEV-ES dispatcher. */
	bool sev_es;
	u64 sev_es_efer, sev_es_cr0, sev_es_cr4, sev_es_cr8; /* from the write traps */
	/* SNP emulation: CR3 reads and writes are intercepted (snp_cr3_write);
	 * guest_cr3 is the value the guest wrote, C-bit included, the VMCB's
	 * CR3 the same without it. */
	bool cr3_emul;
	u64 guest_cr3;
	unsigned phys_bits; /* the processor's physical address width */
	bool nrips; /* the processor writes next_rip (CPUID 8000_000A EDX[3]) */
	u64 exits;
	u64 exit_counts[EXIT_STAT_NR];
	u32 last_exit;
	u64 ignored_io; /* writes to unclaimed ports / reads that returned ones */
	/* make bench: HC_BENCH_MARK phase waiting for hv/vm/guest.c (-1: none), and
	 * the bare-VMRUN phase (CPUID answered from a cache without dispatch). */
	s32 bench_mark;
	bool bench_bare, bench_cached;
	u32 bench_regs[4];
	u64 bench_tsc[3], bench_exits[3], bench_bare_n;
};

_Static_assert(offsetof(struct vcpu, regs.rbx) == VCPU_RBX, "vcpu rbx");
_Static_assert(offsetof(struct vcpu, regs.rdi) == VCPU_RDI, "vcpu rdi");
_Static_assert(offsetof(struct vcpu, regs.r15) == VCPU_R15, "vcpu r15");
_Static_assert(offsetof(struct vcpu, vmcb_pa) == VCPU_VMCB_PA, "vcpu vmcb_pa");
_Static_assert(offsetof(struct vcpu, host_vmcb_pa) == VCPU_HOST_VMCB_PA, "vcpu host_vmcb_pa");
_Static_assert(offsetof(struct vcpu, guest_fpu) == VCPU_GUEST_FPU, "vcpu guest_fpu");
_Static_assert(offsetof(struct vcpu, host_fpu) == VCPU_HOST_FPU, "vcpu host_fpu");
_Static_assert(offsetof(struct vcpu, hsave_pa) == VCPU_HSAVE_PA, "vcpu hsave_pa");

/* Where a guest starts (docs/guest-abi.md). */
struct vcpu_boot {
	u64 entry;	 /* RIP (= GPA: paging is off) */
	u64 boot_params; /* EBX */
	u32 asid;
	u64 nested_cr3; /* SPA of the NPT root */
	u64 iopm_pa, msrpm_pa;
};

/* Sets up the VMCB for a vCPU entering 32-bit protected mode, flat segments,
 * paging off, at b->entry with EBX = b->boot_params; intercepts as in
 * docs/svm.md; NPT on. Clears the GPRs and resets the FPU image. */
void vcpu_init(struct vcpu *v, const struct vcpu_boot *b);
void vmcb_init(struct vmcb *vmcb, const struct vcpu_boot *b);
/* SNP guests (docs/guest-abi.md): the VMCB save state set to exactly that of
 * the launched VMSA (64-bit boot); vcpu_init_from_vmsa = vcpu_init, then
 * the VMSA's state and RBX. */
struct sev_es_save_area;
void vmcb_load_vmsa(struct vmcb *vmcb, const struct sev_es_save_area *v);
void vcpu_init_from_vmsa(struct vcpu *v, const struct vcpu_boot *b,
			 const struct sev_es_save_area *vmsa);
/* FXSAVE image of a freshly reset FPU (FCW 0x37F, MXCSR 0x1F80). */
void fpu_init_image(u8 *area);

/* Length-of-instruction rules for RIP advance (APM vol 2, 15.7.1): with
 * NRIP save, next_rip; otherwise known encodings (CPUID 2, VMMCALL 3, HLT 1,
 * RDMSR/WRMSR 2, IOIO: EXITINFO2 holds the next RIP). -EINVAL for an exit
 * whose length we cannot know. */
int svm_next_rip(const struct vmcb *vmcb, bool nrips, u64 *next);
/* Advances guest RIP past the intercepted instruction and clears the
 * interrupt shadow. */
int vcpu_skip_insn(struct vcpu *v);

/* MOV to CR3 of an SNP guest under the emulation (docs/snp-guest.md "CR3"):
 * the guest puts the C-bit into CR3 as Linux does (sme_me_mask), but the
 * emulated C-bit (cbit, 52) lies above the processor's physical address
 * width (phys_bits, 40 under QEMU), where CR3 bits are reserved: QEMU TCG
 * ends the guest with VMEXIT_INVALID on such a write. On hardware the C-bit
 * is below MAXPHYADDR and is a legal CR3 bit. Rules (APM vol 2, 3.1.2):
 * outside long mode CR3 is 32 bits; with CR4.PCIDE bit 63 is the no-flush
 * hint and is not stored; in long mode any other bit at or above phys_bits
 * is reserved: -EINVAL (#GP(0)). 0 with *guest_cr3 = what a read returns
 * and *hw_cr3 = the same without the C-bit (the VMCB's CR3). Pure. */
int snp_cr3_write(u64 val, bool lma, bool pcide, unsigned phys_bits, unsigned cbit, u64 *guest_cr3,
		  u64 *hw_cr3);

/* Injects an exception (APM vol 2, 15.20). err < 0: no error code. */
void vcpu_inject_exception(struct vcpu *v, u8 vector, s64 err);

/* ---- MSRPM and IOPM (APM vol 2, 15.10 and 15.11) ---- */
/* Byte and bit of the read intercept of msr (the write bit is bit + 1).
 * -ERANGE for an MSR outside the three ranges the map covers. */
int msrpm_offset(u32 msr, u32 *byte, unsigned *bit);
int msrpm_set(u8 *msrpm, u32 msr, bool rd, bool wr);
bool msrpm_test(const u8 *msrpm, u32 msr, bool write);
void iopm_set(u8 *iopm, u16 port, bool intercept);
bool iopm_test(const u8 *iopm, u16 port);

#endif /* __ASSEMBLY__ */
#endif
