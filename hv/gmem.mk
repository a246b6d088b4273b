# hv/gmem: guest memory, the only allocator of guest pages (docs/gmem.md).
PURE_SRCS += hv/gmem.c
UNIT_TESTS += gmem gmem_random gmem_shared
FUZZ_TARGETS += gmem
