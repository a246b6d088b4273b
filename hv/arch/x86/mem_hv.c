/* phys_to_virt/virt_to_phys in the hypervisor: all of physical memory is
 * identity-mapped (hv/arch/x86/paging.c), so a host virtual address is the SPA. */
#include "hv/base/mem.h"

hva_t phys_to_virt(spa_t pa) { return hva(spa_val(pa)); }
spa_t virt_to_phys(hva_t va) { return spa(hva_val(va)); }
