# snp: the SEV-SNP library. RMP (model and hardware backends, docs/rmp.md),
# PSP mailbox driver and SNP firmware model, launch sequence, measurement
# (SHA-384, PAGE_INFO digest, docs/measure.md), AES-256-GCM and guest
# messages, the GHCB codec, the hardware plan. All pure but rmp_hw.c (RMP
# instructions), which only goes into hv.efi.
PURE_SRCS += snp/sha384.c snp/measure.c snp/rmp.c snp/rmp_model.c snp/psp.c snp/psp_model.c \
	snp/launch.c snp/ghcb.c snp/aes_gcm.c snp/guest_msg.c snp/snp_hw_plan.c
HV_SRCS += snp/rmp_hw.c
UNIT_TESTS += sha384 measure rmp psp launch ghcb aes_gcm guest_req snp_hw_plan
FUZZ_TARGETS += psc
HOST_TOOLS += snp-measure
# The SNP platform fixture (RMP model + firmware model + PSP driver) shared by
# the launch, guest-request and SEV-ES VMCB tests.
$(BUILD)/tests/unit/test_launch $(BUILD)/tests/unit/test_guest_req: $(SNP_ENV_OBJ)
