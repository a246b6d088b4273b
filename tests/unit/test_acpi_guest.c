/* Unit tests of a Linux guest's ACPI tables (hv/vm/acpi_guest.c): read back
 * with the hypervisor's own ACPI layouts, checksums by hand, the MADT's
 * I/O APIC and override entries as raw bytes, the FADT's fields by raw
 * offset (PM1a blocks, SCI, FACS), the DSDT's AML walked (every PkgLength ends where
 * its package ends, the resource template walks to its end tag) with and
 * without the PCI root bridge, bad arguments refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "hv/arch/x86/acpi.h"
#include "hv/vm/acpi_guest.h"

static u8 buf[ACPI_GUEST_SIZE] __attribute__((aligned(16)));

static void test_tables(void **state)
{
	const struct acpi_rsdp *r = (const void *)buf;
	const struct acpi_header *x = (const void *)(buf + ACPI_GUEST_XSDT_OFF);
	const struct acpi_madt *m = (const void *)(buf + ACPI_GUEST_MADT_OFF);
	const struct acpi_madt_lapic *lp = (const void *)(buf + ACPI_GUEST_MADT_OFF + 44);
	u64 entry;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(acpi_guest_build(buf, sizeof(buf), 0x9f000, 0, 0xfee00000, 0, 0), 0);
	assert_memory_equal(r->signature, "RSD PTR ", 8);
	assert_int_equal(r->revision, 2);
	assert_int_equal(r->length, 36);
	assert_int_equal(acpi_checksum(r, 20), 0);
	assert_int_equal(acpi_checksum(r, 36), 0);
	assert_int_equal(r->xsdt_address, 0x9f000 + ACPI_GUEST_XSDT_OFF);
	assert_memory_equal(x->signature, "XSDT", 4);
	assert_int_equal(x->length, 52);
	assert_int_equal(acpi_checksum(x, x->length), 0);
	memcpy(&entry, buf + ACPI_GUEST_XSDT_OFF + 36, 8);
	assert_int_equal(entry, 0x9f000 + ACPI_GUEST_MADT_OFF);
	memcpy(&entry, buf + ACPI_GUEST_XSDT_OFF + 44, 8);
	assert_int_equal(entry, 0x9f000 + ACPI_GUEST_FADT_OFF);
	assert_memory_equal(m->hdr.signature, "APIC", 4);
	assert_int_equal(m->hdr.length, 74);
	assert_int_equal(acpi_checksum(m, m->hdr.length), 0);
	assert_int_equal(m->lapic_addr, 0xfee00000);
	assert_int_equal(m->flags, 0);
	assert_int_equal(lp->type, ACPI_MADT_TYPE_LAPIC);
	assert_int_equal(lp->length, 8);
	assert_int_equal(lp->apic_id, 0);
	assert_int_equal(lp->flags, ACPI_MADT_ENABLED);
	/* the I/O APIC entry (5.2.12.3), raw bytes */
	{
		static const u8 ioapic[12] = {1, 12, 0, 0, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0};
		static const u8 iso[10] = {2, 10, 0, 4, 4, 0, 0, 0, 0, 0};

		assert_memory_equal(buf + ACPI_GUEST_MADT_OFF + 52, ioapic, sizeof(ioapic));
		assert_memory_equal(buf + ACPI_GUEST_MADT_OFF + 64, iso, sizeof(iso));
	}
	/* nothing between the MADT and the FADT */
	for (unsigned i = ACPI_GUEST_MADT_OFF + 74; i < ACPI_GUEST_FADT_OFF; i++)
		assert_int_equal(buf[i], 0);
}

static u32 rd32(unsigned off)
{
	u32 v;

	memcpy(&v, buf + off, 4);
	return v;
}

static u64 rd64(unsigned off)
{
	u64 v;

	memcpy(&v, buf + off, 8);
	return v;
}

/* The FADT by raw offset (ACPI 6.4 table 5.9) and the FACS (5.2.10). */
static void test_fadt(void **state)
{
	const unsigned f = ACPI_GUEST_FADT_OFF, c = ACPI_GUEST_FACS_OFF;

	(void)state;
	assert_int_equal(acpi_guest_build(buf, sizeof(buf), 0x9f000, 0, 0xfee00000, 0, 0), 0);
	assert_memory_equal(buf + f, "FACP", 4);
	assert_int_equal(rd32(f + 4), 276);
	assert_int_equal(buf[f + 8], 6); /* revision */
	assert_int_equal(acpi_checksum(buf + f, 276), 0);
	assert_int_equal(rd32(f + 36), 0x9f000 + ACPI_GUEST_FACS_OFF);	 /* FIRMWARE_CTRL */
	assert_int_equal(rd64(f + 132), 0);				 /* X_FIRMWARE_CTRL */
	assert_int_equal(rd32(f + 40), 0x9f000 + ACPI_GUEST_DSDT_OFF);	 /* DSDT */
	assert_int_equal(rd64(f + 140), 0x9f000 + ACPI_GUEST_DSDT_OFF); /* X_DSDT */
	assert_int_equal(buf[f + 46] | buf[f + 47] << 8, 9);		 /* SCI_INT */
	assert_int_equal(rd32(f + 48), 0);				 /* SMI_CMD: ACPI mode */
	assert_int_equal(rd32(f + 56), 0x600);				 /* PM1a_EVT_BLK */
	assert_int_equal(rd32(f + 60), 0);				 /* PM1b_EVT_BLK */
	assert_int_equal(rd32(f + 64), 0x604);				 /* PM1a_CNT_BLK */
	for (unsigned i = 68; i < 88; i++) /* PM1b_CNT .. GPE1_BLK: none */
		assert_int_equal(buf[f + i], 0);
	assert_int_equal(buf[f + 88], 4); /* PM1_EVT_LEN */
	assert_int_equal(buf[f + 89], 2); /* PM1_CNT_LEN */
	for (unsigned i = 90; i < 109; i++) /* PM2, PM timer, GPE lengths .. CENTURY */
		assert_int_equal(buf[f + i], 0);
	assert_int_equal(buf[f + 109] | buf[f + 110] << 8, 1u << 2); /* no VGA, no 8042 */
	/* WBINVD, no fixed power/sleep button; not HW_REDUCED (bit 20) */
	assert_int_equal(rd32(f + 112), (1u << 0) | (1u << 4) | (1u << 5));
	assert_int_equal(buf[f + 131], 4); /* minor version */
	/* X_PM1a_EVT_BLK (148) and X_PM1a_CNT_BLK (172): system I/O GAS */
	static const u8 evt[12] = {1, 32, 0, 0, 0x00, 0x06, 0, 0, 0, 0, 0, 0};
	static const u8 cnt[12] = {1, 16, 0, 0, 0x04, 0x06, 0, 0, 0, 0, 0, 0};
	assert_memory_equal(buf + f + 148, evt, 12);
	assert_memory_equal(buf + f + 172, cnt, 12);
	for (unsigned i = 160; i < 172; i++) /* X_PM1b_EVT_BLK */
		assert_int_equal(buf[f + i], 0);
	for (unsigned i = 184; i < 268; i++) /* X_PM1b_CNT .. SLEEP_STATUS */
		assert_int_equal(buf[f + i], 0);
	assert_memory_equal(buf + f + 268, "SNPVISOR", 8);
	/* FACS: signature, length 64, version 2, nothing else */
	assert_memory_equal(buf + c, "FACS", 4);
	assert_int_equal(rd32(c + 4), 64);
	assert_int_equal(buf[c + 32], 2);
	for (unsigned i = 8; i < 64; i++)
		if (i != 32)
			assert_int_equal(buf[c + i], 0);
}

/* AML PkgLength (ACPI 6.4, 20.2.4) at p: its value, *n = its bytes. */
static unsigned pkglen(const u8 *p, unsigned *n)
{
	unsigned follow = p[0] >> 6, v;

	if (!follow) {
		*n = 1;
		return p[0] & 0x3f;
	}
	v = p[0] & 0x0f;
	for (unsigned i = 1; i <= follow; i++)
		v |= (unsigned)p[i] << (4 + 8 * (i - 1));
	*n = 1 + follow;
	return v;
}

static const u8 s5[] = {0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 5, 0x0a, 5, 0, 0};

static void test_dsdt_no_pci(void **state)
{
	const u8 *d = buf + ACPI_GUEST_DSDT_OFF;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(acpi_guest_build(buf, sizeof(buf), 0x9f000, 0, 0xfee00000, 0, 0), 0);
	assert_memory_equal(d, "DSDT", 4);
	assert_int_equal(rd32(ACPI_GUEST_DSDT_OFF + 4), 36 + sizeof(s5));
	assert_int_equal(d[8], 2);
	assert_int_equal(acpi_checksum(d, 36 + sizeof(s5)), 0);
	/* Name (_S5, Package (4) { 5, 5, 0, 0 }): the package's PkgLength
	 * reaches exactly the end of the table */
	assert_memory_equal(d + 36, s5, sizeof(s5));
	for (unsigned i = ACPI_GUEST_DSDT_OFF + 36 + sizeof(s5); i < ACPI_GUEST_FACS_OFF; i++)
		assert_int_equal(buf[i], 0);
}

/* Walks Scope (_SB) { Device (PCI0) { ... Name (_CRS, Buffer) } }. */
static void test_dsdt_pci(void **state)
{
	const u64 lo = 0x40000000, hi = lo + 32 * (16ULL << 20);
	const u8 *d = buf + ACPI_GUEST_DSDT_OFF, *p, *end, *crs, *crs_end;
	u32 len;
	unsigned n, l, bus = 0, io = 0, mem = 0;

	(void)state;
	assert_int_equal(acpi_guest_build(buf, sizeof(buf), 0x9f000, 0, 0xfee00000, lo, hi), 0);
	len = rd32(ACPI_GUEST_DSDT_OFF + 4);
	end = d + len;
	assert_true(ACPI_GUEST_DSDT_OFF + len <= ACPI_GUEST_FACS_OFF);
	assert_int_equal(acpi_checksum(d, len), 0);
	assert_memory_equal(d + 36, s5, sizeof(s5));
	p = d + 36 + sizeof(s5);
	assert_int_equal(p[0], 0x10); /* ScopeOp */
	l = pkglen(p + 1, &n);
	assert_ptr_equal(p + 1 + l, end);
	assert_memory_equal(p + 1 + n, "_SB_", 4);
	p += 1 + n + 4;
	assert_int_equal(p[0], 0x5b); /* DeviceOp */
	assert_int_equal(p[1], 0x82);
	l = pkglen(p + 2, &n);
	assert_ptr_equal(p + 2 + l, end);
	assert_memory_equal(p + 2 + n, "PCI0", 4);
	p += 2 + n + 4;
	static const u8 hid[] = {0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03};
	static const u8 uid[] = {0x08, '_', 'U', 'I', 'D', 0x00};
	static const u8 bbn[] = {0x08, '_', 'B', 'B', 'N', 0x00};
	assert_memory_equal(p, hid, sizeof(hid));
	p += sizeof(hid);
	assert_memory_equal(p, uid, sizeof(uid));
	p += sizeof(uid);
	assert_memory_equal(p, bbn, sizeof(bbn));
	p += sizeof(bbn);
	assert_memory_equal(p, "\x08_CRS\x11", 6); /* NameOp _CRS BufferOp */
	l = pkglen(p + 6, &n);
	assert_ptr_equal(p + 6 + l, end);
	assert_int_equal(p[6 + n], 0x0a); /* BytePrefix buffer size */
	crs = p + 6 + n + 2;
	crs_end = crs + p[6 + n + 1];
	assert_ptr_equal(crs_end, end);
	/* the resource template: large items (bit 7) have a 16-bit length */
	for (p = crs; p < crs_end;) {
		if (p[0] == 0x79) { /* End Tag */
			assert_ptr_equal(p + 2, crs_end);
			break;
		}
		if (p[0] & 0x80) {
			unsigned ilen = p[1] | p[2] << 8;

			if (p[0] == 0x88) { /* Word Address Space: bus 0 only */
				assert_int_equal(p[3], 2);
				assert_int_equal(p[8] | p[9] << 8, 0);
				assert_int_equal(p[10] | p[11] << 8, 0);
				assert_int_equal(p[14] | p[15] << 8, 1);
				bus++;
			} else if (p[0] == 0x8a) { /* QWord Address Space: memory */
				u64 mn, mx, ln;

				assert_int_equal(ilen, 43);
				assert_int_equal(p[3], 0);
				memcpy(&mn, p + 14, 8);
				memcpy(&mx, p + 22, 8);
				memcpy(&ln, p + 38, 8);
				assert_int_equal(mn, lo);
				assert_int_equal(mx, hi - 1);
				assert_int_equal(ln, hi - lo);
				mem++;
			} else {
				fail_msg("unexpected large item 0x%02x", p[0]);
			}
			p += 3 + ilen;
		} else {
			assert_int_equal(p[0], 0x47); /* I/O port: 0xCF8, 8 ports */
			assert_int_equal(p[2] | p[3] << 8, 0xcf8);
			assert_int_equal(p[7], 8);
			io++;
			p += 1 + (p[0] & 7);
		}
	}
	assert_true(p < crs_end);
	assert_int_equal(bus, 1);
	assert_int_equal(io, 1);
	assert_int_equal(mem, 1);
}

static void test_bad_args(void **state)
{
	(void)state;
	assert_int_equal(acpi_guest_build(buf, ACPI_GUEST_SIZE - 1, 0x9f000, 0, 0xfee00000, 0, 0),
			 -EINVAL);
	assert_int_equal(acpi_guest_build(buf, sizeof(buf), 0x9f008, 0, 0xfee00000, 0, 0), -EINVAL);
	assert_int_equal(acpi_guest_build(buf, sizeof(buf), 0xfffffe00ULL, 0, 0xfee00000, 0, 0),
			 -EINVAL);
	/* an empty or inverted PCI window */
	assert_int_equal(acpi_guest_build(buf, sizeof(buf), 0x9f000, 0, 0xfee00000, 0x1000, 0x1000),
			 -EINVAL);
	assert_int_equal(acpi_guest_build(buf, sizeof(buf), 0x9f000, 0, 0xfee00000, 0, 0x1000),
			 0);
	assert_int_equal(acpi_guest_build(buf, sizeof(buf), 0x9f000, 0, 0xfee00000, 0x2000, 0),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tables),
	    cmocka_unit_test(test_fadt),
	    cmocka_unit_test(test_dsdt_no_pci),
	    cmocka_unit_test(test_dsdt_pci),
	    cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
