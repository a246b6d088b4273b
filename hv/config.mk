# hv config: hv.cfg parser (pure), its unit test and libFuzzer target.
PURE_SRCS += hv/config.c
UNIT_TESTS += config
FUZZ_TARGETS += config
