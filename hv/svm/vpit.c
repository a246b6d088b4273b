/* 8254 counter 2 and port 0x61 (hv/svm/vpit.h): Intel 8254 data sheet,
 * "Modes" (0, 2, 3), "Counter Latch Command", "Read Operations"; IBM PC/AT
 * port B. */
#include "hv/svm/vpit.h"

#include <errno.h>
#include <string.h>

#define REFRESH_NS 15085 /* the PC/AT DRAM refresh request period */

void vpit_reset(struct vpit *p, u64 tsc_khz)
{
	memset(p, 0, sizeof(*p));
	p->tsc_khz = tsc_khz;
	p->reload = 0x10000;
	p->rw = PIT_RW_WORD;
}

/* Input-clock ticks between two TSC values (128-bit: no overflow). */
static u64 tsc_to_ticks(const struct vpit *p, u64 dt)
{
	if (!p->tsc_khz)
		return 0;
	return (u64)((unsigned __int128)dt * VPIT_HZ / (p->tsc_khz * 1000));
}

static bool running(const struct vpit *p)
{
	return p->programmed && (p->portb & PORTB_GATE2);
}

/* Input-clock ticks since the count was loaded: those counted before the
 * last stop plus the run since (computed from the run's start, so no
 * fraction of a tick is lost between reads). */
static u64 ticks_at(const struct vpit *p, u64 now)
{
	if (!running(p) || now <= p->tick_tsc)
		return p->ticks;
	return p->ticks + tsc_to_ticks(p, now - p->tick_tsc);
}

/* Before GATE2 or the count changes: fold the current run into ticks. */
static void fold(struct vpit *p, u64 now)
{
	p->ticks = ticks_at(p, now);
	p->tick_tsc = now;
}

/* The counting element at now (a u16: 0 stands for 65536 as loaded). */
static u16 count_now(const struct vpit *p, u64 now)
{
	u64 t = ticks_at(p, now);

	if (!p->programmed)
		return (u16)p->reload;
	if (p->mode == 0) /* counts down and wraps past 0 */
		return (u16)((p->reload - t % 0x10000) & 0xffff);
	/* modes 2 and 3: reload at the terminal count */
	return (u16)(p->reload - t % p->reload);
}

static bool out2(const struct vpit *p, u64 now)
{
	u64 t = ticks_at(p, now), phase;

	if (!p->programmed)
		return p->mode != 0; /* mode 0: OUT low after the control word */
	if (p->mode == 0)
		return t >= p->reload;
	phase = t % p->reload;
	if (p->mode == 2) /* low for the one tick before the reload */
		return phase != p->reload - 1;
	return phase < (p->reload + 1) / 2; /* mode 3: high for the first half */
}

static int control(struct vpit *p, u8 cw, u64 now)
{
	unsigned sc = (unsigned)FIELD_GET(PIT_CW_SC, cw), rw = (unsigned)FIELD_GET(PIT_CW_RW, cw);
	unsigned mode = (unsigned)FIELD_GET(PIT_CW_MODE, cw);

	if (sc != 2) /* counters 0, 1 are absent; read-back not modelled */
		return sc == 3 ? -EINVAL : 0;
	if (rw == PIT_RW_LATCH) {
		if (!p->latched) {
			p->latch = count_now(p, now);
			p->latched = true;
			p->msb_next = false;
		}
		return 0;
	}
	if (mode >= 6) /* 110 and 111 are modes 2 and 3 (data sheet, control word format) */
		mode -= 4;
	if ((mode != 0 && mode != 2 && mode != 3) || (cw & PIT_CW_BCD))
		return -EINVAL;
	fold(p, now);
	p->rw = (u8)rw;
	p->mode = (u8)mode;
	p->programmed = false; /* counting stops until a new count is loaded */
	p->msb_next = false;
	p->latched = false;
	return 0;
}

static void load(struct vpit *p, u16 count, u64 now)
{
	p->reload = count ? count : 0x10000;
	p->ticks = 0;
	p->tick_tsc = now;
	p->programmed = true;
}

static void write_count(struct vpit *p, u8 v, u64 now)
{
	switch (p->rw) {
	case PIT_RW_LSB:
		load(p, v, now);
		break;
	case PIT_RW_MSB:
		load(p, (u16)(v << 8), now);
		break;
	default: /* LSB then MSB: loaded with the MSB */
		if (!p->msb_next) {
			p->lsb_written = v;
			p->msb_next = true;
			if (p->mode == 0) { /* mode 0: the LSB write stops counting */
				fold(p, now);
				p->programmed = false;
			}
		} else {
			load(p, (u16)(p->lsb_written | v << 8), now);
			p->msb_next = false;
		}
	}
}

static u8 read_count(struct vpit *p, u64 now)
{
	u16 c;
	u8 b;

	c = p->latched ? p->latch : count_now(p, now);
	if (p->rw == PIT_RW_LSB)
		b = (u8)c;
	else if (p->rw == PIT_RW_MSB)
		b = (u8)(c >> 8);
	else
		b = p->msb_next ? (u8)(c >> 8) : (u8)c;
	if (p->rw == PIT_RW_WORD && !p->msb_next) {
		p->msb_next = true;
		return b;
	}
	p->msb_next = false;
	p->latched = false; /* a latched value is read once */
	return b;
}

int vpit_io(struct vpit *p, u16 port, bool in, u8 *val, u64 now)
{
	int ret = 0;

	switch (port) {
	case VPIT_CH2_PORT:
		if (in)
			*val = read_count(p, now);
		else
			write_count(p, *val, now);
		return 0;
	case VPIT_CTRL_PORT:
		if (in) {
			*val = 0xff;
			return 0;
		}
		ret = control(p, *val, now);
		if (ret)
			p->bad++;
		return ret;
	case VPIT_PORTB:
		if (in) {
			u64 ns =
			    p->tsc_khz ? (u64)((unsigned __int128)now * 1000000 / p->tsc_khz) : 0;

			*val = (u8)((p->portb & PORTB_RW_MASK) |
				    ((ns / REFRESH_NS) & 1 ? PORTB_REFRESH : 0) |
				    (out2(p, now) ? PORTB_OUT2 : 0));
		} else {
			fold(p, now); /* GATE2 may change */
			p->portb = *val & PORTB_RW_MASK;
		}
		return 0;
	}
	return -ENOENT;
}
