# snp: PSP mailbox driver, SEV-SNP firmware model, launch sequence and the
# GHCB protocol (all pure), their unit tests and the PSC fuzz target
# (docs/snp.md).
PURE_SRCS += snp/psp.c snp/psp_model.c snp/launch.c snp/ghcb.c snp/aes_gcm.c snp/guest_msg.c
UNIT_TESTS += psp launch ghcb aes_gcm guest_req
FUZZ_TARGETS += psc
# The SNP platform fixture (RMP model + firmware model + PSP driver) shared by
# the launch, guest-request and SEV-ES VMCB tests.
SNP_ENV_OBJ := $(BUILD)/host/tests/unit/snp_env.o
$(BUILD)/tests/unit/test_launch $(BUILD)/tests/unit/test_guest_req $(BUILD)/tests/unit/test_sev_vmcb: $(SNP_ENV_OBJ)
