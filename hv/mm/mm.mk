# hv/mm: memory, all pure. pmem (the owner of RAM), the page-table engine and
# its formats (long mode, NPT, AMD IOMMU v1, NPT+IOMMU shared), gmem (the one
# allocator of guest pages, docs/gmem.md) and the cross-checker xcheck that
# proves I1-I7 over gmem, the RMP and pmem (docs/gmem.md, docs/xcheck-dump.md).
PURE_SRCS += hv/mm/pmem.c hv/mm/pt.c hv/mm/pt_fmt_x86.c hv/mm/pt_fmt_amdv1.c \
	hv/mm/pt_fmt_shared.c hv/mm/gmem.c hv/mm/xcheck.c
UNIT_TESTS += pmem pt pt_random pt_shared gmem gmem_random gmem_shared gmem_mmio xcheck
FUZZ_TARGETS += pt gmem
HOST_TOOLS += xcheck-dump
