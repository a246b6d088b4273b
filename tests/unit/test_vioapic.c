/* Unit tests of the virtual I/O APIC (hv/svm/vioapic.c) against the 82093AA
 * datasheet: the indirect register window, ID/VER/ARB, redirection entries
 * with their read-only bits, edge and level delivery, remote IRR and the
 * EOI, masking, destinations and refused delivery modes; and the whole path
 * with the real local APIC (hv/svm/vlapic.c): TMR set for a level vector,
 * its EOI coming back to the I/O APIC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "hv/svm/vioapic.h"
#include "hv/svm/vlapic.h"

static struct vioapic io;
static unsigned n_sent;
static u8 last_vec;
static bool last_level;

static void deliver(void *ctx, u8 vec, bool level)
{
	assert_ptr_equal(ctx, &io);
	n_sent++;
	last_vec = vec;
	last_level = level;
}

static void setup(void)
{
	vioapic_reset(&io, 2, deliver, &io);
	n_sent = 0;
	last_vec = 0;
}

static u32 rd(u8 reg)
{
	u32 v = 0xdeadbeef;

	assert_int_equal(vioapic_write(&io, IOAPIC_MMIO_REGSEL, reg), 0);
	assert_int_equal(vioapic_read(&io, IOAPIC_MMIO_WIN, &v), 0);
	return v;
}

static void wr(u8 reg, u32 val)
{
	assert_int_equal(vioapic_write(&io, IOAPIC_MMIO_REGSEL, reg), 0);
	assert_int_equal(vioapic_write(&io, IOAPIC_MMIO_WIN, val), 0);
}

static void set_rte(unsigned pin, u64 rte)
{
	wr((u8)(IOAPIC_REG_REDTBL + 2 * pin + 1), (u32)(rte >> 32));
	wr((u8)(IOAPIC_REG_REDTBL + 2 * pin), (u32)rte);
}

static void test_registers(void **state)
{
	u32 v;

	(void)state;
	setup();
	assert_int_equal(rd(IOAPIC_REG_ID), 0x02000000);
	/* VER: version 0x11, maximum redirection entry 23 (0x17) in 23:16 */
	assert_int_equal(rd(IOAPIC_REG_VER), 0x00170011);
	assert_int_equal(rd(IOAPIC_REG_ARB), 0x02000000);
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		assert_int_equal(rd((u8)(0x10 + 2 * pin)), 0x00010000); /* masked */
		assert_int_equal(rd((u8)(0x11 + 2 * pin)), 0);
	}
	/* ID: only bits 27:24 stick; VER and ARB are read-only */
	wr(IOAPIC_REG_ID, 0xffffffff);
	assert_int_equal(rd(IOAPIC_REG_ID), 0x0f000000);
	wr(IOAPIC_REG_VER, 0);
	assert_int_equal(rd(IOAPIC_REG_VER), 0x00170011);
	/* IOREGSEL reads back its low byte */
	assert_int_equal(vioapic_write(&io, IOAPIC_MMIO_REGSEL, 0x1234), 0);
	assert_int_equal(vioapic_read(&io, IOAPIC_MMIO_REGSEL, &v), 0);
	assert_int_equal(v, 0x34);
	/* redirection entry: delivery status and remote IRR are read-only,
	 * reserved bits 55:17 read 0 */
	set_rte(5, 0xff00000000002031ULL | IOAPIC_RTE_DELIVS | IOAPIC_RTE_REMOTE_IRR | BIT(40));
	assert_int_equal(rd(0x10 + 10), 0x00002031); /* bit 13 polarity kept, 12/14 not */
	assert_int_equal(rd(0x11 + 10), 0xff000000);
	assert_int_equal(io.bad_access, 0);
}

static void test_bad_access(void **state)
{
	u32 v = 1;

	(void)state;
	setup();
	/* an offset that is neither IOREGSEL nor IOWIN */
	assert_int_equal(vioapic_read(&io, 0x20, &v), -EINVAL);
	assert_int_equal(v, 0);
	assert_int_equal(vioapic_write(&io, 0x40, 0x55), -EINVAL);
	/* register 0x03 and the first index past entry 23 do not exist */
	assert_int_equal(vioapic_write(&io, IOAPIC_MMIO_REGSEL, 0x03), 0);
	assert_int_equal(vioapic_read(&io, IOAPIC_MMIO_WIN, &v), -EINVAL);
	assert_int_equal(vioapic_write(&io, IOAPIC_MMIO_REGSEL, 0x10 + 48), 0);
	assert_int_equal(vioapic_write(&io, IOAPIC_MMIO_WIN, 0x30), -EINVAL);
	assert_int_equal(io.bad_access, 4);
	/* nothing changed */
	assert_int_equal(rd(0x10 + 46), 0x00010000);
	assert_int_equal(vioapic_set_irq(&io, VIOAPIC_PINS, true), -EINVAL);
}

static void test_edge(void **state)
{
	(void)state;
	setup();
	io.apic_id = 0;
	/* masked: the edge is lost */
	assert_int_equal(vioapic_set_irq(&io, 4, true), 0);
	assert_int_equal(n_sent, 0);
	assert_int_equal(vioapic_set_irq(&io, 4, false), 0);
	set_rte(4, 0x31);	     /* vector 0x31, fixed, physical, edge, dest 0 */
	assert_int_equal(n_sent, 0); /* unmasking a low edge pin sends nothing */
	vioapic_set_irq(&io, 4, true);
	assert_int_equal(n_sent, 1);
	assert_int_equal(last_vec, 0x31);
	assert_false(last_level);
	/* staying high is not another edge */
	vioapic_set_irq(&io, 4, true);
	assert_int_equal(n_sent, 1);
	vioapic_set_irq(&io, 4, false);
	vioapic_set_irq(&io, 4, true);
	assert_int_equal(n_sent, 2);
	assert_int_equal(io.delivered[4], 2);
	/* no remote IRR for edge entries; an EOI changes nothing */
	assert_int_equal(rd(0x18) & (u32)IOAPIC_RTE_REMOTE_IRR, 0);
	vioapic_eoi(&io, 0x31);
	assert_int_equal(n_sent, 2);
}

static void test_level(void **state)
{
	(void)state;
	setup();
	io.apic_id = 0;
	set_rte(9, 0x48 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED);
	vioapic_set_irq(&io, 9, true);
	assert_int_equal(n_sent, 0);
	/* unmasked while asserted: sent at once, remote IRR set */
	set_rte(9, 0x48 | IOAPIC_RTE_LEVEL);
	assert_int_equal(n_sent, 1);
	assert_true(last_level);
	assert_int_equal(last_vec, 0x48);
	assert_true(rd(0x10 + 18) & (u32)IOAPIC_RTE_REMOTE_IRR);
	/* no second message until the EOI */
	vioapic_set_irq(&io, 9, true);
	assert_int_equal(n_sent, 1);
	/* EOI of another vector: nothing */
	vioapic_eoi(&io, 0x49);
	assert_int_equal(n_sent, 1);
	/* EOI while still asserted: sent again */
	vioapic_eoi(&io, 0x48);
	assert_int_equal(n_sent, 2);
	assert_true(rd(0x10 + 18) & (u32)IOAPIC_RTE_REMOTE_IRR);
	/* deasserted, then EOI: remote IRR clear, nothing sent */
	vioapic_set_irq(&io, 9, false);
	vioapic_eoi(&io, 0x48);
	assert_int_equal(n_sent, 2);
	assert_int_equal(rd(0x10 + 18) & (u32)IOAPIC_RTE_REMOTE_IRR, 0);
	/* the guest cannot write remote IRR */
	set_rte(9, 0x48 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_REMOTE_IRR);
	assert_int_equal(rd(0x10 + 18) & (u32)IOAPIC_RTE_REMOTE_IRR, 0);
}

static void test_destinations(void **state)
{
	(void)state;
	setup();
	io.apic_id = 3;
	io.apic_logical = 0x01;
	/* physical destination 3, then 0xFF broadcast: reach it */
	set_rte(1, 0x30 | FIELD_PREP(IOAPIC_RTE_DEST, 3));
	vioapic_set_irq(&io, 1, true);
	assert_int_equal(n_sent, 1);
	set_rte(2, 0x30 | FIELD_PREP(IOAPIC_RTE_DEST, 0xff));
	vioapic_set_irq(&io, 2, true);
	assert_int_equal(n_sent, 2);
	/* physical destination 4: nobody */
	set_rte(3, 0x30 | FIELD_PREP(IOAPIC_RTE_DEST, 4));
	vioapic_set_irq(&io, 3, true);
	assert_int_equal(n_sent, 2);
	assert_int_equal(io.bad_delivery, 1);
	/* logical flat: mask 0x01 reaches, 0x02 does not */
	set_rte(6, 0x30 | IOAPIC_RTE_DESTMODE | FIELD_PREP(IOAPIC_RTE_DEST, 0x01));
	vioapic_set_irq(&io, 6, true);
	assert_int_equal(n_sent, 3);
	set_rte(7, 0x30 | IOAPIC_RTE_DESTMODE | FIELD_PREP(IOAPIC_RTE_DEST, 0x02));
	vioapic_set_irq(&io, 7, true);
	assert_int_equal(n_sent, 3);
	/* lowest priority is accepted; SMI (2), NMI (4), INIT (5), ExtINT (7)
	 * are refused, as is a vector below 16 */
	set_rte(8, 0x30 | FIELD_PREP(IOAPIC_RTE_DELMODE, 1) | FIELD_PREP(IOAPIC_RTE_DEST, 3));
	vioapic_set_irq(&io, 8, true);
	assert_int_equal(n_sent, 4);
	set_rte(10, 0x30 | FIELD_PREP(IOAPIC_RTE_DELMODE, 4) | FIELD_PREP(IOAPIC_RTE_DEST, 3));
	vioapic_set_irq(&io, 10, true);
	set_rte(11, 0x30 | FIELD_PREP(IOAPIC_RTE_DELMODE, 7) | FIELD_PREP(IOAPIC_RTE_DEST, 3));
	vioapic_set_irq(&io, 11, true);
	set_rte(12, 0x0f | FIELD_PREP(IOAPIC_RTE_DEST, 3));
	vioapic_set_irq(&io, 12, true);
	assert_int_equal(n_sent, 4);
	assert_int_equal(io.bad_delivery, 5);
}

/* The I/O APIC and the real local APIC wired as guest_plat.c does. */
static struct vlapic la;
static struct vioapic io2;

static void to_lapic(void *ctx, u8 vec, bool level)
{
	vlapic_set_irq_trig(ctx, vec, level);
}

static void to_ioapic(void *ctx, u8 vec)
{
	vioapic_eoi(ctx, vec);
}

static void test_with_lapic(void **state)
{
	u32 v;

	(void)state;
	vlapic_reset(&la, 0);
	la.level_eoi = to_ioapic;
	la.level_eoi_ctx = &io2;
	vioapic_reset(&io2, 0, to_lapic, &la);
	assert_int_equal(vlapic_write(&la, APIC_REG_SVR, APIC_SVR_ENABLE | 0xff, 0), 0);
	/* pin 4 level, vector 0x41 */
	assert_int_equal(vioapic_write(&io2, IOAPIC_MMIO_REGSEL, 0x18), 0);
	assert_int_equal(vioapic_write(&io2, IOAPIC_MMIO_WIN, 0x41 | (u32)IOAPIC_RTE_LEVEL), 0);
	vioapic_set_irq(&io2, 4, true);
	assert_int_equal(vlapic_pending(&la), 0x41);
	assert_int_equal(vlapic_read(&la, APIC_REG_TMR + 0x20, 0, &v), 0); /* TMR[2]: 64-95 */
	assert_int_equal(v, 1u << 1);
	vlapic_accept(&la, 0x41);
	assert_int_equal(vlapic_pending(&la), -1);
	/* the EOI goes back: remote IRR clears, the still-high line resends */
	assert_int_equal(vlapic_write(&la, APIC_REG_EOI, 0, 0), 0);
	assert_int_equal(io2.eois, 1);
	assert_int_equal(vlapic_pending(&la), 0x41);
	vlapic_accept(&la, 0x41);
	vioapic_set_irq(&io2, 4, false);
	assert_int_equal(vlapic_write(&la, APIC_REG_EOI, 0, 0), 0);
	assert_int_equal(vlapic_pending(&la), -1);
	assert_int_equal(io2.delivered[4], 2);
	/* an edge vector's EOI does not reach the I/O APIC */
	vlapic_set_irq_trig(&la, 0x50, false);
	vlapic_accept(&la, 0x50);
	assert_int_equal(vlapic_write(&la, APIC_REG_EOI, 0, 0), 0);
	assert_int_equal(io2.eois, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registers),	 cmocka_unit_test(test_bad_access),
	    cmocka_unit_test(test_edge),	 cmocka_unit_test(test_level),
	    cmocka_unit_test(test_destinations), cmocka_unit_test(test_with_lapic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
