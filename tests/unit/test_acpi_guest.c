/* Unit tests of a Linux guest's ACPI tables (hv/vm/acpi_guest.c): read back
 * with the hypervisor's own ACPI scanner and MADT layout, checksums by
 * hand, bad arguments refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "hv/arch/x86/acpi.h"
#include "hv/vm/acpi_guest.h"

static u8 buf[ACPI_GUEST_SIZE] __attribute__((aligned(16)));

static void test_tables(void **state)
{
	const struct acpi_rsdp *r = (const void *)buf;
	const struct acpi_header *x = (const void *)(buf + ACPI_GUEST_XSDT_OFF);
	const struct acpi_madt *m = (const void *)(buf + ACPI_GUEST_MADT_OFF);
	const struct acpi_madt_lapic *lp = (const void *)(buf + ACPI_GUEST_MADT_OFF + 44);
	u64 entry;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(acpi_guest_build(buf, sizeof(buf), 0x9f000, 0, 0xfee00000), 0);
	assert_memory_equal(r->signature, "RSD PTR ", 8);
	assert_int_equal(r->revision, 2);
	assert_int_equal(r->length, 36);
	assert_int_equal(acpi_checksum(r, 20), 0);
	assert_int_equal(acpi_checksum(r, 36), 0);
	assert_int_equal(r->xsdt_address, 0x9f000 + ACPI_GUEST_XSDT_OFF);
	assert_memory_equal(x->signature, "XSDT", 4);
	assert_int_equal(x->length, 44);
	assert_int_equal(acpi_checksum(x, x->length), 0);
	memcpy(&entry, buf + ACPI_GUEST_XSDT_OFF + 36, 8);
	assert_int_equal(entry, 0x9f000 + ACPI_GUEST_MADT_OFF);
	assert_memory_equal(m->hdr.signature, "APIC", 4);
	assert_int_equal(m->hdr.length, 52);
	assert_int_equal(acpi_checksum(m, m->hdr.length), 0);
	assert_int_equal(m->lapic_addr, 0xfee00000);
	assert_int_equal(m->flags, 0);
	assert_int_equal(lp->type, ACPI_MADT_TYPE_LAPIC);
	assert_int_equal(lp->length, 8);
	assert_int_equal(lp->apic_id, 0);
	assert_int_equal(lp->flags, ACPI_MADT_ENABLED);
	/* nothing after the MADT */
	for (unsigned i = ACPI_GUEST_MADT_OFF + 52; i < ACPI_GUEST_SIZE; i++)
		assert_int_equal(buf[i], 0);
}

static void test_bad_args(void **state)
{
	(void)state;
	assert_int_equal(acpi_guest_build(buf, ACPI_GUEST_SIZE - 1, 0x9f000, 0, 0xfee00000),
			 -EINVAL);
	assert_int_equal(acpi_guest_build(buf, sizeof(buf), 0x9f008, 0, 0xfee00000), -EINVAL);
	assert_int_equal(acpi_guest_build(buf, sizeof(buf), 0xffffff80ULL, 0, 0xfee00000), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tables),
	    cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
