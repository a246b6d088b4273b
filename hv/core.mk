# hv core: logging (pure: stdio of newlib or of the host).
PURE_SRCS += hv/log.c
UNIT_TESTS += bits
