/* AMD-Vi (AMD I/O Virtualization Technology) hardware formats: MMIO register
 * offsets and bits, device table entry fields, command and event layouts.
 *
 * Source: AMD IOMMU Specification 48882 (section numbers below); names follow
 * Linux's drivers/iommu/amd/amd_iommu_types.h where Linux has one. Unlike
 * Linux, the CONTROL_* names here are masks, not bit numbers. All fields are
 * u64 masks used with FIELD_GET/FIELD_PREP (hv/base/bits.h), never bitfields. */
#ifndef IOMMU_AMDVI_HW_H
#define IOMMU_AMDVI_HW_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

/* ---- 3.4 MMIO registers ------------------------------------------------- */
#define MMIO_DEV_TABLE_OFFSET  0x0000
#define MMIO_CMD_BUF_OFFSET    0x0008
#define MMIO_EVT_BUF_OFFSET    0x0010
#define MMIO_CONTROL_OFFSET    0x0018
#define MMIO_EXCL_BASE_OFFSET  0x0020
#define MMIO_EXCL_LIMIT_OFFSET 0x0028
#define MMIO_EXT_FEATURES      0x0030
#define MMIO_CMD_HEAD_OFFSET   0x2000
#define MMIO_CMD_TAIL_OFFSET   0x2008
#define MMIO_EVT_HEAD_OFFSET   0x2010
#define MMIO_EVT_TAIL_OFFSET   0x2018
#define MMIO_STATUS_OFFSET     0x2020
#define MMIO_REGION_SIZE       0x4000 /* what QEMU implements; hardware has more */

/* 3.4.1 Device Table Base Address Register: base 51:12, Size 8:0 = 4K pages - 1. */
#define MMIO_BASE_ADDR_MASK	 GENMASK(51, 12)
#define MMIO_DEV_TABLE_SIZE_MASK GENMASK(8, 0)
#define DEV_TABLE_MAX_BYTES	 (512ULL * 4096) /* 65536 entries */
/* 3.4.2/3.4.3 Command Buffer / Event Log Base: ComLen/EventLen 59:56 = log2(entries),
 * 1000b (256 entries, 4 KiB) to 1111b (32768 entries). */
#define MMIO_LOG_LEN_MASK GENMASK(59, 56)
#define MMIO_LOG_LEN_MIN  8
#define MMIO_LOG_LEN_MAX  15
/* 3.4.4 Exclusion base: ExEn bit 0, Allow bit 1. */
#define MMIO_EXCL_ENABLE_MASK BIT(0)
#define MMIO_EXCL_ALLOW_MASK  BIT(1)
/* 3.4.8/3.4.9 head and tail pointers: byte offsets, bits 18:4. */
#define MMIO_RING_PTR_MASK GENMASK(18, 4)

/* 3.4.5 IOMMU Control Register (masks). */
#define CONTROL_IOMMU_EN     BIT(0)
#define CONTROL_HT_TUN_EN    BIT(1)
#define CONTROL_EVT_LOG_EN   BIT(2)
#define CONTROL_EVT_INT_EN   BIT(3)
#define CONTROL_COMWAIT_EN   BIT(4) /* completion-wait interrupt enable */
#define CONTROL_INV_TO_MASK  GENMASK(7, 5)
#define CONTROL_PASSPW_EN    BIT(8)
#define CONTROL_RESPASSPW_EN BIT(9)
#define CONTROL_COHERENT_EN  BIT(10)
#define CONTROL_ISOC_EN	     BIT(11)
#define CONTROL_CMDBUF_EN    BIT(12)
#define CONTROL_PPRLOG_EN    BIT(13)
#define CONTROL_PPRINT_EN    BIT(14)
#define CONTROL_PPR_EN	     BIT(15)
#define CONTROL_GT_EN	     BIT(16)
#define CONTROL_GA_EN	     BIT(17)
/* InvTimeOut encodings (CONTROL_INV_TO_MASK). */
#define CTRL_INV_TO_NONE  0
#define CTRL_INV_TO_1MS	  1
#define CTRL_INV_TO_10MS  2
#define CTRL_INV_TO_100MS 3
#define CTRL_INV_TO_1S	  4

/* 3.4.10 IOMMU Status Register (RW1C for the overflow/interrupt bits). */
#define MMIO_STATUS_EVT_OVERFLOW_MASK BIT(0)
#define MMIO_STATUS_EVT_INT_MASK      BIT(1)
#define MMIO_STATUS_COM_WAIT_INT_MASK BIT(2)
#define MMIO_STATUS_EVT_RUN_MASK      BIT(3)
#define MMIO_STATUS_CMDBUF_RUN_MASK   BIT(4)

/* 3.4.6 Extended Feature Register (the bits this driver looks at). */
#define FEATURE_PREFETCH BIT(0)
#define FEATURE_PPR	 BIT(1)
#define FEATURE_X2APIC	 BIT(2)
#define FEATURE_NX	 BIT(3)
#define FEATURE_GT	 BIT(4)
#define FEATURE_IA	 BIT(6) /* INVALIDATE_IOMMU_ALL supported */
#define FEATURE_GA	 BIT(7)
#define FEATURE_HE	 BIT(8)
#define FEATURE_PC	 BIT(9)
#define FEATURE_SNP	 BIT(63)

/* ---- 2.2.2 Device Table Entry (256 bits = 4 x u64) ---------------------- */
#define DEV_TABLE_ENTRY_SIZE 32
/* word 0 (bits 63:0) */
#define DTE_FLAG_V	 BIT(0)
#define DTE_FLAG_TV	 BIT(1)
#define DTE_HAD_MASK	 GENMASK(8, 7)
#define DTE_MODE_MASK	 GENMASK(11, 9)
#define DTE_PT_ROOT_MASK GENMASK(51, 12)
#define DTE_FLAG_PPR	 BIT(52)
#define DTE_FLAG_GPRP	 BIT(53)
#define DTE_FLAG_GIOV	 BIT(54)
#define DTE_FLAG_GV	 BIT(55)
#define DTE_GLX_MASK	 GENMASK(57, 56)
#define DTE_GCR3_A_MASK	 GENMASK(60, 58)
#define DTE_FLAG_IR	 BIT(61)
#define DTE_FLAG_IW	 BIT(62)
#define DTE_W0_RSVD	 (GENMASK(6, 2) | BIT(63))
/* word 1 (bits 127:64) */
#define DTE_DOMID_MASK	GENMASK(15, 0)
#define DTE_GCR3_B_MASK GENMASK(31, 16)
#define DTE_FLAG_IOTLB	BIT(32)
#define DTE_FLAG_SE	BIT(33) /* suppress repeated page-fault events */
#define DTE_FLAG_SA	BIT(34) /* suppress all page-fault events */
#define DTE_IOCTL_MASK	GENMASK(36, 35)
#define DTE_FLAG_CACHE	BIT(37)
#define DTE_FLAG_SD	BIT(38)
#define DTE_FLAG_EX	BIT(39)
#define DTE_SYSMGT_MASK GENMASK(41, 40)
#define DTE_GCR3_C_MASK GENMASK(63, 43)
#define DTE_W1_RSVD	BIT(42)
/* word 2 (bits 191:128): interrupt remapping (2.2.5) */
#define DTE_FLAG_IV	    BIT(0)
#define DTE_INTTABLEN_MASK  GENMASK(4, 1)
#define DTE_FLAG_IG	    BIT(5)
#define DTE_IRT_ROOT_MASK   GENMASK(51, 6) /* 128-byte aligned */
#define DTE_FLAG_INIT_PASS  BIT(56)
#define DTE_FLAG_EINT_PASS  BIT(57)
#define DTE_FLAG_NMI_PASS   BIT(58)
#define DTE_INTCTL_MASK	    GENMASK(61, 60)
#define DTE_FLAG_LINT0_PASS BIT(62)
#define DTE_FLAG_LINT1_PASS BIT(63)
#define DTE_W2_RSVD	    (GENMASK(55, 52) | BIT(59))
/* IntCtl values */
#define DTE_INTCTL_ABORT   0
#define DTE_INTCTL_FORWARD 1
#define DTE_INTCTL_REMAP   2
/* word 3 (bits 255:192): only vIOMMU/attribute fields we never set. */

/* ---- 2.2.5 Interrupt remapping tables --------------------------------------- */
/* 2.2.5.1 IRTE, 32-bit format (Control GAEn = 0, which this driver never sets):
 * the IOMMU takes the table index from MSI data bits 10:0 for fixed and
 * arbitrated interrupts (MSI data 10:8 = 000b/001b). A 32-bit hardware word. */
#define IRTE_REMAP_EN		 0x00000001u /* bit 0: RemapEn; 0 = target abort */
#define IRTE_SUP_IOPF		 0x00000002u /* bit 1: suppress the IO_PAGE_FAULT event */
#define IRTE_INT_TYPE_MASK	 0x0000001cu /* bits 4:2: IntType */
#define IRTE_RQ_EOI		 0x00000020u /* bit 5: RqEoi */
#define IRTE_DM			 0x00000040u /* bit 6: destination mode, 1 = logical */
#define IRTE_GUEST_MODE		 0x00000080u /* bit 7: GuestMode, 0 in this format */
#define IRTE_DEST_MASK		 0x0000ff00u /* bits 15:8: destination APIC ID */
#define IRTE_VECTOR_MASK	 0x00ff0000u /* bits 23:16: vector */
#define IRTE_RSVD		 0xff000000u /* bits 31:24 */
#define IRTE_INT_TYPE_FIXED	 0
#define IRTE_INT_TYPE_ARBITRATED 1
#define IRTE_SIZE		 4
#define MSI_DATA_IRT_INDEX_MASK	 0x7ffu /* MSI data 10:0: the IRTE index */
/* IntTabLen (DTE word 2 bits 4:1) = log2 of the table's entries, at most
 * 1011b (2048). The driver uses 9: 512 entries, 2 KiB, every index a fixed or
 * arbitrated MSI can name (data 10:8 = 000b or 001b), so no index reaches
 * past the table even on an IOMMU that ignores IntTabLen (QEMU). */
#define IRT_LEN_LOG2	 9
#define IRT_LEN_LOG2_MAX 11
#define IRT_ALIGN	 128

/* QEMU 7.2's amdvi_validate_dte() rejects any DTE with these bits set (its
 * masks predate the current spec): note word 1 bit 8 is DomainID[8], so QEMU
 * 7.2 treats domain IDs 0x100-0x1FF (and any with bit 8 set) as illegal, and
 * word 3 must be zero. */
#define QEMU72_DTE_W0_RSVD 0x80300000000000fcULL
#define QEMU72_DTE_W1_RSVD 0x0000000000000100ULL
#define QEMU72_DTE_W2_RSVD 0x08f0000000000000ULL

/* Mode field: 0 = no translation (IR/IW decide), 1-6 = levels of the v1 table. */
#define PAGE_MODE_NONE	  0
#define PAGE_MODE_1_LEVEL 1
#define PAGE_MODE_6_LEVEL 6

/* ---- 2.4 Commands (128 bits = 2 x u64) ---------------------------------- */
#define CMD_ENTRY_SIZE	16
#define CMD_OPCODE_MASK GENMASK(63, 60) /* of word 0 */

#define CMD_COMPL_WAIT	    0x01
#define CMD_INV_DEV_ENTRY   0x02
#define CMD_INV_IOMMU_PAGES 0x03
#define CMD_INV_IOTLB_PAGES 0x04
#define CMD_INV_IRT	    0x05
#define CMD_PREFETCH_PAGES  0x06
#define CMD_COMPLETE_PPR    0x07
#define CMD_INV_ALL	    0x08

/* 2.4.1 COMPLETION_WAIT: word 0 = S 0, I 1, F 2, store address 51:3; word 1 = data. */
#define CMD_COMPL_WAIT_STORE_MASK BIT(0)
#define CMD_COMPL_WAIT_INT_MASK	  BIT(1)
#define CMD_COMPL_WAIT_FLUSH_MASK BIT(2)
#define CMD_COMPL_WAIT_ADDR_MASK  GENMASK(51, 3)
/* 2.4.2 INVALIDATE_DEVTAB_ENTRY / 2.4.5 INVALIDATE_INTERRUPT_TABLE: DeviceID 15:0. */
#define CMD_DEVID_MASK GENMASK(15, 0)
/* 2.4.3 INVALIDATE_IOMMU_PAGES: word 0 = PASID 19:0, DomainID 47:32;
 * word 1 = S 0, PDE 1, GN 2, address 63:12. */
#define CMD_PASID_MASK		      GENMASK(19, 0)
#define CMD_DOMID_MASK		      GENMASK(47, 32)
#define CMD_INV_IOMMU_PAGES_SIZE_MASK BIT(0)
#define CMD_INV_IOMMU_PAGES_PDE_MASK  BIT(1)
#define CMD_INV_IOMMU_PAGES_GN_MASK   BIT(2)
#define CMD_INV_ADDR_MASK	      GENMASK(63, 12)
/* Linux's "everything" address: first zero bit at 63, so any size decoder sees all. */
#define CMD_INV_IOMMU_ALL_PAGES_ADDRESS 0x7fffffffffffffffULL
/* 2.4.4 INVALIDATE_IOTLB_PAGES: word 0 = DeviceID 15:0, Maxpend 31:24, QueueID 47:32;
 * word 1 = S 0, GN 2, address 63:12. */
#define CMD_IOTLB_MAXPEND_MASK GENMASK(31, 24)
#define CMD_IOTLB_QUEUEID_MASK GENMASK(47, 32)

/* ---- 2.5 Event log entries (128 bits = 2 x u64) ------------------------- */
#define EVENT_ENTRY_SIZE 16
/* word 0: DeviceID 15:0, PASID[19:16] 19:16 (RMP_PAGE_FAULT: RMP flags 23:16),
 * DomainID/PASID[15:0] (RMP: VMG tag) 47:32, flags 59:48, EventCode 63:60.
 * word 1: address. */
#define EVENT_DEVID_MASK     GENMASK(15, 0)
#define EVENT_PASID_HI_MASK  GENMASK(19, 16)
#define EVENT_RMP_FLAGS_MASK GENMASK(23, 16)
#define EVENT_DOMID_MASK     GENMASK(47, 32)
#define EVENT_FLAGS_MASK     GENMASK(59, 48)
#define EVENT_TYPE_MASK	     GENMASK(63, 60)
#define EVENT_PPR_TAG_MASK   GENMASK(41, 32) /* INVALID_PPR_REQUEST */

#define EVENT_TYPE_ILL_DEV	0x1 /* ILLEGAL_DEV_TABLE_ENTRY */
#define EVENT_TYPE_IO_FAULT	0x2 /* IO_PAGE_FAULT */
#define EVENT_TYPE_DEV_TAB_ERR	0x3 /* DEV_TAB_HARDWARE_ERROR */
#define EVENT_TYPE_PAGE_TAB_ERR 0x4 /* PAGE_TAB_HARDWARE_ERROR */
#define EVENT_TYPE_ILL_CMD	0x5 /* ILLEGAL_COMMAND_ERROR */
#define EVENT_TYPE_CMD_HARD_ERR 0x6 /* COMMAND_HARDWARE_ERROR */
#define EVENT_TYPE_IOTLB_INV_TO 0x7 /* IOTLB_INV_TIMEOUT */
#define EVENT_TYPE_INV_DEV_REQ	0x8 /* INVALID_DEVICE_REQUEST */
#define EVENT_TYPE_INV_PPR_REQ	0x9 /* INVALID_PPR_REQUEST */
#define EVENT_TYPE_CNT_ZERO	0xa /* EVENT_COUNTER_ZERO */
#define EVENT_TYPE_RMP_FAULT	0xd /* RMP_PAGE_FAULT (SNP) */
#define EVENT_TYPE_RMP_HW_ERR	0xe /* RMP_HW_ERROR (SNP) */

/* Flags field (12 bits, event bits 59:48), 2.5.3 IO_PAGE_FAULT and friends. */
#define EVENT_FLAG_GN BIT(0) /* guest (PASID) request */
#define EVENT_FLAG_NX BIT(1) /* execute requested */
#define EVENT_FLAG_US BIT(2) /* user request */
#define EVENT_FLAG_I  BIT(3) /* interrupt request (not memory) */
#define EVENT_FLAG_PR BIT(4) /* page was present */
#define EVENT_FLAG_RW BIT(5) /* write transaction */
#define EVENT_FLAG_PE BIT(6) /* permission denied */
#define EVENT_FLAG_RZ BIT(7) /* reserved bit not zero / bad level */
#define EVENT_FLAG_TR BIT(8) /* translation request (ATS) */

#endif
