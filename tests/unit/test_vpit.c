/* Unit tests of 8254 counter 2 and port 0x61 (hv/svm/vpit.c) against the
 * 8254 data sheet: the control word, LSB/MSB flip-flop, count-down from the
 * loaded value at 1.193182 MHz of TSC time, the latch command, OUT2 and the
 * refresh toggle on port 0x61, GATE2, modes 0, 2 and 3, refused commands
 * (modes 1/4/5, BCD, read-back) that change nothing; and Linux's
 * quick_pit_calibrate sequence, whose MSB poll now ends when the high byte
 * moves instead of after 50,000 reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "hv/svm/vpit.h"

/* 1,193,182 kHz: one input tick is exactly 1000 TSC cycles */
#define TSC_KHZ 1193182ULL
#define TICK	1000ULL

static struct vpit p;

static u8 in(u16 port, u64 now)
{
	u8 v = 0x5a;

	assert_int_equal(vpit_io(&p, port, true, &v, now), 0);
	return v;
}

static void out(u16 port, u8 v, u64 now)
{
	assert_int_equal(vpit_io(&p, port, false, &v, now), 0);
}

static u16 rd16(u64 now)
{
	u8 lo = in(VPIT_CH2_PORT, now);

	return (u16)(lo | in(VPIT_CH2_PORT, now) << 8);
}

/* Gate high, counter 2 in mode 0, LSB then MSB, count 0xFFFF at now. */
static void start_mode0(u64 now)
{
	vpit_reset(&p, TSC_KHZ);
	out(VPIT_PORTB, (u8)((in(VPIT_PORTB, now) & ~PORTB_SPEAKER) | PORTB_GATE2), now);
	out(VPIT_CTRL_PORT, 0xb0, now);
	out(VPIT_CH2_PORT, 0xff, now);
	out(VPIT_CH2_PORT, 0xff, now);
}

static void test_count_down(void **state)
{
	(void)state;
	start_mode0(5000);
	assert_int_equal(rd16(5000), 0xffff);
	assert_int_equal(rd16(5000 + 10 * TICK), 0xffff - 10);
	/* 256 ticks: the MSB moves from 0xFF to 0xFE */
	assert_int_equal(rd16(5000 + 256 * TICK), 0xfeff);
	assert_int_equal(rd16(5000 + 256 * TICK + TICK / 2), 0xfeff); /* no partial tick */
	/* mode 0 wraps past 0 and keeps counting */
	assert_int_equal(rd16(5000 + 0x10000 * TICK), 0xffff);
	/* a single-byte LSB read leaves the flip-flop on the MSB */
	assert_int_equal(in(VPIT_CH2_PORT, 5000 + 3 * TICK), 0xfc);
	assert_int_equal(in(VPIT_CH2_PORT, 5000 + 300 * TICK), 0xfe);
	assert_int_equal(p.bad, 0);
}

static void test_latch(void **state)
{
	(void)state;
	start_mode0(0);
	out(VPIT_CTRL_PORT, 0x80, 100 * TICK); /* counter 2 latch */
	/* read later: the latched value, once */
	assert_int_equal(rd16(900 * TICK), 0xffff - 100);
	assert_int_equal(rd16(900 * TICK), 0xffff - 900);
	/* a second latch command before the read does not move the latch */
	out(VPIT_CTRL_PORT, 0x80, 1000 * TICK);
	out(VPIT_CTRL_PORT, 0x80, 2000 * TICK);
	assert_int_equal(rd16(3000 * TICK), 0xffff - 1000);
}

static void test_out2_gate_refresh(void **state)
{
	u8 a, b;

	(void)state;
	vpit_reset(&p, TSC_KHZ);
	out(VPIT_PORTB, PORTB_GATE2, 0);
	out(VPIT_CTRL_PORT, 0xb0, 0);
	/* mode 0: OUT low after the control word and while counting */
	assert_int_equal(in(VPIT_PORTB, 0) & PORTB_OUT2, 0);
	out(VPIT_CH2_PORT, 100, 0); /* count 100 */
	out(VPIT_CH2_PORT, 0, 0);
	assert_int_equal(in(VPIT_PORTB, 99 * TICK) & PORTB_OUT2, 0);
	assert_int_equal(in(VPIT_PORTB, 100 * TICK) & PORTB_OUT2, PORTB_OUT2);
	assert_int_equal(in(VPIT_PORTB, 200 * TICK) & (PORTB_RW_MASK | 0xc0), PORTB_GATE2);
	/* GATE2 low: the count stops */
	start_mode0(0);
	out(VPIT_PORTB, 0, 10 * TICK);
	assert_int_equal(rd16(500 * TICK), 0xffff - 10);
	out(VPIT_PORTB, PORTB_GATE2, 600 * TICK);
	assert_int_equal(rd16(620 * TICK), 0xffff - 30);
	/* the refresh bit toggles every 15.085 us (18 ticks here: 15,085 ns
	 * = 18,000 TSC cycles at this rate) */
	a = in(VPIT_PORTB, 0) & PORTB_REFRESH;
	b = in(VPIT_PORTB, 18000) & PORTB_REFRESH;
	assert_int_not_equal(a, b);
}

static void test_modes_2_3(void **state)
{
	(void)state;
	vpit_reset(&p, TSC_KHZ);
	out(VPIT_PORTB, PORTB_GATE2, 0);
	out(VPIT_CTRL_PORT, 0xb4, 0); /* mode 2 */
	out(VPIT_CH2_PORT, 10, 0);
	out(VPIT_CH2_PORT, 0, 0);
	assert_int_equal(rd16(3 * TICK), 7);
	assert_int_equal(rd16(13 * TICK), 7);			     /* reloaded at 0 */
	assert_int_equal(in(VPIT_PORTB, 19 * TICK) & PORTB_OUT2, 0); /* the last tick */
	assert_int_equal(in(VPIT_PORTB, 20 * TICK) & PORTB_OUT2, PORTB_OUT2);
	out(VPIT_CTRL_PORT, 0xbe, 0); /* 111: mode 3 */
	out(VPIT_CH2_PORT, 10, 0);
	out(VPIT_CH2_PORT, 0, 0);
	assert_int_equal(in(VPIT_PORTB, 4 * TICK) & PORTB_OUT2, PORTB_OUT2);
	assert_int_equal(in(VPIT_PORTB, 5 * TICK) & PORTB_OUT2, 0);
	assert_int_equal(in(VPIT_PORTB, 10 * TICK) & PORTB_OUT2, PORTB_OUT2);
	/* LSB-only access mode */
	out(VPIT_CTRL_PORT, 0x94, 0); /* counter 2, LSB only, mode 2 */
	out(VPIT_CH2_PORT, 50, 0);
	assert_int_equal(in(VPIT_CH2_PORT, 5 * TICK), 45);
	assert_int_equal(in(VPIT_CH2_PORT, 6 * TICK), 44);
	assert_int_equal(p.bad, 0);
}

static void test_refused(void **state)
{
	static const u8 bad[] = {0xb2, 0xb8, 0xba, 0xb1, 0xc0, 0xe8};
	u8 v;

	(void)state;
	start_mode0(0);
	for (unsigned i = 0; i < sizeof(bad); i++) {
		v = bad[i];
		assert_int_equal(vpit_io(&p, VPIT_CTRL_PORT, false, &v, 0), -EINVAL);
	}
	assert_int_equal(p.bad, sizeof(bad));
	/* still counting as before */
	assert_int_equal(rd16(7 * TICK), 0xffff - 7);
	/* counters 0 and 1 are absent: their control words change nothing here */
	out(VPIT_CTRL_PORT, 0x34, 8 * TICK);
	out(VPIT_CTRL_PORT, 0x74, 8 * TICK);
	assert_int_equal(rd16(9 * TICK), 0xffff - 9);
	assert_int_equal(in(VPIT_CTRL_PORT, 0), 0xff);
	assert_int_equal(p.bad, sizeof(bad));
	v = 0;
	assert_int_equal(vpit_io(&p, 0x40, true, &v, 0), -ENOENT);
}

/* Linux's quick_pit_calibrate: pit_verify_msb(0) once, then reads LSB and
 * MSB while the MSB is 0xFF, up to 50,000 times. With each read costing
 * 100 us (a port exit under TCG), the MSB moves after ~2 passes. */
static void test_linux_quick_calibrate(void **state)
{
	const u64 read_cost = 100 * 1193182ULL / 1000 * 1000 / 1000; /* 100 us */
	u64 now = 1000000;
	unsigned count;

	(void)state;
	start_mode0(now);
	in(VPIT_CH2_PORT, now += read_cost);
	in(VPIT_CH2_PORT, now += read_cost);
	for (count = 0; count < 50000; count++) {
		in(VPIT_CH2_PORT, now += read_cost);
		if (in(VPIT_CH2_PORT, now += read_cost) != 0xff)
			break;
	}
	assert_true(count < 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_count_down),	      cmocka_unit_test(test_latch),
	    cmocka_unit_test(test_out2_gate_refresh), cmocka_unit_test(test_modes_2_3),
	    cmocka_unit_test(test_refused),	      cmocka_unit_test(test_linux_quick_calibrate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
