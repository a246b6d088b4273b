# snp: PSP mailbox driver, SEV-SNP firmware model, launch sequence and the
# GHCB protocol (all pure), their unit tests and the PSC fuzz target
# (docs/snp.md).
PURE_SRCS += snp/psp.c snp/psp_model.c snp/launch.c snp/ghcb.c snp/aes_gcm.c snp/guest_msg.c
UNIT_TESTS += psp launch ghcb aes_gcm guest_req
FUZZ_TARGETS += psc
