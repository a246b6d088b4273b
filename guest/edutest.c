/* edutest: a guest drives its passed-through edu device (docs/devices.md).
 * Finds the device with HC_DEV_INFO, checks the edu ID through BAR0 (mapped
 * uncached in the NPT), programs DMA with guest-physical addresses (IOVA =
 * GPA: the IOMMU domain is gmem's copy of the guest's memory) and checks:
 *   - RAM -> device -> RAM lands (shared memory for an SNP guest with an
 *     untrusted device: converted with snp_make_shared first);
 *   - SNP + untrusted: DMA into / out of private memory does not land;
 *   - SNP + trusted: DMA into private memory works;
 *   - inside an HC_DMA_PHASE pair: DMA aimed beyond its RAM, at another
 *     guest's frames or GPA range, at hypervisor structures and at its own
 *     BAR (peer-to-peer) changes nothing (the hypervisor checksums its memory
 *     and the other guests' around the phase);
 *   - inside the same phase: DMA writes into the interrupt window
 *     0xFEE00000 (an interrupt request to the IOMMU, 48882 2.2.5) whose data
 *     names every vector 16-255, fixed delivery, to APIC 0; the hypervisor
 *     counts the interrupts it receives by vector around the phase.
 * No printing and no hypercall inside the phase; results are reported after. */
#include "lib/snp.h"

#define EDU_ID	      0x00
#define EDU_LIVE      0x04
#define EDU_DMA_SRC   0x80
#define EDU_DMA_DST   0x88
#define EDU_DMA_CNT   0x90
#define EDU_DMA_CMD   0x98
#define EDU_CMD_RUN   1u
#define EDU_CMD_TORAM 2u
#define EDU_BUF	      0x40000ULL /* device-side buffer, 4 KiB (qemu-facts.md) */
#define EDU_ID_VAL    0x010000EDu

#define BUF_A	    MiB(6) /* 2M aligned region of guest RAM for DMA buffers */
#define BUF_B	    (BUF_A + 0x1000)
#define BUF_P	    (BUF_A + 0x10000) /* stays private */
#define BUF_C	    (BUF_A + 0x2000)
#define BUF_M	    (BUF_A + 0x3000) /* the MSI data words (shared with the device) */
#define MSI_WINDOW  0xFEE00000ULL
#define MSI_DEV_OFF 0x100 /* device buffer offset of the MSI data words */
#define MSI_VEC_LO  16
#define MSI_VEC_N   240
#define MSI_BYTES   (MSI_VEC_N * 8)
#define N	    256

static volatile uint8_t *bar;

static uint32_t rd32(uint64_t off)
{
	return *(volatile uint32_t *)(bar + off);
}

static void wr32(uint64_t off, uint32_t v)
{
	*(volatile uint32_t *)(bar + off) = v;
}

static void wr64(uint64_t off, uint64_t v)
{
	*(volatile uint64_t *)(bar + off) = v;
}

/* One transfer; 0 when the device reported completion, -1 on a timeout. A
 * blocked DMA completes too (qemu-facts.md): completion proves nothing. */
static int edu_dma(uint64_t iova, uint64_t off, uint64_t n, bool to_ram)
{
	wr64(EDU_DMA_SRC, to_ram ? EDU_BUF + off : iova);
	wr64(EDU_DMA_DST, to_ram ? iova : EDU_BUF + off);
	wr64(EDU_DMA_CNT, n);
	wr64(EDU_DMA_CMD, EDU_CMD_RUN | (to_ram ? EDU_CMD_TORAM : 0));
	for (uint64_t i = 0; i < (1ULL << 28); i++)
		if (!(rd32(EDU_DMA_CMD) & EDU_CMD_RUN))
			return 0;
	return -1;
}

static void fill(uint64_t gpa, uint64_t n, uint8_t seed)
{
	for (uint64_t i = 0; i < n; i++)
		((volatile uint8_t *)(uintptr_t)gpa)[i] = (uint8_t)(seed + i * 7);
}

static bool is_fill(uint64_t gpa, uint64_t n, uint8_t seed)
{
	for (uint64_t i = 0; i < n; i++)
		if (((volatile uint8_t *)(uintptr_t)gpa)[i] != (uint8_t)(seed + i * 7))
			return false;
	return true;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static struct hc_dma_targets tg;

struct res {
	const char *what;
	uint64_t addr;
	int rc_w, rc_r;
	bool skipped;
};
static struct res results[HC_DMA_TARGETS_MAX + 2];

static void isolation_phase(const struct hc_info *bi, const struct hc_dev_info *di)
{
	unsigned n = 0;
	int64_t k, changed;
	uint32_t live_before, live_after;
	bool p2p_read_blocked;
	int msi_rc;

	/* device buffer: a known pattern at offset 0 (what the stray writes carry) */
	fill(BUF_C, N, 0x33);
	edu_dma(BUF_C, 0, N, false);
	wr32(EDU_LIVE, 0x12345678);
	live_before = rd32(EDU_LIVE);
	memset((void *)(uintptr_t)BUF_C, 0xee, N);
	/* MSI data: at every 8th byte of the window (address bit 2 = 0: physical
	 * destination, bits 19:12 = APIC 0) one vector, fixed, edge; the words
	 * in between go to logical destination 0 (no CPU). */
	for (unsigned v = 0; v < MSI_VEC_N; v++) {
		((volatile uint32_t *)(uintptr_t)BUF_M)[2 * v] = MSI_VEC_LO + v;
		((volatile uint32_t *)(uintptr_t)BUF_M)[2 * v + 1] = MSI_VEC_LO + v;
	}
	k = hypercall(HC_DMA_PHASE, HC_DMA_BEGIN, (uint64_t)(uintptr_t)&tg, sizeof(tg), 0);
	/* ---- no hypercall, no port I/O until HC_DMA_END ---- */
	/* the interrupt window first (device offsets 0x100.. are reused below) */
	msi_rc = edu_dma(BUF_M, MSI_DEV_OFF, MSI_BYTES, false) |
		 edu_dma(MSI_WINDOW, MSI_DEV_OFF, MSI_BYTES, true);
	for (int64_t i = 0; i < k && i < HC_DMA_TARGETS_MAX; i++) {
		struct res *r = &results[n++];

		r->what = tg.t[i].what;
		r->addr = tg.t[i].addr;
		if (r->addr < bi->mem_size) { /* our own RAM by translation: not a test */
			r->skipped = true;
			continue;
		}
		r->rc_w = edu_dma(r->addr, 0, N, true);	     /* write the pattern there */
		r->rc_r = edu_dma(r->addr, 0x800, N, false); /* and read it back */
	}
	/* peer-to-peer: our own BAR GPA as IOVA (the domain does not map it) */
	edu_dma(di->bar0_gpa, 0, N, true);
	live_after = rd32(EDU_LIVE);
	edu_dma(di->bar0_gpa, 0xA00, 16, false);
	edu_dma(BUF_C, 0xA00, 16, true);
	p2p_read_blocked = ((volatile uint32_t *)(uintptr_t)BUF_C)[0] != EDU_ID_VAL;
	changed = hypercall(HC_DMA_PHASE, HC_DMA_END, 0, 0, 0);
	/* ---- reporting ---- */
	EXPECT("dma_phase.targets", k >= 5);
	guest_test("dma_phase.msi_window_dma", msi_rc == 0,
		   "%u interrupt requests by DMA to 0x%llx (vectors 0x%x-0x%x) completed; whether "
		   "any arrived is judged by the hypervisor (dev.<guest>.dma_phase_no_host_irq)",
		   MSI_VEC_N, (unsigned long long)MSI_WINDOW, MSI_VEC_LO,
		   MSI_VEC_LO + MSI_VEC_N - 1);
	for (unsigned i = 0; i < n; i++) {
		char name[48];

		snprintf(name, sizeof(name), "dma_blocked.%s", results[i].what);
		if (results[i].skipped)
			guest_test(name, true, "0x%llx is inside our RAM: skipped",
				   (unsigned long long)results[i].addr);
		else
			guest_test(
			    name, results[i].rc_w == 0 && results[i].rc_r == 0,
			    "write+read at IOVA 0x%llx completed (rc %d %d); landing is judged "
			    "by the hypervisor's checksums",
			    (unsigned long long)results[i].addr, results[i].rc_w, results[i].rc_r);
	}
	/* the stray reads brought back nothing of the patterns (zeros) */
	edu_dma(BUF_C, 0x800, N, true);
	guest_test("dma_blocked.reads_return_nothing", !is_fill(BUF_C, N, 0x33),
		   "device buffer after reads from blocked IOVAs is not our pattern");
	guest_test("dma.no_p2p_write", live_after == live_before,
		   "edu liveness register 0x%x before, 0x%x after a DMA write at the BAR GPA",
		   live_before, live_after);
	guest_test("dma.no_p2p_read", p2p_read_blocked,
		   "a DMA read of the BAR GPA did not return the edu ID");
	EXPECT_EQ("dma_phase.memory_unchanged", changed, 0);
}

int main(void)
{
	const struct hc_info *bi = boot_info();
	struct hc_dev_info di;
	bool snp = bi->flags & HC_INFO_F_SNP;
	bool private_dma;
	uint64_t t0, t1;
	int rc;

	if (snp)
		EXPECT_EQ("snp.init", snp_init(), 0);
	memset(&di, 0, sizeof(di));
	EXPECT_EQ("dev_info", hypercall(HC_DEV_INFO, 0, (uint64_t)(uintptr_t)&di, sizeof(di), 0),
		  sizeof(di));
	EXPECT_EQ("dev_info.no_second",
		  hypercall(HC_DEV_INFO, di.count, (uint64_t)(uintptr_t)&di, sizeof(di), 0) < 0, 1);
	printf("device %02x:%02x.%x %04x:%04x %s, BAR0 at GPA 0x%llx (%llu KiB)\n", di.bdf >> 8,
	       (di.bdf >> 3) & 31, di.bdf & 7, di.vendor, di.device,
	       di.trusted ? "trusted" : "untrusted", (unsigned long long)di.bar0_gpa,
	       (unsigned long long)(di.bar0_size >> 10));
	if (!di.bar0_gpa)
		hc_exit(HC_EXIT_FAIL);
	bar = (volatile uint8_t *)(uintptr_t)di.bar0_gpa;
	if (snp) {
		/* Device MMIO is not guest-private memory: an SNP guest maps it
		 * with the C-bit clear (no page-state change: it is not RAM). */
		bool c_leaf = true, c_tables = false;
		int level = 0;

		EXPECT_EQ("snp.bar_c0", snp_pt_set_c(di.bar0_gpa, di.bar0_size, false), 0);
		EXPECT_EQ("snp.bar_query", snp_pt_query(di.bar0_gpa, &c_leaf, &c_tables, &level),
			  0);
		guest_test("snp.bar_mapped_c0", !c_leaf && c_tables,
			   "BAR0 leaf C=%d (level %d), tables C=%d", c_leaf, level, c_tables);
	}
	EXPECT_EQ("edu.id", rd32(EDU_ID), EDU_ID_VAL);
	wr32(EDU_LIVE, 0x5a5a0f0f);
	EXPECT_EQ("edu.liveness", rd32(EDU_LIVE), ~0x5a5a0f0fu);

	/* Buffers: shared for an SNP guest with an untrusted device. */
	if (snp && !di.trusted) {
		bool c_first = true, c_last = true, c_tables = false;

		EXPECT_EQ("snp.make_shared", snp_make_shared(BUF_A, 0x4000, false), 0);
		/* shared pages are mapped with C=0, their table stays private */
		snp_pt_query(BUF_A, &c_first, &c_tables, NULL);
		snp_pt_query(BUF_A + 0x3000, &c_last, NULL, NULL);
		guest_test("snp.shared_cbit_clear", !c_first && !c_last && c_tables,
			   "C-bit %u: first page %d, last page %d, tables %d", snp_cbit, c_first,
			   c_last, c_tables);
	}
	fill(BUF_A, N, 0x11);
	memset((void *)(uintptr_t)BUF_B, 0, N);
	t0 = rdtsc();
	rc = edu_dma(BUF_A, 0, N, false) | edu_dma(BUF_B, 0, N, true);
	t1 = rdtsc();
	guest_test("dma.roundtrip", rc == 0 && is_fill(BUF_B, N, 0x11),
		   "RAM 0x%x -> edu -> RAM 0x%x, %d bytes through the IOMMU (%s memory), %llu M "
		   "TSC ticks for both",
		   (unsigned)BUF_A, (unsigned)BUF_B, N,
		   snp && !di.trusted ? "shared"
		   : snp	      ? "private"
				      : "plain",
		   (unsigned long long)((t1 - t0) >> 20));

	if (snp) {
		/* A private page: written by the CPU, then DMA in both directions. */
		fill(BUF_P, N, 0x77);
		edu_dma(BUF_P, 0, N, true); /* device buffer (0x11 pattern) -> private page */
		private_dma = is_fill(BUF_P, N, 0x11);
		if (di.trusted) {
			guest_test("dma.private_write_trusted", private_dma,
				   "a trusted device writes private memory");
		} else {
			guest_test("dma.private_write_blocked", is_fill(BUF_P, N, 0x77),
				   "an untrusted device's write to private memory did not land");
			/* private -> device -> shared: must not carry the private data */
			edu_dma(BUF_P, 0x400, N, false);
			memset((void *)(uintptr_t)BUF_B, 0, N);
			edu_dma(BUF_B, 0x400, N, true);
			guest_test("dma.private_read_blocked", !is_fill(BUF_B, N, 0x77),
				   "an untrusted device's read of private memory got no private "
				   "data");
		}
	}
	isolation_phase(bi, &di);
	hc_exit(guest_tests_failed() ? HC_EXIT_FAIL : HC_EXIT_PASS);
}
