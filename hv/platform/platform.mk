# hv/platform: hv_main and the bring-up of the machine: SNP platform
# (emulated or hardware), memory dumps for the offline checker.
HV_SRCS += hv/platform/main.c hv/platform/dump.c hv/platform/snp_host.c hv/platform/snp_hw.c
