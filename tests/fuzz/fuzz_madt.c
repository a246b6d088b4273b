/* libFuzzer target for hv/arch/x86/acpi.c madt_parse: any bytes (the first 4 bytes
 * pick the BSP's APIC ID, the rest is the table, with "APIC" and the length
 * forced so that the structure walk is reached) must parse or fail with
 * -EINVAL/-ENOENT; a successful parse must be self-consistent. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv/arch/x86/acpi.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct madt_info m;
	static u8 t[8192];
	unsigned enabled = 0, oc = 0;
	u32 bsp = 0, len;
	int r;

	if (size < 4)
		return 0;
	memcpy(&bsp, data, 4);
	len = (u32)MIN(size - 4, sizeof(t));
	memcpy(t, data + 4, len);
	if (len >= sizeof(struct acpi_header)) {
		memcpy(t, "APIC", 4);
		if (data[4] & 1) /* mostly keep the stated length consistent */
			memcpy(t + 4, &len, 4);
	}
	r = madt_parse(t, len, bsp, &m);
	if (r && r != -EINVAL && r != -ENOENT)
		abort();
	if (r == -EINVAL)
		return 0;
	if (m.nr_cpus > MADT_MAX_CPUS)
		abort();
	for (unsigned i = 0; i < m.nr_cpus; i++) {
		enabled += m.cpus[i].enabled;
		oc += m.cpus[i].online_capable;
		if (m.cpus[i].enabled && m.cpus[i].online_capable)
			abort();
		for (unsigned j = 0; j < i; j++)
			if (m.cpus[j].apic_id == m.cpus[i].apic_id)
				abort();
	}
	if (enabled != m.nr_enabled || oc != m.nr_online_capable)
		abort();
	if (r == 0 && (m.bsp < 0 || (unsigned)m.bsp >= m.nr_cpus || m.cpus[m.bsp].apic_id != bsp ||
		       !m.cpus[m.bsp].enabled))
		abort();
	if (r == -ENOENT && m.bsp != -1)
		abort();
	return 0;
}
