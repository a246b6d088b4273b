/* The environment pure code expects, for host programs (unit tests, tools,
 * fuzzers): physical memory as a window onto a host buffer, and panic.
 *
 * A test that wants "physical memory" calls host_phys_window() with a buffer
 * and the SPA it should appear at; phys_to_virt() then translates into it.
 * Outside any window, SPAs map 1:1 to host addresses (so host pointers can be
 * used as SPAs by tests that do not care). */
#include "hv/arch/host/host_env.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "hv/base/log.h"
#include "hv/base/mem.h"

static u8 *win_buf;
static u64 win_base, win_size;

void host_phys_window(void *buf, spa_t base, u64 size)
{
	win_buf = buf;
	win_base = spa_val(base);
	win_size = size;
}

hva_t phys_to_virt(spa_t pa)
{
	u64 a = spa_val(pa);

	if (win_buf && a >= win_base && a - win_base < win_size)
		return hva_from_ptr(win_buf + (a - win_base));
	return hva(a);
}

spa_t virt_to_phys(hva_t va)
{
	u64 v = hva_val(va);
	u64 b = (u64)(uintptr_t)win_buf;

	if (win_buf && v >= b && v - b < win_size)
		return spa(win_base + (v - b));
	return spa(v);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("PANIC: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

const char *host_testdata_dir(const char *sub)
{
	static char dir[4096];
	const char *root = getenv("SNPV_ROOT");
	struct stat st;

	if (!root)
		root = ".";
	snprintf(dir, sizeof(dir), "%s/../shared/testdata/%s", root, sub);
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return dir;
	snprintf(dir, sizeof(dir), "%s/tests/data/%s", root, sub);
	return dir;
}
