/* Channel 2 of an Intel 8254 programmable interval timer and the PC/AT
 * system control port B (0x61) that gates it, for a Linux guest. Pure.
 *
 * Why: Linux's early CPU-frequency calibration (quick_pit_calibrate) starts
 * channel 2 and polls its counter's high byte until it changes; an absent
 * port reads 0xFF forever, so it spins 50,000 times (100,000 port exits per
 * boot) before it gives up (docs/linux.md). With a counter that counts, the
 * loop ends as soon as the high byte moves.
 *
 * Intel 8254 data sheet (order no. 231164): control word at 0x43 (SC bits
 * 7:6 = 2 selects counter 2, RW bits 5:4 = latch / LSB / MSB / LSB then MSB,
 * M bits 3:1 = mode, BCD bit 0), counter 2 at 0x42. Modelled: modes 0
 * (interrupt on terminal count: OUT high when the count reaches 0, the
 * counter keeps wrapping) and 2 and 3 (rate generator, square wave: the
 * count reloads at 0; OUT low for the last tick / the second half), the
 * counter latch command, the shared LSB/MSB flip-flop, GATE from port 0x61.
 * Not modelled (refused: counted in bad, the command ignored): modes 1, 4
 * and 5, BCD counting, the read-back command; control words for counters 0
 * and 1 (absent: nothing here drives IRQ 0). The input clock is 1.193182 MHz
 * derived from the TSC the caller passes.
 *
 * Port 0x61 (IBM PC/AT technical reference, "System Control Port B"): bit 0
 * GATE2 and bit 1 speaker data (read/write, kept), bits 2-3 (kept), bit 4
 * refresh toggle (flips every 15.085 us), bit 5 OUT2 (read-only), bits 6-7
 * (parity / channel check: read 0). */
#ifndef HV_SVM_VPIT_H
#define HV_SVM_VPIT_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

#define VPIT_HZ	       1193182ULL /* the 8254's input clock on a PC */
#define VPIT_CH2_PORT  0x42
#define VPIT_CTRL_PORT 0x43
#define VPIT_PORTB     0x61

#define PIT_CW_SC    GENMASK(7, 6) /* select counter: 2 = counter 2, 3 = read-back */
#define PIT_CW_RW    GENMASK(5, 4) /* 0 latch, 1 LSB, 2 MSB, 3 LSB then MSB */
#define PIT_CW_MODE  GENMASK(3, 1)
#define PIT_CW_BCD   BIT(0)
#define PIT_RW_LATCH 0
#define PIT_RW_LSB   1
#define PIT_RW_MSB   2
#define PIT_RW_WORD  3

#define PORTB_GATE2   BIT(0)
#define PORTB_SPEAKER BIT(1)
#define PORTB_RW_MASK GENMASK(3, 0)
#define PORTB_REFRESH BIT(4)
#define PORTB_OUT2    BIT(5)

struct vpit {
	u64 tsc_khz; /* the caller's clock rate */
	u8 rw, mode;
	bool msb_next;	 /* flip-flop: the next byte is the MSB */
	bool programmed; /* a count was loaded since the last control word */
	u8 lsb_written;
	u32 reload;   /* 1..65536 */
	u64 ticks;    /* input clock ticks counted before tick_tsc */
	u64 tick_tsc; /* TSC at which the current run (GATE2 high, count loaded) began */
	bool latched;
	u16 latch;
	u8 portb; /* bits 3:0 as written */
	u64 bad;  /* refused commands */
};

void vpit_reset(struct vpit *p, u64 tsc_khz);
/* One byte at 0x42, 0x43 or 0x61 at TSC now: 0, -ENOENT another port,
 * -EINVAL a refused command (counted in bad; nothing changes; a read of
 * 0x43 returns 0xFF, the 8254 has no readable control register). */
int vpit_io(struct vpit *p, u16 port, bool in, u8 *val, u64 now);

#endif
