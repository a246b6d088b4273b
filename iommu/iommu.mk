# iommu glue: PCI config space through ECAM/MCFG (pure, unit-tested against a
# fake config space), the hypervisor's IOMMU bring-up and domain API, the
# QEMU edu DMA driver, and the iommu scenarios (docs/iommu.md).
PURE_SRCS += iommu/pci.c
UNIT_TESTS += pci
HV_SRCS += iommu/iommu.c iommu/edu.c hv/scenario_iommu.c
