/* ACPI table discovery: RSDP -> XSDT (or RSDT) -> tables (ACPI 6.4, 5.2). */
#ifndef HV_ACPI_H
#define HV_ACPI_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	u8 checksum;	   /* over the first 20 bytes */
	char oem_id[6];
	u8 revision; /* 0 = ACPI 1.0 (RSDT only), 2 = ACPI 2.0+ */
	u32 rsdt_address;
	u32 length; /* 2.0+: whole structure */
	u64 xsdt_address;
	u8 ext_checksum;
	u8 reserved[3];
} __packed;
CHECK_SIZE(struct acpi_rsdp, 36);
CHECK_OFFSET(struct acpi_rsdp, xsdt_address, 24);

struct acpi_header {
	char signature[4];
	u32 length;
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;
CHECK_SIZE(struct acpi_header, 36);

/* Generic Address Structure (5.2.3.2, table 5.1) */
struct acpi_gas {
	u8 space_id; /* 0 system memory, 1 system I/O */
	u8 bit_width;
	u8 bit_offset;
	u8 access_size; /* 1 byte, 2 word, 3 dword, 4 qword */
	u64 address;
} __packed;
CHECK_SIZE(struct acpi_gas, 12);

#define ACPI_GAS_SPACE_IO    1
#define ACPI_GAS_ACCESS_BYTE 1

/* Fixed ACPI Description Table, revision 6 (5.2.9, table 5.9). */
struct acpi_fadt {
	struct acpi_header hdr; /* "FACP" */
	u32 firmware_ctrl;	/* FACS */
	u32 dsdt;
	u8 reserved_44;
	u8 preferred_pm_profile;
	u16 sci_int;
	u32 smi_cmd; /* 0: no SMI port, always in ACPI mode */
	u8 acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	u32 pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk, pm2_cnt_blk, pm_tmr_blk;
	u32 gpe0_blk, gpe1_blk;
	u8 pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	u8 gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	u16 p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	u8 duty_offset, duty_width, day_alrm, mon_alrm, century;
	u16 iapc_boot_arch; /* 5.2.9.3, table 5.11 */
	u8 reserved_111;
	u32 flags; /* table 5.10 */
	struct acpi_gas reset_reg;
	u8 reset_value;
	u16 arm_boot_arch;
	u8 minor_version;
	u64 x_firmware_ctrl;
	u64 x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control; /* hardware-reduced only */
	struct acpi_gas sleep_status;
	u64 hypervisor_vendor_id;
} __packed;
CHECK_SIZE(struct acpi_fadt, 276);
CHECK_OFFSET(struct acpi_fadt, sci_int, 46);
CHECK_OFFSET(struct acpi_fadt, pm1a_evt_blk, 56);
CHECK_OFFSET(struct acpi_fadt, pm1a_cnt_blk, 64);
CHECK_OFFSET(struct acpi_fadt, pm1_evt_len, 88);
CHECK_OFFSET(struct acpi_fadt, century, 108);
CHECK_OFFSET(struct acpi_fadt, iapc_boot_arch, 109);
CHECK_OFFSET(struct acpi_fadt, flags, 112);
CHECK_OFFSET(struct acpi_fadt, minor_version, 131);
CHECK_OFFSET(struct acpi_fadt, x_dsdt, 140);
CHECK_OFFSET(struct acpi_fadt, x_pm1a_evt_blk, 148);
CHECK_OFFSET(struct acpi_fadt, x_pm1a_cnt_blk, 172);
CHECK_OFFSET(struct acpi_fadt, sleep_control, 244);
CHECK_OFFSET(struct acpi_fadt, hypervisor_vendor_id, 268);

#define ACPI_FADT_WBINVD      BIT(0)  /* flags: WBINVD flushes all caches */
#define ACPI_FADT_PWR_BUTTON  BIT(4)  /* flags: no fixed power button */
#define ACPI_FADT_SLP_BUTTON  BIT(5)  /* flags: no fixed sleep button */
#define ACPI_FADT_HW_REDUCED  BIT(20) /* flags: HW_REDUCED_ACPI */
#define ACPI_FADT_BOOT_NO_VGA BIT(2)  /* IAPC_BOOT_ARCH: VGA not present */
/* IAPC_BOOT_ARCH bit 1 (8042) clear: no keyboard controller */

/* Firmware ACPI Control Structure (5.2.10, table 5.14), 64-byte aligned. */
struct acpi_facs {
	char signature[4]; /* "FACS" */
	u32 length;	   /* 64 */
	u32 hardware_signature;
	u32 firmware_waking_vector;
	u32 global_lock;
	u32 flags;
	u64 x_firmware_waking_vector;
	u8 version; /* 2 */
	u8 reserved[3];
	u32 ospm_flags;
	u8 reserved2[24];
} __packed;
CHECK_SIZE(struct acpi_facs, 64);
CHECK_OFFSET(struct acpi_facs, version, 32);

#define ACPI_MAX_TABLES 64

struct acpi_table_ref {
	char sig[5];
	spa_t addr;
	u32 length;
	u8 revision;
	bool checksum_ok;
};

struct acpi_info {
	u8 rsdp_revision;
	bool use_xsdt;
	unsigned nr_tables;
	struct acpi_table_ref tables[ACPI_MAX_TABLES];
};

/* Sums bytes modulo 256 (a valid ACPI table sums to 0). */
u8 acpi_checksum(const void *p, size_t len);
/* Reads the RSDP at rsdp and the table list. -EINVAL with a message on a bad
 * signature/checksum/length. Table bodies are read via phys_ptr(). */
int acpi_scan(spa_t rsdp, struct acpi_info *out);
/* The first table with this signature (and a good checksum), or NULL. */
const struct acpi_table_ref *acpi_find(const struct acpi_info *ai, const char *sig);
void acpi_report(const struct acpi_info *ai);

/* ---- MADT (ACPI 6.4, 5.2.12 "Multiple APIC Description Table") ---------- */

/* The fixed part after the common header (5.2.12, table 5.19). */
struct acpi_madt {
	struct acpi_header hdr; /* signature "APIC" */
	u32 lapic_addr;		/* 32-bit local APIC address */
	u32 flags;		/* bit 0 PCAT_COMPAT */
} __packed;
CHECK_SIZE(struct acpi_madt, 44);

/* Every interrupt controller structure starts with type and length. */
struct acpi_madt_sub {
	u8 type;
	u8 length;
} __packed;
CHECK_SIZE(struct acpi_madt_sub, 2);

#define ACPI_MADT_TYPE_LAPIC	      0 /* 5.2.12.2 Processor Local APIC */
#define ACPI_MADT_TYPE_IOAPIC	      1 /* 5.2.12.3 I/O APIC */
#define ACPI_MADT_TYPE_ISO	      2 /* 5.2.12.5 Interrupt Source Override */
#define ACPI_MADT_TYPE_LAPIC_OVERRIDE 5 /* 5.2.12.8 Local APIC Address Override */
#define ACPI_MADT_TYPE_X2APIC	      9 /* 5.2.12.12 Processor Local x2APIC */

/* 5.2.12.2, table 5.23 (the same flags for x2APIC entries, table 5.38). */
#define ACPI_MADT_ENABLED	 BIT(0)
#define ACPI_MADT_ONLINE_CAPABLE BIT(1) /* ACPI 6.3+: may be enabled at run time */

struct acpi_madt_lapic {
	u8 type;   /* 0 */
	u8 length; /* 8 */
	u8 uid;	   /* ACPI Processor UID */
	u8 apic_id;
	u32 flags;
} __packed;
CHECK_SIZE(struct acpi_madt_lapic, 8);

struct acpi_madt_ioapic { /* 5.2.12.3, table 5.24 */
	u8 type;	  /* 1 */
	u8 length;	  /* 12 */
	u8 ioapic_id;
	u8 reserved;
	u32 address;  /* 32-bit physical address of IOREGSEL */
	u32 gsi_base; /* first Global System Interrupt of its pins */
} __packed;
CHECK_SIZE(struct acpi_madt_ioapic, 12);
CHECK_OFFSET(struct acpi_madt_ioapic, address, 4);

/* 5.2.12.5, table 5.25; flags as MPS INTI flags (table 5.26): polarity bits
 * 1:0 and trigger mode bits 3:2, 0 = conforms to the bus (ISA: active high,
 * edge). */
struct acpi_madt_iso {
	u8 type;   /* 2 */
	u8 length; /* 10 */
	u8 bus;	   /* 0 = ISA */
	u8 source; /* bus-relative IRQ */
	u32 gsi;   /* the Global System Interrupt it signals */
	u16 flags;
} __packed;
CHECK_SIZE(struct acpi_madt_iso, 10);
CHECK_OFFSET(struct acpi_madt_iso, gsi, 4);

struct acpi_madt_lapic_override {
	u8 type;   /* 5 */
	u8 length; /* 12 */
	u16 reserved;
	u64 address;
} __packed;
CHECK_SIZE(struct acpi_madt_lapic_override, 12);

struct acpi_madt_x2apic {
	u8 type;   /* 9 */
	u8 length; /* 16 */
	u16 reserved;
	u32 apic_id; /* x2APIC ID */
	u32 flags;
	u32 uid;
} __packed;
CHECK_SIZE(struct acpi_madt_x2apic, 16);
CHECK_OFFSET(struct acpi_madt_x2apic, apic_id, 4);

#define MADT_MAX_CPUS 1024

struct madt_cpu {
	u32 apic_id;
	u32 uid;
	u8 type; /* ACPI_MADT_TYPE_LAPIC or _X2APIC */
	bool enabled;
	bool online_capable;
};

struct madt_info {
	u64 lapic_addr; /* after a type-5 override, if any */
	u32 flags;
	unsigned nr_cpus;	    /* entries kept in cpus[] (distinct APIC IDs) */
	unsigned nr_enabled;	    /* of those, Enabled: the CPUs that exist now */
	unsigned nr_online_capable; /* disabled but Online Capable */
	unsigned nr_x2apic;	    /* kept entries that came from type 9 */
	unsigned nr_duplicates;	    /* entries repeating an APIC ID already seen (ignored) */
	unsigned nr_dropped;	    /* enabled entries beyond MADT_MAX_CPUS (ignored) */
	unsigned nr_other;	    /* other structure types (IOAPIC, ISO, NMI, ...) */
	int bsp;		    /* index of the BSP in cpus[], -1 when not listed */
	struct madt_cpu cpus[MADT_MAX_CPUS];
};

/* Parses a MADT of len bytes (the table's own length must fit in len).
 * Processor entries (types 0 and 9) are kept in table order, the first of
 * each APIC ID wins; bsp_apic_id (read from the running CPU) is looked up
 * among them. 0; -EINVAL (not a MADT, a structure shorter than its type
 * needs, or running past the table's end: truncated); -ENOENT (the BSP is
 * not listed as an enabled CPU). Logs the reason of an error. */
int madt_parse(const void *table, u32 len, u32 bsp_apic_id, struct madt_info *out);
/* "cpus: MADT lists N CPUs (E enabled, ...), BSP APIC ID b" and, at debug
 * level, one line per CPU. */
void madt_report(const struct madt_info *m);

#endif
