/* A tiny driver for QEMU's "edu" PCI device, used as a DMA engine to test
 * the IOMMU (QEMU docs/specs/edu.txt; quirks in qemu-facts.md).
 *
 * BAR0 (1 MiB, MMIO): 0x00 identification 0x010000ED (major 1), 0x04
 * liveness (reads back inverted), 0x80 DMA source, 0x88 DMA destination,
 * 0x90 count, 0x98 command (bit 0 start/running, bit 1 direction: 0 RAM ->
 * device, 1 device -> RAM, bit 2 raise an interrupt). The device's buffer is
 * 4 KiB at device address 0x40000. A transfer runs 100 ms of virtual time after
 * the start; completion is seen by polling the command register (bit 0 clears).
 *
 * QEMU 7.2 kills itself on a count of 0 or a transfer that ends exactly at
 * 0x41000: edu_dma refuses both (offset + count <= 0x40FFF). Hardware access
 * (HV_SRCS): volatile MMIO and the TSC for the time bound. */
#ifndef IOMMU_EDU_H
#define IOMMU_EDU_H

#include "hv/base/bits.h"
#include "hv/base/types.h"
#include "iommu/pci.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8

#define EDU_REG_ID	   0x00
#define EDU_REG_LIVE	   0x04
#define EDU_REG_DMA_SRC	   0x80
#define EDU_REG_DMA_DST	   0x88
#define EDU_REG_DMA_CNT	   0x90
#define EDU_REG_DMA_CMD	   0x98
#define EDU_ID_MAGIC	   GENMASK(15, 0) /* 0x00ED */
#define EDU_ID_MAJOR	   GENMASK(31, 24)
#define EDU_ID_VALUE	   0xEDu
#define EDU_DMA_RUN	   BIT(0)
#define EDU_DMA_TO_RAM	   BIT(1)
#define EDU_DMA_IRQ	   BIT(2)
#define EDU_BUF_ADDR	   0x40000u
#define EDU_BUF_SIZE	   0x1000u
#define EDU_BUF_LAST_OK	   0x40FFFu /* offset + count must not exceed this (QEMU 7.2) */
#define EDU_DMA_TIMEOUT_MS 2000

struct edu {
	u16 bdf;
	spa_t bar0;
	u64 tsc_khz;	/* for the time bound; 0: poll-count bound only */
	u64 last_ticks; /* duration of the last transfer (TSC) */
	u64 last_polls;
	u64 transfers;
};

/* Checks the identification and liveness registers, maps BAR0 and turns on
 * memory decode and bus mastering. -ENODEV if d is not an edu. */
int edu_probe(struct edu *e, const struct pci_access *pa, const struct pci_dev *d, u64 tsc_khz);
/* One DMA between device buffer offset buf_off (0..0xFFE) and the bus
 * address addr (an IOVA once the IOMMU translates the device). Waits for
 * completion: 0, -EINVAL (count/offset/ range refused), -EBUSY (a transfer is
 * still running), -ETIMEDOUT. */
int edu_dma(struct edu *e, u64 addr, u32 buf_off, u32 count, bool to_ram);
static inline int edu_to_device(struct edu *e, u64 addr, u32 buf_off, u32 count)
{
	return edu_dma(e, addr, buf_off, count, false);
}
static inline int edu_to_ram(struct edu *e, u64 addr, u32 buf_off, u32 count)
{
	return edu_dma(e, addr, buf_off, count, true);
}

#endif
