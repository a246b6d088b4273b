# hv/core: the point of snpvisor, pure. gmem, the one allocator of guest
# pages, applies every change to the RMP, the NPT and the IOMMU domains as one
# transaction (docs/gmem.md); xcheck proves I1-I7 over gmem, the RMP and pmem
# (docs/gmem.md, docs/xcheck-dump.md). xcheck depends on gmem, never the reverse.
PURE_SRCS += hv/core/gmem.c hv/core/xcheck.c
UNIT_TESTS += gmem gmem_random gmem_shared gmem_mmio gmem_teardown xcheck
FUZZ_TARGETS += gmem
HOST_TOOLS += xcheck-dump
