/* Unit tests of the virtual 16550 UART (hv/svm/vuart.c) against the PC16550D
 * data sheet: registers and DLAB, the THRE interrupt (set by the THR
 * emptying and by enabling it, cleared by the IIR read that reports it and
 * by a THR write), received data and overrun with their priorities, the IRQ
 * line gated by OUT2 and off in loopback, loopback data and modem lines,
 * and the sequence Linux's 8250 driver uses to detect a UART that does not
 * re-assert THRE (UART_BUG_THRE). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "hv/svm/vuart.h"

static struct vuart u;

static void test_registers(void **state)
{
	(void)state;
	vuart_reset(&u);
	assert_int_equal(vuart_read(&u, UART_IIR), UART_IIR_NO_INT);
	assert_int_equal(vuart_read(&u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(vuart_write(&u, UART_IER, 0xff), -1);
	assert_int_equal(vuart_read(&u, UART_IER), 0x0f);
	/* DLAB: divisor latch instead of RBR/THR and IER */
	vuart_write(&u, UART_LCR, UART_LCR_DLAB | 0x03);
	assert_int_equal(vuart_write(&u, UART_DLL, 0x01), -1); /* not sent */
	vuart_write(&u, UART_DLM, 0x02);
	assert_int_equal(vuart_read(&u, UART_DLL), 0x01);
	assert_int_equal(vuart_read(&u, UART_DLM), 0x02);
	vuart_write(&u, UART_LCR, 0x03);
	assert_int_equal(vuart_read(&u, UART_IER), 0x0f);
	assert_int_equal(vuart_read(&u, UART_LCR), 0x03);
	vuart_write(&u, UART_SCR, 0x5a);
	assert_int_equal(vuart_read(&u, UART_SCR), 0x5a);
	vuart_write(&u, UART_MCR, 0xff);
	assert_int_equal(vuart_read(&u, UART_MCR), 0x1f);
	assert_int_equal(u.tx_bytes, 0);
}

static void test_thre(void **state)
{
	(void)state;
	vuart_reset(&u);
	vuart_write(&u, UART_MCR, UART_MCR_OUT2);
	/* THR empty but the interrupt not enabled: no IRQ */
	assert_false(vuart_irq(&u));
	/* enabling ETBEI with the THR empty raises it */
	vuart_write(&u, UART_IER, UART_IER_ETBEI);
	assert_true(vuart_irq(&u));
	assert_int_equal(vuart_iir(&u), UART_IIR_THRE);
	/* the IIR read that reports it clears it */
	assert_int_equal(vuart_read(&u, UART_IIR), UART_IIR_THRE);
	assert_false(vuart_irq(&u));
	assert_int_equal(vuart_read(&u, UART_IIR), UART_IIR_NO_INT);
	/* rewriting IER with ETBEI still set is no new enable */
	vuart_write(&u, UART_IER, UART_IER_ETBEI);
	assert_false(vuart_irq(&u));
	/* a THR write sends the byte and the empty THR interrupts again */
	assert_int_equal(vuart_write(&u, UART_THR, 'A'), 'A');
	assert_true(vuart_irq(&u));
	assert_int_equal(u.tx_bytes, 1);
	/* disabling ETBEI drops the line, pending stays until reported */
	vuart_write(&u, UART_IER, 0);
	assert_false(vuart_irq(&u));
	assert_int_equal(vuart_read(&u, UART_IIR), UART_IIR_NO_INT);
}

/* Linux 8250 startup: IER=THRI, read IIR, IER=0, IER=THRI, read IIR; a UART
 * whose second IIR says "no interrupt" is flagged as not re-asserting THRE. */
static void test_linux_thre_probe(void **state)
{
	u8 iir1, iir2;

	(void)state;
	vuart_reset(&u);
	vuart_write(&u, UART_IER, UART_IER_ETBEI);
	iir1 = vuart_read(&u, UART_IIR);
	vuart_write(&u, UART_IER, 0);
	vuart_write(&u, UART_IER, UART_IER_ETBEI);
	iir2 = vuart_read(&u, UART_IIR);
	vuart_write(&u, UART_IER, 0);
	assert_int_equal(iir1, UART_IIR_THRE);
	assert_int_equal(iir2, UART_IIR_THRE);
}

static void test_out2_and_loop(void **state)
{
	(void)state;
	vuart_reset(&u);
	vuart_write(&u, UART_IER, UART_IER_ETBEI);
	assert_int_equal(vuart_iir(&u), UART_IIR_THRE);
	assert_false(vuart_irq(&u)); /* OUT2 clear: the PC's IRQ gate is closed */
	vuart_write(&u, UART_MCR, UART_MCR_OUT2);
	assert_true(vuart_irq(&u));
	vuart_write(&u, UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);
	assert_false(vuart_irq(&u)); /* loopback: outputs inactive */
	/* loopback modem lines: DTR->DSR(5), RTS->CTS(4), OUT1->RI(6), OUT2->DCD(7) */
	vuart_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);
	assert_int_equal(vuart_read(&u, UART_MSR), 0x20);
	vuart_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS);
	assert_int_equal(vuart_read(&u, UART_MSR), 0x10);
	vuart_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
	assert_int_equal(vuart_read(&u, UART_MSR), 0x40);
	vuart_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	assert_int_equal(vuart_read(&u, UART_MSR), 0x80);
	/* a byte written in loopback is received, not sent */
	assert_int_equal(vuart_write(&u, UART_THR, 'z'), -1);
	assert_int_equal(u.tx_bytes, 0);
	assert_int_equal(vuart_read(&u, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	assert_int_equal(vuart_read(&u, UART_RBR), 'z');
	assert_int_equal(vuart_read(&u, UART_LSR) & UART_LSR_DR, 0);
	vuart_write(&u, UART_MCR, 0);
	assert_int_equal(vuart_read(&u, UART_MSR), 0);
}

static void test_rx_priorities(void **state)
{
	(void)state;
	vuart_reset(&u);
	vuart_write(&u, UART_MCR, UART_MCR_OUT2);
	vuart_write(&u, UART_IER, UART_IER_ERBFI | UART_IER_ETBEI | UART_IER_ELSI);
	assert_int_equal(vuart_iir(&u), UART_IIR_THRE);
	assert_int_equal(vuart_rx_push(&u, 'a'), 0);
	/* received data outranks THRE */
	assert_int_equal(vuart_read(&u, UART_IIR), UART_IIR_RDA);
	assert_int_equal(vuart_iir(&u), UART_IIR_RDA); /* RDA not cleared by IIR */
	assert_int_equal(vuart_read(&u, UART_RBR), 'a');
	/* THRE was not consumed by the RDA read */
	assert_int_equal(vuart_read(&u, UART_IIR), UART_IIR_THRE);
	/* fill the receiver, one more overruns: line status outranks all */
	for (unsigned i = 0; i < VUART_RX_SIZE; i++)
		assert_int_equal(vuart_rx_push(&u, (u8)('0' + i)), 0);
	assert_int_equal(vuart_rx_push(&u, '!'), -ENOSPC);
	assert_int_equal(u.rx_dropped, 1);
	assert_int_equal(vuart_iir(&u), UART_IIR_RLS);
	assert_true(vuart_irq(&u));
	assert_int_equal(vuart_read(&u, UART_LSR),
			 UART_LSR_THRE | UART_LSR_TEMT | UART_LSR_DR | UART_LSR_OE);
	/* reading LSR cleared the overrun */
	assert_int_equal(vuart_iir(&u), UART_IIR_RDA);
	for (unsigned i = 0; i < VUART_RX_SIZE; i++)
		assert_int_equal(vuart_read(&u, UART_RBR), '0' + i);
	assert_int_equal(vuart_iir(&u), UART_IIR_NO_INT);
	assert_false(vuart_irq(&u));
	/* RX data with ERBFI clear raises nothing */
	vuart_write(&u, UART_IER, 0);
	vuart_rx_push(&u, 'b');
	assert_false(vuart_irq(&u));
	assert_int_equal(vuart_read(&u, UART_IIR), UART_IIR_NO_INT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registers),	     cmocka_unit_test(test_thre),
	    cmocka_unit_test(test_linux_thre_probe), cmocka_unit_test(test_out2_and_loop),
	    cmocka_unit_test(test_rx_priorities),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
