/* ivrsdump FILE: decode a binary ACPI IVRS table with iommu/ivrs.c and print
 * it (header, IVinfo, blocks, device entries, IVMDs). Exits 1 with the
 * parser's error on a bad table, 2 on a usage or I/O error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/ivrs.h"

#define MAX_FILE (1u << 20)

static void bdf_str(char *s, size_t n, u16 bdf)
{
	snprintf(s, n, "%02x:%02x.%x", (unsigned)BDF_BUS(bdf), (unsigned)BDF_DEV(bdf),
		 (unsigned)BDF_FN(bdf));
}

static void print_dte(u8 dte)
{
	printf(" dte %02x", dte);
	if (dte & IVHD_DTE_INIT_PASS)
		printf(" INITPass");
	if (dte & IVHD_DTE_EINT_PASS)
		printf(" EIntPass");
	if (dte & IVHD_DTE_NMI_PASS)
		printf(" NMIPass");
	if (FIELD_GET(IVHD_DTE_SYS_MGT, dte))
		printf(" SysMgt=%u", (unsigned)FIELD_GET(IVHD_DTE_SYS_MGT, dte));
	if (dte & IVHD_DTE_LINT0_PASS)
		printf(" Lint0Pass");
	if (dte & IVHD_DTE_LINT1_PASS)
		printf(" Lint1Pass");
}

static void print_uid(const struct ivrs_hid *h)
{
	unsigned i;

	switch (h->uid_format) {
	case IVHD_UID_NONE:
		printf(" no UID");
		break;
	case IVHD_UID_INT: {
		unsigned long long v = 0;

		for (i = 0; i < h->uid_len && i < 8; i++)
			v |= (unsigned long long)h->uid[i] << (8 * i);
		printf(" UID %llu (integer, %u bytes)", v, h->uid_len);
		break;
	}
	default:
		printf(" UID \"");
		for (i = 0; i < h->uid_len && h->uid[i]; i++)
			putchar(h->uid[i] >= 0x20 && h->uid[i] < 0x7f ? h->uid[i] : '?');
		printf("\" (string, %u bytes)", h->uid_len);
		break;
	}
}

static void print_dev(const struct ivrs_table *t, const struct ivrs_dev *d)
{
	char a[16], b[16];

	bdf_str(a, sizeof(a), d->first);
	bdf_str(b, sizeof(b), d->last);
	printf("    @%#05x %02xh %-12s ", (unsigned)d->offset, d->type, ivrs_dev_name(d->type));
	if (d->first == d->last)
		printf("%s", a);
	else
		printf("%s-%s", a, b);
	print_dte(d->dte);
	if (d->has_alias) {
		bdf_str(a, sizeof(a), d->alias);
		printf(" alias %s", a);
	}
	if (d->type == IVHD_DEV_EXT_SELECT || d->type == IVHD_DEV_EXT_RANGE)
		printf(" ext %08x%s", (unsigned)d->ext,
		       d->ext & IVHD_EXT_ATS_DISABLED ? " ATS-disabled" : "");
	if (d->type == IVHD_DEV_SPECIAL) {
		const struct ivrs_special *s = &t->specials[d->aux];

		if (s->variety == IVHD_SPECIAL_IOAPIC)
			printf(" IOAPIC id %u (%02xh)", s->handle, s->handle);
		else if (s->variety == IVHD_SPECIAL_HPET)
			printf(" HPET id %u (%02xh)", s->handle, s->handle);
		else
			printf(" variety %u handle %u", s->variety, s->handle);
	}
	if (d->type == IVHD_DEV_ACPI_HID) {
		const struct ivrs_hid *h = &t->hids[d->aux];

		printf(" HID \"%s\" CID \"%s\"", h->hid, h->cid);
		print_uid(h);
	}
	printf("\n");
}

static void print_ivhd(const struct ivrs_table *t, const struct ivrs_ivhd *h)
{
	const struct ivrs_ivhd *a = ivrs_iommu(t, h->iommu);
	char id[16];
	unsigned i;

	bdf_str(id, sizeof(id), h->devid);
	printf("  IOMMU %u base %#llx segment %u device %s cap %#x flags %02x info %04x "
	       "(MSI %u unit %u)\n",
	       h->iommu, (unsigned long long)h->base, h->pci_seg, id, h->cap_offset, h->flags,
	       h->iommu_info, (unsigned)FIELD_GET(IVHD_INFO_MSI_NUM, h->iommu_info),
	       (unsigned)FIELD_GET(IVHD_INFO_UNIT_ID, h->iommu_info));
	if (h->type == IVRS_TYPE_IVHD_10)
		printf("  feature reporting %08x\n", (unsigned)h->attr);
	else
		printf("  attributes %08x EFR %016llx EFR2 %016llx\n", (unsigned)h->attr,
		       (unsigned long long)h->efr, (unsigned long long)h->efr2);
	if (h->active)
		printf("  active (highest IVHD type for this IOMMU)\n");
	else
		printf("  superseded by the type %02xh block at %#x\n", a->type,
		       (unsigned)a->offset);
	printf("  entry types:");
	for (i = 0; i < 256; i++)
		if (ivrs_ivhd_saw(h, (u8)i))
			printf(" %02xh", i);
	printf("\n");
	for (i = 0; i < h->dev_count; i++)
		print_dev(t, &t->devs[h->dev_first + i]);
}

static void print_ivmd(const struct ivrs_ivmd *m)
{
	char a[16], b[16];

	bdf_str(a, sizeof(a), m->first);
	bdf_str(b, sizeof(b), m->last);
	printf("  flags %02x%s%s%s%s start %#llx size %#llx", m->flags,
	       m->flags & IVMD_FLAG_UNITY ? " unity" : "", m->flags & IVMD_FLAG_IR ? " IR" : "",
	       m->flags & IVMD_FLAG_IW ? " IW" : "",
	       m->flags & IVMD_FLAG_EXCL_RANGE ? " exclusion" : "", (unsigned long long)m->start,
	       (unsigned long long)m->size);
	if (m->type == IVRS_TYPE_IVMD_ALL)
		printf(" devices all\n");
	else if (m->first == m->last)
		printf(" device %u:%s\n", m->pci_seg, a);
	else
		printf(" devices %u:%s-%s\n", m->pci_seg, a, b);
}

static void print_table(const struct ivrs_table *t)
{
	unsigned i;
	u32 gva = (u32)FIELD_GET(IVINFO_GVA_SIZE, t->ivinfo);

	printf("IVRS OEM \"%s\" table \"%s\" OEM revision %#x revision %u length %u (%#x) "
	       "checksum %02x ok\n",
	       t->oem_id, t->oem_table_id, (unsigned)t->oem_revision, t->revision,
	       (unsigned)t->length, (unsigned)t->length, t->checksum);
	printf("IVinfo %08x: EFRSup %u DMARemap %u GVAsize %u%s PAsize %u VAsize %u HtAtsResv %u\n",
	       (unsigned)t->ivinfo, !!(t->ivinfo & IVINFO_EFR_SUP),
	       !!(t->ivinfo & IVINFO_DMA_REMAP), (unsigned)gva, gva == 2 ? " (48 bits)" : "",
	       (unsigned)FIELD_GET(IVINFO_PA_SIZE, t->ivinfo),
	       (unsigned)FIELD_GET(IVINFO_VA_SIZE, t->ivinfo), !!(t->ivinfo & IVINFO_HT_ATS_RESV));
	for (i = 0; i < t->nr_blocks; i++) {
		const struct ivrs_block *b = &t->blocks[i];

		printf("block %u @%#x type %02xh %s length %u\n", i, (unsigned)b->offset, b->type,
		       ivrs_block_name(b->type), b->length);
		if (b->index == 0xffff)
			printf("  skipped (type not defined by the spec)\n");
		else if (!strncmp(ivrs_block_name(b->type), "IVHD", 4))
			print_ivhd(t, &t->ivhds[b->index]);
		else
			print_ivmd(&t->ivmds[b->index]);
	}
	printf("%u IOMMU(s), %u device entries, %u special, %u ACPI HID, %u IVMD\n", t->nr_iommus,
	       t->nr_devs, t->nr_specials, t->nr_hids, t->nr_ivmds);
}

int main(int argc, char **argv)
{
	static struct ivrs_table t;
	struct ivrs_error err;
	unsigned char *buf;
	size_t len;
	FILE *f;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: %s IVRS-TABLE-FILE\n", argv[0]);
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	buf = malloc(MAX_FILE);
	if (!buf) {
		fclose(f);
		return 2;
	}
	len = fread(buf, 1, MAX_FILE, f);
	fclose(f);
	ret = ivrs_parse(buf, len, &t, &err);
	if (ret) {
		fprintf(stderr, "%s: bad IVRS table: offset %u (%#x): %s (%s)\n", argv[1],
			(unsigned)err.offset, (unsigned)err.offset, err.msg, strerror(-ret));
		free(buf);
		return 1;
	}
	print_table(&t);
	free(buf);
	return 0;
}
