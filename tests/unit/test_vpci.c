/* Unit tests of the virtual PCI of Linux guests (hv/vm/vpci.c) against a
 * fake NVMe-like function: CONFIG_ADDRESS semantics, the host bridge,
 * absent functions, the filtered capability list (PM and MSI hidden, PCIe
 * read-only, MSI-X with a virtual control word), BAR0 sizing, moving and
 * decode, and MSI-X: the real entry never carries the guest's address or
 * data, masking and the pending bit, refused and foreign messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hv/svm/vlapic.h"
#include "hv/vm/vpci.h"

#define FAKE_BDF  0x0018 /* host 00:03.0 */
#define GUEST_BAR 0xe0000000ULL
#define BAR_SIZE  0x4000ULL
#define HOST_APIC 0

static u8 cfg[PCI_CFG_SPACE_SIZE];
static unsigned real_writes;

static u32 fake_read(void *ctx, u16 bdf, u16 reg, unsigned size)
{
	u32 v = 0;

	(void)ctx;
	if (bdf != FAKE_BDF)
		return size == 4 ? ~0u : (u32)(BIT(8 * size) - 1);
	memcpy(&v, cfg + reg, size);
	return v;
}

static void fake_write(void *ctx, u16 bdf, u16 reg, unsigned size, u32 val)
{
	(void)ctx;
	(void)bdf;
	(void)reg;
	(void)size;
	(void)val;
	real_writes++;
}

static const struct pci_cfg_ops fake_ops = {fake_read, fake_write};
static const struct pci_access fake = {&fake_ops, NULL};

static void put16(u16 reg, u16 v)
{
	memcpy(cfg + reg, &v, 2);
}

static void put32(u16 reg, u32 v)
{
	memcpy(cfg + reg, &v, 4);
}

/* QEMU's NVMe as the tests see it: PM at 0x40, MSI at 0x50, MSI-X (65
 * entries, table at BAR0 + 0x2000, PBA at + 0x3000) at 0x60, PCIe at 0x80. */
static void fake_nvme(u32 table, u32 pba)
{
	memset(cfg, 0, sizeof(cfg));
	put32(PCI_VENDOR_ID, 0x00101b36);
	put32(PCI_CLASS_REVISION, 0x01080202);
	put16(PCI_STATUS, PCI_STATUS_CAP_LIST);
	put32(PCI_SUBSYSTEM_VENDOR_ID, 0x11001af4);
	cfg[PCI_CAPABILITY_LIST] = 0x40;
	cfg[0x40] = PCI_CAP_ID_PM, cfg[0x41] = 0x50, put16(0x42, 0x0003);
	cfg[0x50] = PCI_CAP_ID_MSI, cfg[0x51] = 0x60, put16(0x52, 0x0080);
	cfg[0x60] = PCI_CAP_ID_MSIX, cfg[0x61] = 0x80, put16(0x62, 64);
	put32(0x64, table);
	put32(0x68, pba);
	cfg[0x80] = PCI_CAP_ID_EXP, cfg[0x81] = 0x00, put16(0x82, 0x0002);
	put32(0x84, 0x10008001); /* Device Capabilities */
	real_writes = 0;
}

static struct vpci vp;

static struct pci_bar bar0(void)
{
	return (struct pci_bar){
	    .kind = PCI_BAR_MEM64, .index = 0, .addr = 0xc0000000, .size = BAR_SIZE};
}

static int setup(void **state)
{
	struct pci_bar b = bar0();
	char why[96];

	(void)state;
	fake_nvme(0x2000, 0x3000);
	vpci_init(&vp);
	assert_int_equal(vpci_add(&vp, &fake, FAKE_BDF, &b, GUEST_BAR, why, sizeof(why)), 0);
	return 0;
}

static u32 cfg_in(u8 dev, u16 reg, unsigned size)
{
	u32 a = (u32)PCI_CONF1_ENABLE | (u32)dev << 11 | (reg & 0xfc), v = 0;

	assert_int_equal(vpci_pio(&vp, PCI_CONF1_ADDR_PORT, 4, false, &a), 0);
	assert_int_equal(vpci_pio(&vp, PCI_CONF1_DATA_PORT + (reg & 3), size, true, &v), 0);
	return v;
}

static void cfg_out(u8 dev, u16 reg, unsigned size, u32 v)
{
	u32 a = (u32)PCI_CONF1_ENABLE | (u32)dev << 11 | (reg & 0xfc);

	assert_int_equal(vpci_pio(&vp, PCI_CONF1_ADDR_PORT, 4, false, &a), 0);
	assert_int_equal(vpci_pio(&vp, PCI_CONF1_DATA_PORT + (reg & 3), size, false, &v), 0);
}

static void test_config_address(void **state)
{
	u32 v = 0x80000000u, got = 0;

	(void)state;
	assert_int_equal(vpci_pio(&vp, PCI_CONF1_ADDR_PORT, 4, false, &v), 0);
	assert_int_equal(vpci_pio(&vp, PCI_CONF1_ADDR_PORT, 4, true, &got), 0);
	assert_int_equal(got, 0x80000000u); /* Linux's pci_check_type1 */
	v = 1;				    /* a byte at 0xCFB is not CONFIG_ADDRESS */
	assert_int_equal(vpci_pio(&vp, 0xcfb, 1, false, &v), 0);
	assert_int_equal(vpci_pio(&vp, PCI_CONF1_ADDR_PORT, 4, true, &got), 0);
	assert_int_equal(got, 0x80000000u);
	assert_int_equal(vpci_pio(&vp, 0xcf9, 1, true, &got), 0);
	assert_int_equal(got, 0xff);
	assert_int_equal(vpci_pio(&vp, 0xcf7, 1, true, &got), -ENOENT);
	assert_int_equal(vpci_pio(&vp, 0xd00, 1, true, &got), -ENOENT);
	/* enable bit clear, bus 1, ECS bits: all ones */
	v = 0x00000000;
	vpci_pio(&vp, PCI_CONF1_ADDR_PORT, 4, false, &v);
	vpci_pio(&vp, PCI_CONF1_DATA_PORT, 4, true, &got);
	assert_int_equal(got, 0xffffffffu);
	v = 0x80010000;
	vpci_pio(&vp, PCI_CONF1_ADDR_PORT, 4, false, &v);
	vpci_pio(&vp, PCI_CONF1_DATA_PORT, 2, true, &got);
	assert_int_equal(got, 0xffff);
	v = 0x81000800;
	vpci_pio(&vp, PCI_CONF1_ADDR_PORT, 4, false, &v);
	vpci_pio(&vp, PCI_CONF1_DATA_PORT, 4, true, &got);
	assert_int_equal(got, 0xffffffffu);
}

static void test_host_bridge_and_absent(void **state)
{
	(void)state;
	assert_int_equal(cfg_in(0, PCI_VENDOR_ID, 2), VPCI_HB_VENDOR);
	assert_int_equal(cfg_in(0, PCI_DEVICE_ID, 2), VPCI_HB_DEVICE);
	assert_int_equal(cfg_in(0, 0x0a, 2), 0x0600); /* class: host bridge */
	assert_int_equal(cfg_in(0, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(cfg_in(2, PCI_VENDOR_ID, 4), 0xffffffffu);
	assert_int_equal(cfg_in(31, PCI_VENDOR_ID, 2), 0xffff);
	assert_int_equal(vpci_cfg_read(&vp, 0x09, PCI_VENDOR_ID, 4), 0xffffffffu); /* 00:01.1 */
	cfg_out(0, PCI_COMMAND, 2, 0xffff);					   /* ignored */
	assert_int_equal(cfg_in(0, PCI_COMMAND, 2), 0);
}

static void test_header_and_caps(void **state)
{
	u8 p;
	unsigned n = 0;
	u8 seen[8];

	(void)state;
	assert_int_equal(cfg_in(1, PCI_VENDOR_ID, 4), 0x00101b36);
	assert_int_equal(cfg_in(1, PCI_CLASS_REVISION, 4), 0x01080202);
	assert_int_equal(cfg_in(1, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4);
	assert_true(cfg_in(1, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	assert_int_equal(cfg_in(1, PCI_INTERRUPT_PIN, 1), 0);
	assert_int_equal(cfg_in(1, PCI_ROM_ADDRESS, 4), 0);
	assert_int_equal(cfg_in(1, PCI_BAR0 + 8, 4), 0); /* BAR2.. not offered */
	for (p = (u8)cfg_in(1, PCI_CAPABILITY_LIST, 1); p && n < 8; n++) {
		seen[n] = (u8)cfg_in(1, p, 1);
		p = (u8)cfg_in(1, p + 1, 1);
	}
	assert_int_equal(n, 2);
	assert_int_equal(seen[0], PCI_CAP_ID_MSIX);
	assert_int_equal(seen[1], PCI_CAP_ID_EXP);
	assert_int_equal(cfg_in(1, 0x40, 4), 0); /* PM hidden */
	assert_int_equal(cfg_in(1, 0x50, 4), 0); /* MSI hidden */
	/* 65 real entries, 32 offered; table and PBA as the device has them */
	assert_int_equal(cfg_in(1, 0x62, 2), VPCI_MSIX_MAX - 1);
	assert_int_equal(cfg_in(1, 0x64, 4), 0x2000);
	assert_int_equal(cfg_in(1, 0x84, 4), 0x10008001);
	cfg_out(1, 0x84, 4, 0); /* PCIe capability: read-only */
	cfg_out(1, 0x40, 4, 0xffffffff);
	assert_int_equal(cfg_in(1, 0x84, 4), 0x10008001);
	assert_int_equal(vp.dev[0].cfg_dropped, 2);
	assert_int_equal(real_writes, 0); /* the model never writes the real function */
	cfg_out(1, PCI_INTERRUPT_LINE, 1, 0x0b);
	assert_int_equal(cfg_in(1, PCI_INTERRUPT_LINE, 2), 0x000b);
}

static void test_bar(void **state)
{
	struct vpci_dev *d = &vp.dev[0];
	u64 at = 0;

	(void)state;
	assert_int_equal(cfg_in(1, PCI_BAR0, 4), (u32)GUEST_BAR | 4);
	assert_int_equal(cfg_in(1, PCI_BAR0 + 4, 4), 0);
	assert_true(vpci_bar_live(d, &at));
	assert_int_equal(at, GUEST_BAR);
	/* Linux's sizing: decode off, all ones, read back, restore */
	cfg_out(1, PCI_COMMAND, 2, 0);
	assert_false(vpci_bar_live(d, &at));
	cfg_out(1, PCI_BAR0, 4, 0xffffffff);
	cfg_out(1, PCI_BAR0 + 4, 4, 0xffffffff);
	assert_int_equal(cfg_in(1, PCI_BAR0, 4), (u32) ~(BAR_SIZE - 1) | 4);
	assert_int_equal(cfg_in(1, PCI_BAR0 + 4, 4), 0xffffffffu);
	cfg_out(1, PCI_BAR0, 4, 0xe1004000);
	cfg_out(1, PCI_BAR0 + 4, 4, 0);
	cfg_out(1, PCI_COMMAND, 2, 0xffff); /* only MEMORY, MASTER, INTX_DISABLE stick */
	assert_int_equal(cfg_in(1, PCI_COMMAND, 2),
			 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	assert_true(vpci_bar_live(d, &at));
	assert_int_equal(at, 0xe1004000);
	/* a byte write of the high address lane */
	cfg_out(1, PCI_BAR0 + 3, 1, 0xe2);
	assert_true(vpci_bar_live(d, &at));
	assert_int_equal(at, 0xe2004000);
}

static void test_trap_ranges(void **state)
{
	u64 off[2], len[2];
	const struct vpci_dev *d = &vp.dev[0];

	(void)state;
	assert_int_equal(vpci_trap_ranges(d, off, len), 2);
	assert_int_equal(off[0], 0x2000);
	assert_int_equal(len[0], 0x1000);
	assert_int_equal(off[1], 0x3000);
	assert_int_equal(len[1], 0x1000);
	assert_false(vpci_trapped(d, 0x1000)); /* doorbells: mapped */
	assert_true(vpci_trapped(d, 0x2000));
	assert_true(vpci_trapped(d, 0x3004));
}

static void entry(struct vpci_dev *d, unsigned i, u32 lo, u32 data, u32 ctrl)
{
	u64 e = d->msix.table_off + (u64)i * PCI_MSIX_ENTRY_SIZE;

	assert_int_equal(vpci_msix_write(d, e + PCI_MSIX_ENTRY_LOWER_ADDR, lo), (int)i);
	assert_int_equal(vpci_msix_write(d, e + PCI_MSIX_ENTRY_UPPER_ADDR, 0), (int)i);
	assert_int_equal(vpci_msix_write(d, e + PCI_MSIX_ENTRY_DATA, data), (int)i);
	assert_int_equal(vpci_msix_write(d, e + PCI_MSIX_ENTRY_VECTOR_CTRL, ctrl), (int)i);
}

static bool irr(const struct vlapic *l, u8 vec)
{
	return l->irr[vec / 32] & (1u << (vec % 32));
}

static void enable_msix(void)
{
	cfg_out(1, 0x62, 2, PCI_MSIX_FLAGS_ENABLE | 0x7ff); /* size bits are read-only */
	assert_int_equal(cfg_in(1, 0x62, 2), PCI_MSIX_FLAGS_ENABLE | (VPCI_MSIX_MAX - 1));
}

/* The normal path: Linux's message to APIC 0 with vector 0x41 becomes the
 * hypervisor's vector to the BSP; its arrival raises 0x41 in the guest. */
static void test_msix_normal(void **state)
{
	struct vpci_dev *d = &vp.dev[0];
	struct vpci_msix_hw hw;
	struct vlapic l;

	(void)state;
	vlapic_reset(&l, 0);
	d->msix.host_vec[0] = 0x40;
	vpci_msix_hw(d, 0, HOST_APIC, &hw);
	assert_true(hw.masked); /* reset state: masked, MSI-X off */
	entry(d, 0, 0xfee00000, 0x41, 0);
	vpci_msix_hw(d, 0, HOST_APIC, &hw);
	assert_true(hw.masked); /* MSI-X still disabled */
	enable_msix();
	vpci_msix_hw(d, 0, 3, &hw);
	assert_false(hw.masked);
	assert_int_equal(hw.addr_lo, 0xfee03000); /* the hypervisor's CPU */
	assert_int_equal(hw.addr_hi, 0);
	assert_int_equal(hw.data, 0x40);
	assert_int_equal(vpci_msix_read(d, 0x2000 + PCI_MSIX_ENTRY_DATA), 0x41);
	assert_int_equal(vpci_msix_fire(d, 0, &l), VPCI_FIRE_DELIVERED);
	assert_true(irr(&l, 0x41));
	assert_false(irr(&l, 0x40));
	assert_int_equal(d->msix.delivered, 1);
}

/* Masked entries are held in the pending bit and delivered at unmask;
 * Function Mask holds every entry. */
static void test_msix_mask_pending(void **state)
{
	struct vpci_dev *d = &vp.dev[0];
	struct vpci_msix_hw hw;
	struct vlapic l;

	(void)state;
	vlapic_reset(&l, 0);
	d->msix.host_vec[1] = 0x41;
	enable_msix();
	entry(d, 1, 0xfee00000, 0x52, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	vpci_msix_hw(d, 1, HOST_APIC, &hw);
	assert_true(hw.masked);
	assert_int_equal(vpci_msix_fire(d, 1, &l), VPCI_FIRE_HELD);
	assert_false(irr(&l, 0x52));
	assert_int_equal(vpci_msix_read(d, 0x3000), 1u << 1); /* PBA */
	assert_int_equal(vpci_msix_flush(d, &l), 0);	      /* still masked */
	vpci_msix_write(d, 0x2000 + 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
	assert_int_equal(vpci_msix_flush(d, &l), 1);
	assert_true(irr(&l, 0x52));
	assert_int_equal(vpci_msix_read(d, 0x3000), 0);
	/* Function Mask */
	cfg_out(1, 0x62, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	assert_true(vpci_msix_masked(d, 1));
	assert_int_equal(vpci_msix_fire(d, 1, &l), VPCI_FIRE_HELD);
	cfg_out(1, 0x62, 2, PCI_MSIX_FLAGS_ENABLE);
	assert_false(vpci_msix_masked(d, 1));
	/* the PBA is read-only; entries beyond those offered read 0 */
	assert_int_equal(vpci_msix_write(d, 0x3000, 0), -1);
	assert_int_equal(vpci_msix_read(d, 0x2000 + VPCI_MSIX_MAX * 16), 0);
	assert_int_equal(vpci_msix_write(d, 0x2000 + VPCI_MSIX_MAX * 16, 1), -1);
}

/* The malicious path: a message aimed at another APIC and at the
 * hypervisor's timer vector 0xEC still programs the hypervisor's own vector
 * into the device, and its arrival is dropped (not this guest's APIC);
 * addresses outside the interrupt range, level triggers, NMI/SMI delivery
 * and vectors below 16 keep the real entry masked and are refused. */
static void test_msix_malicious(void **state)
{
	struct vpci_dev *d = &vp.dev[0];
	struct vpci_msix_hw hw;
	struct vlapic l;
	static const struct {
		u32 lo, data;
	} bad[] = {
	    {0x12345000, 0x41},	  /* DMA-style address: a write into RAM */
	    {0xfee00000, 0x8041}, /* level */
	    {0xfee00000, 0x0441}, /* NMI delivery */
	    {0xfee00000, 0x0241}, /* SMI delivery */
	    {0xfee00000, 0x000e}, /* vector 14 */
	};

	(void)state;
	vlapic_reset(&l, 0);
	d->msix.host_vec[2] = 0x42;
	enable_msix();
	entry(d, 2, 0xfee05000, 0xec, 0); /* APIC 5, the hypervisor's timer vector */
	vpci_msix_hw(d, 2, HOST_APIC, &hw);
	assert_false(hw.masked);
	assert_int_equal(hw.data, 0x42);
	assert_int_equal(hw.addr_lo, 0xfee00000);
	assert_int_equal(vpci_msix_fire(d, 2, &l), VPCI_FIRE_DROPPED);
	assert_int_equal(vlapic_pending(&l), -1);
	/* to its own APIC, vector 0xEC is just the guest's own vector 0xEC */
	entry(d, 2, 0xfee00000, 0xec, 0);
	vpci_msix_hw(d, 2, HOST_APIC, &hw);
	assert_int_equal(hw.data, 0x42);
	assert_int_equal(vpci_msix_fire(d, 2, &l), VPCI_FIRE_DELIVERED);
	assert_true(irr(&l, 0xec));
	/* an upper address half */
	entry(d, 2, 0xfee00000, 0x41, 0);
	vpci_msix_write(d, 0x2000 + 32 + PCI_MSIX_ENTRY_UPPER_ADDR, 1);
	vpci_msix_hw(d, 2, HOST_APIC, &hw);
	assert_true(hw.masked);
	assert_non_null(hw.why);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vlapic_reset(&l, 0);
		entry(d, 2, bad[i].lo, bad[i].data, 0);
		vpci_msix_hw(d, 2, HOST_APIC, &hw);
		assert_true(hw.masked);
		assert_non_null(hw.why);
		assert_int_equal(hw.data, 0x42); /* never the guest's data */
		assert_int_equal(vpci_msix_fire(d, 2, &l), VPCI_FIRE_REFUSED);
		assert_int_equal(vlapic_pending(&l), -1);
		assert_int_equal(l.esr, 0);
	}
	/* no host vector: masked whatever the guest wants */
	entry(d, 3, 0xfee00000, 0x60, 0);
	d->msix.host_vec[3] = 0;
	vpci_msix_hw(d, 3, HOST_APIC, &hw);
	assert_true(hw.masked);
}

static void test_add_refused(void **state)
{
	struct pci_bar b = bar0();
	char why[96];

	(void)state;
	fake_nvme(0x2002, 0x3000); /* table behind BAR2 */
	vpci_init(&vp);
	assert_int_equal(vpci_add(&vp, &fake, FAKE_BDF, &b, GUEST_BAR, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "BAR0"));
	fake_nvme(0x3f00, 0x3000); /* table runs past BAR0 */
	assert_int_equal(vpci_add(&vp, &fake, FAKE_BDF, &b, GUEST_BAR, why, sizeof(why)), -EINVAL);
	fake_nvme(0x2000, 0x3000);
	cfg[0x51] = 0x80; /* MSI -> PCIe: no MSI-X */
	assert_int_equal(vpci_add(&vp, &fake, FAKE_BDF, &b, GUEST_BAR, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "MSI-X"));
	fake_nvme(0x2000, 0x3000);
	cfg[0x81] = 0x40; /* a loop */
	assert_int_equal(vpci_add(&vp, &fake, FAKE_BDF, &b, GUEST_BAR, why, sizeof(why)), -EINVAL);
	fake_nvme(0x2000, 0x3000);
	assert_int_equal(vpci_add(&vp, &fake, FAKE_BDF, &b, GUEST_BAR + 0x1000, why, sizeof(why)),
			 -EINVAL); /* misaligned guest address */
	for (unsigned i = 0; i < VPCI_MAX_DEVS; i++)
		assert_int_equal(vpci_add(&vp, &fake, FAKE_BDF, &b, GUEST_BAR, why, sizeof(why)),
				 (int)i);
	assert_int_equal(vpci_add(&vp, &fake, FAKE_BDF, &b, GUEST_BAR, why, sizeof(why)), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_config_address, setup),
	    cmocka_unit_test_setup(test_host_bridge_and_absent, setup),
	    cmocka_unit_test_setup(test_header_and_caps, setup),
	    cmocka_unit_test_setup(test_bar, setup),
	    cmocka_unit_test_setup(test_trap_ranges, setup),
	    cmocka_unit_test_setup(test_msix_normal, setup),
	    cmocka_unit_test_setup(test_msix_mask_pending, setup),
	    cmocka_unit_test_setup(test_msix_malicious, setup),
	    cmocka_unit_test(test_add_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
