/* hv_exit and panic for the hypervisor. */
#include "hv/arch/x86/platform.h"

#include <stdarg.h>
#include <stdio.h>

#include "hv/arch/x86/cpu.h"
#include "hv/base/log.h"

void hv_exit(enum hv_status status)
{
	fflush(stdout);
	cli();
	outb(DEBUG_EXIT_PORT, (u8)status);
	/* Still here: real hardware, or QEMU without isa-debug-exit. */
	for (;;)
		hlt();
}

void panic(const char *fmt, ...)
{
	static bool in_panic;
	va_list ap;

	if (in_panic)
		hv_exit(HV_EXIT_PANIC);
	in_panic = true;
	printf("\n@@ PANIC ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\nsnpvisor: panic, stopping\n");
	hv_exit(HV_EXIT_PANIC);
}
