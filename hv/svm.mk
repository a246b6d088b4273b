# hv/svm: VMCB, VMRUN loop, exit handlers, guests and their scheduler.
# Pure (host-testable): initial VMCB, RIP advance, MSRPM/IOPM, CPUID policy,
# MSR emulation, exit dispatch, default guest memory (pmem + pt NPT).
PURE_SRCS += hv/vcpu.c hv/cpuid.c hv/msr.c hv/exits.c hv/guest_mem.c
HV_SRCS += hv/guest_gmem.c
UNIT_TESTS += svm
UNIT_TESTS += exits
# Hardware: SVM enable, ASIDs, preemption timer, VMRUN, guest lifecycle.
HV_SRCS += hv/svm.c hv/vmrun.S hv/vmrun_sev_es.S hv/guest.c hv/dump.c
