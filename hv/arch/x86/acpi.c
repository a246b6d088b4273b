/* ACPI table discovery (ACPI 6.4, 5.2.5 RSDP, 5.2.7 RSDT, 5.2.8 XSDT). Pure:
 * memory is read through phys_ptr(), so host tests build tables in a buffer. */
#include "hv/arch/x86/acpi.h"

#include <errno.h>
#include <string.h>

#include "hv/base/log.h"
#include "hv/base/mem.h"

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
		log_msg(LOG_INFO, " %s%s", ai->tables[i].sig,
			ai->tables[i].checksum_ok ? "" : "(bad)");
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

/* ---- MADT ---------------------------------------------------------------- */

static const char *madt_type_name(u8 type)
{
	return type == ACPI_MADT_TYPE_X2APIC ? "x2APIC" : "local APIC";
}

/* Adds one processor entry; the first entry of an APIC ID wins (firmware may
 * list a CPU as type 0 and type 9; ACPI 6.4 5.2.12.12 wants type 9 only for
 * IDs >= 255, not all firmware follows that). */
static void madt_add_cpu(struct madt_info *m, u8 type, u32 apic_id, u32 uid, u32 flags)
{
	struct madt_cpu *c;

	for (unsigned i = 0; i < m->nr_cpus; i++)
		if (m->cpus[i].apic_id == apic_id) {
			m->nr_duplicates++;
			return;
		}
	if (m->nr_cpus >= MADT_MAX_CPUS) {
		if (flags & ACPI_MADT_ENABLED)
			m->nr_dropped++;
		return;
	}
	c = &m->cpus[m->nr_cpus++];
	c->apic_id = apic_id;
	c->uid = uid;
	c->type = type;
	c->enabled = flags & ACPI_MADT_ENABLED;
	/* 5.2.12.2: Online Capable is meaningful only when Enabled is clear. */
	c->online_capable = !c->enabled && (flags & ACPI_MADT_ONLINE_CAPABLE);
	m->nr_enabled += c->enabled;
	m->nr_online_capable += c->online_capable;
	m->nr_x2apic += type == ACPI_MADT_TYPE_X2APIC;
}

/* The structure at off needs `need` bytes of its declared length. */
/* Copies the structure at off into e (need bytes) when its length covers
 * them; otherwise says which structure is short. */
static int madt_sub_read(const u8 *b, u32 off, u8 type, u8 length, void *e, u8 need)
{
	if (length < need) {
		pr_err("acpi: MADT structure type %u at offset %u is %u bytes, its type needs %u\n",
		       type, off, length, need);
		return -EINVAL;
	}
	memcpy(e, b + off, need);
	return 0;
}

int madt_parse(const void *table, u32 len, u32 bsp_apic_id, struct madt_info *out)
{
	const struct acpi_madt *t = table;
	const u8 *b = table;
	u32 end, off;

	memset(out, 0, sizeof(*out));
	out->bsp = -1;
	if (!table || len < sizeof(*t) || memcmp(t->hdr.signature, "APIC", 4) ||
	    t->hdr.length < sizeof(*t) || t->hdr.length > len) {
		pr_err("acpi: not a MADT, or shorter than its 44-byte header or than its stated "
		       "length (%u bytes available)\n",
		       len);
		return -EINVAL;
	}
	out->lapic_addr = t->lapic_addr;
	out->flags = t->flags;
	end = t->hdr.length;
	for (off = sizeof(*t); off < end;) {
		struct acpi_madt_sub sub;
		int err = 0;

		if (end - off < sizeof(sub)) {
			pr_err("acpi: MADT truncated: %u byte(s) left at offset %u\n", end - off,
			       off);
			return -EINVAL;
		}
		memcpy(&sub, b + off, sizeof(sub));
		if (sub.length < sizeof(sub) || sub.length > end - off) {
			pr_err("acpi: MADT structure type %u at offset %u has length %u: %s\n",
			       sub.type, off, sub.length,
			       sub.length < sizeof(sub) ? "too short" : "runs past the table");
			return -EINVAL;
		}
		switch (sub.type) {
		case ACPI_MADT_TYPE_LAPIC: {
			struct acpi_madt_lapic e;

			err = madt_sub_read(b, off, sub.type, sub.length, &e, sizeof(e));
			if (err)
				return err;
			madt_add_cpu(out, sub.type, e.apic_id, e.uid, e.flags);
			break;
		}
		case ACPI_MADT_TYPE_X2APIC: {
			struct acpi_madt_x2apic e;

			err = madt_sub_read(b, off, sub.type, sub.length, &e, sizeof(e));
			if (err)
				return err;
			madt_add_cpu(out, sub.type, e.apic_id, e.uid, e.flags);
			break;
		}
		case ACPI_MADT_TYPE_LAPIC_OVERRIDE: {
			struct acpi_madt_lapic_override e;

			err = madt_sub_read(b, off, sub.type, sub.length, &e, sizeof(e));
			if (err)
				return err;
			out->lapic_addr = e.address;
			break;
		}
		default:
			out->nr_other++;
			break;
		}
		off += sub.length;
	}
	for (unsigned i = 0; i < out->nr_cpus; i++)
		if (out->cpus[i].apic_id == bsp_apic_id && out->cpus[i].enabled)
			out->bsp = (int)i;
	if (out->bsp < 0) {
		pr_err("acpi: the running CPU (APIC ID %u) is not an enabled CPU of the MADT (%u "
		       "listed)\n",
		       bsp_apic_id, out->nr_cpus);
		return -ENOENT;
	}
	return 0;
}

void madt_report(const struct madt_info *m)
{
	pr_info("cpus: MADT lists %u CPU(s): %u enabled, %u online-capable, %u disabled; %u "
		"from x2APIC entries, %u duplicate(s) ignored%s; BSP APIC ID %u; local APIC at "
		"0x%llx\n",
		m->nr_cpus, m->nr_enabled, m->nr_online_capable,
		m->nr_cpus - m->nr_enabled - m->nr_online_capable, m->nr_x2apic, m->nr_duplicates,
		m->nr_dropped ? " (more enabled CPUs than MADT_MAX_CPUS: ignored)" : "",
		m->bsp >= 0 ? m->cpus[m->bsp].apic_id : 0, (unsigned long long)m->lapic_addr);
	for (unsigned i = 0; i < m->nr_cpus; i++)
		pr_debug("  cpu %u: APIC ID %u, UID %u, %s, %s%s\n", i, m->cpus[i].apic_id,
			 m->cpus[i].uid, madt_type_name(m->cpus[i].type),
			 m->cpus[i].enabled	     ? "enabled"
			 : m->cpus[i].online_capable ? "online-capable"
						     : "disabled",
			 (int)i == m->bsp ? ", BSP" : "");
}
