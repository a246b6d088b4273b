/* Unit tests of the guest CMOS clock (hv/svm/vrtc.c): the index port, BCD
 * date and time from a seconds count (against dates worked out by hand),
 * registers A-D as Linux's mc146818 code expects them, RAM storage and
 * the clock registers' immunity to writes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hv/svm/vrtc.h"

static u8 rd(struct vrtc *r, u8 idx, u64 secs)
{
	u8 v = idx | 0x80; /* NMI-disable bit set, as Linux's CMOS_READ does */

	assert_int_equal(vrtc_io(r, VRTC_INDEX_PORT, false, &v, secs), 0);
	assert_int_equal(vrtc_io(r, VRTC_DATA_PORT, true, &v, secs), 0);
	return v;
}

static void wr(struct vrtc *r, u8 idx, u8 v)
{
	assert_int_equal(vrtc_io(r, VRTC_INDEX_PORT, false, &idx, 0), 0);
	assert_int_equal(vrtc_io(r, VRTC_DATA_PORT, false, &v, 0), 0);
}

static void test_time(void **state)
{
	struct vrtc r;
	/* 2026-01-01 + 59 days + 13:05:09 = 2026-03-01 (a Sunday) */
	u64 s = 59 * 86400ULL + 13 * 3600 + 5 * 60 + 9;

	(void)state;
	vrtc_reset(&r);
	assert_int_equal(rd(&r, RTC_SECONDS, 0), 0x00);
	assert_int_equal(rd(&r, RTC_YEAR, 0), 0x26);
	assert_int_equal(rd(&r, RTC_MONTH, 0), 0x01);
	assert_int_equal(rd(&r, RTC_DAY_OF_MONTH, 0), 0x01);
	assert_int_equal(rd(&r, RTC_DAY_OF_WEEK, 0), 5); /* Thursday */
	assert_int_equal(rd(&r, RTC_SECONDS, s), 0x09);
	assert_int_equal(rd(&r, RTC_MINUTES, s), 0x05);
	assert_int_equal(rd(&r, RTC_HOURS, s), 0x13);
	assert_int_equal(rd(&r, RTC_DAY_OF_MONTH, s), 0x01);
	assert_int_equal(rd(&r, RTC_MONTH, s), 0x03);
	assert_int_equal(rd(&r, RTC_DAY_OF_WEEK, s), 1); /* Sunday */
	assert_int_equal(rd(&r, RTC_CENTURY, s), 0x20);
	/* 2028 is a leap year: 2028-02-29 = epoch + 789 days */
	assert_int_equal(rd(&r, RTC_MONTH, 789 * 86400ULL), 0x02);
	assert_int_equal(rd(&r, RTC_DAY_OF_MONTH, 789 * 86400ULL), 0x29);
	assert_int_equal(rd(&r, RTC_YEAR, 789 * 86400ULL), 0x28);
}

static void test_registers(void **state)
{
	struct vrtc r;
	u8 v = 0;

	(void)state;
	vrtc_reset(&r);
	assert_int_equal(rd(&r, RTC_REG_A, 0) & RTC_A_UIP, 0); /* never updating */
	assert_int_equal(rd(&r, RTC_REG_B, 0), RTC_B_24H);     /* BCD, 24 h */
	assert_int_equal(rd(&r, RTC_REG_C, 0), 0);
	assert_int_equal(rd(&r, RTC_REG_D, 0), RTC_D_VRT);
	wr(&r, RTC_REG_B, RTC_B_DM_BIN); /* ignored: the model stays BCD */
	assert_int_equal(rd(&r, RTC_REG_B, 0), RTC_B_24H);
	wr(&r, RTC_SECONDS, 0x42);
	assert_int_equal(rd(&r, RTC_SECONDS, 0), 0);
	wr(&r, 0x10, 0xa5); /* CMOS RAM */
	assert_int_equal(rd(&r, 0x10, 0), 0xa5);
	assert_int_equal(rd(&r, 0x01, 0), 0); /* alarm */
	assert_int_equal(vrtc_io(&r, VRTC_INDEX_PORT, true, &v, 0), 0);
	assert_int_equal(v, 0xff);
	assert_int_equal(vrtc_io(&r, 0x72, true, &v, 0), -ENOENT);
	assert_int_equal(r.writes, 3); /* data-port writes */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_registers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
