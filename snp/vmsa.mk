# SEV-ES/SNP VMSA layout and the boot-state builder (pure; docs/measure.md,
# "VMSA"). Measured by tools/snp-measure --vmsa-boot; launched for every SNP
# guest (hv/guest_gmem.c) and, on SNP hardware, the VMCB's vmsa_pa.
PURE_SRCS += snp/vmsa.c
UNIT_TESTS += vmsa
