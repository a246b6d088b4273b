/* ACPI table discovery: RSDP -> XSDT (or RSDT) -> tables (ACPI 6.4, 5.2). */
#ifndef HV_ACPI_H
#define HV_ACPI_H

#include "hv/types.h"

struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	u8 checksum;       /* over the first 20 bytes */
	char oem_id[6];
	u8 revision;       /* 0 = ACPI 1.0 (RSDT only), 2 = ACPI 2.0+ */
	u32 rsdt_address;
	u32 length;        /* 2.0+: whole structure */
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

#endif
