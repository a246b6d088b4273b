# hv/platform: hv_main and the bring-up of the machine around the guests: the
# SNP platform (emulated or hardware; docs/snp.md, docs/hardware.md).
HV_SRCS += hv/platform/main.c hv/platform/snp_host.c hv/platform/snp_hw.c
