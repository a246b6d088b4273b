/* The hypervisor's own page tables: an identity map built with the page-table
 * engine (hv/mm/pt.c, format pt_fmt_x86) and loaded after ExitBootServices. */
#ifndef HV_PAGING_H
#define HV_PAGING_H

#include "hv/mm/pt.h"

extern struct pt hv_pt;

/* Builds the identity map and loads it into CR3 (panics if it cannot: the
 * hypervisor cannot run without its own tables). */
void paging_init(void);
/* Identity-maps [pa, pa+size) uncached, not executable (device registers,
 * e.g. a PCI BAR above 4 GiB). Idempotent. */
int paging_map_mmio(spa_t pa, u64 size);
void paging_report(void);

#endif
