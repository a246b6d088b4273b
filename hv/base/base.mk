# hv/base: the foundation every layer uses (types, bits, logging, the
# physical-memory accessors, test reports, the hv.cfg format). Pure.
PURE_SRCS += hv/base/log.c hv/base/report.c hv/base/config.c hv/base/mem_zero.c
UNIT_TESTS += bits config
FUZZ_TARGETS += config
