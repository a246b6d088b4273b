/* QEMU edu device driver (see edu.h). */
#include "iommu/edu.h"

#include <errno.h>

#include "hv/arch/x86/cpu.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/arch/x86/paging.h"

#define EDU_POLL_LIMIT 200000000ull /* fallback bound without a TSC rate */

static u32 rd32(const struct edu *e, u32 off)
{
	return *(volatile u32 *)phys_ptr(spa_add(e->bar0, off));
}
static u64 rd64(const struct edu *e, u32 off)
{
	return *(volatile u64 *)phys_ptr(spa_add(e->bar0, off));
}
static void wr32(const struct edu *e, u32 off, u32 v)
{
	*(volatile u32 *)phys_ptr(spa_add(e->bar0, off)) = v;
}
static void wr64(const struct edu *e, u32 off, u64 v)
{
	*(volatile u64 *)phys_ptr(spa_add(e->bar0, off)) = v;
}

int edu_probe(struct edu *e, const struct pci_access *pa, const struct pci_dev *d, u64 tsc_khz)
{
	const struct pci_bar *b = NULL;
	u32 id, live;
	int ret;

	if (!d || d->vendor != EDU_VENDOR || d->device != EDU_DEVICE)
		return -ENODEV;
	for (unsigned i = 0; i < d->nbars; i++)
		if (d->bars[i].index == 0 && d->bars[i].kind != PCI_BAR_IO)
			b = &d->bars[i];
	if (!b || !b->addr || b->size < 0x100) {
		pr_err("edu %02x:%02x.%x: BAR0 is not an assigned memory BAR\n",
		       pci_bdf_bus(d->bdf), pci_bdf_dev(d->bdf), pci_bdf_fn(d->bdf));
		return -ENODEV;
	}
	*e = (struct edu){.bdf = d->bdf, .bar0 = spa(b->addr), .tsc_khz = tsc_khz};
	ret = paging_map_mmio(e->bar0, b->size);
	if (ret)
		return ret;
	pci_command_update(pa, d->bdf, 0, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	id = rd32(e, EDU_REG_ID);
	wr32(e, EDU_REG_LIVE, 0x5A5AF00Du);
	live = rd32(e, EDU_REG_LIVE);
	if (FIELD_GET(EDU_ID_MAGIC, id) != EDU_ID_VALUE || live != ~0x5A5AF00Du) {
		pr_err("edu %02x:%02x.%x: id 0x%08x liveness 0x%08x: not an edu\n",
		       pci_bdf_bus(d->bdf), pci_bdf_dev(d->bdf), pci_bdf_fn(d->bdf), id, live);
		return -ENODEV;
	}
	return 0;
}

int edu_dma(struct edu *e, u64 addr, u32 buf_off, u32 count, bool to_ram)
{
	u64 dev = (u64)EDU_BUF_ADDR + buf_off, t0, limit, polls = 0;
	u64 cmd = EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0);

	if (!count || buf_off >= EDU_BUF_SIZE || dev + count > EDU_BUF_LAST_OK) {
		pr_err(
		    "edu: DMA of %u bytes at buffer offset 0x%x refused (QEMU 7.2 needs count > 0 "
		    "and offset + count <= 0x%x)\n",
		    count, buf_off, EDU_BUF_LAST_OK - EDU_BUF_ADDR);
		return -EINVAL;
	}
	if (rd64(e, EDU_REG_DMA_CMD) & EDU_DMA_RUN)
		return -EBUSY;
	wr64(e, EDU_REG_DMA_SRC, to_ram ? dev : addr);
	wr64(e, EDU_REG_DMA_DST, to_ram ? addr : dev);
	wr64(e, EDU_REG_DMA_CNT, count);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t0 = rdtsc();
	limit = e->tsc_khz ? e->tsc_khz * EDU_DMA_TIMEOUT_MS : 0;
	wr64(e, EDU_REG_DMA_CMD, cmd);
	while (rd64(e, EDU_REG_DMA_CMD) & EDU_DMA_RUN) {
		polls++;
		if ((limit && rdtsc() - t0 > limit) || polls > EDU_POLL_LIMIT) {
			pr_err("edu: DMA did not complete within %u ms (%llu polls)\n",
			       EDU_DMA_TIMEOUT_MS, (unsigned long long)polls);
			return -ETIMEDOUT;
		}
		cpu_relax();
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	e->last_ticks = rdtsc() - t0;
	e->last_polls = polls;
	e->transfers++;
	return 0;
}
