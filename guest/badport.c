/* badport: harmless unclaimed ports first (ignored, reads float high), then
 * the isa-debug-exit port 0xf4, which must end this guest, never QEMU.
 * Expect killed. */
#include "lib/guest.h"

int main(void)
{
	outb(0x80, 0x55);
	EXPECT_EQ("badport.unclaimed_read", inb(0x1234), 0xff);
	printf("badport: writing 0xf4 (isa-debug-exit)\n");
	outb(0xf4, 0x00);
	printf("badport: still alive after port 0xf4?\n");
	return 1;
}
