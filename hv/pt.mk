# hv/pt: the page-table engine and its formats (long mode, NPT, AMD IOMMU v1).
PURE_SRCS += hv/pt.c hv/pt_fmt_x86.c hv/pt_fmt_amdv1.c hv/pt_fmt_shared.c
UNIT_TESTS += pt pt_random pt_shared
FUZZ_TARGETS += pt
