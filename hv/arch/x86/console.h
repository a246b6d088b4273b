/* The hypervisor console: a 16550 UART (COM1, I/O port 0x3f8). */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include "hv/base/types.h"

void console_init(void);
void console_putc(char c);
void console_write(const char *s, size_t n);
/* Characters written since boot (for tests that check output reached us). */
u64 console_bytes_written(void);

#endif
