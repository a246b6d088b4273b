# SEV-ES/SNP VMSA layout and the boot-state builder (pure; docs/measure.md,
# "VMSA"). Measured by tools/snp-measure --vmsa-boot; not yet launched by the
# hypervisor.
PURE_SRCS += snp/vmsa.c
UNIT_TESTS += vmsa
