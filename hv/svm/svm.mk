# hv/svm: AMD SVM. Pure: the vCPU and its VMCB, the VMSA, the SEV-ES/SNP VMCB
# with a model of VMRUN's checks, CPUID and MSR policy, exit dispatch and
# hypercalls, and the guest-facing SNP handling (VMGEXIT, GHCB, PVALIDATE,
# RMP #NPF). Hardware: SVM enable, ASIDs, timers, both world switches.
PURE_SRCS += hv/svm/vcpu.c hv/svm/cpuid.c hv/svm/guest_msr.c hv/svm/exits.c hv/svm/snp_guest.c \
	hv/svm/snp_vc.c hv/svm/sev_vmcb.c hv/svm/vmsa.c hv/svm/vlapic.c hv/svm/mmio_insn.c hv/svm/vrtc.c \
	hv/svm/vioapic.c hv/svm/vuart.c hv/svm/vpit.c hv/svm/guest_plat.c
HV_SRCS += hv/svm/svm.c hv/svm/vmrun.S hv/svm/vmrun_sev_es.S
# The test-only hypercalls answer HC_ENOSYS in the hardware image and the host
# library; hv-test.efi links hv/scenarios/hc_test.c instead (hv/svm/hc_test.h).
HW_ONLY_PURE_SRCS += hv/svm/hc_test_none.c
UNIT_TESTS += svm exits snp_guest sev_vmcb vmsa vlapic mmio_insn vrtc vioapic vuart vpit
$(BUILD)/tests/unit/test_sev_vmcb: $(SNP_ENV_OBJ)
