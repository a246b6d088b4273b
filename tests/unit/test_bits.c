/* Unit tests of hv/base/bits.h field helpers and hv/base/types.h address types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hv/base/bits.h"

static void test_genmask(void **state)
{
	(void)state;
	assert_int_equal(GENMASK(0, 0), 1);
	assert_int_equal(GENMASK(63, 0), ~0ULL);
	assert_int_equal(GENMASK(51, 12), 0x000FFFFFFFFFF000ULL);
	assert_int_equal(GENMASK(11, 9), 0xE00);
}

static void test_field(void **state)
{
	const u64 nl = GENMASK(11, 9);

	(void)state;
	assert_int_equal(FIELD_PREP(nl, 7), 0xE00);
	assert_int_equal(FIELD_PREP(nl, 9), 0x200); /* excess bits dropped */
	assert_int_equal(FIELD_GET(nl, 0xFFFULL), 7);
	assert_int_equal(FIELD_SET(nl, 0xFFFULL, 2), 0x5FF);
	assert_true(FIELD_FITS(nl, 7));
	assert_false(FIELD_FITS(nl, 8));
}

static void test_align(void **state)
{
	(void)state;
	assert_int_equal(ALIGN_UP(0x1001, PAGE_SIZE), 0x2000);
	assert_int_equal(ALIGN_DOWN(0x1fff, PAGE_SIZE), 0x1000);
	assert_true(IS_ALIGNED(HUGE_SIZE * 3, HUGE_SIZE));
	assert_false(IS_ALIGNED(HUGE_SIZE + PAGE_SIZE, HUGE_SIZE));
	assert_int_equal(spa_val(spa_add(spa(0x1000), 0x20)), 0x1020);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_genmask),
		cmocka_unit_test(test_field),
		cmocka_unit_test(test_align),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
