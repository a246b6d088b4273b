# hv/platform: hv_main and the bring-up of the machine around the guests: the
# SNP platform (emulated or hardware; docs/snp.md, docs/hardware.md), the
# scenario registry with the production scenario "guests" (both images) and
# the empty test table of the hardware image (scenario_none.c).
HV_SRCS += hv/platform/main.c hv/platform/snp_host.c hv/platform/snp_hw.c \
	hv/platform/scenario.c
HW_ONLY_SRCS += hv/platform/scenario_none.c
