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
