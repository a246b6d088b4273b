/* The hypervisor heap behind newlib's malloc (sbrk in hv/arch/x86/syscalls.c). */
#ifndef HV_HEAP_H
#define HV_HEAP_H

#include <stddef.h>

void heap_init(void *base, size_t size);
size_t heap_used(void);

#endif
