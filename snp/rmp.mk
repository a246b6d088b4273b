# snp/rmp: Reverse Map Table. rmp.c and rmp_model.c are pure; rmp_hw.c uses
# CPUID/RDMSR and the RMP instructions, so it only goes into hv.efi.
PURE_SRCS += snp/rmp.c snp/rmp_model.c
HV_SRCS += snp/rmp_hw.c
UNIT_TESTS += rmp
