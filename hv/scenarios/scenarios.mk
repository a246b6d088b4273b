# hv/scenarios: the built-in test scenarios run by make test and make run
# (tests/qemu/*.cfg) and the test-only hypercalls (HC_DMA_PHASE,
# HC_BENCH_MARK). Linked only into the test image hv-test.efi; the hardware
# image hv.efi links the stand-ins hv/platform/scenario_none.c and
# hv/svm/hc_test_none.c instead (tools/check-hw-image.sh proves it).
TEST_SRCS += hv/scenarios/scenario.c hv/scenarios/bench.c hv/scenarios/bench_costs.c hv/scenarios/iommu.c \
	hv/scenarios/smp.c hv/scenarios/hc_test.c \
	hv/scenarios/test_domain.c
