/* Memory-dump stops (hv/vm/dump.h, docs/xcheck-dump.md). The receive side of
 * COM1 is read here directly (16550: RBR at offset 0, LSR bit 0 "data
 * ready"); hv/arch/x86/console.c only transmits. */
#include "hv/vm/dump.h"

#include <errno.h>
#include <stdio.h>

#include "hv/arch/x86/cpu.h"
#include "hv/core/gmem.h"
#include "hv/svm/guest.h"
#include "hv/vm/guest_gmem.h"
#include "hv/arch/x86/machine.h"
#include "hv/base/log.h"
#include "snp/platform.h"
#include "hv/svm/svm.h"

#define COM1	 0x3f8
#define UART_RBR 0
#define UART_LSR 5
#define LSR_DR	 0x01
/* Without a calibrated TSC: polls of LSR (each an exit to QEMU or a slow
 * I/O cycle on hardware) before giving up. */
#define DUMP_SPIN_LIMIT 200000000ULL

static unsigned dumps_taken;

static bool uart_rx_ready(void)
{
	return inb(COM1 + UART_LSR) & LSR_DR;
}

/* Reads what is already in the receive FIFO (a stray key press must not
 * answer the next stop); at most 64 characters (16550 FIFO: 16). */
static unsigned uart_drain(void)
{
	unsigned n = 0;

	while (n < 64 && uart_rx_ready()) {
		(void)inb(COM1 + UART_RBR);
		n++;
	}
	return n;
}

static bool tag_ok(const char *tag)
{
	unsigned n = 0;

	for (const char *p = tag; *p; p++, n++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == ':' || c == '/' || c == '-'))
			return false;
	}
	return n > 0 && n <= 48;
}

static void print_roots(const char *tag, struct guest *guests, unsigned n,
			const struct snp_platform *snp)
{
	enum log_level saved = log_level_max;
	unsigned live = 0;

	/* The roots are pr_info lines (gmem_print_roots): print them at any log level. */
	if (log_level_max < LOG_INFO)
		log_level_max = LOG_INFO;
	printf("@@ ROOTS %s\n", tag);
	printf("# xcheck-dump roots at '%s' (docs/xcheck-dump.md)\n", tag);
	printf("dump 0x0\n");
	if (snp && snp->enabled && snp->rmp.ops)
		printf("rmp 0x%llx 0x%llx 0x%llx\n", (unsigned long long)spa_val(snp->rmp.base),
		       (unsigned long long)snp->rmp.size, (unsigned long long)snp->rmp.npfns);
	for (unsigned i = 0; i < n; i++) {
		struct gmem *gm = guest_gmem(&guests[i]);

		if (!gm || !gm->ready)
			continue;
		gmem_print_roots(gm);
		/* device BARs in the NPT (gmem_map_mmio): gmem_print_roots does not
		 * print them (yet); xcheck-dump ignores a repeated identical line */
		for (unsigned k = 0; k < gm->nr_mmio; k++)
			printf("mmio 0x%llx 0x%llx 0x%llx\n",
			       (unsigned long long)gpa_val(gm->mmio[k].gpa),
			       (unsigned long long)spa_val(gm->mmio[k].spa),
			       (unsigned long long)gm->mmio[k].size);
		live++;
	}
	printf("# %u live guest(s)\n", live);
	log_level_max = saved;
}

int dump_point(const char *what, const char *name, struct guest *guests, unsigned n,
	       const struct snp_platform *snp)
{
	u64 khz = svm_cpu.tsc_khz, t0, spins = 0;
	char tag[64];
	unsigned stale;
	bool answered = false;

	if (!hv.cfg.dump)
		return 0;
	if (name)
		snprintf(tag, sizeof(tag), "%s-%s", what ? what : "", name);
	else
		snprintf(tag, sizeof(tag), "%s", what ? what : "");
	if (!tag_ok(tag)) {
		pr_err("dump: tag \"%s\" is not a word of at most 48 characters; no dump\n", tag);
		return -EINVAL;
	}
	stale = uart_drain();
	if (stale)
		pr_warn("dump %s: dropped %u character(s) already waiting on COM1\n", tag, stale);
	print_roots(tag, guests, n, snp);
	printf("@@ DUMP %s\n", tag);
	fflush(stdout);
	t0 = svm_rdtsc();
	for (;;) {
		if (uart_rx_ready()) {
			answered = true;
			break;
		}
		if (khz ? svm_rdtsc() - t0 > (u64)DUMP_WAIT_S * 1000 * khz
			: ++spins > DUMP_SPIN_LIMIT)
			break;
		cpu_relax();
	}
	if (!answered) {
		pr_warn("dump %s: no answer on COM1 within %u s (no dump taken?); going on\n", tag,
			DUMP_WAIT_S);
		return -ETIMEDOUT;
	}
	uart_drain();
	dumps_taken++;
	pr_info("dump %s: the runner answered after %llu ms (TSC time; stopped time excluded "
		"under QEMU); %u dump stop(s) so far\n",
		tag, khz ? (unsigned long long)((svm_rdtsc() - t0) / khz) : 0ULL, dumps_taken);
	return 0;
}
