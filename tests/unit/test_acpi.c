/* Unit tests of hv/arch/x86/acpi.c: RSDP/XSDT/RSDT discovery over tables built in a
 * fake physical memory window. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/arch/x86/acpi.h"
#include "hv/base/mem.h"
#include "hv/arch/host/host_env.h"

#define BASE 0x7f000000ULL
static u8 mem[64 * 1024];

static void *at(u64 off) { return mem + off; }

static void fix_checksum(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = (u8)(0x100 - acpi_checksum(h, h->length));
}

static void make_table(u64 off, const char *sig, u32 len)
{
	struct acpi_header *h = at(off);

	memset(h, 0, len);
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = 1;
	fix_checksum(h);
}

/* RSDP at 0, XSDT at 0x100 listing tables at 0x1000 (APIC) and 0x2000 (IVRS);
 * RSDT at 0x200 listing only the APIC. */
static void build(bool v2)
{
	struct acpi_rsdp *r = at(0);
	struct acpi_header *x = at(0x100), *rs = at(0x200);
	u64 e[2] = {BASE + 0x1000, BASE + 0x2000};
	u32 e32 = (u32)(BASE + 0x1000);

	memset(mem, 0, sizeof(mem));
	host_phys_window(mem, spa(BASE), sizeof(mem));
	make_table(0x1000, "APIC", 64);
	make_table(0x2000, "IVRS", 48);
	memcpy(x->signature, "XSDT", 4);
	x->length = sizeof(*x) + sizeof(e);
	memcpy(x + 1, e, sizeof(e));
	fix_checksum(x);
	memcpy(rs->signature, "RSDT", 4);
	rs->length = sizeof(*rs) + 4;
	memcpy(rs + 1, &e32, 4);
	fix_checksum(rs);
	memcpy(r->signature, "RSD PTR ", 8);
	r->revision = v2 ? 2 : 0;
	r->rsdt_address = (u32)(BASE + 0x200);
	r->length = sizeof(*r);
	r->xsdt_address = BASE + 0x100;
	r->checksum = (u8)(0x100 - acpi_checksum(r, 20));
	r->ext_checksum = (u8)(0x100 - acpi_checksum(r, sizeof(*r)));
}

static void test_xsdt(void **state)
{
	struct acpi_info ai;

	(void)state;
	build(true);
	assert_int_equal(acpi_scan(spa(BASE), &ai), 0);
	assert_true(ai.use_xsdt);
	assert_int_equal(ai.nr_tables, 2);
	assert_non_null(acpi_find(&ai, "IVRS"));
	assert_int_equal(spa_val(acpi_find(&ai, "IVRS")->addr), BASE + 0x2000);
	assert_null(acpi_find(&ai, "MCFG"));
}

static void test_rsdt_v1(void **state)
{
	struct acpi_info ai;

	(void)state;
	build(false);
	assert_int_equal(acpi_scan(spa(BASE), &ai), 0);
	assert_false(ai.use_xsdt);
	assert_int_equal(ai.nr_tables, 1);
	assert_non_null(acpi_find(&ai, "APIC"));
	assert_null(acpi_find(&ai, "IVRS"));
}

static void test_bad_table_checksum_is_skipped(void **state)
{
	struct acpi_info ai;

	(void)state;
	build(true);
	((u8 *)at(0x2000))[40] ^= 1; /* corrupt IVRS body */
	assert_int_equal(acpi_scan(spa(BASE), &ai), 0);
	assert_int_equal(ai.nr_tables, 2);
	assert_false(ai.tables[1].checksum_ok);
	assert_null(acpi_find(&ai, "IVRS"));
}

static void test_bad_rsdp(void **state)
{
	struct acpi_info ai;

	(void)state;
	build(true);
	((u8 *)at(0))[9] ^= 0xff; /* OEM id byte: breaks the checksum */
	assert_int_equal(acpi_scan(spa(BASE), &ai), -EINVAL);
	build(true);
	((struct acpi_header *)at(0x100))->length = 0xffffffff;
	assert_int_equal(acpi_scan(spa(BASE), &ai), -EINVAL);
	assert_int_equal(acpi_scan(spa(0), &ai), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xsdt),
		cmocka_unit_test(test_rsdt_v1),
		cmocka_unit_test(test_bad_table_checksum_is_skipped),
		cmocka_unit_test(test_bad_rsdp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
