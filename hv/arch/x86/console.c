/* 16550 UART driver, polled, 115200 8N1 on COM1 (PC16550D data sheet;
 * register offsets: 0 THR/DLL, 1 IER/DLM, 2 FCR, 3 LCR, 4 MCR, 5 LSR).
 * "\n" is sent as "\r\n". If the UART never reports an empty transmitter
 * (no UART on this machine), output is dropped after a bounded wait. */
#include "hv/arch/x86/console.h"

#include "hv/arch/x86/cpu.h"

#define COM1 0x3f8
#define UART_THR 0
#define UART_IER 1
#define UART_DLL 0
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define LSR_THRE 0x20
#define SPIN_LIMIT 100000

static u64 written;
static bool uart_dead;

void console_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, 1); /* 115200 baud: divisor 1 */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, 0x07); /* enable and clear FIFOs */
	outb(COM1 + UART_MCR, 0x03); /* DTR, RTS */
}

static void uart_tx(char c)
{
	unsigned spins = 0;

	if (uart_dead)
		return;
	while (!(inb(COM1 + UART_LSR) & LSR_THRE)) {
		if (++spins > SPIN_LIMIT) {
			uart_dead = true;
			return;
		}
		cpu_relax();
	}
	outb(COM1 + UART_THR, (u8)c);
}

void console_putc(char c)
{
	if (c == '\n')
		uart_tx('\r');
	uart_tx(c);
	written++;
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		console_putc(s[i]);
}

u64 console_bytes_written(void) { return written; }
