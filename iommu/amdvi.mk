# iommu/amdvi: AMD-Vi hardware formats (pure encoders/decoders) and the MMIO
# driver (pure: registers through an ops table), with their unit tests.
PURE_SRCS += iommu/amdvi_fmt.c iommu/amdvi.c
# Every IOMMU of an IVRS: device -> IOMMU map, bring-up, invalidation fan-out.
PURE_SRCS += iommu/amdvi_set.c
UNIT_TESTS += amdvi_set
UNIT_TESTS += amdvi_fmt
UNIT_TESTS += amdvi
# The fake IOMMU register file shared by the driver's and the IOMMU set's tests.
FAKE_AMDVI_OBJ := $(BUILD)/host/tests/unit/fake_amdvi.o
$(BUILD)/tests/unit/test_amdvi $(BUILD)/tests/unit/test_amdvi_set: $(FAKE_AMDVI_OBJ)
