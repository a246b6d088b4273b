/* Unit tests of the virtual local APIC (hv/svm/vlapic.c): register reads
 * after reset, priorities and EOI, the timer in one-shot, periodic and
 * TSC-deadline mode, masking, self-IPIs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "hv/svm/vlapic.h"

static struct vlapic l;

static u32 rd(u32 off, u64 now)
{
	u32 v = 0xdeadbeef;

	assert_int_equal(vlapic_read(&l, off, now, &v), 0);
	return v;
}

static void wr(u32 off, u32 val, u64 now)
{
	assert_int_equal(vlapic_write(&l, off, val, now), 0);
}

static void test_reset_regs(void **state)
{
	u32 v;

	(void)state;
	vlapic_reset(&l, 0);
	assert_int_equal(rd(APIC_REG_ID, 0), 0);
	assert_int_equal(rd(APIC_REG_LVR, 0), 0x50014);
	assert_int_equal(rd(APIC_REG_SVR, 0), 0xff);
	assert_int_equal(rd(APIC_REG_LVTT, 0), APIC_LVT_MASKED);
	assert_int_equal(rd(APIC_REG_LVTERR, 0), APIC_LVT_MASKED);
	assert_int_equal(l.apic_base, 0xfee00900ULL);
	assert_int_equal(vlapic_read(&l, 0x3f0, 0, &v), -EINVAL);
	assert_int_equal(v, 0);
	assert_int_equal(vlapic_write(&l, 0x3f0, 1, 0), -EINVAL);
	assert_int_equal(l.bad_access, 2);
	/* software-disabled: an LVT cannot be unmasked, nothing is delivered */
	wr(APIC_REG_LVTT, 0x30, 0);
	assert_int_equal(rd(APIC_REG_LVTT, 0), APIC_LVT_MASKED | 0x30);
	vlapic_set_irq(&l, 0x40);
	assert_int_equal(vlapic_pending(&l), -1);
}

static void test_priority_eoi(void **state)
{
	(void)state;
	vlapic_reset(&l, 0);
	wr(APIC_REG_SVR, APIC_SVR_ENABLE | 0xff, 0);
	vlapic_set_irq(&l, 0x31);
	vlapic_set_irq(&l, 0x52);
	assert_int_equal(rd(APIC_REG_IRR + 0x10, 0), 1u << 17);
	assert_int_equal(vlapic_pending(&l), 0x52);
	vlapic_accept(&l, 0x52);
	assert_int_equal(rd(APIC_REG_ISR + 0x20, 0), 1u << 18);
	assert_int_equal(rd(APIC_REG_PPR, 0), 0x50);
	/* 0x31 is below the class in service */
	assert_int_equal(vlapic_pending(&l), -1);
	wr(APIC_REG_EOI, 0, 0);
	assert_int_equal(rd(APIC_REG_ISR + 0x20, 0), 0);
	assert_int_equal(vlapic_pending(&l), 0x31);
	/* TPR blocks classes at or below it */
	wr(APIC_REG_TPR, 0x30, 0);
	assert_int_equal(vlapic_pending(&l), -1);
	wr(APIC_REG_TPR, 0x20, 0);
	assert_int_equal(vlapic_pending(&l), 0x31);
	/* illegal vectors are dropped */
	vlapic_set_irq(&l, 5);
	assert_int_equal(rd(APIC_REG_IRR, 0), 0);
	assert_true(l.esr & (1u << 6));
}

static void test_timer_oneshot_periodic(void **state)
{
	(void)state;
	vlapic_reset(&l, 0);
	wr(APIC_REG_SVR, APIC_SVR_ENABLE | 0xff, 0);
	wr(APIC_REG_TDCR, 0x3, 0); /* divide by 16 */
	wr(APIC_REG_LVTT, 0xec, 0);
	wr(APIC_REG_TMICT, 100, 1000);
	assert_int_equal(vlapic_next_event(&l), 1000 + 1600);
	assert_int_equal(rd(APIC_REG_TMCCT, 1000 + 160), 90);
	assert_false(vlapic_tick(&l, 2599));
	assert_true(vlapic_tick(&l, 2600));
	assert_int_equal(vlapic_pending(&l), 0xec);
	assert_int_equal(vlapic_next_event(&l), 0);
	assert_int_equal(rd(APIC_REG_TMCCT, 3000), 0);
	/* periodic re-arms */
	wr(APIC_REG_LVTT, 0xec | (APIC_LVT_TIMER_PERIODIC << 17), 3000);
	wr(APIC_REG_TDCR, 0xb, 3000); /* divide by 1 */
	wr(APIC_REG_TMICT, 50, 3000);
	assert_true(vlapic_tick(&l, 3050));
	assert_int_equal(vlapic_next_event(&l), 3100);
	/* masked: fires, but raises nothing */
	vlapic_reset(&l, 0);
	wr(APIC_REG_SVR, APIC_SVR_ENABLE | 0xff, 0);
	wr(APIC_REG_LVTT, APIC_LVT_MASKED | 0xec, 0);
	wr(APIC_REG_TDCR, 0xb, 0);
	wr(APIC_REG_TMICT, 10, 0);
	assert_true(vlapic_tick(&l, 10));
	assert_int_equal(vlapic_pending(&l), -1);
}

static void test_tsc_deadline(void **state)
{
	(void)state;
	vlapic_reset(&l, 0);
	wr(APIC_REG_SVR, APIC_SVR_ENABLE | 0xff, 0);
	vlapic_write_tsc_deadline(&l, 5000); /* not in deadline mode: ignored */
	assert_int_equal(vlapic_next_event(&l), 0);
	wr(APIC_REG_LVTT, 0xef | (APIC_LVT_TIMER_TSCDEADLINE << 17), 0);
	wr(APIC_REG_TMICT, 100, 0); /* ignored in deadline mode */
	assert_int_equal(vlapic_next_event(&l), 0);
	vlapic_write_tsc_deadline(&l, 5000);
	assert_int_equal(vlapic_read_tsc_deadline(&l), 5000);
	assert_false(vlapic_tick(&l, 4999));
	assert_true(vlapic_tick(&l, 6000));
	assert_int_equal(vlapic_read_tsc_deadline(&l), 0);
	assert_int_equal(vlapic_pending(&l), 0xef);
	vlapic_write_tsc_deadline(&l, 9000);
	vlapic_write_tsc_deadline(&l, 0); /* disarm */
	assert_false(vlapic_tick(&l, 10000));
}

static void test_self_ipi(void **state)
{
	(void)state;
	vlapic_reset(&l, 0);
	wr(APIC_REG_SVR, APIC_SVR_ENABLE | 0xff, 0);
	wr(APIC_REG_ICR_LO, (1u << 18) | 0xf3, 0); /* shorthand self */
	assert_int_equal(vlapic_pending(&l), 0xf3);
	vlapic_accept(&l, 0xf3);
	wr(APIC_REG_EOI, 0, 0);
	wr(APIC_REG_ICR_HI, 5u << 24, 0); /* another APIC: nobody there */
	wr(APIC_REG_ICR_LO, 0xf4, 0);
	assert_int_equal(vlapic_pending(&l), -1);
	wr(APIC_REG_ICR_HI, 0, 0);
	wr(APIC_REG_ICR_LO, (4u << 8) | 0xf4, 0); /* NMI delivery: not modelled */
	assert_int_equal(vlapic_pending(&l), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reset_regs),
	    cmocka_unit_test(test_priority_eoi),
	    cmocka_unit_test(test_timer_oneshot_periodic),
	    cmocka_unit_test(test_tsc_deadline),
	    cmocka_unit_test(test_self_ipi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
