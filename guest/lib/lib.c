/* Guest library runtime: serial console, IDT and exception reporting,
 * hypercall exit, tests, and the C entry guest_main (docs/guest-abi.md). */
#include "guest.h"
#include "snp.h"

#define COM1	 0x3f8
#define COM1_LSR (COM1 + 5)
#define LSR_THRE 0x20

volatile int exc_last_vector = -1;
volatile uint64_t exc_last_error;
uint64_t exc_fixup; /* where a *_safe helper resumes after an exception */

static unsigned tests_passed, tests_failed;

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

void serial_putc(char c)
{
	while (!(inb(COM1_LSR) & LSR_THRE))
		;
	outb(COM1, (uint8_t)c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

int printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	serial_puts(buf);
	return n;
}

int64_t hypercall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	if (snp_active())
		return snp_hypercall(nr, a1, a2, a3, a4);
	return vmmcall_raw(nr, a1, a2, a3, a4);
}

void hc_exit(uint64_t status)
{
	for (;;)
		hypercall(HC_EXIT, status, 0, 0, 0);
}

bool guest_test(const char *name, bool ok, const char *fmt, ...)
{
	char detail[HC_DETAIL_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (ok)
		tests_passed++;
	else
		tests_failed++;
	hypercall(HC_TEST_RESULT, (uint64_t)(uintptr_t)name, ok ? 1 : 0,
		  (uint64_t)(uintptr_t)detail, 0);
	return ok;
}

unsigned guest_tests_failed(void)
{
	return tests_failed;
}

/* ---- IDT ---- */
struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

static struct idt_gate idt[32] __attribute__((aligned(16)));
extern char exc_stubs[];

void guest_idt_init(void);
void guest_idt_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};

	for (int i = 0; i < 32; i++) {
		uint64_t a = (uint64_t)(uintptr_t)(exc_stubs + 16 * i);

		idt[i].off_lo = (uint16_t)a;
		idt[i].sel = 0x08;
		idt[i].ist = 0;
		idt[i].type = 0x8e;
		idt[i].off_mid = (uint16_t)(a >> 16);
		idt[i].off_hi = (uint32_t)(a >> 32);
		idt[i].zero = 0;
	}
	asm volatile("lidt %0" ::"m"(ptr));
}

static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "?",	  "#TS",
    "#NP", "#SS", "#GP", "#PF", "?",   "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    "?",   "?",	  "?",	 "?",	"?",   "?",   "#HV", "#VC", "#SX", "?",
};

void guest_exception(struct exc_frame *f);
void guest_exception(struct exc_frame *f)
{
	uint64_t cr2;

	if (exc_fixup) {
		exc_last_vector = (int)f->vector;
		exc_last_error = f->error;
		f->rip = exc_fixup;
		exc_fixup = 0;
		return;
	}
	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	printf("guest: unexpected exception %llu %s error 0x%llx at rip 0x%llx (cr2 0x%llx)\n",
	       (unsigned long long)f->vector, exc_names[f->vector & 31],
	       (unsigned long long)f->error, (unsigned long long)f->rip, (unsigned long long)cr2);
	hc_exit(HC_EXIT_EXCEPTION + f->vector);
}

int rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo, hi;

	exc_last_vector = -1;
	asm volatile("leaq 1f(%%rip), %%rax\n\t"
		     "movq %%rax, exc_fixup(%%rip)\n\t"
		     "xorl %%eax, %%eax\n\t"
		     "xorl %%edx, %%edx\n\t"
		     "rdmsr\n"
		     "1:\tmovq $0, exc_fixup(%%rip)"
		     : "=&a"(lo), "=&d"(hi)
		     : "c"(msr)
		     : "memory");
	*val = ((uint64_t)hi << 32) | lo;
	return exc_last_vector < 0 ? 0 : exc_last_vector;
}

int wrmsr_safe(uint32_t msr, uint64_t val)
{
	exc_last_vector = -1;
	asm volatile("leaq 1f(%%rip), %%rdi\n\t"
		     "movq %%rdi, exc_fixup(%%rip)\n\t"
		     "wrmsr\n"
		     "1:\tmovq $0, exc_fixup(%%rip)"
		     :
		     : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		     : "rdi", "memory");
	return exc_last_vector < 0 ? 0 : exc_last_vector;
}

int ud2_safe(void)
{
	exc_last_vector = -1;
	asm volatile("leaq 1f(%%rip), %%rdi\n\t"
		     "movq %%rdi, exc_fixup(%%rip)\n\t"
		     "ud2\n"
		     "1:\tmovq $0, exc_fixup(%%rip)" ::
			 : "rdi", "memory");
	return exc_last_vector < 0 ? 0 : exc_last_vector;
}

void guest_main(void);
void guest_main(void)
{
	int ret;

	/* SNP: the GHCB (and the hypercall bounce page) before anything that
	 * prints or hypercalls; without it the guest cannot even report */
	if (snp_init())
		snp_terminate(SNPV_TERM_SET, SNPV_TERM_INIT);
	ret = main();

	if (ret || tests_failed)
		printf("guest: main returned %d, %u of %u tests failed\n", ret, tests_failed,
		       tests_passed + tests_failed);
	hc_exit(ret ? HC_EXIT_FAIL : HC_EXIT_PASS);
}
