/* A virtual 16550 UART (COM1) for the guests' console: the register set of
 * the National Semiconductor PC16550D data sheet ("Register Description",
 * table II) without FIFOs (FCR writes are accepted and ignored, IIR bits 7:6
 * read 0: Linux sees a 16450), with its interrupt logic:
 *   - sources, highest priority first (IIR, table IV): receiver line status
 *     (overrun, IER bit 2), received data available (IER bit 0), transmitter
 *     holding register empty (IER bit 1); modem status changes are not
 *     modelled (IER bit 3 never fires);
 *   - THRE: set when the THR empties (at once: the byte leaves on the write)
 *     and when IER bit 1 goes from 0 to 1 while the THR is empty; cleared by
 *     a THR write or by the IIR read that reports it;
 *   - the IRQ output is the INTR pin gated by MCR OUT2, as a PC wires its
 *     COM ports, and off in loopback (MCR bit 4, whose transmitted bytes are
 *     received instead).
 * Pure: the caller moves bytes (a write's return value is the byte sent)
 * and drives the interrupt controller from vuart_irq() after each access. */
#ifndef HV_SVM_VUART_H
#define HV_SVM_VUART_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

#define VUART_COM1_BASE 0x3f8
#define VUART_COM1_IRQ	4 /* ISA IRQ 4, I/O APIC pin 4 (docs/linux.md) */
#define VUART_RX_SIZE	16

/* Register offsets (PC16550D, table II); DLAB = LCR bit 7 */
#define UART_RBR 0 /* read, DLAB = 0 */
#define UART_THR 0 /* write, DLAB = 0 */
#define UART_DLL 0 /* DLAB = 1 */
#define UART_IER 1 /* DLAB = 0 */
#define UART_DLM 1 /* DLAB = 1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_ERBFI BIT(0) /* received data available */
#define UART_IER_ETBEI BIT(1) /* transmitter holding register empty */
#define UART_IER_ELSI  BIT(2) /* receiver line status */
#define UART_IER_EDSSI BIT(3) /* modem status */
#define UART_IER_MASK  GENMASK(3, 0)

#define UART_IIR_NO_INT 0x01
#define UART_IIR_RLS	0x06
#define UART_IIR_RDA	0x04
#define UART_IIR_THRE	0x02

#define UART_LCR_DLAB BIT(7)
#define UART_MCR_DTR  BIT(0)
#define UART_MCR_RTS  BIT(1)
#define UART_MCR_OUT1 BIT(2)
#define UART_MCR_OUT2 BIT(3)
#define UART_MCR_LOOP BIT(4)
#define UART_MCR_MASK GENMASK(4, 0)

#define UART_LSR_DR   BIT(0)
#define UART_LSR_OE   BIT(1)
#define UART_LSR_THRE BIT(5)
#define UART_LSR_TEMT BIT(6)

struct vuart {
	u8 ier, lcr, mcr, scr, dll, dlm;
	bool thre; /* THRE interrupt pending */
	bool overrun;
	u8 rx[VUART_RX_SIZE];
	unsigned rx_head, rx_n;
	/* statistics */
	u64 tx_bytes, rx_dropped;
};

void vuart_reset(struct vuart *u);

/* Register reg (0-7) read; reads have side effects (RBR pops, LSR clears
 * the overrun, IIR clears a THRE it reports). */
u8 vuart_read(struct vuart *u, unsigned reg);
/* Register reg written: returns the byte to transmit (a THR write outside
 * loopback), else -1. */
int vuart_write(struct vuart *u, unsigned reg, u8 val);
/* A byte arrives on the serial input: 0, or -ENOSPC when the receiver is
 * full (the byte is lost, the overrun bit set: LSR bit 1, as the chip does). */
int vuart_rx_push(struct vuart *u, u8 c);
/* IIR as it reads now (without the read's side effect). */
u8 vuart_iir(const struct vuart *u);
/* The IRQ line to the interrupt controller (INTR gated by OUT2, off in loopback). */
bool vuart_irq(const struct vuart *u);

#endif
