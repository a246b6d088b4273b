/* A Linux guest's ACPI tables (hv/vm/acpi_guest.h). ACPI 6.4: 5.2.5.3 RSDP,
 * 5.2.8 XSDT, 5.2.12 MADT (table 5.19), 5.2.12.2 Processor Local APIC. */
#include "hv/vm/acpi_guest.h"

#include <errno.h>
#include <string.h>

#include "hv/arch/x86/acpi.h"

struct madt_one_cpu {
	struct acpi_madt madt;
	struct acpi_madt_lapic lapic;
} __packed;
CHECK_SIZE(struct madt_one_cpu, 52);

struct xsdt_one {
	struct acpi_header hdr;
	u64 entry[1];
} __packed;
CHECK_SIZE(struct xsdt_one, 44);

_Static_assert(ACPI_GUEST_XSDT_OFF >= sizeof(struct acpi_rsdp), "RSDP fits");
_Static_assert(ACPI_GUEST_MADT_OFF - ACPI_GUEST_XSDT_OFF >= sizeof(struct xsdt_one), "XSDT");
_Static_assert(ACPI_GUEST_SIZE - ACPI_GUEST_MADT_OFF >= sizeof(struct madt_one_cpu), "MADT");

static void header(struct acpi_header *h, const char *sig, u32 len, u8 rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_GUEST_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_GUEST_OEM_TABLE, 8);
	h->oem_revision = 1;
	memcpy(&h->creator_id, "SNPV", 4);
	h->creator_revision = 1;
}

int acpi_guest_build(void *buf, u64 size, u64 base, u8 apic_id, u32 lapic_addr)
{
	u8 *p = buf;
	struct acpi_rsdp *rsdp = buf;
	struct xsdt_one *xsdt = (struct xsdt_one *)(p + ACPI_GUEST_XSDT_OFF);
	struct madt_one_cpu *madt = (struct madt_one_cpu *)(p + ACPI_GUEST_MADT_OFF);

	if (size < ACPI_GUEST_SIZE || (base & 15) || base + ACPI_GUEST_SIZE > BIT(32))
		return -EINVAL;
	memset(buf, 0, ACPI_GUEST_SIZE);

	header(&madt->madt.hdr, "APIC", sizeof(*madt), 5);
	madt->madt.lapic_addr = lapic_addr;
	madt->madt.flags = 0; /* no dual 8259 (PCAT_COMPAT clear) */
	madt->lapic.type = ACPI_MADT_TYPE_LAPIC;
	madt->lapic.length = sizeof(madt->lapic);
	madt->lapic.uid = 0;
	madt->lapic.apic_id = apic_id;
	madt->lapic.flags = ACPI_MADT_ENABLED;
	madt->madt.hdr.checksum = (u8)-acpi_checksum(madt, sizeof(*madt));

	header(&xsdt->hdr, "XSDT", sizeof(*xsdt), 1);
	xsdt->entry[0] = base + ACPI_GUEST_MADT_OFF;
	xsdt->hdr.checksum = (u8)-acpi_checksum(xsdt, sizeof(*xsdt));

	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_GUEST_OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->rsdt_address = 0; /* XSDT only */
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = base + ACPI_GUEST_XSDT_OFF;
	rsdp->checksum = (u8)-acpi_checksum(rsdp, 20);
	rsdp->ext_checksum = (u8)-acpi_checksum(rsdp, sizeof(*rsdp));
	return 0;
}
