/* The virtual 16550 UART (hv/svm/vuart.h): PC16550D data sheet, register
 * description and table IV (interrupt control functions). */
#include "hv/svm/vuart.h"

#include <errno.h>
#include <string.h>

void vuart_reset(struct vuart *u)
{
	memset(u, 0, sizeof(*u));
	u->thre = false; /* IER is 0 at reset: nothing pending */
}

u8 vuart_iir(const struct vuart *u)
{
	if ((u->ier & UART_IER_ELSI) && u->overrun)
		return UART_IIR_RLS;
	if ((u->ier & UART_IER_ERBFI) && u->rx_n)
		return UART_IIR_RDA;
	if ((u->ier & UART_IER_ETBEI) && u->thre)
		return UART_IIR_THRE;
	return UART_IIR_NO_INT;
}

bool vuart_irq(const struct vuart *u)
{
	return vuart_iir(u) != UART_IIR_NO_INT && (u->mcr & UART_MCR_OUT2) &&
	       !(u->mcr & UART_MCR_LOOP);
}

int vuart_rx_push(struct vuart *u, u8 c)
{
	if (u->rx_n == VUART_RX_SIZE) {
		u->overrun = true;
		u->rx_dropped++;
		return -ENOSPC;
	}
	u->rx[(u->rx_head + u->rx_n) % VUART_RX_SIZE] = c;
	u->rx_n++;
	return 0;
}

static u8 rx_pop(struct vuart *u)
{
	u8 c;

	if (!u->rx_n)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % VUART_RX_SIZE;
	u->rx_n--;
	return c;
}

/* Loopback (MCR bit 4): DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
static u8 msr_read(const struct vuart *u)
{
	u8 m = u->mcr;

	if (!(m & UART_MCR_LOOP))
		return 0;
	return (u8)(((m & UART_MCR_DTR) << 5) | ((m & UART_MCR_RTS) << 3) |
		    ((m & UART_MCR_OUT1) << 4) | ((m & UART_MCR_OUT2) << 4));
}

u8 vuart_read(struct vuart *u, unsigned reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	u8 v;

	switch (reg) {
	case UART_RBR:
		return dlab ? u->dll : rx_pop(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		v = vuart_iir(u);
		if (v == UART_IIR_THRE)
			u->thre = false; /* table IV: reset by reading IIR */
		return v;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = (u8)(UART_LSR_THRE | UART_LSR_TEMT | (u->rx_n ? UART_LSR_DR : 0) |
			 (u->overrun ? UART_LSR_OE : 0));
		u->overrun = false; /* OE is cleared by reading LSR */
		return v;
	case UART_MSR:
		return msr_read(u);
	case UART_SCR:
		return u->scr;
	}
	return 0xff;
}

int vuart_write(struct vuart *u, unsigned reg, u8 val)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_THR:
		if (dlab) {
			u->dll = val;
			return -1;
		}
		/* The byte leaves at once: THR empty again, THRE pending. */
		u->thre = true;
		if (u->mcr & UART_MCR_LOOP) {
			vuart_rx_push(u, val);
			return -1;
		}
		u->tx_bytes++;
		return val;
	case UART_IER:
		if (dlab) {
			u->dlm = val;
			return -1;
		}
		if ((val & UART_IER_ETBEI) && !(u->ier & UART_IER_ETBEI))
			u->thre = true; /* enabled with the THR empty */
		u->ier = val & UART_IER_MASK;
		return -1;
	case UART_LCR:
		u->lcr = val;
		return -1;
	case UART_MCR:
		u->mcr = val & UART_MCR_MASK;
		return -1;
	case UART_SCR:
		u->scr = val;
		return -1;
	}
	return -1; /* FCR (no FIFOs), LSR and MSR (factory test): ignored */
}
