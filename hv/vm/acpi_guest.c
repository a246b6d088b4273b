/* A Linux guest's ACPI tables (hv/vm/acpi_guest.h). ACPI 6.4: 5.2.5.3 RSDP,
 * 5.2.8 XSDT, 5.2.12 MADT (table 5.19), 5.2.12.2 Processor Local APIC,
 * 5.2.12.3 I/O APIC, 5.2.12.5 Interrupt Source Override, 5.2.9 FADT, 5.2.10
 * FACS, 5.2.11.1 DSDT, chapter 20 (AML encoding), 6.4 (resource descriptors). */
#include "hv/vm/acpi_guest.h"

#include <errno.h>
#include <string.h>

#include "hv/arch/x86/acpi.h"
#include "hv/svm/guest_plat.h"
#include "hv/svm/vioapic.h"
#include "hv/svm/vuart.h"

struct madt_one_cpu {
	struct acpi_madt madt;
	struct acpi_madt_lapic lapic;
	struct acpi_madt_ioapic ioapic;
	struct acpi_madt_iso iso_com1;
} __packed;
CHECK_SIZE(struct madt_one_cpu, 74);
CHECK_OFFSET(struct madt_one_cpu, ioapic, 52);
CHECK_OFFSET(struct madt_one_cpu, iso_com1, 64);

struct xsdt_two {
	struct acpi_header hdr;
	u64 entry[2]; /* MADT, FADT */
} __packed;
CHECK_SIZE(struct xsdt_two, 52);

/* ---- DSDT: hand-assembled AML (ACPI 6.4 chapter 20) ------------------------
 * DefinitionBlock ("", "DSDT", 2, "SNPVSR", "SNPVISOR", 1)
 * {
 *     Name (_S5, Package (4) { 5, 5, 0, 0 })
 *     Scope (_SB) {                              // only with a virtual PCI bus
 *         Device (PCI0) {
 *             Name (_HID, EisaId ("PNP0A03"))
 *             Name (_UID, 0)
 *             Name (_BBN, 0)
 *             Name (_CRS, ResourceTemplate () {
 *                 WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
 *                                0, 0, 0, 0, 1)              // bus 0 only
 *                 IO (Decode16, 0xCF8, 0xCF8, 1, 8)          // configuration ports
 *                 QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,
 *                              NonCacheable, ReadWrite, 0, lo, hi - 1, 0, hi - lo)
 *             })
 *         }
 *     }
 * }
 * PkgLength (20.2.4): one byte up to 63; above, byte 0 = 0x40 | (length &
 * 0xF) with one more byte = length >> 4. A PkgLength counts itself and
 * everything up to the end of its package. */
static const u8 aml_s5[] = {
    0x08, /* NameOp (20.2.5.2) */
    '_',  'S',
    '5',  '_',			 /* NameSeg "_S5_" */
    0x12,			 /* PackageOp (20.2.5.4) */
    0x08,			 /* PkgLength: 8 bytes (this one through the last element) */
    0x04,			 /* NumElements */
    0x0a, GUEST_PLAT_SLP_TYP_S5, /* BytePrefix, SLP_TYPa (7.4.2: the value for SLP_TYP) */
    0x0a, GUEST_PLAT_SLP_TYP_S5, /* BytePrefix, SLP_TYPb (no second register: unused) */
    0x00,			 /* ZeroOp: reserved */
    0x00,			 /* ZeroOp: reserved */
};
_Static_assert(sizeof(aml_s5) == 14, "\\_S5 is 14 bytes");

static const u8 aml_pci0[] = {
    /* Scope (_SB) */
    0x10,		/* 0: ScopeOp (20.2.5.1) */
    0x46, 0x07,		/* 1: PkgLength 0x76 = 118 (2 + 4 + 112) */
    '_', 'S', 'B', '_', /* 3: NameString "_SB_" */
    /* Device (PCI0) */
    0x5b, 0x82,			    /* 7: ExtOpPrefix, DeviceOp (20.2.5.2) */
    0x4e, 0x06,			    /* 9: PkgLength 0x6E = 110 (2 + 4 + 10 + 6 + 6 + 82) */
    'P', 'C', 'I', '0',		    /* 11: NameString "PCI0" */
    0x08, '_', 'H', 'I', 'D',	    /* 15: Name (_HID, */
    0x0c, 0x41, 0xd0, 0x0a, 0x03,   /* 20: DWordPrefix, EisaId ("PNP0A03") = 0x030AD041 */
    0x08, '_', 'U', 'I', 'D', 0x00, /* 25: Name (_UID, Zero) */
    0x08, '_', 'B', 'B', 'N', 0x00, /* 31: Name (_BBN, Zero): base bus 0 */
    0x08, '_', 'C', 'R', 'S',	    /* 37: Name (_CRS, */
    0x11,			    /* 42: BufferOp (20.2.5.4) */
    0x4c, 0x04,			    /* 43: PkgLength 0x4C = 76 (2 + 2 + 72) */
    0x0a, 0x48,			    /* 45: BufferSize: BytePrefix 72 */
    /* 47: Word Address Space Descriptor (6.4.3.5.3), bus numbers */
    0x88, 0x0d, 0x00, /* type 0x88, length 13 */
    0x02,	      /* resource type: bus number range */
    0x0c,	      /* general flags: _MAF | _MIF fixed, producer */
    0x00,	      /* type-specific flags */
    0x00, 0x00,	      /* _GRA */
    0x00, 0x00,	      /* _MIN bus 0 */
    0x00, 0x00,	      /* _MAX bus 0 */
    0x00, 0x00,	      /* _TRA */
    0x01, 0x00,	      /* _LEN 1 */
    /* 63: I/O Port Descriptor (6.4.2.5): the configuration mechanism #1 ports */
    0x47, 0x01,		    /* small item 0x47 (length 7), 16-bit decode */
    0xf8, 0x0c, 0xf8, 0x0c, /* _MIN 0xCF8, _MAX 0xCF8 */
    0x01, 0x08,		    /* _ALN 1, _LEN 8 */
    /* 71: QWord Address Space Descriptor (6.4.3.5.1), the BAR window */
    0x8a, 0x2b, 0x00,	    /* type 0x8A, length 43 */
    0x00,		    /* resource type: memory */
    0x0c,		    /* general flags: _MAF | _MIF fixed, producer, positive decode */
    0x01,		    /* type-specific: read-write, non-cacheable (_MEM 0) */
    0, 0, 0, 0, 0, 0, 0, 0, /* 77: _GRA */
    0, 0, 0, 0, 0, 0, 0, 0, /* 85: _MIN (patched) */
    0, 0, 0, 0, 0, 0, 0, 0, /* 93: _MAX (patched) */
    0, 0, 0, 0, 0, 0, 0, 0, /* 101: _TRA */
    0, 0, 0, 0, 0, 0, 0, 0, /* 109: _LEN (patched) */
    0x79, 0x00,		    /* 117: End Tag (6.4.2.9), checksum 0: not checked */
};
_Static_assert(sizeof(aml_pci0) == 119, "Scope (_SB) is 1 + 118 bytes");

#define AML_PCI0_MIN 85
#define AML_PCI0_MAX 93
#define AML_PCI0_LEN 109

struct dsdt {
	struct acpi_header hdr;
	u8 aml[sizeof(aml_s5) + sizeof(aml_pci0)];
} __packed;

_Static_assert(ACPI_GUEST_XSDT_OFF >= sizeof(struct acpi_rsdp), "RSDP fits");
_Static_assert(ACPI_GUEST_MADT_OFF - ACPI_GUEST_XSDT_OFF >= sizeof(struct xsdt_two), "XSDT");
_Static_assert(ACPI_GUEST_FADT_OFF - ACPI_GUEST_MADT_OFF >= sizeof(struct madt_one_cpu), "MADT");
_Static_assert(ACPI_GUEST_DSDT_OFF - ACPI_GUEST_FADT_OFF >= sizeof(struct acpi_fadt), "FADT");
_Static_assert(ACPI_GUEST_FACS_OFF - ACPI_GUEST_DSDT_OFF >= sizeof(struct dsdt), "DSDT");
_Static_assert(ACPI_GUEST_SIZE - ACPI_GUEST_FACS_OFF >= sizeof(struct acpi_facs), "FACS");
_Static_assert(ACPI_GUEST_FACS_OFF % 64 == 0, "FACS 64-byte aligned (5.2.10)");
_Static_assert(ACPI_GUEST_FADT_OFF % 8 == 0 && ACPI_GUEST_DSDT_OFF % 8 == 0, "aligned");

static void header(struct acpi_header *h, const char *sig, u32 len, u8 rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_GUEST_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_GUEST_OEM_TABLE, 8);
	h->oem_revision = 1;
	memcpy(&h->creator_id, "SNPV", 4);
	h->creator_revision = 1;
}

static void checksum(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = (u8)-acpi_checksum(h, h->length);
}

static void build_madt(struct madt_one_cpu *madt, u8 apic_id, u32 lapic_addr)
{
	header(&madt->madt.hdr, "APIC", sizeof(*madt), 5);
	madt->madt.lapic_addr = lapic_addr;
	madt->madt.flags = 0; /* no dual 8259 (PCAT_COMPAT clear) */
	madt->lapic.type = ACPI_MADT_TYPE_LAPIC;
	madt->lapic.length = sizeof(madt->lapic);
	madt->lapic.uid = 0;
	madt->lapic.apic_id = apic_id;
	madt->lapic.flags = ACPI_MADT_ENABLED;
	/* The I/O APIC (hv/svm/vioapic.c), its pins GSI 0-23 (5.2.13). */
	madt->ioapic.type = ACPI_MADT_TYPE_IOAPIC;
	madt->ioapic.length = sizeof(madt->ioapic);
	madt->ioapic.ioapic_id = VIOAPIC_ID;
	madt->ioapic.address = (u32)VIOAPIC_BASE;
	madt->ioapic.gsi_base = 0;
	/* ISA IRQ 4 (COM1) -> GSI 4, edge, active high (flags 0: as the ISA
	 * bus). The identity mapping is ACPI's default; the entry states it
	 * for a guest that has no 8259 (docs/linux.md). */
	madt->iso_com1.type = ACPI_MADT_TYPE_ISO;
	madt->iso_com1.length = sizeof(madt->iso_com1);
	madt->iso_com1.bus = 0;
	madt->iso_com1.source = VUART_COM1_IRQ;
	madt->iso_com1.gsi = VUART_COM1_IRQ;
	madt->iso_com1.flags = 0;
	checksum(&madt->madt.hdr);
}

static void io_block(struct acpi_gas *r, u16 port, u8 len)
{
	r->space_id = ACPI_GAS_SPACE_IO;
	r->bit_width = (u8)(8 * len);
	r->bit_offset = 0;
	r->access_size = 0; /* undefined: legacy block, any width */
	r->address = port;
}

/* Fixed hardware reduced to the PM1a event and control blocks (4.8.3,
 * hv/svm/guest_plat.c): SCI on ISA IRQ 9 (never raised), no SMI command
 * port (always in ACPI mode), no PM timer, no GPE blocks, no fixed power
 * or sleep button; no i8042 (IAPC_BOOT_ARCH bit 1 clear), no VGA. Not
 * hardware-reduced: that makes Linux drop the legacy IRQs 0-15, so the
 * UART's ISA IRQ 4 would no longer be IRQ 4 (docs/linux.md "ACPI"). */
static void build_fadt(struct acpi_fadt *f, u64 dsdt, u64 facs)
{
	header(&f->hdr, "FACP", sizeof(*f), 6);
	f->minor_version = 4; /* ACPI 6.4 */
	f->firmware_ctrl = (u32)facs;
	f->x_firmware_ctrl = 0; /* only one of the two may be set (5.2.9) */
	f->dsdt = (u32)dsdt;
	f->x_dsdt = dsdt;
	f->sci_int = GUEST_PLAT_SCI_IRQ;
	f->pm1a_evt_blk = GUEST_PLAT_PM1_EVT_PORT;
	f->pm1_evt_len = GUEST_PLAT_PM1_EVT_LEN;
	f->pm1a_cnt_blk = GUEST_PLAT_PM1_CNT_PORT;
	f->pm1_cnt_len = GUEST_PLAT_PM1_CNT_LEN;
	io_block(&f->x_pm1a_evt_blk, GUEST_PLAT_PM1_EVT_PORT, GUEST_PLAT_PM1_EVT_LEN);
	io_block(&f->x_pm1a_cnt_blk, GUEST_PLAT_PM1_CNT_PORT, GUEST_PLAT_PM1_CNT_LEN);
	f->flags = (u32)(ACPI_FADT_WBINVD | ACPI_FADT_PWR_BUTTON | ACPI_FADT_SLP_BUTTON);
	f->iapc_boot_arch = (u16)ACPI_FADT_BOOT_NO_VGA;
	memcpy(&f->hypervisor_vendor_id, "SNPVISOR", 8);
	checksum(&f->hdr);
}

static void build_facs(struct acpi_facs *f)
{
	memcpy(f->signature, "FACS", 4);
	f->length = sizeof(*f);
	f->version = 2; /* no checksum: the FACS has none (5.2.10) */
}

static void put_u64(u8 *p, u64 v)
{
	memcpy(p, &v, 8); /* AML integers are little-endian (20.2.3) */
}

static void build_dsdt(struct dsdt *d, u64 win_lo, u64 win_hi)
{
	u32 len = (u32)(sizeof(d->hdr) + sizeof(aml_s5));

	memcpy(d->aml, aml_s5, sizeof(aml_s5));
	if (win_hi) {
		u8 *p = d->aml + sizeof(aml_s5);

		memcpy(p, aml_pci0, sizeof(aml_pci0));
		put_u64(p + AML_PCI0_MIN, win_lo);
		put_u64(p + AML_PCI0_MAX, win_hi - 1);
		put_u64(p + AML_PCI0_LEN, win_hi - win_lo);
		len += sizeof(aml_pci0);
	}
	header(&d->hdr, "DSDT", len, 2);
	checksum(&d->hdr);
}

int acpi_guest_build(void *buf, u64 size, u64 base, u8 apic_id, u32 lapic_addr, u64 pci_win_lo,
		     u64 pci_win_hi)
{
	u8 *p = buf;
	struct acpi_rsdp *rsdp = buf;
	struct xsdt_two *xsdt = (struct xsdt_two *)(p + ACPI_GUEST_XSDT_OFF);

	if (size < ACPI_GUEST_SIZE || (base & 15) || base + ACPI_GUEST_SIZE > BIT(32))
		return -EINVAL;
	if ((pci_win_lo || pci_win_hi) && pci_win_lo >= pci_win_hi)
		return -EINVAL;
	memset(buf, 0, ACPI_GUEST_SIZE);

	build_madt((struct madt_one_cpu *)(p + ACPI_GUEST_MADT_OFF), apic_id, lapic_addr);
	build_fadt((struct acpi_fadt *)(p + ACPI_GUEST_FADT_OFF), base + ACPI_GUEST_DSDT_OFF,
		   base + ACPI_GUEST_FACS_OFF);
	build_facs((struct acpi_facs *)(p + ACPI_GUEST_FACS_OFF));
	build_dsdt((struct dsdt *)(p + ACPI_GUEST_DSDT_OFF), pci_win_lo, pci_win_hi);

	header(&xsdt->hdr, "XSDT", sizeof(*xsdt), 1);
	xsdt->entry[0] = base + ACPI_GUEST_MADT_OFF;
	xsdt->entry[1] = base + ACPI_GUEST_FADT_OFF;
	checksum(&xsdt->hdr);

	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_GUEST_OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->rsdt_address = 0; /* XSDT only */
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = base + ACPI_GUEST_XSDT_OFF;
	rsdp->checksum = (u8)-acpi_checksum(rsdp, 20);
	rsdp->ext_checksum = (u8)-acpi_checksum(rsdp, sizeof(*rsdp));
	return 0;
}
