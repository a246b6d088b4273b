# iommu/amdvi: AMD-Vi hardware formats (pure encoders/decoders) and the MMIO
# driver (pure: registers through an ops table), with their unit tests.
PURE_SRCS += iommu/amdvi_fmt.c iommu/amdvi.c
UNIT_TESTS += amdvi_fmt
UNIT_TESTS += amdvi
