/* libFuzzer target for iommu/ivrs.c. The input is the table; the checksum
 * byte is recomputed (so the fuzzer gets past it) unless the first input
 * byte is odd, so both paths are explored. After a successful parse, every
 * decoded item must lie inside the table and the lookups must not crash. */
#include <stdlib.h>
#include <string.h>

#include "iommu/ivrs.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

static struct ivrs_table t;

static void check(size_t len)
{
	struct ivrs_dev_info info;
	unsigned i, pos;

	if (t.length > len)
		abort();
	for (i = 0; i < t.nr_blocks; i++)
		if (t.blocks[i].offset + t.blocks[i].length > t.length)
			abort();
	for (i = 0; i < t.nr_ivhds; i++)
		if (t.ivhds[i].dev_first + t.ivhds[i].dev_count > t.nr_devs ||
		    t.ivhds[i].iommu >= t.nr_iommus)
			abort();
	for (i = 0; i < t.nr_devs; i++)
		if (t.devs[i].first > t.devs[i].last || t.devs[i].ivhd >= t.nr_ivhds)
			abort();
	for (i = 0; i < t.nr_iommus; i++)
		if (!ivrs_iommu(&t, i)->active)
			abort();
	for (i = 0; i < 0x10000; i += 0x101) {
		pos = 0;
		if (!ivrs_lookup(&t, (u16)i, &info) && info.iommu >= t.nr_iommus)
			abort();
		while (ivrs_next_ivmd(&t, (u16)i, &pos))
			;
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct ivrs_error err;
	u8 *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (size >= 36 && !(data[0] & 1)) {
		/* Fix signature and checksum over the claimed length. */
		u32 len;
		u8 sum = 0;
		size_t i;

		memcpy(buf, "IVRS", 4);
		memcpy(&len, buf + 4, 4);
		if (len <= size) {
			buf[9] = 0;
			for (i = 0; i < len; i++)
				sum += buf[i];
			buf[9] = (u8)-sum;
		}
	}
	if (!ivrs_parse(buf, size, &t, &err))
		check(size);
	else if (err.err >= 0 || !err.msg[0] || err.offset > size)
		abort();
	free(buf);
	return 0;
}
