/* libFuzzer target for the PSC validator (snp/ghcb.c). Input: 8 bytes of
 * guest memory size (low 40 bits used, in pages), then the PSC buffer as the
 * guest would leave it in the GHCB shared buffer. Checks: no crash, the
 * buffer is never written, errors carry one of the two documented codes and
 * no ranges, and on success every range is page-aligned, inside guest
 * memory, non-empty, in entry order, and no two ranges overlap. Then every
 * range is advanced to completion and must validate as empty. */
#include <stdlib.h>
#include <string.h>

#include "snp/ghcb.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

static struct psc_range r[PSC_MAX_ENTRIES];

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u64 mem = 0, info2 = 0;
	unsigned nr = 0;
	u8 *buf, *copy;
	size_t len;
	int rc;

	if (size < 8)
		return 0;
	memcpy(&mem, data, 8);
	mem = (mem & GENMASK(39, 0)) << 12;
	len = MIN(size - 8, (size_t)GHCB_SHARED_BUF_SIZE);
	buf = malloc(len ? len : 1);
	copy = malloc(len ? len : 1);
	if (!buf || !copy)
		abort();
	memcpy(buf, data + 8, len);
	memcpy(copy, buf, len);

	rc = psc_validate(buf, len, mem, r, &nr, &info2);
	if (memcmp(buf, copy, len))
		abort();
	if (rc) {
		if (nr || (info2 != PSC_ERROR_INVALID_HDR && info2 != PSC_ERROR_INVALID_ENTRY))
			abort();
		goto out;
	}
	if (info2 || nr > PSC_MAX_ENTRIES)
		abort();
	for (unsigned k = 0; k < nr; k++) {
		if (!r[k].size || (r[k].gpa | r[k].size) & (PAGE_SIZE - 1) || r[k].gpa >= mem ||
		    mem - r[k].gpa < r[k].size || r[k].size > HUGE_SIZE)
			abort();
		if (k && r[k].entry <= r[k - 1].entry)
			abort();
		for (unsigned j = 0; j < k; j++)
			if (r[j].gpa < r[k].gpa + r[k].size && r[k].gpa < r[j].gpa + r[j].size)
				abort();
	}
	/* the hypervisor completes everything in order */
	for (unsigned k = 0; k < nr; k++)
		if (psc_advance(buf, len, r[k].entry, (u32)(r[k].size >> PAGE_SHIFT)))
			abort();
	if (nr) {
		struct psc_hdr h;

		memcpy(&h, buf, sizeof(h));
		if (h.cur_entry != r[nr - 1].entry + 1)
			abort();
		if (psc_validate(buf, len, mem, r, &nr, &info2) || nr)
			abort();
	}
out:
	free(buf);
	free(copy);
	return 0;
}
