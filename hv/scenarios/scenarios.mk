# hv/scenarios: the built-in test scenarios run by make test and make run
# (tests/qemu/*.cfg). Linked only into the test image.
HV_SRCS += hv/scenarios/scenario.c hv/scenarios/bench.c hv/scenarios/iommu.c hv/scenarios/smp.c \
	hv/scenarios/test_domain.c
