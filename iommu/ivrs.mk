# iommu/ivrs: ACPI IVRS parser (pure), its unit test, fuzz target and the
# tools/ivrsdump host tool.
PURE_SRCS += iommu/ivrs.c
UNIT_TESTS += ivrs
HOST_TOOLS += ivrsdump
FUZZ_TARGETS += ivrs
