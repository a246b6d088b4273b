/* phys_zero: zeroing whole frames at the memory's write bandwidth.
 *
 * A plain memset (rep stosb, or stores through the cache) reads every line
 * before overwriting it (read-for-ownership) and fills the caches with lines
 * nobody reads soon: on the machines measured (docs/experiments.md) zeroing
 * 2 MiB at a time that way runs at about half the bandwidth of a streaming
 * zero of the same bytes. CLZERO (AMD64 APM Vol. 3, "CLZERO"; CPUID
 * Fn8000_0008_EBX[0]) writes a whole 64-byte line of zeroes without reading
 * it and without SSE registers (the hypervisor is built -mgeneral-regs-only);
 * its stores are weakly ordered, so an SFENCE ends the run (APM Vol. 3, the
 * CLZERO and SFENCE entries). Every SEV-SNP processor has it; without it
 * (other CPUs, an emulator that does not offer it), and for less than 16 KiB,
 * memset does the work.
 * Pure: the same code in hv.efi and in host programs (bench-host). */
#include <string.h>

#include "hv/base/mem.h"

#define LINE		     64u
#define PHYS_ZERO_STREAM_MIN (16u << 10) /* smaller: memset */

static int clzero_ok = -1; /* unknown until the first call */

static bool have_clzero(void)
{
	if (clzero_ok < 0) {
		u32 a, b, c, d;

		__asm__ volatile("cpuid"
				 : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
				 : "a"(0x80000000u), "c"(0));
		if (a >= 0x80000008u)
			__asm__ volatile("cpuid"
					 : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
					 : "a"(0x80000008u), "c"(0));
		else
			b = 0;
		clzero_ok = b & 1;
	}
	return clzero_ok;
}

/* Fuzz builds (clang's SanitizerCoverage): no coverage callbacks here. The
 * loop below decides nothing, yet it cost one callback per 256 bytes, 8,192
 * per 2M frame zeroed (a tenth of fuzz_gmem's time); the branches above it
 * depend only on the size and the CPU. ASan and UBSan are unaffected. */
#if defined(__clang__) && defined(SNPV_FUZZ)
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

NO_COVERAGE void phys_zero(spa_t pa, u64 size)
{
	u8 *p = phys_ptr(pa), *end = p + size;

	if (!size)
		return;
	/* A few pages (a table page, a pool page, a 4K scrub) are written again
	 * soon, often at once: cached stores serve those better than lines
	 * sent to memory, and the SFENCE would cost more than it saves. */
	if (size < PHYS_ZERO_STREAM_MIN || !have_clzero() ||
	    ((uintptr_t)p | size) & (4 * LINE - 1)) {
		memset(p, 0, size);
		return;
	}
	for (; p < end; p += 4 * LINE) {
		__asm__ volatile("clzero" : : "a"(p) : "memory");
		__asm__ volatile("clzero" : : "a"(p + LINE) : "memory");
		__asm__ volatile("clzero" : : "a"(p + 2 * LINE) : "memory");
		__asm__ volatile("clzero" : : "a"(p + 3 * LINE) : "memory");
	}
	__asm__ volatile("sfence" ::: "memory");
}
