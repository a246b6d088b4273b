/* The nosev test kernel: what a kernel built without SEV support does when
 * it is launched as an SNP guest (docs/linux.md "Bad inputs", guest/README.md).
 * It takes over like any kernel — its own GDT, IDT and identity page tables —
 * but it knows nothing of SEV: its page-table entries have no C-bit (every
 * data access through them is a shared access, to pages that are private and
 * validated in an SNP guest), its IDT has no gate for #VC (29), and it talks
 * to the serial port with IN/OUT (a #VC in an SNP guest). As a plain guest it
 * prints its lines on COM1 and powers off through ACPI S5.
 *
 * Everything it learns comes from the zero page (RSI at the 64-bit entry:
 * Documentation/arch/x86/zero-page.rst offsets) and the ACPI tables the RSDP
 * there points to. Position-independent, no libraries. */
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define HIDDEN __attribute__((visibility("hidden")))

/* zero page (zero-page.rst) and its setup header (boot.rst) */
#define ZP_ACPI_RSDP	0x070
#define ZP_EXT_CMDLINE	0x0C8
#define ZP_E820_ENTRIES 0x1E8
#define ZP_CMD_LINE_PTR 0x228
#define ZP_E820_TABLE	0x2D0

#define COM1 0x3f8

/* Page-table entry bits: present, writable, 2 MiB page. No C-bit. */
#define PTE_P  0x1ULL
#define PTE_W  0x2ULL
#define PTE_PS 0x80ULL

#define SCRATCH_BYTES (256 * 1024)

extern void nosev_exception(void) HIDDEN;

static u64 pml4[512] __attribute__((aligned(4096)));
static u64 pdpt[512] __attribute__((aligned(4096)));
static u64 pd[4][512] __attribute__((aligned(4096)));
static u64 gdt[4] __attribute__((aligned(16)));
static u64 idt[32 * 2] __attribute__((aligned(16)));
static u64 scratch[SCRATCH_BYTES / 8] __attribute__((aligned(4096)));

struct __attribute__((packed)) dtr {
	u16 limit;
	u64 base;
};

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outw(u16 port, u16 v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline u16 inw(u16 port)
{
	u16 v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static u64 rd64(u64 a)
{
	return *(volatile u64 *)a;
}
static u32 rd32(u64 a)
{
	return *(volatile u32 *)a;
}
static u8 rd8(u64 a)
{
	return *(volatile u8 *)a;
}

/* ---- COM1: a polled 16550, transmitter only -------------------------- */
static void putc_(char c)
{
	int i;

	if (c == '\n')
		putc_('\r');
	for (i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++) /* LSR.THRE */
		;
	outb(COM1, (u8)c);
}
static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}
static void puthex(u64 v)
{
	int i, started = 0;

	puts_("0x");
	for (i = 60; i >= 0; i -= 4) {
		unsigned d = (unsigned)(v >> i) & 0xf;

		if (d || started || !i) {
			putc_((char)(d < 10 ? '0' + d : 'a' + d - 10));
			started = 1;
		}
	}
}
static void putdec(u64 v)
{
	char b[24];
	int n = 0;

	do {
		b[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		putc_(b[--n]);
}

/* ---- taking over: GDT, IDT, page tables ------------------------------- */
static void load_gdt(void)
{
	struct dtr d = {sizeof(gdt) - 1, (u64)gdt};

	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffULL; /* 0x10: 64-bit code */
	gdt[3] = 0x00cf93000000ffffULL; /* 0x18: data */
	__asm__ volatile("lgdt %0\n\t"
			 "movl $0x18, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "pushq $0x10\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:"
			 :
			 : "m"(d)
			 : "rax", "memory");
}

/* Gates for the 32 exception vectors, all to nosev_exception, except 29:
 * a kernel without SEV support has no #VC handler. */
static void load_idt(void)
{
	u64 h = (u64)nosev_exception;
	struct dtr d = {sizeof(idt) - 1, (u64)idt};
	int v;

	for (v = 0; v < 32; v++) {
		if (v == 29) {
			idt[2 * v] = idt[2 * v + 1] = 0;
			continue;
		}
		idt[2 * v] = (h & 0xffff) | (0x10ULL << 16) | (0x8eULL << 40) /* P, int gate */
			     | ((h >> 16 & 0xffff) << 48);
		idt[2 * v + 1] = h >> 32;
	}
	__asm__ volatile("lidt %0" : : "m"(d) : "memory");
}

/* Identity map of [0, 4 GiB) in 2 MiB pages, without any C-bit. */
static u64 load_page_tables(void)
{
	u64 i, j;

	for (i = 0; i < 512; i++)
		pml4[i] = pdpt[i] = 0;
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 512; j++)
			pd[i][j] = ((i << 30) | (j << 21)) | PTE_P | PTE_W | PTE_PS;
		pdpt[i] = (u64)pd[i] | PTE_P | PTE_W;
	}
	pml4[0] = (u64)pdpt | PTE_P | PTE_W;
	__asm__ volatile("movq %0, %%cr3" : : "r"((u64)pml4) : "memory");
	return (u64)pml4;
}

/* Writes a pattern over the scratch buffer and reads it back: the number
 * of words that differ (0 expected) and a checksum. */
static u64 scratch_test(u64 *sum)
{
	u64 i, bad = 0, s = 0, n = SCRATCH_BYTES / 8;
	volatile u64 *p = scratch;

	for (i = 0; i < n; i++)
		p[i] = i * 0x9e3779b97f4a7c15ULL ^ (u64)p;
	for (i = 0; i < n; i++) {
		u64 v = p[i];

		bad += v != (i * 0x9e3779b97f4a7c15ULL ^ (u64)p);
		s += v;
	}
	*sum = s;
	return bad;
}

/* ---- ACPI: the FADT's PM1a control port and \_S5's SLP_TYPa ------------ */
static int sig_is(u64 a, const char *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (rd8(a + (u64)i) != (u8)s[i])
			return 0;
	return 1;
}

static u64 find_fadt(u64 rsdp)
{
	u64 xsdt, n, i;

	if (!rsdp || rd64(rsdp) != 0x2052545020445352ULL) /* "RSD PTR " */
		return 0;
	if (rd8(rsdp + 15) < 2) /* revision: XSDT at 24 */
		return 0;
	xsdt = rd64(rsdp + 24);
	if (!xsdt || !sig_is(xsdt, "XSDT"))
		return 0;
	n = (rd32(xsdt + 4) - 36) / 8;
	for (i = 0; i < n && i < 64; i++) {
		u64 t = rd64(xsdt + 36 + 8 * i);

		if (t && sig_is(t, "FACP"))
			return t;
	}
	return 0;
}

/* SLP_TYPa of Name (_S5_, Package () { a, ... }) in the DSDT, or -1. */
static int s5_slp_typ(u64 fadt)
{
	u64 dsdt = rd32(fadt + 40), len, i;

	if (rd32(fadt + 4) >= 148 && rd64(fadt + 140))
		dsdt = rd64(fadt + 140); /* X_DSDT */
	if (!dsdt || !sig_is(dsdt, "DSDT"))
		return -1;
	len = rd32(dsdt + 4);
	for (i = 36; i + 8 < len; i++) {
		u64 a = dsdt + i;
		u8 op;

		if (!sig_is(a, "_S5_") || rd8(a + 4) != 0x12) /* PackageOp */
			continue;
		op = rd8(a + 7); /* after PkgLength (1 byte) and NumElements */
		if (op == 0x0a)	 /* BytePrefix */
			return rd8(a + 8);
		if (op == 0x00 || op == 0x01) /* ZeroOp, OneOp */
			return op;
		return -1;
	}
	return -1;
}

static void power_off(u64 rsdp)
{
	u64 fadt = find_fadt(rsdp);
	u16 port;
	int typ;

	if (!fadt) {
		puts_("nosev: no ACPI FADT, halting\n");
		return;
	}
	port = (u16)rd32(fadt + 64); /* PM1a_CNT_BLK */
	typ = s5_slp_typ(fadt);
	if (!port || typ < 0) {
		puts_("nosev: no PM1a control port or no \\_S5, halting\n");
		return;
	}
	puts_("nosev: power off: PM1a control ");
	puthex(port);
	puts_(" SLP_TYP ");
	putdec((u64)typ);
	putc_('\n');
	outw(port, (u16)((inw(port) & ~(7u << 10)) | ((u16)typ << 10) | (1u << 13)));
}

void nosev_main(u64 zp) HIDDEN;
void nosev_main(u64 zp)
{
	u64 cmdline, cr3, sum, bad, e820, i, ram = 0;
	u64 entry = (u64)nosev_main;

	/* Everything before the first line touches memory only: in an SNP
	 * guest every one of these accesses is a shared (C=0) access to a
	 * private page, and the first IN/OUT below raises #VC. */
	load_gdt();
	load_idt();
	cr3 = load_page_tables();
	bad = scratch_test(&sum);
	cmdline = rd32(zp + ZP_CMD_LINE_PTR) | ((u64)rd32(zp + ZP_EXT_CMDLINE) << 32);
	e820 = rd8(zp + ZP_E820_ENTRIES);
	for (i = 0; i < e820 && i < 128; i++) {
		u64 e = zp + ZP_E820_TABLE + 20 * i;

		if (rd32(e + 16) == 1)
			ram += rd64(e + 8);
	}

	puts_("nosev: kernel without SEV support up: code at ");
	puthex(entry & ~0xfffULL);
	puts_(", zero page ");
	puthex(zp);
	puts_(", own page tables (no C-bit) at ");
	puthex(cr3);
	putc_('\n');
	puts_("nosev: scratch ");
	putdec(SCRATCH_BYTES / 1024);
	puts_(" KiB written and read back: ");
	putdec(bad);
	puts_(" bad words, sum ");
	puthex(sum);
	puts_("; e820 ");
	putdec(e820);
	puts_(" entries, ");
	putdec(ram >> 20);
	puts_(" MiB RAM\n");
	puts_("nosev: cmdline \"");
	if (cmdline)
		for (i = 0; i < 2047 && rd8(cmdline + i); i++)
			putc_((char)rd8(cmdline + i));
	puts_("\"\n");
	if (bad)
		puts_("nosev: memory test FAILED\n");
	power_off(rd64(zp + ZP_ACPI_RSDP));
}
