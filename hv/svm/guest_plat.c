/* The interrupt wiring of a guest's virtual platform (docs/linux.md "The
 * virtual platform"): the COM1 UART (hv/svm/vuart.c) on ports 0x3F8-0x3FF,
 * its IRQ line on I/O APIC pin 4 (hv/svm/vioapic.c), the I/O APIC's messages
 * into the local APIC (hv/svm/vlapic.c) and the local APIC's EOIs of
 * level-triggered vectors back to the I/O APIC; and the two MMIO pages a
 * Linux guest's platform emulates (xAPIC at 0xFEE00000, I/O APIC at
 * 0xFEC00000), for the #NPF path (exits.c) and the MMIO NAE of SNP guests
 * (snp_guest.c). Flat test guests have the UART only (no interrupt). */
#include <errno.h>
#include <string.h>

#include "hv/base/log.h"
#include "hv/svm/guest.h"

static void ioapic_deliver(void *ctx, u8 vec, bool level)
{
	struct guest *g = ctx;

	vlapic_set_irq_trig(&g->lapic, vec, level);
}

static void lapic_level_eoi(void *ctx, u8 vec)
{
	struct guest *g = ctx;

	vioapic_eoi(&g->ioapic, vec);
}

/* The I/O APIC sends to the one local APIC as it is programmed now. */
static void ioapic_sync_dest(struct guest *g)
{
	g->ioapic.apic_id = (u8)(g->lapic.id);
	g->ioapic.apic_logical = (u8)(g->lapic.ldr >> 24);
}

void guest_plat_reset(struct guest *g)
{
	vlapic_reset(&g->lapic, 0);
	g->lapic.level_eoi = lapic_level_eoi;
	g->lapic.level_eoi_ctx = g;
	vioapic_reset(&g->ioapic, VIOAPIC_ID, ioapic_deliver, g);
	vuart_reset(&g->uart);
	g->uart_line = false;
	memset(g->pm1, 0, sizeof(g->pm1));
}

/* After each UART access: its IRQ line to pin 4 (Linux guests only). */
static void uart_irq_update(struct guest *g)
{
	bool line = vuart_irq(&g->uart);

	if (!g->is_linux || line == g->uart_line)
		return;
	g->uart_line = line;
	if (line)
		g->uart_irqs++;
	ioapic_sync_dest(g);
	vioapic_set_irq(&g->ioapic, VUART_COM1_IRQ, line);
}

bool guest_plat_uart_io(struct guest *g, u16 port, u8 size, bool in, u32 *val)
{
	u32 out = *val;
	unsigned i;
	int c;

	if (port < VUART_COM1_BASE || port + size > VUART_COM1_BASE + 8)
		return false;
	if (in)
		*val = 0;
	for (i = 0; i < size; i++) {
		unsigned reg = port - VUART_COM1_BASE + i;

		if (in) {
			*val |= (u32)vuart_read(&g->uart, reg) << (8 * i);
		} else {
			c = vuart_write(&g->uart, reg, (u8)(out >> (8 * i)));
			if (c >= 0)
				guest_con_putc(g, (char)c);
		}
	}
	uart_irq_update(g);
	return true;
}

bool guest_plat_pit_io(struct guest *g, u16 port, u8 size, bool in, u32 *val)
{
	u8 b = (u8)*val;

	if (!g->is_linux || size != 1 ||
	    (port != VPIT_CH2_PORT && port != VPIT_CTRL_PORT && port != VPIT_PORTB))
		return false;
	if (vpit_io(&g->pit, port, in, &b, g->now) == -EINVAL && g->pit.bad <= GUEST_PLAT_WARN_MAX)
		pr_warn("guest %s: 8254 control word 0x%02x not modelled (counter 2 in modes 0, 2, "
			"3, binary, and the latch command only); ignored\n",
			g->name, b);
	if (in)
		*val = b;
	return true;
}

bool guest_plat_mmio_claims(const struct guest *g, u64 gpa)
{
	if (!g->is_linux)
		return false;
	return (gpa >= VLAPIC_BASE && gpa < VLAPIC_BASE + VLAPIC_PAGE_SIZE) ||
	       (gpa >= VIOAPIC_BASE && gpa < VIOAPIC_BASE + VIOAPIC_PAGE_SIZE);
}

int guest_plat_mmio(struct guest *g, u64 gpa, bool write, u32 *val)
{
	u32 off = (u32)(gpa & (PAGE_SIZE - 1));
	int ret;

	if (!guest_plat_mmio_claims(g, gpa))
		return -ENOENT;
	if (gpa >= VLAPIC_BASE && gpa < VLAPIC_BASE + VLAPIC_PAGE_SIZE)
		return write ? vlapic_write(&g->lapic, off, *val, g->now)
			     : vlapic_read(&g->lapic, off, g->now, val);
	ioapic_sync_dest(g);
	ret = write ? vioapic_write(&g->ioapic, off, *val) : vioapic_read(&g->ioapic, off, val);
	if (ret && g->ioapic.bad_access <= GUEST_PLAT_WARN_MAX)
		pr_warn("guest %s: I/O APIC %s of offset 0x%x (register 0x%x): not a register, "
			"ignored\n",
			g->name, write ? "write" : "read", off, g->ioapic.regsel);
	return ret;
}

/* ACPI PM1 registers (ACPI 6.4, 4.8.3.1 and 4.8.3.2): the status register
 * reads 0 (no event ever happens: no buttons, no RTC alarm, never woken)
 * and is write-1-to-clear; the enable register keeps what is written;
 * control reads SCI_EN = 1 (the platform is always in ACPI mode: SMI_CMD is
 * 0 in the FADT) and the written bits other than the write-only SLP_EN.
 * Writing SLP_EN with SLP_TYP from \_S5 (7.4.2) is the guest's power-off.
 * Byte, word and dword accesses are taken apart into bytes. */
static void pm1_byte(struct guest *g, unsigned off, bool in, u8 *b)
{
	u8 *r = g->pm1; /* [0..1] status, [2..3] enable, [4..5] control */

	if (in) {
		if (off < 2)
			*b = 0;
		else if (off == 4)
			*b = (u8)(r[4] | ACPI_PM1_CNT_SCI_EN);
		else
			*b = r[off];
		return;
	}
	if (off >= 2)
		r[off] = *b;
}

static void pm1_control_written(struct guest *g)
{
	u16 cnt = (u16)(g->pm1[4] | g->pm1[5] << 8);
	unsigned typ = (unsigned)FIELD_GET(ACPI_PM1_CNT_SLP_TYP, cnt);

	if (!(cnt & ACPI_PM1_CNT_SLP_EN))
		return;
	g->pm1[5] &= (u8) ~(ACPI_PM1_CNT_SLP_EN >> 8); /* write-only: reads 0 */
	if (typ != GUEST_PLAT_SLP_TYP_S5) {
		if (g->pm1_bad++ < GUEST_PLAT_WARN_MAX)
			pr_warn("guest %s: ACPI PM1 control 0x%04x: sleep type %u is not offered "
				"(only S5 = %u); ignored\n",
				g->name, cnt, typ, GUEST_PLAT_SLP_TYP_S5);
		return;
	}
	pr_info("guest %s: ACPI S5 (soft off): PM1a control 0x%x <- 0x%04x\n", g->name,
		GUEST_PLAT_PM1_CNT_PORT, cnt);
	guest_finish(g, GUEST_PASS, "powered off: ACPI S5 (PM1 control 0x%04x)", cnt);
}

bool guest_plat_pm1_io(struct guest *g, u16 port, u8 size, bool in, u32 *val)
{
	const u32 first = GUEST_PLAT_PM1_EVT_PORT;
	const u32 last = GUEST_PLAT_PM1_CNT_PORT + GUEST_PLAT_PM1_CNT_LEN;
	bool cnt = false;

	_Static_assert(GUEST_PLAT_PM1_CNT_PORT == GUEST_PLAT_PM1_EVT_PORT + GUEST_PLAT_PM1_EVT_LEN,
		       "PM1 blocks adjacent");
	if (!g->is_linux || port < first || port >= last)
		return false;
	if (port + size > last) {
		if (g->pm1_bad++ < GUEST_PLAT_WARN_MAX)
			pr_warn("guest %s: %u-byte %s of port 0x%x runs past the PM1 blocks "
				"(0x%x-0x%x); ignored\n",
				g->name, size, in ? "read" : "write", port, first, last - 1);
		if (in)
			*val = 0xffffffffu;
		return true;
	}
	if (in)
		*val = 0;
	for (unsigned i = 0; i < size; i++) {
		unsigned off = port - first + i;
		u8 b = (u8)(*val >> (8 * i));

		pm1_byte(g, off, in, &b);
		if (in)
			*val |= (u32)b << (8 * i);
		cnt |= off >= 4;
	}
	if (!in && cnt)
		pm1_control_written(g);
	return true;
}
