/* The CMOS real-time clock of a Linux guest (hv/svm/vrtc.h). */
#include "hv/svm/vrtc.h"

#include <errno.h>
#include <string.h>

void vrtc_reset(struct vrtc *r)
{
	memset(r, 0, sizeof(*r));
}

static u8 bcd(unsigned v)
{
	return (u8)(((v / 10) % 10) << 4 | (v % 10));
}

/* Civil date of a day count since 1970-01-01 (proleptic Gregorian; the
 * era arithmetic of H. Hinnant's days_from_civil, inverted). */
static void civil(u64 days, unsigned *y, unsigned *m, unsigned *d)
{
	u64 z = days + 719468, era = z / 146097, doe = z - era * 146097;
	u64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	u64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (unsigned)(yoe + era * 400 + (*m <= 2));
}

static u8 reg_read(const struct vrtc *r, u8 idx, u64 secs)
{
	u64 days = VRTC_EPOCH_DAYS + secs / 86400, s = secs % 86400;
	unsigned y, m, d;

	civil(days, &y, &m, &d);
	switch (idx) {
	case RTC_SECONDS:
		return bcd((unsigned)(s % 60));
	case RTC_MINUTES:
		return bcd((unsigned)(s / 60 % 60));
	case RTC_HOURS:
		return bcd((unsigned)(s / 3600));
	case RTC_DAY_OF_WEEK: /* 1 = Sunday; 1970-01-01 was a Thursday */
		return (u8)((days + 4) % 7 + 1);
	case RTC_DAY_OF_MONTH:
		return bcd(d);
	case RTC_MONTH:
		return bcd(m);
	case RTC_YEAR:
		return bcd(y % 100);
	case RTC_CENTURY:
		return bcd(y / 100);
	case RTC_REG_A:
		return RTC_A_DEFAULT; /* UIP never set: no update cycle to wait for */
	case RTC_REG_B:
		return RTC_B_24H; /* BCD, 24 h, no interrupts, no daylight saving */
	case RTC_REG_C:
		return 0; /* no interrupt flags */
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return idx < RTC_REG_D ? 0 : r->ram[idx]; /* alarms read 0 */
	}
}

int vrtc_io(struct vrtc *r, u16 port, bool in, u8 *val, u64 secs)
{
	if (port == VRTC_INDEX_PORT) {
		if (in)
			*val = 0xff; /* write-only on the PC/AT */
		else
			r->index = (u8)(*val & VRTC_INDEX_MASK);
		return 0;
	}
	if (port != VRTC_DATA_PORT)
		return -ENOENT;
	if (in) {
		*val = reg_read(r, r->index, secs);
		r->reads++;
	} else {
		/* the clock and registers A-D keep their fixed model; RAM stores */
		if (r->index > RTC_REG_D && r->index != RTC_CENTURY)
			r->ram[r->index] = *val;
		r->writes++;
	}
	return 0;
}
