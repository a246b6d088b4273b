/* The hypervisor's global state after boot (the scenario registry is
 * hv/platform/scenario.h). */
#ifndef HV_HV_H
#define HV_HV_H

#include "boot/boot_info.h"
#include "hv/arch/x86/acpi.h"
#include "hv/base/config.h"

struct hv_state {
	struct boot_info *bi;
	struct hv_config cfg;
	bool cfg_ok; /* hv.cfg parsed without error */
	struct acpi_info acpi;
	bool acpi_ok;
	u8 owner_hv; /* pmem owner ids */
	u8 owner_heap;
	u8 owner_pt;
	spa_t cr3;	   /* the hypervisor's own page-table root */
	u64 paging_tables; /* table pages of the hypervisor's own map */
};

extern struct hv_state hv;

/* The loaded ESP file called name (case-insensitive), or NULL. */
const struct boot_file *hv_file(const char *name);

#endif
