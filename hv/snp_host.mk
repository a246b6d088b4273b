# SNP platform bring-up (docs/snp.md, docs/hardware.md): the pure decision
# logic of the hardware path (snp/snp_hw_plan.c, unit-tested), the glue that
# gathers facts and runs the plan (hv/snp_hw.c) and snp_host_init.
PURE_SRCS += snp/snp_hw_plan.c
HV_SRCS += hv/snp_host.c hv/snp_hw.c
UNIT_TESTS += snp_hw_plan
