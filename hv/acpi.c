/* ACPI table discovery (ACPI 6.4, 5.2.5 RSDP, 5.2.7 RSDT, 5.2.8 XSDT). Pure:
 * memory is read through phys_ptr(), so host tests build tables in a buffer. */
#include "hv/acpi.h"

#include <errno.h>
#include <string.h>

#include "hv/log.h"
#include "hv/mem.h"

#define ACPI_TABLE_MAX_LEN (16u << 20)

u8 acpi_checksum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum;
}

static void add_table(struct acpi_info *ai, u64 addr)
{
	const struct acpi_header *h;
	struct acpi_table_ref *t;

	if (!addr)
		return;
	if (ai->nr_tables >= ACPI_MAX_TABLES) {
		pr_warn("acpi: more than %d tables; table at 0x%llx ignored\n", ACPI_MAX_TABLES,
			(unsigned long long)addr);
		return;
	}
	h = phys_ptr(spa(addr));
	t = &ai->tables[ai->nr_tables++];
	memcpy(t->sig, h->signature, 4);
	t->sig[4] = 0;
	t->addr = spa(addr);
	t->length = h->length;
	t->revision = h->revision;
	t->checksum_ok = h->length >= sizeof(*h) && h->length <= ACPI_TABLE_MAX_LEN &&
			 acpi_checksum(h, h->length) == 0;
	if (!t->checksum_ok)
		pr_warn("acpi: table %s at 0x%llx has a bad length (%u) or checksum; ignored\n",
			t->sig, (unsigned long long)addr, h->length);
}

int acpi_scan(spa_t rsdp_pa, struct acpi_info *out)
{
	const struct acpi_rsdp *rsdp;
	const struct acpi_header *sdt;
	u64 sdt_pa;
	unsigned entry_size, n;
	const u8 *entries;

	memset(out, 0, sizeof(*out));
	if (!spa_val(rsdp_pa)) {
		pr_err("acpi: the firmware gave no RSDP\n");
		return -ENOENT;
	}
	rsdp = phys_ptr(rsdp_pa);
	if (memcmp(rsdp->signature, "RSD PTR ", 8) || acpi_checksum(rsdp, 20)) {
		pr_err("acpi: bad RSDP signature or checksum at 0x%llx\n",
		       (unsigned long long)spa_val(rsdp_pa));
		return -EINVAL;
	}
	out->rsdp_revision = rsdp->revision;
	if (rsdp->revision >= 2 && rsdp->length >= sizeof(*rsdp) &&
	    !acpi_checksum(rsdp, sizeof(*rsdp)) && rsdp->xsdt_address) {
		out->use_xsdt = true;
		sdt_pa = rsdp->xsdt_address;
		entry_size = 8;
	} else {
		sdt_pa = rsdp->rsdt_address;
		entry_size = 4;
	}
	sdt = phys_ptr(spa(sdt_pa));
	if (memcmp(sdt->signature, out->use_xsdt ? "XSDT" : "RSDT", 4) ||
	    sdt->length < sizeof(*sdt) || sdt->length > ACPI_TABLE_MAX_LEN ||
	    acpi_checksum(sdt, sdt->length)) {
		pr_err("acpi: bad %s at 0x%llx (signature, length %u or checksum)\n",
		       out->use_xsdt ? "XSDT" : "RSDT", (unsigned long long)sdt_pa, sdt->length);
		return -EINVAL;
	}
	n = (sdt->length - sizeof(*sdt)) / entry_size;
	entries = (const u8 *)(sdt + 1);
	for (unsigned i = 0; i < n; i++) {
		u64 a = 0;

		memcpy(&a, entries + i * entry_size, entry_size);
		add_table(out, a);
	}
	/* The DSDT is reached through the FADT, not the XSDT. */
	return 0;
}

const struct acpi_table_ref *acpi_find(const struct acpi_info *ai, const char *sig)
{
	for (unsigned i = 0; i < ai->nr_tables; i++)
		if (!memcmp(ai->tables[i].sig, sig, 4) && ai->tables[i].checksum_ok)
			return &ai->tables[i];
	return NULL;
}

void acpi_report(const struct acpi_info *ai)
{
	static const char *const interesting[] = {"APIC", "MCFG", "IVRS", "FACP", "HPET", "SRAT"};

	pr_info("acpi: RSDP revision %u, %s with %u tables:", ai->rsdp_revision,
		ai->use_xsdt ? "XSDT" : "RSDT", ai->nr_tables);
	for (unsigned i = 0; i < ai->nr_tables; i++)
		log_msg(LOG_INFO, " %s%s", ai->tables[i].sig, ai->tables[i].checksum_ok ? "" : "(bad)");
	log_msg(LOG_INFO, "\n");
	for (unsigned i = 0; i < ARRAY_SIZE(interesting); i++) {
		const struct acpi_table_ref *t = acpi_find(ai, interesting[i]);

		if (t)
			pr_info("  %s at 0x%llx, %u bytes, revision %u\n", t->sig,
				(unsigned long long)spa_val(t->addr), t->length, t->revision);
		else
			pr_info("  %s: absent\n", interesting[i]);
	}
}
