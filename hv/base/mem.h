/* Access to physical memory from C. The hypervisor identity-maps all of
 * physical memory, so there a host virtual address equals the SPA; host unit
 * tests back a fake physical range with a buffer. Pure code reaches physical
 * memory only through these two functions (implemented by hv/arch/x86/mem_hv.c in the
 * hypervisor and by hv/arch/host/host_env.c on the host). */
#ifndef HV_MEM_H
#define HV_MEM_H

#include "hv/base/types.h"

hva_t phys_to_virt(spa_t pa);
spa_t virt_to_phys(hva_t va);

static inline void *phys_ptr(spa_t pa) { return hva_ptr(phys_to_virt(pa)); }

/* Zeroes [pa, pa + size) of physical memory (hv/base/mem_zero.c): streaming
 * stores (CLZERO) where the CPU has them and size >= 16 KiB, memset otherwise. */
void phys_zero(spa_t pa, u64 size);

#endif
