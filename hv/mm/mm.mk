# hv/mm: host memory, pure, on nothing but hv/base: pmem (the owner of RAM)
# and the ONE page-table engine with its formats (long mode, NPT, AMD IOMMU
# v1, NPT+IOMMU shared; docs/pt.md).
PURE_SRCS += hv/mm/pmem.c hv/mm/pt.c hv/mm/pt_fmt_x86.c hv/mm/pt_fmt_amdv1.c hv/mm/pt_fmt_shared.c
UNIT_TESTS += pmem pt pt_random pt_shared
FUZZ_TARGETS += pt
