# snp/sev_vmcb: the hardware side of SEV-ES/SNP guests, pure: ASID pools,
# the VMCB of an SNP guest on hardware, a model of VMRUN's SEV-ES/SNP
# checks, automatic exits, the SNP #NPF decode (docs/svm.md, docs/hardware.md).
PURE_SRCS += snp/sev_vmcb.c
UNIT_TESTS += sev_vmcb
