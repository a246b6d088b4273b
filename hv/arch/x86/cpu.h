/* x86-64 instruction wrappers for hypervisor code (hardware access only:
 * never included by pure code or host tests). AMD APM vol 2 and vol 3. MSR
 * numbers and their bits are in hv/arch/x86/msr.h (included here). */
#ifndef HV_CPU_H
#define HV_CPU_H

#include "hv/arch/x86/msr.h"
#include "hv/base/types.h"

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid_count(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;

	asm volatile("cpuid"
		     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(leaf), "c"(subleaf));
	return r;
}

static inline struct cpuid_regs cpuid(u32 leaf)
{
	return cpuid_count(leaf, 0);
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline void outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outw(u16 port, u16 v)
{
	asm volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(u16 port, u32 v)
{
	asm volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u16 inw(u16 port)
{
	u16 v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#define DEFINE_CR(n)                                                                               \
	static inline u64 read_cr##n(void)                                                         \
	{                                                                                          \
		u64 v;                                                                             \
		asm volatile("mov %%cr" #n ", %0" : "=r"(v));                                      \
		return v;                                                                          \
	}                                                                                          \
	static inline void write_cr##n(u64 v)                                                      \
	{                                                                                          \
		asm volatile("mov %0, %%cr" #n ::"r"(v) : "memory");                               \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline u64 read_rflags(void)
{
	u64 v;

	asm volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline void cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}
static inline void cli(void)
{
	asm volatile("cli" ::: "memory");
}
static inline void hlt(void)
{
	asm volatile("hlt" ::: "memory");
}
static inline void invlpg(u64 va)
{
	asm volatile("invlpg (%0)" ::"r"(va) : "memory");
}

/* Full TLB flush including global pages: toggle CR4.PGE (APM vol 2, 5.5.2). */
static inline void flush_tlb_all(void)
{
	u64 cr4 = read_cr4();

	write_cr4(cr4 ^ (1ULL << 7));
	write_cr4(cr4);
}

#define CR0_PE	       (1ULL << 0)
#define CR0_MP	       (1ULL << 1)
#define CR0_ET	       (1ULL << 4)
#define CR0_NE	       (1ULL << 5)
#define CR0_WP	       (1ULL << 16)
#define CR0_PG	       (1ULL << 31)
#define CR4_PAE	       (1ULL << 5)
#define CR4_PGE	       (1ULL << 7)
#define CR4_OSFXSR     (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define CR4_PCIDE      (1ULL << 17)
#define CR4_OSXSAVE    (1ULL << 18)

/* A 64-bit interrupt gate (APM vol 2, 4.8.4 and 8.9.1) and the GDTR/IDTR
 * image of LGDT/LIDT/SGDT/SIDT. */
struct idt_gate {
	u16 off_lo;
	u16 sel;
	u8 ist;
	u8 type; /* IDT_GATE_INTR64 */
	u16 off_mid;
	u32 off_hi;
	u32 reserved;
} __packed;
CHECK_SIZE(struct idt_gate, 16);

#define IDT_GATE_INTR64 0x8E /* present, DPL 0, 64-bit interrupt gate */

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;
CHECK_SIZE(struct desc_ptr, 10);

static inline struct idt_gate idt_gate_intr(u64 target, u16 cs)
{
	return (struct idt_gate){
	    .off_lo = (u16)target,
	    .sel = cs,
	    .type = IDT_GATE_INTR64,
	    .off_mid = (u16)(target >> 16),
	    .off_hi = (u32)(target >> 32),
	};
}

#endif
