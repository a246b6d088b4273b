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
uint64_t snp_vc_count, snp_vc_counts[VC_NR], snp_vc_noerr, snp_vc_nested;
static int snp_state = -1;  /* -1 unknown, 0 no, 1 SNP */
static bool ghcb_ready;	    /* registered with the hypervisor */
static unsigned ghcb_users; /* code between filling the GHCB and reading the answer */
static bool ghcb_backup_used;
static struct ghcb ghcb_backup; /* private: the GHCB of the interrupted user */
static uint8_t hc_bounce_page[4096] __attribute__((aligned(4096)));
uint8_t *snp_hc_bounce;
uint64_t snp_hc_bounced;

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

bool snp_active(void)
{
	uint64_t v = 0;

	if (snp_state < 0)
		snp_state = !rdmsr_safe(MSR_AMD64_SEV, &v) && (v & MSR_AMD64_SEV_SNP_ENABLED);
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

/* The GHCB MSR as the library last wrote it: only the library writes it,
 * so it is read once. On hardware the accesses are free (the MSR lives in
 * the VMSA); under the emulation each is an exit, and a GHCB NAE event
 * then costs one VMGEXIT instead of three MSR accesses around it. */
static uint64_t ghcb_msr_cache;
static bool ghcb_msr_known;

static uint64_t ghcb_msr_get(void)
{
	if (!ghcb_msr_known) {
		ghcb_msr_cache = rdmsr(MSR_AMD64_SEV_ES_GHCB);
		ghcb_msr_known = true;
	}
	return ghcb_msr_cache;
}

static void ghcb_msr_set(uint64_t v)
{
	wrmsr(MSR_AMD64_SEV_ES_GHCB, v);
	ghcb_msr_cache = v;
	ghcb_msr_known = true;
}

uint64_t ghcb_msr_call(uint64_t req)
{
	uint64_t old = ghcb_msr_get(), resp;

	ghcb_msr_set(req);
	vmgexit();
	resp = rdmsr(MSR_AMD64_SEV_ES_GHCB);
	ghcb_msr_set(old);
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

/* One NAE event: the GHCB MSR holds the GHCB's GPA (and keeps it, as
 * Linux does; the MSR-protocol calls put it back), VMGEXIT, the answer. */
static uint64_t ghcb_exit(uint64_t exit_code, uint64_t info1, uint64_t info2)
{
	snp_ghcb->save.sw_exit_code = exit_code;
	snp_ghcb->save.sw_exit_info_1 = info1;
	snp_ghcb->save.sw_exit_info_2 = info2;
	ghcb_valid(GHCB_FIELD_BIT(sw_exit_code));
	ghcb_valid(GHCB_FIELD_BIT(sw_exit_info_1));
	ghcb_valid(GHCB_FIELD_BIT(sw_exit_info_2));
	if (ghcb_msr_get() != snp_ghcb_gpa)
		ghcb_msr_set(snp_ghcb_gpa);
	vmgexit();
	return snp_ghcb->save.sw_exit_info_1 & 0xffffffffULL;
}

uint64_t ghcb_nae(uint64_t exit_code, uint64_t info1, uint64_t info2)
{
	uint64_t r;

	snp_ghcb_get();
	r = ghcb_exit(exit_code, info1, info2);
	snp_ghcb_put();
	return r;
}

void snp_ghcb_get(void)
{
	ghcb_users++;
}

void snp_ghcb_put(void)
{
	ghcb_users--;
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
	ghcb_ready = true;
	return 0;
}

int snp_init(void)
{
	static int done, result;

	if (!snp_active())
		return 0;
	if (done)
		return result;
	done = 1;
	/* RDMSR of the GHCB MSR never #VCs (the processor switches it) */
	snp_boot.ghcb_msr_at_entry = rdmsr(MSR_AMD64_SEV_ES_GHCB);
	snp_vc_install();
	if (snp_cbit_init())
		return result = -5;
	if (snp_validate_all(boot_info()->mem_size))
		return result = -1;
	result = ghcb_setup();
	if (result)
		return result;
	/* the hypercall bounce page: shared (C=0) like the GHCB, converted
	 * with the GHCB's page-state change now that it exists */
	if (snp_make_shared((uint64_t)(uintptr_t)hc_bounce_page, PAGE_SIZE, false))
		return result = -6;
	snp_hc_bounce = hc_bounce_page;
	return 0;
}

/* ---- page-state change NAE (56421 4.1.6) ---- */

static struct psc_desc psc_tmp;

uint64_t snp_psc_raw(void *desc, size_t len, size_t buf_off, uint64_t scratch, uint64_t *info1)
{
	uint8_t *buf = snp_ghcb->shared_buffer + buf_off;
	uint64_t err;

	snp_ghcb_get();
	ghcb_reset();
	if (buf_off + len > GHCB_SHARED_BUF_SIZE)
		len = GHCB_SHARED_BUF_SIZE - buf_off;
	memcpy(buf, desc, len);
	snp_ghcb->save.sw_scratch =
	    scratch ? scratch : snp_ghcb_gpa + GHCB_SHARED_BUF_OFFSET + buf_off;
	ghcb_valid(GHCB_FIELD_BIT(sw_scratch));
	*info1 = ghcb_exit(SVM_VMGEXIT_PSC, 0, 0);
	memcpy(desc, buf, len);
	err = snp_ghcb->save.sw_exit_info_2;
	snp_ghcb_put();
	return err;
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

static void vc_fatal(struct exc_frame *f, const char *why, unsigned code)
{
	if (!snp_active()) { /* a synthetic frame in a plain guest */
		printf("guest: #VC %s: exit code 0x%llx at rip 0x%llx\n", why,
		       (unsigned long long)f->error, (unsigned long long)f->rip);
		hc_exit(HC_EXIT_EXCEPTION + 29);
	}
	/* the console is one more #VC (IOIO): only where one can still nest */
	if (ghcb_ready && !ghcb_backup_used)
		printf("guest: #VC %s: exit code 0x%llx at rip 0x%llx: terminating (set %u code "
		       "%u)\n",
		       why, (unsigned long long)f->error, (unsigned long long)f->rip, SNPV_TERM_SET,
		       code);
	snp_terminate(SNPV_TERM_SET, code);
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

/* Before the GHCB exists only CPUID can be served: the MSR protocol's CPUID
 * request (56421 2.3.1.3, subleaf 0 only, as Linux's early #VC handler). */
static void vc_cpuid_msr_protocol(struct exc_frame *f)
{
	struct cpuid_out r;

	if (snp_msr_cpuid((uint32_t)f->rax, &r))
		vc_fatal(f, "CPUID refused (MSR protocol)", SNPV_TERM_VC_REFUSED);
	f->rax = r.eax;
	f->rbx = r.ebx;
	f->rcx = r.ecx;
	f->rdx = r.edx;
	f->rip += 2;
}

static void vc_cpuid(struct exc_frame *f)
{
	ghcb_reset();
	snp_ghcb->save.rax = (uint32_t)f->rax;
	snp_ghcb->save.rcx = (uint32_t)f->rcx;
	ghcb_valid(GHCB_FIELD_BIT(rax));
	ghcb_valid(GHCB_FIELD_BIT(rcx));
	if (ghcb_exit(0x72, 0, 0))
		vc_fatal(f, "CPUID refused", SNPV_TERM_VC_REFUSED);
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
			vc_fatal(f, "MSR #GP", SNPV_TERM_VC_UNHANDLED);
		return;
	}
	if (r)
		vc_fatal(f, "MSR refused", SNPV_TERM_VC_REFUSED);
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
		vc_fatal(f, "IOIO instruction not decoded", SNPV_TERM_VC_UNHANDLED);
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
		vc_fatal(f, "IOIO refused", SNPV_TERM_VC_REFUSED);
	if (in) {
		uint64_t m = size == 4 ? 0xffffffffULL : size == 2 ? 0xffff : 0xff;

		f->rax = size == 4 ? (snp_ghcb->save.rax & m)
				   : ((f->rax & ~m) | (snp_ghcb->save.rax & m));
	}
	f->rip += len;
}

/* The VMMCALL NAE event (56421 4.1, exit code 0x81): RAX and CPL are the
 * spec's inputs, RBX RCX RDX RSI snpvisor's argument registers; RAX comes
 * back. *err = SW_EXITINFO2 when the hypervisor refused the event. The
 * caller holds the GHCB. */
static int64_t hc_nae(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, unsigned cpl,
		      uint64_t *err)
{
	ghcb_reset();
	snp_ghcb->save.rax = nr;
	snp_ghcb->save.rbx = a1;
	snp_ghcb->save.rcx = a2;
	snp_ghcb->save.rdx = a3;
	snp_ghcb->save.rsi = a4;
	snp_ghcb->save.cpl = (uint8_t)cpl;
	ghcb_valid(GHCB_FIELD_BIT(rax));
	ghcb_valid(GHCB_FIELD_BIT(rbx));
	ghcb_valid(GHCB_FIELD_BIT(rcx));
	ghcb_valid(GHCB_FIELD_BIT(rdx));
	ghcb_valid(GHCB_FIELD_BIT(rsi));
	ghcb_valid(GHCB_FIELD_BIT(cpl));
	*err = ghcb_exit(SNP_NAE_VMMCALL, 0, 0) ? snp_ghcb->save.sw_exit_info_2 | 1 : 0;
	return (int64_t)snp_ghcb->save.rax;
}

/* A raw VMMCALL (0F 01 D9) raises #VC 0x81: the registers go out as they
 * are (pointer arguments included: the hypervisor refuses private GPAs
 * with HC_EFAULT), RAX comes back, RIP += 3. */
static void vc_vmmcall(struct exc_frame *f)
{
	uint64_t err;
	int64_t r = hc_nae(f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->cs & 3, &err);

	if (err)
		vc_fatal(f, "VMMCALL refused", SNPV_TERM_VC_REFUSED);
	f->rax = (uint64_t)r;
	f->rip += 3;
}

uint64_t snp_vc_code_of(uint64_t rip)
{
	const uint8_t *ip = (const uint8_t *)(uintptr_t)rip;
	unsigned o = ip[0] == 0x66 ? 1 : 0;

	if (ip[0] == 0x0f && ip[1] == 0xa2)
		return 0x72;
	if (ip[0] == 0x0f && (ip[1] == 0x30 || ip[1] == 0x32))
		return 0x7c;
	if ((ip[o] >= 0xe4 && ip[o] <= 0xe7) || (ip[o] >= 0xec && ip[o] <= 0xef))
		return 0x7b;
	if (ip[0] == 0x0f && ip[1] == 0x01 && ip[2] == 0xd9)
		return 0x81;
	if (ip[0] == 0xf2 && ip[1] == 0x0f && ip[2] == 0x01 && ip[3] == 0xff)
		return 0x400;
	return 0;
}

static void vc_count(uint64_t code)
{
	snp_vc_count++;
	switch (code) {
	case 0x72:
		snp_vc_counts[VC_CPUID]++;
		break;
	case 0x7c:
		snp_vc_counts[VC_MSR]++;
		break;
	case 0x7b:
		snp_vc_counts[VC_IOIO]++;
		break;
	case 0x81:
		snp_vc_counts[VC_VMMCALL]++;
		break;
	case 0x400:
		snp_vc_counts[VC_NPF]++;
		break;
	default:
		snp_vc_counts[VC_OTHER]++;
	}
}

void (*snp_vc_test_hook)(void);

static void vc_dispatch(struct exc_frame *f)
{
	if (snp_vc_test_hook)
		snp_vc_test_hook();
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
	case 0x81:
		vc_vmmcall(f);
		return;
	default:
		vc_fatal(f, "unhandled", SNPV_TERM_VC_UNHANDLED);
	}
}

void snp_vc_handler(struct exc_frame *f)
{
	bool saved = false;

	if (f->error == SNP_VC_ERR_NONE) { /* QEMU TCG: no error code pushed */
		snp_vc_noerr++;
		f->error = snp_vc_code_of(f->rip);
	}
	vc_count(f->error);
	if (f->error == 0x400) { /* RMP #NPF the hypervisor did not resolve */
		if (!vc_fixup(f, 29))
			vc_fatal(f, "RMP fault", SNPV_TERM_VC_UNHANDLED);
		return;
	}
	if (!ghcb_ready) {
		if (f->error == 0x72) {
			vc_cpuid_msr_protocol(f);
			return;
		}
		vc_fatal(f, "before the GHCB is registered", SNPV_TERM_VC_NO_GHCB);
	}
	/* Nested: the interrupted code was using the GHCB. Keep its contents
	 * in the backup while this #VC uses the page, then put them back. */
	if (ghcb_users) {
		if (ghcb_backup_used)
			vc_fatal(f, "nested while the GHCB backup is in use", SNPV_TERM_VC_NESTED);
		memcpy(&ghcb_backup, snp_ghcb, sizeof(ghcb_backup));
		ghcb_backup_used = saved = true;
		snp_vc_nested++;
	}
	ghcb_users++;
	vc_dispatch(f);
	ghcb_users--;
	if (saved) {
		memcpy(snp_ghcb, &ghcb_backup, sizeof(ghcb_backup));
		ghcb_backup_used = false;
	}
}

/* ---- hypercalls through the GHCB (docs/guest-abi.md "Hypercalls") ---- */

#define BOUNCE_DETAIL 2048 /* second half of the bounce page: HC_TEST_RESULT's detail */

int64_t snp_hypercall_raw(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	uint64_t err;
	int64_t r;

	if (!ghcb_ready)
		snp_terminate(SNPV_TERM_SET, SNPV_TERM_HC_NO_GHCB);
	snp_ghcb_get();
	r = hc_nae(nr, a1, a2, a3, a4, 0, &err);
	snp_ghcb_put();
	if (err)
		snp_terminate(SNPV_TERM_SET, SNPV_TERM_VC_REFUSED);
	return r;
}

/* [p, p + len) inside guest memory: the library may touch it (beyond it a
 * private access faults on hardware and ends the guest under emulation). */
static bool user_ok(uint64_t p, uint64_t len)
{
	uint64_t m = boot_info()->mem_size;

	return p < m && len <= m - p;
}

/* A NUL-terminated string into the bounce page: at most max characters
 * and the NUL (max + 1 bytes without a NUL: the hypervisor refuses it). */
static int bounce_str(uint64_t p, uint8_t *dst, uint64_t max)
{
	for (uint64_t i = 0; i <= max; i++) {
		if (!user_ok(p + i, 1))
			return -1;
		dst[i] = ((const uint8_t *)(uintptr_t)p)[i];
		if (!dst[i])
			return 0;
	}
	return 0;
}

int64_t snp_hypercall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	uint8_t *b = snp_hc_bounce;
	uint64_t bg = (uint64_t)(uintptr_t)b, out = 0, out_len = 0, n;
	int64_t r;

	if (!ghcb_ready || !b)
		snp_terminate(SNPV_TERM_SET, SNPV_TERM_HC_NO_GHCB);
	switch (nr) {
	case HC_PUTS:
		n = a2 <= HC_PUTS_MAX ? a2 : 0; /* too long: the hypervisor says HC_EINVAL */
		if (n && !user_ok(a1, n))
			return HC_EFAULT;
		memcpy(b, (const void *)(uintptr_t)a1, n);
		a1 = bg;
		break;
	case HC_TEST_RESULT:
		if (bounce_str(a1, b, HC_NAME_MAX))
			return HC_EFAULT;
		a1 = bg;
		if (a3) {
			if (bounce_str(a3, b + BOUNCE_DETAIL, HC_DETAIL_MAX))
				return HC_EFAULT;
			a3 = bg + BOUNCE_DETAIL;
		}
		break;
	case HC_SNP_ATTESTED:
		n = a2 <= 48 ? a2 : 0; /* anything else: the hypervisor says HC_EFAULT */
		if (n && !user_ok(a1, n))
			return HC_EFAULT;
		memcpy(b, (const void *)(uintptr_t)a1, n);
		a1 = bg;
		break;
	case HC_GET_INFO:
		out = a1;
		out_len = a2 < sizeof(struct hc_info) ? a2 : sizeof(struct hc_info);
		a1 = bg;
		break;
	case HC_DEV_INFO:
		out = a2;
		out_len = a3 < sizeof(struct hc_dev_info) ? a3 : sizeof(struct hc_dev_info);
		a2 = bg;
		break;
	case HC_DMA_PHASE:
		if (a1 == HC_DMA_BEGIN && a2) {
			out = a2;
			out_len =
			    a3 < sizeof(struct hc_dma_targets) ? a3 : sizeof(struct hc_dma_targets);
			a2 = bg;
		}
		break;
	default: /* no pointer arguments known: registers as they are */
		return snp_hypercall_raw(nr, a1, a2, a3, a4);
	}
	if (out_len && !user_ok(out, out_len))
		return HC_EFAULT;
	snp_hc_bounced++;
	r = snp_hypercall_raw(nr, a1, a2, a3, a4);
	if (out_len && r >= 0)
		memcpy((void *)(uintptr_t)out, b, out_len);
	return r;
}

/* ---- attestation: SNP Guest Request (56421 4.1.8; 56860 8.26) ---- */

/* The two shared pages the hypervisor sees: ciphertext only. */
static uint8_t greq_page[4096] __attribute__((aligned(4096)));
static uint8_t gresp_page[4096] __attribute__((aligned(4096)));
static bool greq_shared;
/* Private copies: the message is built and opened here, never in shared memory. */
static struct snp_guest_msg greq_priv, gresp_priv;
static struct snp_report_resp greport;
uint64_t snp_msg_seqno; /* VMPCK0: sequence number of the last message (0: none yet) */
uint64_t snp_guest_requests;

const uint8_t *snp_vmpck0(void)
{
	return ((const struct snp_secrets_page *)(uintptr_t)SNP_SECRETS_GPA)->vmpck[0];
}

int snp_guest_req_raw(const struct snp_guest_msg *req, struct snp_guest_msg *resp, uint64_t *info1,
		      uint64_t *info2)
{
	if (!ghcb_ready)
		return -1;
	if (!greq_shared) {
		if (snp_make_shared((uint64_t)(uintptr_t)greq_page, PAGE_SIZE, false) ||
		    snp_make_shared((uint64_t)(uintptr_t)gresp_page, PAGE_SIZE, false))
			return -1;
		greq_shared = true;
	}
	memcpy(greq_page, req, sizeof(*req));
	memset(gresp_page, 0, sizeof(gresp_page));
	snp_ghcb_get();
	ghcb_reset();
	*info1 = ghcb_exit(SNP_NAE_GUEST_REQUEST, (uint64_t)(uintptr_t)greq_page,
			   (uint64_t)(uintptr_t)gresp_page);
	*info2 = snp_ghcb->save.sw_exit_info_2;
	snp_ghcb_put();
	snp_guest_requests++;
	memcpy(resp, gresp_page, sizeof(*resp));
	return 0;
}

int snp_get_report(const uint8_t user_data[64], struct snp_attestation_report *out)
{
	struct snp_report_req r;
	uint64_t i1, i2, seq = snp_msg_seqno + 1;

	memset(&r, 0, sizeof(r));
	memcpy(r.user_data, user_data, sizeof(r.user_data));
	r.vmpl = 0;
	if (snp_msg_seal(&greq_priv, snp_vmpck0(), 0, seq, SNP_MSG_REPORT_REQ, &r, sizeof(r)))
		return SNP_REPORT_E_INTERNAL;
	if (snp_guest_req_raw(&greq_priv, &gresp_priv, &i1, &i2))
		return SNP_REPORT_E_INTERNAL;
	if (i1 || i2)
		return SNP_REPORT_E_REFUSED; /* nothing consumed: the firmware keeps its number */
	/* the response must answer this request: sequence number + 1, VMPCK0,
	 * MSG_REPORT_RSP, authenticated */
	if (snp_msg_open(&gresp_priv, snp_vmpck0(), 0, seq + 1, SNP_MSG_REPORT_RSP, &greport,
			 sizeof(greport)))
		return SNP_REPORT_E_AUTH;
	snp_msg_seqno = seq + 1;
	if (greport.status != SNP_REPORT_RSP_SUCCESS ||
	    greport.report_size != sizeof(greport.report))
		return SNP_REPORT_E_STATUS;
	memcpy(out, &greport.report, sizeof(*out));
	memset(&greport, 0, sizeof(greport));
	return 0;
}
