# iommu_mode experiments: the iommu-modes benchmark and the iommu-shared DMA scenario.
HV_SRCS += hv/scenario_bench.c
