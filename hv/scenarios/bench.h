/* iommu_mode experiments (hv/scenarios/bench.c, docs/iommu-modes.md) and the
 * guest-visible costs (hv/scenarios/bench_costs.c, docs/bench.md). */
#ifndef HV_SCENARIO_BENCH_H
#define HV_SCENARIO_BENCH_H

void scenario_iommu_modes(void);  /* make bench: duplicated vs shared, METRIC lines */
void scenario_iommu_shared(void); /* DMA of a trusted edu through a shared-mode NPT */
void scenario_bench_costs(void);  /* make bench: IOMMU/DMA costs, then the guests */

#endif
