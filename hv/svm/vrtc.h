/* A Linux guest's CMOS real-time clock: the MC146818 register set behind
 * ports 0x70 (index, bit 7 = NMI mask) and 0x71 (data). Pure.
 *
 * Why: without it every read floats high and Linux polls the "update in
 * progress" bit (register A bit 7) some 180 000 times at boot before giving
 * up (docs/linux.md). This model never updates: UIP reads 0, the time
 * registers are computed at each read from the seconds the caller passes
 * (the hypervisor has no wall clock: VRTC_EPOCH plus the TSC's seconds),
 * 24-hour BCD mode, no alarm or periodic interrupt (nothing could deliver
 * IRQ 8), register D reports valid RAM and time. The other 114 bytes are
 * plain storage. Motorola MC146818A data sheet: registers A-D, the address
 * map; IBM PC/AT: index port 0x70, data port 0x71. */
#ifndef HV_SVM_VRTC_H
#define HV_SVM_VRTC_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

#define VRTC_INDEX_PORT 0x70
#define VRTC_DATA_PORT	0x71
#define VRTC_INDEX_MASK GENMASK(6, 0) /* bit 7: NMI disable, no effect here */

#define RTC_SECONDS	 0x00
#define RTC_MINUTES	 0x02
#define RTC_HOURS	 0x04
#define RTC_DAY_OF_WEEK	 0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH	 0x08
#define RTC_YEAR	 0x09
#define RTC_REG_A	 0x0a
#define RTC_REG_B	 0x0b
#define RTC_REG_C	 0x0c
#define RTC_REG_D	 0x0d
#define RTC_CENTURY	 0x32 /* the PC/AT convention (ACPI FADT CENTURY may name it) */

#define RTC_A_UIP     BIT(7)
#define RTC_A_DEFAULT 0x26 /* 32.768 kHz time base, 1.024 kHz rate */
#define RTC_B_24H     BIT(1)
#define RTC_B_DM_BIN  BIT(2)
#define RTC_D_VRT     BIT(7)

#define VRTC_EPOCH_DAYS 20454 /* 2026-01-01, days since 1970-01-01 */

struct vrtc {
	u64 tsc_khz; /* the caller's clock rate (set with the guest's vCPU) */
	u8 index;
	u8 ram[128];
	u64 reads, writes;
};

void vrtc_reset(struct vrtc *r);
/* Port I/O of one byte at 0x70/0x71; secs = seconds since VRTC_EPOCH_DAYS.
 * 0 handled, -ENOENT another port. */
int vrtc_io(struct vrtc *r, u16 port, bool in, u8 *val, u64 secs);

#endif
