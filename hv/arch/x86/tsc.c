/* One TSC calibration against PIT channel 2 (see hv/arch/x86/tsc.h).
 *
 * Intel 82C54 CHMOS Programmable Interval Timer datasheet (mode 0:
 * "interrupt on terminal count", OUT goes high when the count reaches 0;
 * control word 0xB0 = counter 2, LSB then MSB, mode 0, binary). Port 0x61
 * (AT/PC system control port B): bit 0 gates counter 2, bit 1 enables the
 * speaker, bit 5 reads OUT2. The gate byte is restored afterwards. */
#include "hv/arch/x86/tsc.h"

#include "hv/arch/x86/cpu.h"
#include "hv/base/bits.h"
#include "hv/base/log.h"

#define PIT_HZ	      1193182u
#define PIT_CH2	      0x42
#define PIT_MODE      0x43
#define PIT_MODE_CH2  0xB0 /* counter 2, lobyte/hibyte, mode 0, binary */
#define PIT_GATE_PORT 0x61
#define PIT_GATE2     BIT(0)
#define PIT_SPEAKER   BIT(1)
#define PIT_OUT2      BIT(5)
#define CAL_MS	      10
#define CAL_SPINS     100000000ULL /* polls of port 0x61 before giving up */

static u64 cached_khz;
static bool calibrated;

static u64 calibrate(void)
{
	const u32 latch = PIT_HZ * CAL_MS / 1000;
	u8 gate = inb(PIT_GATE_PORT);
	u64 t0, t1, spins = 0;

	outb(PIT_GATE_PORT, (u8)((gate & ~PIT_SPEAKER) | PIT_GATE2));
	outb(PIT_MODE, PIT_MODE_CH2);
	outb(PIT_CH2, latch & 0xff);
	outb(PIT_CH2, (u8)(latch >> 8));
	t0 = rdtsc();
	while (!(inb(PIT_GATE_PORT) & PIT_OUT2) && ++spins < CAL_SPINS)
		;
	t1 = rdtsc();
	outb(PIT_GATE_PORT, gate);
	if (spins >= CAL_SPINS || t1 <= t0) {
		pr_warn("tsc: PIT channel 2 never fired: no TSC calibration\n");
		return 0;
	}
	return (t1 - t0) / CAL_MS;
}

u64 tsc_khz(void)
{
	if (!calibrated) {
		cached_khz = calibrate();
		calibrated = true;
	}
	return cached_khz;
}

u64 tsc_ticks_to_ns(u64 ticks)
{
	u64 khz = tsc_khz();

	return khz ? ticks * 1000000ULL / khz : 0;
}
