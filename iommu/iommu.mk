# iommu: AMD-Vi formats and MMIO driver, every IOMMU of IVRS, the IVRS parser,
# PCI config space through ECAM (all pure, unit-tested against fakes); the
# bring-up glue and the QEMU edu DMA driver only go into hv.efi (docs/iommu.md,
# docs/amdvi.md, docs/ivrs.md).
PURE_SRCS += iommu/amdvi_fmt.c iommu/amdvi.c iommu/amdvi_set.c iommu/pci.c iommu/bar_policy.c \
	iommu/ivrs.c
HV_SRCS += iommu/iommu.c iommu/edu.c
UNIT_TESTS += amdvi_fmt amdvi amdvi_set pci ivrs
HOST_TOOLS += ivrsdump
FUZZ_TARGETS += ivrs pci
# The fake IOMMU register file shared by the driver's and the IOMMU set's tests.
$(BUILD)/tests/unit/test_amdvi $(BUILD)/tests/unit/test_amdvi_set: $(FAKE_AMDVI_OBJ)
