/* The guest library: console, hypercalls, exceptions, tests.
 * docs/guest-abi.md describes the contract with the hypervisor. */
#ifndef GUEST_LIB_GUEST_H
#define GUEST_LIB_GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/abi/hypercall.h"

/* Each program defines main; its return value becomes HC_EXIT's status
 * (0 = pass, unless an EXPECT failed). */
int main(void);

/* ---- port I/O and serial console (COM1, 0x3f8) ---- */
static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
void serial_putc(char c);
void serial_puts(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- hypercalls (hv/abi/hypercall.h, docs/guest-abi.md "Hypercalls") ----
 * hypercall(): a plain guest executes VMMCALL; an SNP guest sends the
 * VMMCALL NAE event through its GHCB with every pointer argument copied
 * through the shared bounce page (guest/lib/snp.c snp_hypercall). An SNP
 * guest can hypercall only after snp_init has registered its GHCB (the
 * library runs snp_init before main); earlier, the guest is terminated. */
int64_t hypercall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4);
/* The VMMCALL instruction itself (0F 01 D9). In an SNP guest it raises #VC
 * (exit code 0x81), which the #VC handler serves through the GHCB. */
static inline int64_t vmmcall_raw(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	uint64_t ret;

	asm volatile("vmmcall"
		     : "=a"(ret)
		     : "a"(nr), "b"(a1), "c"(a2), "d"(a3), "S"(a4)
		     : "memory");
	return (int64_t)ret;
}
static inline int64_t hc_puts(const char *s, uint64_t len)
{
	return hypercall(HC_PUTS, (uint64_t)(uintptr_t)s, len, 0, 0);
}
static inline int64_t hc_yield(void)
{
	return hypercall(HC_YIELD, 0, 0, 0, 0);
}
static inline int64_t hc_get_info(struct hc_info *info)
{
	return hypercall(HC_GET_INFO, (uint64_t)(uintptr_t)info, sizeof(*info), 0, 0);
}
void hc_exit(uint64_t status) __attribute__((noreturn));

/* The boot-params page the hypervisor passed in EBX. */
extern uint64_t boot_params_gpa;
static inline const struct hc_info *boot_info(void)
{
	return (const struct hc_info *)(uintptr_t)boot_params_gpa;
}

/* ---- CPU helpers ---- */
struct cpuid_out {
	uint32_t eax, ebx, ecx, edx;
};
static inline struct cpuid_out cpuid2(uint32_t leaf, uint32_t sub)
{
	struct cpuid_out r;

	asm volatile("cpuid"
		     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(leaf), "c"(sub));
	return r;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

/* ---- exceptions ---- */
struct exc_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
/* Vector of the last exception recovered by a *_safe helper, or -1. */
extern volatile int exc_last_vector;
extern volatile uint64_t exc_last_error;
/* RDMSR/WRMSR that return the exception vector (e.g. 13 for #GP) or 0. */
int rdmsr_safe(uint32_t msr, uint64_t *val);
int wrmsr_safe(uint32_t msr, uint64_t val);
/* Executes ud2 and returns the vector it raised (6 expected). */
int ud2_safe(void);

/* ---- tests: every result reaches the hypervisor (HC_TEST_RESULT) and is
 * reported as "@@ CHECK PASS|FAIL <guest>:<name> <detail>" ---- */
bool guest_test(const char *name, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
unsigned guest_tests_failed(void);

#define EXPECT(name, cond) guest_test((name), (cond), "%s", #cond)
#define EXPECT_EQ(name, got, want)                                                                 \
	({                                                                                         \
		uint64_t __g = (uint64_t)(got), __w = (uint64_t)(want);                            \
		guest_test((name), __g == __w, "%s = 0x%llx, expected 0x%llx", #got,               \
			   (unsigned long long)__g, (unsigned long long)__w);                      \
	})

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
