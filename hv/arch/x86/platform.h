/* Ending the hypervisor: on QEMU through isa-debug-exit, on hardware a halt. */
#ifndef HV_PLATFORM_H
#define HV_PLATFORM_H

#include "hv/base/types.h"

/* isa-debug-exit (QEMU -device isa-debug-exit,iobase=0xf4,iosize=0x04):
 * outb(0xf4, v) ends QEMU with status (v << 1) | 1 (qemu-facts.md). */
#define DEBUG_EXIT_PORT 0xf4

enum hv_status {
	HV_EXIT_OK = 0,     /* QEMU exit status 1 */
	HV_EXIT_FAIL = 1,   /* QEMU exit status 3: a check failed */
	HV_EXIT_PANIC = 2,  /* QEMU exit status 5: panic */
	HV_EXIT_CONFIG = 3, /* QEMU exit status 7: bad configuration */
};

void hv_exit(enum hv_status status) __noreturn;

#endif
