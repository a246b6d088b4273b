/* SEV-SNP guest support (guest/lib/snp.h): start-up validation, the GHCB MSR
 * protocol (56421 2.3.1), the GHCB page and its NAE events (56421 4.1), the
 * page-state change (56421 4.1.6) and the #VC handler (APM vol 2 15.35.5).
 * The guest's VA == GPA (start.S identity-maps the low 4 GiB). */
#include "snp.h"

extern uint64_t exc_fixup; /* guest/lib/lib.c */

struct snp_boot_stats snp_boot;
static struct ghcb ghcb_page __attribute__((aligned(4096)));
struct ghcb *snp_ghcb;
uint64_t snp_ghcb_gpa;
uint64_t snp_vc_count;
static int snp_state = -1; /* -1 unknown, 0 no, 1 SNP */

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

bool snp_active(void)
{
	uint64_t v = 0;

	if (snp_state < 0)
		snp_state = !rdmsr_safe(MSR_SEV_STATUS, &v) && (v & SEV_STATUS_SNP);
	return snp_state == 1;
}

int pvalidate_safe(uint64_t va, int size, int validate, bool *cf, int *vec, uint64_t *err)
{
	uint64_t rax = va;
	uint8_t c = 0;

	exc_last_vector = -1;
	asm volatile("leaq 1f(%%rip), %%rdi\n\t"
		     "movq %%rdi, exc_fixup(%%rip)\n\t"
		     ".byte 0xf2, 0x0f, 0x01, 0xff\n"
		     "1:\tsetc %1\n\t"
		     "movq $0, exc_fixup(%%rip)"
		     : "+a"(rax), "=qm"(c)
		     : "c"((uint64_t)size), "d"((uint64_t)validate)
		     : "rdi", "memory", "cc");
	*cf = c;
	*vec = exc_last_vector;
	*err = exc_last_error;
	return exc_last_vector >= 0 ? -1 : (int)rax;
}

/* ---- GHCB MSR protocol (56421 2.3.1) ---- */

uint64_t ghcb_msr_call(uint64_t req)
{
	uint64_t old = rdmsr(MSR_AMD64_SEV_ES_GHCB), resp;

	wrmsr(MSR_AMD64_SEV_ES_GHCB, req);
	vmgexit();
	resp = rdmsr(MSR_AMD64_SEV_ES_GHCB);
	wrmsr(MSR_AMD64_SEV_ES_GHCB, old);
	return resp;
}

int snp_msr_cpuid(uint32_t fn, struct cpuid_out *out)
{
	uint32_t *regs[4] = {&out->eax, &out->ebx, &out->ecx, &out->edx};

	for (unsigned r = 0; r < 4; r++) {
		uint64_t v =
		    ghcb_msr_call(((uint64_t)fn << 32) | ((uint64_t)r << 30) | GHCB_MSR_CPUID_REQ);

		if ((v & GHCB_MSR_INFO) != GHCB_MSR_CPUID_RESP || ((v >> 30) & 3) != r)
			return -1;
		*regs[r] = (uint32_t)(v >> 32);
	}
	return 0;
}

int snp_msr_psc(uint64_t gfn, bool to_private)
{
	uint64_t v = ghcb_msr_call((gfn << 12) |
				   ((uint64_t)(to_private ? PSC_OP_PRIVATE : PSC_OP_SHARED) << 52) |
				   GHCB_MSR_PSC_REQ);

	if ((v & GHCB_MSR_INFO) != GHCB_MSR_PSC_RESP)
		return -1;
	return (int)(v >> 32);
}

void snp_terminate(unsigned set, unsigned code)
{
	for (;;)
		ghcb_msr_call(((uint64_t)(code & 0xff) << 16) | ((uint64_t)(set & 0xf) << 12) |
			      GHCB_MSR_TERM_REQ);
}

/* ---- start-up validation ---- */

static bool touch_needed(void)
{
	struct cpuid_out r;

	/* on hardware CPUID raises #VC: ask through the MSR protocol */
	if (snp_msr_cpuid(CPUID_SEV_LEAF, &r))
		return true;
	return !(r.ebx & SEV_EBX_COHERENCY_SFW_NO);
}

/* snp-facts.md (SN-3017): touch the first and last byte of a new page. */
static void touch(uint64_t va, uint64_t size)
{
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)va;

	p[0] = p[0];
	p[size - 1] = p[size - 1];
	snp_boot.touched++;
}

int snp_validate_all(uint64_t mem_size)
{
	bool t = touch_needed(), cf;
	uint64_t a, i;
	int rc;

	for (a = 0; a < mem_size;) {
		if (!(a & (HUGE_SIZE - 1)) && mem_size - a >= HUGE_SIZE) {
			rc = pvalidate(a, PV_2M, 1, &cf);
			if (rc == PV_SUCCESS) {
				if (cf)
					snp_boot.already_2m++;
				else
					snp_boot.pages_2m++;
				if (!cf && t)
					touch(a, HUGE_SIZE);
				a += HUGE_SIZE;
				continue;
			}
			if (rc != PV_FAIL_SIZEMISMATCH) {
				snp_boot.failures++;
				a += HUGE_SIZE;
				continue;
			}
			snp_boot.retries_4k++;
			for (i = 0; i < HUGE_SIZE; i += PAGE_SIZE) {
				rc = pvalidate(a + i, PV_4K, 1, &cf);
				if (rc)
					snp_boot.failures++;
				else if (cf)
					snp_boot.already_4k++;
				else {
					snp_boot.pages_4k++;
					if (t)
						touch(a + i, PAGE_SIZE);
				}
			}
			a += HUGE_SIZE;
			continue;
		}
		rc = pvalidate(a, PV_4K, 1, &cf);
		if (rc)
			snp_boot.failures++;
		else if (cf)
			snp_boot.already_4k++;
		else {
			snp_boot.pages_4k++;
			if (t)
				touch(a, PAGE_SIZE);
		}
		a += PAGE_SIZE;
	}
	return snp_boot.failures ? -1 : 0;
}

/* ---- GHCB page ---- */

static void ghcb_valid(unsigned bit)
{
	snp_ghcb->save.valid_bitmap[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

static void ghcb_reset(void)
{
	memset(&snp_ghcb->save, 0, sizeof(snp_ghcb->save));
	snp_ghcb->protocol_version = GHCB_PROTOCOL_MAX;
	snp_ghcb->ghcb_usage = GHCB_USAGE_STANDARD;
}

static uint64_t ghcb_exit(uint64_t exit_code, uint64_t info1, uint64_t info2)
{
	uint64_t old = rdmsr(MSR_AMD64_SEV_ES_GHCB);

	snp_ghcb->save.sw_exit_code = exit_code;
	snp_ghcb->save.sw_exit_info_1 = info1;
	snp_ghcb->save.sw_exit_info_2 = info2;
	ghcb_valid(GHCB_FIELD_BIT(sw_exit_code));
	ghcb_valid(GHCB_FIELD_BIT(sw_exit_info_1));
	ghcb_valid(GHCB_FIELD_BIT(sw_exit_info_2));
	wrmsr(MSR_AMD64_SEV_ES_GHCB, snp_ghcb_gpa);
	vmgexit();
	wrmsr(MSR_AMD64_SEV_ES_GHCB, old);
	return snp_ghcb->save.sw_exit_info_1 & 0xffffffffULL;
}

uint64_t ghcb_nae(uint64_t exit_code, uint64_t info1, uint64_t info2)
{
	return ghcb_exit(exit_code, info1, info2);
}

static int ghcb_setup(void)
{
	uint64_t v, gfn;
	bool cf;

	/* SEV information: protocol range and C-bit (56421 2.3.1.1), which
	 * must be the one CPUID reported (snp_cbit_init) */
	v = ghcb_msr_call(GHCB_MSR_SEV_INFO_REQ);
	if ((v & GHCB_MSR_INFO) != GHCB_MSR_SEV_INFO_RESP ||
	    FIELD_GET(GHCB_MSR_SEV_INFO_MIN, v) > 2 || FIELD_GET(GHCB_MSR_SEV_INFO_MAX, v) < 2 ||
	    FIELD_GET(GHCB_MSR_SEV_INFO_CBIT, v) != snp_cbit)
		return -2;
	snp_ghcb = &ghcb_page;
	snp_ghcb_gpa = (uint64_t)(uintptr_t)&ghcb_page;
	gfn = snp_ghcb_gpa >> 12;
	/* private -> shared: rescind validation, the MSR PSC request, then the
	 * mapping loses its C-bit (Linux's order, see snp_make_shared) */
	if (pvalidate(snp_ghcb_gpa, PV_4K, 0, &cf) || snp_msr_psc(gfn, false) ||
	    snp_pt_set_c(snp_ghcb_gpa, PAGE_SIZE, false))
		return -3;
	v = ghcb_msr_call((gfn << 12) | GHCB_MSR_REG_GPA_REQ);
	if ((v & GHCB_MSR_INFO) != GHCB_MSR_REG_GPA_RESP || (v >> 12) != gfn)
		return -4;
	memset(snp_ghcb, 0, sizeof(*snp_ghcb));
	ghcb_reset();
	return 0;
}

int snp_init(void)
{
	if (!snp_active())
		return 0;
	snp_vc_install();
	if (snp_cbit_init())
		return -5;
	if (snp_validate_all(boot_info()->mem_size))
		return -1;
	return ghcb_setup();
}

/* ---- page-state change NAE (56421 4.1.6) ---- */

static struct psc_desc psc_tmp;

uint64_t snp_psc_raw(void *desc, size_t len, size_t buf_off, uint64_t scratch, uint64_t *info1)
{
	uint8_t *buf = snp_ghcb->shared_buffer + buf_off;

	ghcb_reset();
	if (buf_off + len > GHCB_SHARED_BUF_SIZE)
		len = GHCB_SHARED_BUF_SIZE - buf_off;
	memcpy(buf, desc, len);
	snp_ghcb->save.sw_scratch =
	    scratch ? scratch : snp_ghcb_gpa + GHCB_SHARED_BUF_OFFSET + buf_off;
	ghcb_valid(GHCB_FIELD_BIT(sw_scratch));
	*info1 = ghcb_exit(SVM_VMGEXIT_PSC, 0, 0);
	memcpy(desc, buf, len);
	return snp_ghcb->save.sw_exit_info_2;
}

static uint64_t psc_send(unsigned n, unsigned *exits)
{
	size_t len = sizeof(struct psc_hdr) + n * sizeof(uint64_t);
	uint64_t info1, err;
	unsigned last = 0xffff;

	psc_tmp.hdr.cur_entry = 0;
	psc_tmp.hdr.end_entry = (uint16_t)(n - 1);
	psc_tmp.hdr.reserved = 0;
	/* partial progress: the hypervisor advances cur_entry; call again
	 * until it passes end_entry (and give up if it stops moving) */
	while (psc_tmp.hdr.cur_entry <= psc_tmp.hdr.end_entry) {
		if (psc_tmp.hdr.cur_entry == last)
			return PSC_ERROR_GENERIC;
		last = psc_tmp.hdr.cur_entry;
		err = snp_psc_raw(&psc_tmp, len, 0, 0, &info1);
		if (exits)
			(*exits)++;
		if (err || info1)
			return err ? err : (info1 << 32);
	}
	return 0;
}

uint64_t snp_psc(uint64_t gpa, uint64_t size, bool to_private, bool use_2m, unsigned *exits)
{
	unsigned op = to_private ? PSC_OP_PRIVATE : PSC_OP_SHARED, n = 0;
	uint64_t end = gpa + size, err;

	while (gpa < end) {
		bool huge = use_2m && !(gpa & (HUGE_SIZE - 1)) && end - gpa >= HUGE_SIZE;

		psc_tmp.entries[n++] = psc_entry(gpa >> 12, op, huge, 0);
		gpa += huge ? HUGE_SIZE : PAGE_SIZE;
		if (n == PSC_MAX_ENTRIES || gpa >= end) {
			err = psc_send(n, exits);
			if (err)
				return err;
			n = 0;
		}
	}
	return 0;
}

/* psc_entry() of snp/ghcb.c, for the guest (snp/ghcb.c is hypervisor code). */
u64 psc_entry(u64 gfn, unsigned op, bool huge, unsigned cur_page)
{
	return FIELD_PREP(PSC_ENTRY_GFN, gfn) | FIELD_PREP(PSC_ENTRY_OP, op) |
	       (huge ? PSC_ENTRY_2M : 0) | FIELD_PREP(PSC_ENTRY_CUR_PAGE, cur_page);
}

static int pvalidate_range(uint64_t va, uint64_t size, bool use_2m, int validate)
{
	uint64_t end = va + size;
	bool cf;

	while (va < end) {
		bool huge = use_2m && !(va & (HUGE_SIZE - 1)) && end - va >= HUGE_SIZE;

		if (pvalidate(va, huge ? PV_2M : PV_4K, validate, &cf) || cf)
			return -1;
		if (validate && huge)
			touch(va, HUGE_SIZE);
		else if (validate)
			touch(va, PAGE_SIZE);
		va += huge ? HUGE_SIZE : PAGE_SIZE;
	}
	return 0;
}

int snp_make_shared(uint64_t va, uint64_t size, bool use_2m)
{
	if (pvalidate_range(va, size, use_2m, 0))
		return -1;
	if (snp_psc(va, size, false, use_2m, NULL))
		return -1;
	return snp_pt_set_c(va, size, false);
}

int snp_make_private(uint64_t va, uint64_t size, bool use_2m)
{
	if (snp_pt_set_c(va, size, true))
		return -1;
	if (snp_psc(va, size, true, use_2m, NULL))
		return -1;
	return pvalidate_range(va, size, use_2m, 1);
}

/* ---- the C-bit in the guest's page tables (APM vol 2, 5.3.3 and 15.34.6) ---- */

#define PTE_P	      (1ULL << 0)
#define PTE_RW	      (1ULL << 1)
#define PTE_US	      (1ULL << 2)
#define PTE_PS	      (1ULL << 7) /* in a PDE/PDPTE: a leaf; in a PTE: PAT */
#define PTE_PAT_4K    (1ULL << 7)
#define PTE_PAT_2M    (1ULL << 12)
#define PTE_NX	      (1ULL << 63)
#define PTE_ADDR_4K   GENMASK(51, 12)
#define PTE_ADDR_2M   GENMASK(51, 21)
#define PTE_LOW_2M    (GENMASK(11, 0) & ~PTE_PS) /* P RW US PWT PCD A D G AVL */
#define PT_POOL_PAGES 8 /* 4K tables for split 2M leaves: the test guests need 2 */

unsigned snp_cbit;
uint64_t snp_cbit_mask;
unsigned snp_pt_splits;
static uint64_t pt_pool[PT_POOL_PAGES][512] __attribute__((aligned(4096)));

int snp_cbit_init(void)
{
	struct cpuid_out r;

	/* CPUID raises #VC on hardware: ask through the MSR protocol */
	if (snp_msr_cpuid(CPUID_SEV_LEAF, &r) || !(r.ebx & 0x3f))
		return -1;
	snp_cbit = r.ebx & 0x3f;
	snp_cbit_mask = 1ULL << snp_cbit;
	return 0;
}

static inline void invlpg(uint64_t va)
{
	asm volatile("invlpg (%0)" ::"r"(va) : "memory");
}

/* The next table's address: the C-bit is not an address bit (on hardware
 * it sits inside bits 51:12, bit 51 or 47). */
static uint64_t *pt_table(uint64_t e)
{
	return (uint64_t *)(uintptr_t)(e & PTE_ADDR_4K & ~snp_cbit_mask);
}

/* The PDE of va, or NULL (not mapped, 1G leaf); *tables_c: the PML4E and
 * the PDPTE carry the C-bit. */
static uint64_t *pde_of(uint64_t va, bool *tables_c)
{
	uint64_t cr3, e4, e3;

	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	e4 = pt_table(cr3)[(va >> 39) & 511];
	if (!(e4 & PTE_P))
		return NULL;
	e3 = pt_table(e4)[(va >> 30) & 511];
	if (!(e3 & PTE_P) || (e3 & PTE_PS))
		return NULL;
	if (tables_c)
		*tables_c = (e4 & snp_cbit_mask) && (e3 & snp_cbit_mask);
	return &pt_table(e3)[(va >> 21) & 511];
}

/* A 2M leaf -> a table of 512 4K leaves with the same translations and
 * attributes (PAT moves from bit 12 to bit 7); the PDE points to the table
 * with the C-bit set: the table page is private. */
static int pt_split(uint64_t *pde)
{
	uint64_t e = *pde, base = e & PTE_ADDR_2M & ~snp_cbit_mask, *t;
	uint64_t flags =
	    (e & PTE_LOW_2M) | (e & (PTE_NX | snp_cbit_mask)) | ((e & PTE_PAT_2M) ? PTE_PAT_4K : 0);

	if (snp_pt_splits >= PT_POOL_PAGES)
		return -1;
	t = pt_pool[snp_pt_splits++];
	for (uint64_t i = 0; i < 512; i++)
		t[i] = (base + i * PAGE_SIZE) | flags;
	*pde = (uint64_t)(uintptr_t)t | snp_cbit_mask | (e & PTE_US) | PTE_RW | PTE_P;
	return 0;
}

static uint64_t with_c(uint64_t e, bool c)
{
	return c ? (e | snp_cbit_mask) : (e & ~snp_cbit_mask);
}

int snp_pt_set_c(uint64_t va, uint64_t size, bool c)
{
	uint64_t end = va + size, *pde, *pte;

	if ((va | size) & (PAGE_SIZE - 1))
		return -1;
	while (va < end) {
		pde = pde_of(va, NULL);
		if (!pde || !(*pde & PTE_P))
			return -1;
		if (*pde & PTE_PS) {
			if (!(va & (HUGE_SIZE - 1)) && end - va >= HUGE_SIZE) {
				*pde = with_c(*pde, c);
				invlpg(va);
				va += HUGE_SIZE;
				continue;
			}
			if (pt_split(pde))
				return -1;
		}
		pte = &pt_table(*pde)[(va >> 12) & 511];
		if (!(*pte & PTE_P))
			return -1;
		*pte = with_c(*pte, c);
		invlpg(va);
		va += PAGE_SIZE;
	}
	return 0;
}

int snp_pt_query(uint64_t va, bool *leaf_c, bool *tables_c, int *level)
{
	bool tc = false;
	uint64_t *pde = pde_of(va, &tc), e;
	int lvl = 2;

	if (!pde || !(*pde & PTE_P))
		return -1;
	e = *pde;
	if (!(e & PTE_PS)) {
		tc = tc && (e & snp_cbit_mask);
		e = pt_table(e)[(va >> 12) & 511];
		if (!(e & PTE_P))
			return -1;
		lvl = 1;
	}
	if (leaf_c)
		*leaf_c = snp_cbit_mask && (e & snp_cbit_mask);
	if (tables_c)
		*tables_c = snp_cbit_mask && tc;
	if (level)
		*level = lvl;
	return 0;
}

/* ---- #VC handler (APM vol 2 15.35.5; 56421 4.1) ---- */

extern char snp_vc_entry[];

void snp_vc_install(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr;
	uint8_t *gate;
	uint64_t a = (uint64_t)(uintptr_t)snp_vc_entry;

	asm volatile("sidt %0" : "=m"(idtr));
	if (idtr.limit < 29 * 16 + 15)
		return;
	gate = (uint8_t *)(uintptr_t)(idtr.base + 29 * 16);
	gate[0] = (uint8_t)a; /* offset 15:0 */
	gate[1] = (uint8_t)(a >> 8);
	gate[6] = (uint8_t)(a >> 16); /* offset 31:16 */
	gate[7] = (uint8_t)(a >> 24);
	*(uint32_t *)(gate + 8) = (uint32_t)(a >> 32);
}

static void vc_fatal(struct exc_frame *f, const char *why)
{
	if (!snp_active()) { /* emulation: the console and hypercalls work */
		printf("guest: #VC %s: exit code 0x%llx at rip 0x%llx\n", why,
		       (unsigned long long)f->error, (unsigned long long)f->rip);
		hc_exit(HC_EXIT_EXCEPTION + 29);
	}
	snp_terminate(GHCB_TERM_SET_GENERAL, GHCB_TERM_GENERAL);
}

static bool vc_fixup(struct exc_frame *f, int vector)
{
	if (!exc_fixup)
		return false;
	exc_last_vector = vector;
	exc_last_error = f->error;
	f->rip = exc_fixup;
	exc_fixup = 0;
	return true;
}

static void vc_cpuid(struct exc_frame *f)
{
	ghcb_reset();
	snp_ghcb->save.rax = (uint32_t)f->rax;
	snp_ghcb->save.rcx = (uint32_t)f->rcx;
	ghcb_valid(GHCB_FIELD_BIT(rax));
	ghcb_valid(GHCB_FIELD_BIT(rcx));
	if (ghcb_exit(0x72, 0, 0))
		vc_fatal(f, "CPUID refused");
	f->rax = (uint32_t)snp_ghcb->save.rax;
	f->rbx = (uint32_t)snp_ghcb->save.rbx;
	f->rcx = (uint32_t)snp_ghcb->save.rcx;
	f->rdx = (uint32_t)snp_ghcb->save.rdx;
	f->rip += 2;
}

static void vc_msr(struct exc_frame *f)
{
	const uint8_t *ip = (const uint8_t *)(uintptr_t)f->rip;
	bool wr = ip[1] == 0x30; /* WRMSR 0F 30, RDMSR 0F 32 */
	uint64_t r;

	ghcb_reset();
	snp_ghcb->save.rcx = (uint32_t)f->rcx;
	ghcb_valid(GHCB_FIELD_BIT(rcx));
	if (wr) {
		snp_ghcb->save.rax = (uint32_t)f->rax;
		snp_ghcb->save.rdx = (uint32_t)f->rdx;
		ghcb_valid(GHCB_FIELD_BIT(rax));
		ghcb_valid(GHCB_FIELD_BIT(rdx));
	}
	r = ghcb_exit(0x7c, wr, 0);
	if (r == GHCB_HV_RESP_ISSUE_EXCEPTION) { /* #GP for the instruction */
		f->error = 0;
		if (!vc_fixup(f, 13))
			vc_fatal(f, "MSR #GP");
		return;
	}
	if (r)
		vc_fatal(f, "MSR refused");
	if (!wr) {
		f->rax = (uint32_t)snp_ghcb->save.rax;
		f->rdx = (uint32_t)snp_ghcb->save.rdx;
	}
	f->rip += 2;
}

/* IN/OUT with an immediate or DX port, 8/16/32 bits (no string I/O). */
static void vc_ioio(struct exc_frame *f)
{
	const uint8_t *ip = (const uint8_t *)(uintptr_t)f->rip;
	unsigned len = 0, size = 4;
	uint64_t info;
	uint16_t port;
	bool in;

	if (ip[0] == 0x66) {
		size = 2;
		len = 1;
	}
	switch (ip[len]) {
	case 0xe4:
	case 0xe5:
	case 0xe6:
	case 0xe7:
		port = ip[len + 1];
		in = !(ip[len] & 2);
		if (!(ip[len] & 1))
			size = 1;
		len += 2;
		break;
	case 0xec:
	case 0xed:
	case 0xee:
	case 0xef:
		port = (uint16_t)f->rdx;
		in = !(ip[len] & 2);
		if (!(ip[len] & 1))
			size = 1;
		len += 1;
		break;
	default:
		vc_fatal(f, "IOIO instruction not decoded");
		return;
	}
	/* EXITINFO1 of the IOIO intercept (APM vol 2 15.10.2) */
	info = ((uint64_t)port << 16) |
	       (size == 1   ? BIT(4)
		: size == 2 ? BIT(5)
			    : BIT(6)) |
	       (in ? 1 : 0);
	ghcb_reset();
	snp_ghcb->save.rax = f->rax;
	ghcb_valid(GHCB_FIELD_BIT(rax));
	if (ghcb_exit(0x7b, info, 0))
		vc_fatal(f, "IOIO refused");
	if (in) {
		uint64_t m = size == 4 ? 0xffffffffULL : size == 2 ? 0xffff : 0xff;

		f->rax = size == 4 ? (snp_ghcb->save.rax & m)
				   : ((f->rax & ~m) | (snp_ghcb->save.rax & m));
	}
	f->rip += len;
}

void snp_vc_handler(struct exc_frame *f)
{
	snp_vc_count++;
	switch (f->error) {
	case 0x72:
		vc_cpuid(f);
		return;
	case 0x7c:
		vc_msr(f);
		return;
	case 0x7b:
		vc_ioio(f);
		return;
	case 0x400: /* RMP #NPF the hypervisor did not resolve (docs/snp-guest.md) */
		if (vc_fixup(f, 29))
			return;
		vc_fatal(f, "RMP fault");
		return;
	default:
		vc_fatal(f, "unhandled");
	}
}
