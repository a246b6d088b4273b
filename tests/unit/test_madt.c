/* Unit tests of the MADT parser (hv/arch/x86/acpi.c madt_parse): hand-built tables
 * after ACPI 6.4 5.2.12 with local APIC (type 0), x2APIC (type 9) and
 * override (type 5) entries, disabled and online-capable CPUs, duplicate
 * IDs, other entry types, the BSP lookup, and every truncation; and the
 * real MADTs QEMU 7.2 (q35, OVMF) builds for -smp 4 and -smp 2,maxcpus=4,
 * dumped from hv.efi under QEMU (no MADT dump exists in shared/testdata). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/arch/x86/acpi.h"

/* QEMU 7.2 q35 -smp 4: four type-0 entries (UID = APIC ID = 0..3, Enabled),
 * one IOAPIC (type 1), five interrupt source overrides (type 2), one local
 * APIC NMI (type 4). Checksum valid. */
static const u8 qemu72_smp4[144] = {
    0x41, 0x50, 0x49, 0x43, 0x90, 0x00, 0x00, 0x00, 0x01, 0x4b, 0x42, 0x4f, 0x43, 0x48, 0x53, 0x20,
    0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20, 0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0xfe, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x02, 0x02,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x03, 0x03, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x00, 0x00,
    0x00, 0x00, 0xc0, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x02, 0x0a, 0x00, 0x05, 0x05, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x02, 0x0a, 0x00, 0x09,
    0x09, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x02, 0x0a, 0x00, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x00,
    0x02, 0x0a, 0x00, 0x0b, 0x0b, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x04, 0x06, 0xff, 0x00, 0x00, 0x01,
};

/* QEMU 7.2 q35 -smp 2,maxcpus=4: the same with CPUs 2 and 3 not present
 * (flags 0: QEMU 7.2 does not set Online Capable). */
static const u8 qemu72_smp2_max4[144] = {
    0x41, 0x50, 0x49, 0x43, 0x90, 0x00, 0x00, 0x00, 0x01, 0x4d, 0x42, 0x4f, 0x43, 0x48, 0x53, 0x20,
    0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20, 0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0xfe, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x02, 0x02,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x00, 0x00,
    0x00, 0x00, 0xc0, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x02, 0x0a, 0x00, 0x05, 0x05, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x02, 0x0a, 0x00, 0x09,
    0x09, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x02, 0x0a, 0x00, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x00,
    0x02, 0x0a, 0x00, 0x0b, 0x0b, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x04, 0x06, 0xff, 0x00, 0x00, 0x01,
};

static u8 tbl[4096];
static u32 tlen;

static void begin(void)
{
	struct acpi_madt *m = (struct acpi_madt *)tbl;

	memset(tbl, 0, sizeof(tbl));
	memcpy(m->hdr.signature, "APIC", 4);
	m->hdr.revision = 5;
	m->lapic_addr = 0xFEE00000;
	m->flags = 1;
	tlen = sizeof(*m);
}

static void put(const void *e, u32 n)
{
	memcpy(tbl + tlen, e, n);
	tlen += n;
	((struct acpi_madt *)tbl)->hdr.length = tlen;
}

static void lapic(u8 uid, u8 id, u32 flags)
{
	struct acpi_madt_lapic e = {ACPI_MADT_TYPE_LAPIC, 8, uid, id, flags};

	put(&e, sizeof(e));
}

static void x2apic(u32 id, u32 uid, u32 flags)
{
	struct acpi_madt_x2apic e = {ACPI_MADT_TYPE_X2APIC, 16, 0, id, flags, uid};

	put(&e, sizeof(e));
}

/* IOAPIC (type 1, 12 bytes) and interrupt source override (type 2, 10). */
static void others(void)
{
	u8 ioapic[12] = {1, 12, 0, 0, 0x00, 0x00, 0xC0, 0xFE, 0, 0, 0, 0};
	u8 iso[10] = {2, 10, 0, 0, 2, 0, 0, 0, 0, 0};

	put(ioapic, sizeof(ioapic));
	put(iso, sizeof(iso));
}

/* The layout QEMU q35 builds for -smp 4: four type-0 entries (UID = APIC
 * ID), an IOAPIC, interrupt source overrides, a local APIC NMI (type 4). */
static void test_qemu_like(void **state)
{
	static struct madt_info m;
	u8 nmi[6] = {4, 6, 0xFF, 0, 0, 1};

	(void)state;
	begin();
	for (u8 i = 0; i < 4; i++)
		lapic(i, i, ACPI_MADT_ENABLED);
	others();
	put(nmi, sizeof(nmi));
	assert_int_equal(madt_parse(tbl, tlen, 0, &m), 0);
	assert_int_equal(m.nr_cpus, 4);
	assert_int_equal(m.nr_enabled, 4);
	assert_int_equal(m.nr_online_capable, 0);
	assert_int_equal(m.nr_x2apic, 0);
	assert_int_equal(m.nr_other, 3);
	assert_int_equal(m.bsp, 0);
	assert_int_equal(m.lapic_addr, 0xFEE00000);
	assert_int_equal(m.flags, 1);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(m.cpus[i].apic_id, i);
		assert_int_equal(m.cpus[i].uid, i);
		assert_true(m.cpus[i].enabled);
		assert_int_equal(m.cpus[i].type, ACPI_MADT_TYPE_LAPIC);
	}
	/* the BSP need not be the first entry */
	assert_int_equal(madt_parse(tbl, tlen, 2, &m), 0);
	assert_int_equal(m.bsp, 2);
}

/* A server-like table: SMT siblings with sparse IDs, disabled sockets,
 * online-capable (hot-plug) entries, x2APIC entries above 254. */
static void test_server_like(void **state)
{
	static struct madt_info m;

	(void)state;
	begin();
	lapic(0, 0, ACPI_MADT_ENABLED);
	lapic(1, 2, ACPI_MADT_ENABLED);
	lapic(2, 4, 0);						   /* disabled, not hot-pluggable */
	lapic(3, 6, ACPI_MADT_ONLINE_CAPABLE);			   /* hot-pluggable */
	lapic(4, 8, ACPI_MADT_ENABLED | ACPI_MADT_ONLINE_CAPABLE); /* bit 1 ignored when enabled */
	x2apic(0x100, 300, ACPI_MADT_ENABLED);
	x2apic(0x101, 301, ACPI_MADT_ONLINE_CAPABLE);
	others();
	assert_int_equal(madt_parse(tbl, tlen, 0x100, &m), 0);
	assert_int_equal(m.nr_cpus, 7);
	assert_int_equal(m.nr_enabled, 4);
	assert_int_equal(m.nr_online_capable, 2);
	assert_int_equal(m.nr_x2apic, 2);
	assert_int_equal(m.bsp, 5);
	assert_int_equal(m.cpus[5].apic_id, 0x100);
	assert_int_equal(m.cpus[5].uid, 300);
	assert_int_equal(m.cpus[5].type, ACPI_MADT_TYPE_X2APIC);
	assert_false(m.cpus[2].enabled);
	assert_false(m.cpus[2].online_capable);
	assert_true(m.cpus[3].online_capable);
	assert_true(m.cpus[4].enabled);
	assert_false(m.cpus[4].online_capable);
}

/* The same CPU listed as type 0 and type 9: one CPU. */
static void test_duplicates(void **state)
{
	static struct madt_info m;

	(void)state;
	begin();
	lapic(0, 0, ACPI_MADT_ENABLED);
	lapic(1, 1, ACPI_MADT_ENABLED);
	x2apic(1, 1, ACPI_MADT_ENABLED);
	x2apic(0, 0, ACPI_MADT_ENABLED);
	assert_int_equal(madt_parse(tbl, tlen, 0, &m), 0);
	assert_int_equal(m.nr_cpus, 2);
	assert_int_equal(m.nr_enabled, 2);
	assert_int_equal(m.nr_duplicates, 2);
	assert_int_equal(m.nr_x2apic, 0);
}

static void test_override(void **state)
{
	static struct madt_info m;
	struct acpi_madt_lapic_override o = {ACPI_MADT_TYPE_LAPIC_OVERRIDE, 12, 0, 0x10FEE00000ULL};

	(void)state;
	begin();
	lapic(0, 0, ACPI_MADT_ENABLED);
	put(&o, sizeof(o));
	assert_int_equal(madt_parse(tbl, tlen, 0, &m), 0);
	assert_int_equal(m.lapic_addr, 0x10FEE00000ULL);
}

static void test_bsp_missing(void **state)
{
	static struct madt_info m;

	(void)state;
	begin();
	lapic(0, 0, ACPI_MADT_ENABLED);
	lapic(1, 1, 0);
	assert_int_equal(madt_parse(tbl, tlen, 7, &m), -ENOENT);
	assert_int_equal(m.bsp, -1);
	assert_int_equal(m.nr_cpus, 2); /* the entries are still there */
	/* listed but disabled is not a running BSP either */
	assert_int_equal(madt_parse(tbl, tlen, 1, &m), -ENOENT);
}

static void test_too_many(void **state)
{
	static struct madt_info m;
	static u8 big[44 + 16 * (MADT_MAX_CPUS + 3)];
	struct acpi_madt *h = (struct acpi_madt *)big;
	u32 n = sizeof(*h);

	(void)state;
	memcpy(h->hdr.signature, "APIC", 4);
	for (u32 i = 0; i < MADT_MAX_CPUS + 3; i++) {
		struct acpi_madt_x2apic e = {ACPI_MADT_TYPE_X2APIC, 16, 0, i, ACPI_MADT_ENABLED, i};

		memcpy(big + n, &e, sizeof(e));
		n += sizeof(e);
	}
	h->hdr.length = n;
	assert_int_equal(madt_parse(big, n, 0, &m), 0);
	assert_int_equal(m.nr_cpus, MADT_MAX_CPUS);
	assert_int_equal(m.nr_dropped, 3);
	assert_int_equal(m.cpus[MADT_MAX_CPUS - 1].apic_id, MADT_MAX_CPUS - 1);
}

static void test_truncations(void **state)
{
	static struct madt_info m;
	u32 full;

	(void)state;
	/* shorter than the fixed header, wrong signature, stated length too big */
	begin();
	lapic(0, 0, ACPI_MADT_ENABLED);
	full = tlen;
	assert_int_equal(madt_parse(tbl, 43, 0, &m), -EINVAL);
	assert_int_equal(madt_parse(NULL, full, 0, &m), -EINVAL);
	assert_int_equal(madt_parse(tbl, full - 1, 0, &m), -EINVAL);
	memcpy(tbl, "APIX", 4);
	assert_int_equal(madt_parse(tbl, full, 0, &m), -EINVAL);
	memcpy(tbl, "APIC", 4);
	assert_int_equal(madt_parse(tbl, full, 0, &m), 0);

	/* one stray byte after the last structure */
	begin();
	lapic(0, 0, ACPI_MADT_ENABLED);
	put("\x00", 1);
	assert_int_equal(madt_parse(tbl, tlen, 0, &m), -EINVAL);

	/* a structure whose length runs past the table */
	begin();
	lapic(0, 0, ACPI_MADT_ENABLED);
	x2apic(1, 1, ACPI_MADT_ENABLED);
	((struct acpi_madt *)tbl)->hdr.length = tlen - 4; /* cut the x2APIC entry */
	assert_int_equal(madt_parse(tbl, tlen, 0, &m), -EINVAL);

	/* length 0 and 1 (would loop forever or read a half header) */
	begin();
	lapic(0, 0, ACPI_MADT_ENABLED);
	tbl[tlen - 8 + 1] = 0;
	assert_int_equal(madt_parse(tbl, tlen, 0, &m), -EINVAL);
	tbl[tlen - 8 + 1] = 1;
	assert_int_equal(madt_parse(tbl, tlen, 0, &m), -EINVAL);

	/* a processor structure shorter than its type needs */
	begin();
	lapic(0, 0, ACPI_MADT_ENABLED);
	{
		u8 shortx2[12] = {ACPI_MADT_TYPE_X2APIC, 12, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0};
		u8 shortlapic[6] = {ACPI_MADT_TYPE_LAPIC, 6, 1, 1, 1, 0};

		put(shortx2, sizeof(shortx2));
		assert_int_equal(madt_parse(tbl, tlen, 0, &m), -EINVAL);
		begin();
		lapic(0, 0, ACPI_MADT_ENABLED);
		put(shortlapic, sizeof(shortlapic));
		assert_int_equal(madt_parse(tbl, tlen, 0, &m), -EINVAL);
	}
	/* longer structures (future revisions) are fine */
	begin();
	{
		u8 longlapic[10] = {ACPI_MADT_TYPE_LAPIC, 10, 0, 3, 1, 0, 0, 0, 0xAA, 0xBB};

		put(longlapic, sizeof(longlapic));
	}
	lapic(1, 4, ACPI_MADT_ENABLED);
	assert_int_equal(madt_parse(tbl, tlen, 3, &m), 0);
	assert_int_equal(m.nr_cpus, 2);
	assert_int_equal(m.cpus[1].apic_id, 4);
}

static void test_qemu72_real(void **state)
{
	static struct madt_info m;

	(void)state;
	assert_int_equal(acpi_checksum(qemu72_smp4, sizeof(qemu72_smp4)), 0);
	assert_int_equal(madt_parse(qemu72_smp4, sizeof(qemu72_smp4), 0, &m), 0);
	assert_int_equal(m.nr_cpus, 4);
	assert_int_equal(m.nr_enabled, 4);
	assert_int_equal(m.nr_other, 7);
	assert_int_equal(m.lapic_addr, 0xFEE00000);
	assert_int_equal(m.flags, 1);
	assert_int_equal(m.bsp, 0);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(m.cpus[i].apic_id, i);
		assert_int_equal(m.cpus[i].uid, i);
	}
	assert_int_equal(acpi_checksum(qemu72_smp2_max4, sizeof(qemu72_smp2_max4)), 0);
	assert_int_equal(madt_parse(qemu72_smp2_max4, sizeof(qemu72_smp2_max4), 0, &m), 0);
	assert_int_equal(m.nr_cpus, 4);
	assert_int_equal(m.nr_enabled, 2);
	assert_int_equal(m.nr_online_capable, 0);
	assert_true(m.cpus[1].enabled);
	assert_false(m.cpus[2].enabled);
	assert_false(m.cpus[3].enabled);
	/* started as BSP 1? it is listed and enabled: found */
	assert_int_equal(madt_parse(qemu72_smp2_max4, sizeof(qemu72_smp2_max4), 1, &m), 0);
	assert_int_equal(m.bsp, 1);
	/* a not-present CPU cannot be the running BSP */
	assert_int_equal(madt_parse(qemu72_smp2_max4, sizeof(qemu72_smp2_max4), 3, &m), -ENOENT);
}

/* Every cut of the real table: a buffer shorter than the stated length is
 * refused; a stated length cut inside a structure is refused; a cut at a
 * structure boundary parses the structures before it. */
static void test_qemu72_every_cut(void **state)
{
	static struct madt_info m;
	static u8 t[sizeof(qemu72_smp4)];
	bool boundary[sizeof(qemu72_smp4) + 1] = {false};
	unsigned ok = 0;

	(void)state;
	for (u32 off = 44; off < sizeof(t); off += qemu72_smp4[off + 1])
		boundary[off] = true;
	boundary[sizeof(t)] = true;
	for (u32 len = 0; len < sizeof(t); len++)
		assert_int_equal(madt_parse(qemu72_smp4, len, 0, &m), -EINVAL);
	for (u32 cut = 0; cut <= sizeof(t); cut++) {
		int r;

		memcpy(t, qemu72_smp4, sizeof(t));
		memcpy(t + 4, &cut, 4);
		r = madt_parse(t, sizeof(t), 0, &m);
		if (cut < 44 || !boundary[cut])
			assert_int_equal(r, -EINVAL);
		else if (cut == 44) /* no processor at all: the BSP is missing */
			assert_int_equal(r, -ENOENT);
		else {
			assert_int_equal(r, 0);
			assert_int_equal(m.nr_cpus, MIN((cut - 44) / 8, 4));
			ok++;
		}
	}
	assert_int_equal(ok, 11); /* 4 CPUs + IOAPIC + 5 ISOs + NMI */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_qemu_like),	     cmocka_unit_test(test_server_like),
	    cmocka_unit_test(test_duplicates),	     cmocka_unit_test(test_override),
	    cmocka_unit_test(test_bsp_missing),	     cmocka_unit_test(test_too_many),
	    cmocka_unit_test(test_truncations),	     cmocka_unit_test(test_qemu72_real),
	    cmocka_unit_test(test_qemu72_every_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
